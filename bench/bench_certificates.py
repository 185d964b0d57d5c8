"""Certificate benchmark: PDFs per second on one core, and the memory of a mission's bulk ZIP.

    .venv/bin/python bench/bench_certificates.py            # 1,000 PDFs; ZIPs of 500 and 5,000 people
    .venv/bin/python bench/bench_certificates.py --quick    # 200 PDFs; ZIPs of 100 and 1,000

1. Renders N certificates (a mix of Latin and Arabic names in English, French and Arabic) with
   the prepared renderer, and a baseline of the same certificates rendered naively: fonts read
   and parsed, artwork and labels prepared again for every certificate, and segno choosing the
   QR mask itself. Rates are CPU seconds of this one process (time.process_time), so other
   work on the machine does not count against them; wall-clock rates are printed too.
2. Builds a SQLite database with one mission of M people, each holding a signed certificate,
   and streams the mission's ZIP (the code behind /missions/<id>/certificates.zip) to nowhere,
   for M/10 and M people. Each ZIP runs in a fresh child process that reads its resident
   memory after every file and reports the largest growth: flat memory means the two are close.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LATIN_NAMES = ["Jean-Baptiste Mbemba", "Aïssatou Diallo", "Nguyễn Văn An", "Priya Raghunathan", "Oluwaseun Adeyemi",
               "María José Fernández", "Tomasz Wiśniewski", "Chidi Okonkwo", "Fatoumata Keïta", "Ramesh Thapa"]
ARABIC_NAMES = ["محمد عبد الله الحسيني", "فاطمة الزهراء بن علي", "أحمد يوسف المصري", "مريم الحسن", "عمر خالد النعيمي",
                "ليلى عبد الرحمن", "يوسف إبراهيم الشامي", "سارة محمود"]
TITLES = {"en": "Child Protection in UN Peace Operations",
          "fr": "Protection de l’enfance dans les opérations de paix des Nations Unies",
          "ar": "حماية الطفل في عمليات الأمم المتحدة للسلام"}


def _documents(count: int, seed: int = 7) -> list[dict]:
    """Plain certificate dicts with real signed payloads, half of them with Arabic names."""
    from certificates import qr, signing

    rng = random.Random(seed)
    key = signing.new_private_key()
    documents = []
    for index in range(count):
        arabic = index % 2 == 1
        language = "ar" if arabic and index % 4 == 1 else rng.choice(["en", "fr"]) if not arabic else "en"
        name = rng.choice(ARABIC_NAMES if arabic else LATIN_NAMES) + f" {index}"
        issued = date(2026, 1, 1) + timedelta(days=index % 365)
        expires = issued.replace(year=issued.year + 3)
        serial = f"CP-PEACE-2026-{index:06d}"
        claims = signing.Claims(serial, name, TITLES[language], issued, expires, "202611-bench001")
        signature = signing.sign(claims, key)
        url = f"https://training.example.org/verify/{rng.getrandbits(144):036x}"
        documents.append({"language": language, "holder_name": name, "course_title": TITLES[language],
                          "issued_on": issued, "expires_on": expires, "serial": serial,
                          "check_code": signing.check_code(signature), "key_id": "202611-bench001",
                          "verify_url": url, "qr_text": qr.qr_text(url, signing.payload(claims, signature))})
    return documents


def _rate(render, documents: list[dict]) -> dict:
    wall, cpu = time.perf_counter(), time.process_time()
    size = 0
    for document in documents:
        size += len(render(document))
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return {"count": len(documents), "cpu_s": cpu, "wall_s": wall, "per_s_cpu": len(documents) / cpu,
            "per_s_wall": len(documents) / wall, "ms_each": 1000 * cpu / len(documents),
            "average_kb": size / len(documents) / 1024}


def _naive_render(document: dict) -> bytes:
    """The baseline: everything prepared again for each certificate, and the QR code made by segno."""
    import segno

    from certificates import pdf, qr

    def segno_matrix(text: str) -> qr.Matrix:
        code = segno.make(text, error="m", micro=False)
        return qr.Matrix(size=len(code.matrix), modules=b"".join(bytes(row) for row in code.matrix))

    original = qr.matrix
    qr.matrix = segno_matrix
    try:
        return pdf.CertificateRenderer().render(document)
    finally:
        qr.matrix = original


def bench_render(count: int) -> dict:
    from certificates import pdf

    documents = _documents(count)
    renderer = pdf.CertificateRenderer()
    renderer.render(documents[0])  # first use: nothing else to warm
    prepared = _rate(renderer.render, documents)
    arabic = _rate(renderer.render, [d for d in documents if d["language"] == "ar"][:200])
    baseline = _rate(_naive_render, documents[: max(20, count // 20)])
    return {"prepared": prepared, "arabic_layout": arabic, "naive_baseline": baseline}


# --- the bulk ZIP -------------------------------------------------------------------------------------

def _app(database: Path, key_dir: Path):
    from app import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}", "SIGNING_KEY_DIR": str(key_dir),
                       "TESTING": True, "PUBLIC_BASE_URL": "https://training.example.org"})


def build_mission(database: Path, key_dir: Path, people: int) -> int:
    """A mission with `people` deployed people, each with one valid signed certificate. Returns its id."""
    import secrets

    from accounts.models import Deployment, Mission, User
    from certificates import keys, signing
    from certificates.models import Certificate
    from extensions import db
    from training.models import Course

    app = _app(database, key_dir)
    with app.app_context():
        db.create_all()
        mission = Mission(code=f"BENCH{people}", name=f"Bench mission of {people}", kind="peacekeeping",
                          country="Benchland")
        course = Course(code=f"cp-bench-{people}", title=TITLES, validity_months=36, languages="en,fr,ar")
        db.session.add_all([mission, course])
        db.session.flush()
        key_id, private_key = keys.active_key()
        now = datetime.now(timezone.utc)
        rng = random.Random(people)
        for index in range(people):
            arabic = index % 2 == 1
            language = "ar" if index % 4 == 1 else ("en" if arabic else rng.choice(["en", "fr"]))
            user = User(service_number=f"B{people}-{index:06d}", category="military", preferred_language=language,
                        name=rng.choice(ARABIC_NAMES if arabic else LATIN_NAMES) + f" {index}")
            db.session.add(user)
            db.session.flush()
            db.session.add(Deployment(user_id=user.id, mission_id=mission.id, arrival_on=date.today()))
            serial = f"CP-BENCH-{people}-{index:06d}"
            expires = now + timedelta(days=1000)
            claims = signing.Claims(serial, user.name, TITLES[language], now.date(), expires.date(), key_id)
            signature = signing.sign(claims, private_key)
            db.session.add(Certificate(
                serial=serial, code=secrets.token_urlsafe(24), check_code=signing.check_code(signature),
                issue_key=f"{user.id}:{course.id}:1", user_id=user.id, course_id=course.id, course_version=1,
                holder_name=user.name, course_title=TITLES[language], language=language, issued_at=now,
                expires_at=expires, key_id=key_id, signature=signature))
            if index % 500 == 499:
                db.session.flush()
        db.session.commit()
        return mission.id


def zip_child(database: Path, key_dir: Path, mission_id: int) -> dict:
    """Run in a fresh process: stream the mission's ZIP to nowhere and report memory and time."""
    from certificates import bulk, pdf

    app = _app(database, key_dir)
    with app.test_request_context("/"):
        pdf.default_renderer()  # fonts parsed before the first reading, as in a warm worker
        before = highest = _rss_kb()
        cpu, wall = time.process_time(), time.perf_counter()
        total = 0
        chunks = bulk.zip_chunks(lambda: bulk.rows_for_mission(mission_id), "out", "https://training.example.org")
        for chunk in chunks:  # one chunk per certificate: read the resident size after each
            total += len(chunk)
            highest = max(highest, _rss_kb())
    return {"mission_id": mission_id, "zip_mb": total / 1e6, "cpu_s": time.process_time() - cpu,
            "wall_s": time.perf_counter() - wall, "rss_before_mb": before / 1024,
            "peak_growth_mb": (highest - before) / 1024, "peak_rss_mb": highest / 1024}


