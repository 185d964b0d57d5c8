"""Activation slips benchmark: one streamed PDF for a whole mission, time and memory.

    .venv/bin/python bench/bench_slips.py            # 2,000 and 20,000 people
    .venv/bin/python bench/bench_slips.py --quick    # 200 and 2,000

Each size runs in a fresh child process. It builds the list of slips first (names in Latin and
Arabic script, languages English, French and Arabic, as the dashboard's route holds the codes
it has just issued), then streams the PDF (certificates.slips.stream_slips) to nowhere, reading
its resident memory after every page. Reported: wall and CPU time, slips per second, pages, file
size, the memory the list of slips takes, and the largest growth of resident memory while the
PDF streams, measured from the end of the first page (fonts parsed, labels shaped). Flat memory
means the growth is about the same for 2,000 and 20,000 people.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LATIN_NAMES = ["Jean-Baptiste Mbemba", "Aïssatou Diallo", "Nguyễn Văn An", "Priya Raghunathan", "Oluwaseun Adeyemi",
               "María José Fernández", "Tomasz Wiśniewski", "Chidi Okonkwo", "Fatoumata Keïta", "Ramesh Thapa"]
ARABIC_NAMES = ["محمد عبد الله الحسيني", "فاطمة الزهراء بن علي", "أحمد يوسف المصري", "مريم الحسن", "عمر خالد النعيمي"]


def _rss_kb() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def _slips(count: int, seed: int = 11) -> list[dict]:
    from accounts.activation import new_code

    rng = random.Random(seed)
    slips = []
    for index in range(count):
        language = ("en", "fr", "ar")[index % 3]
        names = ARABIC_NAMES if index % 4 == 1 else LATIN_NAMES
        slips.append({"name": f"{rng.choice(names)} {index}", "service_number": f"PK-{index:07d}", "code": new_code(),
                      "language": language, "expires_on": date(2027, 1, 3)})
    return slips


def child(count: int) -> dict:
    import accounts.activation  # noqa: F401  (imported before measuring: the list alone is counted)
    from certificates.slips import stream_slips

    start_rss = _rss_kb()
    slips = _slips(count)
    list_kb = _rss_kb() - start_rss
    wall, cpu = time.perf_counter(), time.process_time()
    size, base, peak = 0, None, 0
    for chunk in stream_slips(slips, base_url="https://training.example.org"):
        size += len(chunk)
        rss = _rss_kb()
        if base is None:
            base = rss  # after the first page: fonts parsed and labels shaped
        peak = max(peak, rss - base)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {"people": count, "pages": -(-count // 8), "seconds": round(wall, 2), "cpu_seconds": round(cpu, 2),
            "slips_per_second": round(count / cpu), "megabytes": round(size / 1e6, 1),
            "slip_list_kb": list_kb, "peak_growth_kb": peak}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child)))
        return
    sizes = (200, 2_000) if args.quick else (2_000, 20_000)
    print(f"{'people':>7} {'pages':>6} {'wall s':>7} {'CPU s':>6} {'slips/s':>8} {'MB':>6} "
          f"{'list KB':>8} {'stream growth KB':>17}")
    for size in sizes:
        output = subprocess.run([sys.executable, __file__, "--child", str(size)], check=True, capture_output=True,
                                text=True, cwd=ROOT).stdout
        row = json.loads(output.strip().splitlines()[-1])
        print(f"{row['people']:>7,} {row['pages']:>6,} {row['seconds']:>7} {row['cpu_seconds']:>6} "
              f"{row['slips_per_second']:>8,} {row['megabytes']:>6} {row['slip_list_kb']:>8,} "
              f"{row['peak_growth_kb']:>17,}")


if __name__ == "__main__":
    main()
