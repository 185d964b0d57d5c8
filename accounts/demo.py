"""Demo missions, units and people for `flask seed-demo`. Deterministic and idempotent."""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import select

from accounts.models import Mission, Unit, User
from accounts.passwords import hash_password
from accounts.services import deploy, grant_role
from extensions import db

# Nine peacekeeping, four political and two peacebuilding missions, as in the founding report.
MISSIONS = [
    ("MONUSCO", "UN Organization Stabilization Mission in the DR Congo", "peacekeeping", "DR Congo", "fr,en"),
    ("UNMISS", "UN Mission in South Sudan", "peacekeeping", "South Sudan", "en,ar"),
    ("MINUSCA", "UN Multidimensional Integrated Stabilization Mission in the Central African Republic", "peacekeeping", "Central African Republic", "fr,en"),
    ("UNIFIL", "UN Interim Force in Lebanon", "peacekeeping", "Lebanon", "en,ar,fr"),
    ("UNISFA", "UN Interim Security Force for Abyei", "peacekeeping", "Abyei", "en,ar"),
    ("MINURSO", "UN Mission for the Referendum in Western Sahara", "peacekeeping", "Western Sahara", "ar,fr,en"),
    ("UNFICYP", "UN Peacekeeping Force in Cyprus", "peacekeeping", "Cyprus", "en"),
    ("UNDOF", "UN Disengagement Observer Force", "peacekeeping", "Golan", "en,ar"),
    ("UNMIK", "UN Interim Administration Mission in Kosovo", "peacekeeping", "Kosovo", "en"),
    ("UNAMA", "UN Assistance Mission in Afghanistan", "political", "Afghanistan", "en"),
    ("UNAMI", "UN Assistance Mission for Iraq", "political", "Iraq", "ar,en"),
    ("UNSMIL", "UN Support Mission in Libya", "political", "Libya", "ar,en"),
    ("UNSOM", "UN Assistance Mission in Somalia", "political", "Somalia", "en,ar"),
    ("BINUH", "UN Integrated Office in Haiti", "peacebuilding", "Haiti", "fr,en"),
    ("UNIOGBIS", "UN Integrated Peacebuilding Office in Guinea-Bissau", "peacebuilding", "Guinea-Bissau", "fr,en"),
]

UNIT_PATTERNS = {
    "peacekeeping": ["NEPBATT-1", "BANBATT-2", "PAKBATT-1", "INDBATT-3", "FPU-SEN-1", "FPU-EGY-2", "CP-SECTION", "HQ-STAFF"],
    "political": ["POL-AFFAIRS", "HUMAN-RIGHTS", "SECURITY", "HQ-STAFF"],
    "peacebuilding": ["POLICE-ADVISERS", "PROGRAMME", "HQ-STAFF"],
}

FIRST = ["Amina", "Jean", "Fatima", "Rajesh", "Grace", "Mohamed", "Sophie", "Kwame", "Aisha", "Pierre", "Nadia",
         "Samuel", "Leila", "Ibrahim", "Marie", "Tenzin", "Chloé", "Omar", "Ana", "Bikash", "Yasmin", "Joseph"]
LAST = ["Diallo", "Sharma", "Haddad", "Mensah", "Kabila", "Rahman", "Dubois", "Okafor", "Nasser", "Silva",
        "Thapa", "Traoré", "Khan", "Mwangi", "Benali", "Ndiaye", "Gurung", "Hossain", "Moreau", "Ahmed"]
RANKS = {"military": ["Pte", "Cpl", "Sgt", "Lt", "Capt", "Maj"], "police": ["Constable", "Sergeant", "Inspector"],
         "civilian": [""]}