def _rss_kb() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def bench_zip(people: int, workdir: Path) -> list[dict]:
    database, key_dir = workdir / "bench.sqlite3", workdir / "keys"
    results = []
    for size in (people // 10, people):
        mission_id = build_mission(database, key_dir, size)
        output = subprocess.run([sys.executable, __file__, "--zip-child", str(database), str(key_dir), str(mission_id)],
                                check=True, capture_output=True, text=True, cwd=ROOT, timeout=3600)
        result = json.loads(output.stdout.strip().splitlines()[-1])
        result["people"] = size
        results.append(result)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="200 PDFs and ZIPs of 100 / 1,000 people")
    parser.add_argument("--renders", type=int, default=None)
    parser.add_argument("--people", type=int, default=None)
    parser.add_argument("--zip-child", nargs=3, metavar=("DB", "KEYS", "MISSION_ID"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.zip_child:
        database, key_dir, mission_id = args.zip_child
        print(json.dumps(zip_child(Path(database), Path(key_dir), int(mission_id))))
        return
    renders = args.renders or (200 if args.quick else 1000)
    people = args.people or (1000 if args.quick else 5000)
    print(f"certificate benchmark, {datetime.now():%Y-%m-%d %H:%M}, {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    render = bench_render(renders)
    for label, result in render.items():
        print(f"  render {label:15} {result['count']:5d} PDFs: {result['per_s_cpu']:6.1f}/s on one core "
              f"({result['ms_each']:.1f} ms CPU each; {result['per_s_wall']:.1f}/s wall), {result['average_kb']:.0f} KB each")
    speedup = render["prepared"]["per_s_cpu"] / render["naive_baseline"]["per_s_cpu"]
    print(f"  prepared renderer vs naive baseline: {speedup:.1f}x; goal >= 50/s: "
          f"{'met' if render['prepared']['per_s_cpu'] >= 50 else 'NOT met'}")
    with tempfile.TemporaryDirectory(prefix="cpt-bench-") as workdir:
        for result in bench_zip(people, Path(workdir)):
            print(f"  zip {result['people']:5d} people: {result['zip_mb']:7.1f} MB streamed in {result['wall_s']:.1f} s wall "
                  f"({result['people'] / result['cpu_s']:.1f} certificates/s CPU); peak RSS grew "
                  f"{result['peak_growth_mb']:.1f} MB over {result['rss_before_mb']:.0f} MB")


if __name__ == "__main__":
    main()
