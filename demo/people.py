"""Demo missions, units and people for `flask seed-demo`. Deterministic and idempotent.

MONUSCO, the demo lead's mission, is the size of a real one: about 3,000 people in 39 units
whose categories follow what the units are (battalions and enablers hold soldiers, formed police
units hold police, substantive sections hold civilians, staff are mixed), and a formed unit
arrives together on its rotation. They are written with set-based inserts (one multi-row INSERT
per table), so seeding stays quick. The other missions share the `--people` spread.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import insert, select

from accounts.models import Deployment, Mission, Unit, User
from accounts.passwords import hash_password
from accounts.services import deploy, grant_role
from audit.services import record
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

# MONUSCO's units: (code, name, profile, people). Profiles say who serves in them and how they arrive.
MONUSCO_UNITS = [
    *[(code, name, "battalion", 130) for code, name in [
        ("NEPBATT-1", "Nepalese Battalion 1"), ("BANBATT-2", "Bangladeshi Battalion 2"),
        ("PAKBATT-1", "Pakistani Battalion 1"), ("INDBATT-3", "Indian Battalion 3"),
        ("INDBATT-1", "Indian Battalion 1"), ("PAKBATT-2", "Pakistani Battalion 2"),
        ("PAKBATT-3", "Pakistani Battalion 3"), ("BANBATT-1", "Bangladeshi Battalion 1"),
        ("URUBATT-1", "Uruguayan Battalion"), ("MORBATT-1", "Moroccan Battalion"),
        ("INDOBATT-1", "Indonesian Battalion"), ("FIB-SANDF", "Force Intervention Brigade, South Africa"),
        ("FIB-TANZBATT", "Force Intervention Brigade, Tanzania"), ("FIB-MALBATT", "Force Intervention Brigade, Malawi")]],
    *[(code, name, "enabler", 60) for code, name in [
        ("BANENGR-1", "Bangladeshi Engineer Company"), ("PAKENGR-1", "Pakistani Engineer Company"),
        ("CHNENGR-1", "Chinese Engineer Company"), ("URU-RIVERINE", "Uruguayan Riverine Unit"),
        ("IND-AVIATION", "Indian Aviation Unit"), ("BANSIG-1", "Bangladeshi Signals Company"),
        ("CHN-HOSPITAL", "Chinese Level II Hospital"), ("GUA-SF", "Guatemalan Special Forces")]],
    *[(code, name, "fpu", 70) for code, name in [
        ("FPU-SEN-1", "Senegalese Formed Police Unit 1"), ("FPU-EGY-2", "Egyptian Formed Police Unit 2"),
        ("FPU-BAN-1", "Bangladeshi Formed Police Unit"), ("FPU-IND-1", "Indian Formed Police Unit"),
        ("FPU-JOR-1", "Jordanian Formed Police Unit"), ("FPU-SEN-2", "Senegalese Formed Police Unit 2")]],
    ("IPO-GOMA", "Individual Police Officers, Goma", "police", 35),
    ("IPO-BUNIA", "Individual Police Officers, Bunia", "police", 35),
    ("MILOBS-EAST", "Military Observers, East", "observers", 25),
    ("HQ-STAFF", "Force Headquarters staff", "staff", 45),
    ("SECTOR-NK-HQ", "Sector North Kivu headquarters", "staff", 35),
    ("SECTOR-ITURI-HQ", "Sector Ituri headquarters", "staff", 35),
    ("CP-SECTION", "Child Protection Section", "civilian", 25),
    ("HUMAN-RIGHTS", "Joint Human Rights Office", "civilian", 40),
    ("CIVIL-AFFAIRS", "Civil Affairs Section", "civilian", 30),
    ("DDR-RR", "DDR/RR Section", "civilian", 25),
    ("MISSION-SUPPORT", "Mission Support Division", "civilian", 45),
]
# Category weights (military, police, civilian) per profile; formed units arrive together.
PROFILES = {
    "battalion": ((100, 0, 0), True), "enabler": ((100, 0, 0), True), "fpu": ((0, 100, 0), True),
    "police": ((0, 100, 0), False), "observers": ((100, 0, 0), False), "staff": ((60, 15, 25), False),
    "civilian": ((0, 0, 100), False),
}
MONUSCO_PREFIX = "DEMO-M"

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
    ("mtrainer", "MTR-0001", "Mariam Mission Trainer", "mission-trainer@demo.example", "civilian",
     [("mission_trainer", "MONUSCO")]),
    ("learner", "PK-0001", "Lamine Learner", "learner@demo.example", "military", []),
]


def seed_people(count: int = 300, today: date | None = None) -> dict[str, int]:
    """Create what is missing; return counts of what was created."""
    today = today or date.today()
    rng = random.Random(2026)
    created = {"missions": 0, "units": 0, "people": 0, "accounts": 0}
    missions = {}
    monusco_names = {code: f"{name} (MONUSCO)" for code, name, _profile, _size in MONUSCO_UNITS}
    for code, name, kind, country, languages in MISSIONS:
        mission = db.session.scalar(select(Mission).filter_by(code=code))
        if mission is None:
            mission = Mission(code=code, name=name, kind=kind, country=country, languages=languages)
            db.session.add(mission)
            created["missions"] += 1
        missions[code] = mission
        db.session.flush()
        existing_units = {u.code for u in mission.units}
        for unit_code in (list(monusco_names) if code == "MONUSCO" else UNIT_PATTERNS[kind]):
            if unit_code not in existing_units:
                db.session.add(Unit(mission=mission, code=unit_code,
                                    name=monusco_names.get(unit_code) or f"{unit_code} ({code})"))
                created["units"] += 1
    db.session.flush()

    admin = _demo_accounts(missions, today, created)
    existing = set(db.session.scalars(select(User.service_number).where(User.service_number.like("DEMO-%"))))
    # MONUSCO has its own, real-sized population below; the spread covers the other missions.
    codes = [code for code in missions if code != "MONUSCO"]
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
    created["people"] += _seed_monusco(missions["MONUSCO"], today)
    return created


def _seed_monusco(mission: Mission, today: date) -> int:
    """MONUSCO's people and deployments, two multi-row INSERTs (not one ORM object per row: that
    took most of the seed's time). Runs once: a second seed finds them and adds nothing."""
    if db.session.scalar(select(User.id).where(User.service_number.like(f"{MONUSCO_PREFIX}%")).limit(1)):
        return 0
    rng = random.Random(243)
    units = {u.code: u for u in mission.units}
    people, stays = [], []
    number = 0
    for code, _name, profile, size in MONUSCO_UNITS:
        weights, formed = PROFILES[profile]
        rotation = today - timedelta(days=rng.randint(-10, 330))  # when the contingent arrived
        # French-speaking contingents and sections read French, the others mostly English.
        french = 0.9 if any(tag in code for tag in ("SEN", "MOR", "CP-", "DDR", "CIVIL")) else 0.25
        for _ in range(rng.randint(size * 9 // 10, size * 11 // 10)):
            number += 1
            category = rng.choices(["military", "police", "civilian"], weights=weights)[0]
            first, last = rng.choice(FIRST), rng.choice(LAST)
            arrival = rotation + timedelta(days=rng.randint(-3, 3)) if formed and rng.random() < 0.92 \
                else today - timedelta(days=rng.randint(-10, 400))  # individuals come and go all year
            people.append({"service_number": f"{MONUSCO_PREFIX}{number:05d}", "name": f"{first} {last}",
                           "category": category, "rank": rng.choice(RANKS[category]),
                           "preferred_language": "fr" if rng.random() < french else "en",
                           "email": f"{first.lower()}.{last.lower()}.m{number}@demo.example"
                           if rng.random() < 0.6 else None})
            stays.append((units[code].id, arrival))
    db.session.execute(insert(User), people)
    ids = dict(db.session.execute(select(User.service_number, User.id)
                                  .where(User.service_number.like(f"{MONUSCO_PREFIX}%"))).all())
    db.session.execute(insert(Deployment), [
        {"user_id": ids[person["service_number"]], "mission_id": mission.id, "unit_id": unit_id, "arrival_on": arrival}
        for person, (unit_id, arrival) in zip(people, stays, strict=True)])
    # One audit event for the batch, not one "deployed" per person: it is made-up demo data.
    record("demo_people_seeded", actor=None, target=f"mission:{mission.code}", people=len(people))
    return len(people)


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