DEMO_PASSWORD = "peacekeeper-demo-2026"
DEMO_ACCOUNTS = [
    # key, service number, name, email, category, roles
    ("admin", "ADM-0001", "Alex Admin", "admin@demo.example", "civilian", [("admin", None)]),
    ("trainer", "TRN-0001", "Tariq Trainer", "trainer@demo.example", "civilian", [("trainer", None)]),
    ("hq", "HQ-0001", "Helena HQ", "hq@demo.example", "civilian", [("hq", None)]),
    ("lead", "LEAD-0001", "Louise Lead", "lead@demo.example", "military", [("mission_lead", "MONUSCO")]),
    ("learner", "PK-0001", "Lamine Learner", "learner@demo.example", "military", []),
]


def seed_people(count: int = 300, today: date | None = None) -> dict[str, int]:
    """Create what is missing; return counts of what was created."""
    today = today or date.today()
    rng = random.Random(2026)
    created = {"missions": 0, "units": 0, "people": 0, "accounts": 0}
    missions = {}
    for code, name, kind, country, languages in MISSIONS:
        mission = db.session.scalar(select(Mission).filter_by(code=code))
        if mission is None:
            mission = Mission(code=code, name=name, kind=kind, country=country, languages=languages)
            db.session.add(mission)
            created["missions"] += 1
        missions[code] = mission
        db.session.flush()
        existing_units = {u.code for u in mission.units}
        for unit_code in UNIT_PATTERNS[kind]:
            if unit_code not in existing_units:
                db.session.add(Unit(mission=mission, code=unit_code, name=f"{unit_code} ({code})"))
                created["units"] += 1
    db.session.flush()

    admin = _demo_accounts(missions, today, created)
    existing = set(db.session.scalars(select(User.service_number).where(User.service_number.like("DEMO-%"))))
    codes = list(missions)
    for n in range(1, count + 1):
        number = f"DEMO-{n:05d}"
        category = rng.choices(["military", "police", "civilian"], weights=[70, 18, 12])[0]
        first, last = rng.choice(FIRST), rng.choice(LAST)
        mission = missions[rng.choice(codes)]
        arrival = today - timedelta(days=rng.randint(-20, 365))
        language = rng.choice(mission.language_list)
        if number in existing:
            continue
        user = User(service_number=number, name=f"{first} {last}", category=category,
                    rank=rng.choice(RANKS[category]), preferred_language=language,
                    email=f"{first.lower()}.{last.lower()}.{n}@demo.example" if rng.random() < 0.6 else None)
        db.session.add(user)
        db.session.flush()
        unit = rng.choice(mission.units)
        if rng.random() < 0.15:  # a rotation: an earlier deployment elsewhere, kept as history
            earlier = missions[rng.choice(codes)]
            deploy(user, earlier, rng.choice(earlier.units), arrival - timedelta(days=rng.randint(200, 400)), actor=admin)
        deploy(user, mission, unit, arrival, actor=admin)
        created["people"] += 1
    db.session.flush()
    return created


def _demo_accounts(missions: dict[str, Mission], today: date, created: dict[str, int]) -> User:
    accounts = {}
    for key, number, name, email, category, _roles in DEMO_ACCOUNTS:
        user = db.session.scalar(select(User).filter_by(service_number=number))
        if user is None:
            user = User(service_number=number, name=name, email=email, category=category,
                        password_hash=hash_password(DEMO_PASSWORD), rank="Capt" if category == "military" else "")
            db.session.add(user)
            db.session.flush()
            created["accounts"] += 1
        accounts[key] = user
    admin = accounts["admin"]
    for key, _number, _name, _email, _category, roles in DEMO_ACCOUNTS:
        for role, mission_code in roles:
            grant_role(accounts[key], role, actor=admin, mission=missions[mission_code] if mission_code else None)
    for key in ("lead", "learner"):
        user = accounts[key]
        if user.current_deployment(today) is None:
            monusco = missions["MONUSCO"]
            unit = next(u for u in monusco.units if u.code == ("HQ-STAFF" if key == "lead" else "NEPBATT-1"))
            deploy(user, monusco, unit, today - timedelta(days=40 if key == "learner" else 300), actor=admin)
    return admin
