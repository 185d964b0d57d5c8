"""Big import files for bench/bench_jobs.py and the job tests: a roster CSV and a GIFT bank.

Pure functions (no database, no Flask): the caller says which missions, units and people exist.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

ROSTER_HEADER = "service_number,name,email,category,rank,mission,unit,arrival_on,language"
FIRST = ("Amina", "Jean", "Fatima", "Kwame", "Nadia", "Omar", "Aisha", "Pierre", "Lena", "Tariq", "Grace", "Yusuf")
LAST = ("Diallo", "Dubois", "Haddad", "Mensah", "Benali", "Khan", "Rahman", "Okafor", "Silva", "Nkosi", "Ali")
RANKS = ("Pte", "Cpl", "Sgt", "Lt", "Capt", "Maj", "Inspector", "")


def roster_csv(rows: int, places: list[tuple[str, str]], *, existing: list[tuple[str, str, str]] = (),
               update_share: float = 0.2, move_share: float = 0.2, arrival_on: date | None = None,
               prefix: str = "RB", seed: int = 2026) -> str:
    """A roster of `rows` rows: `update_share` of them change the rank of someone in `existing`,
    `move_share` move someone in `existing` to another place, the rest are new people.

    places: (mission code, unit code); existing: (service number, mission code, unit code) of
    people already in the database, deployed before `arrival_on`.
    """
    rng = random.Random(seed)
    arrival = (arrival_on or date.today()).isoformat()
    known = list(existing)
    rng.shuffle(known)
    updates = min(len(known), int(rows * update_share))
    moves = min(len(known) - updates, int(rows * move_share))
    lines = [ROSTER_HEADER]
    for number, mission, unit in known[:updates]:
        lines.append(f"{number},{_name(rng, number)},,military,Changed-{rng.randint(1, 9)},{mission},{unit},{arrival},")
    for number, mission, unit in known[updates:updates + moves]:
        elsewhere = rng.choice([place for place in places if place != (mission, unit)] or places)
        lines.append(f"{number},{_name(rng, number)},,military,Sgt,{elsewhere[0]},{elsewhere[1]},{arrival},")
    for n in range(rows - updates - moves):
        number = f"{prefix}-{n:06d}"
        mission, unit = rng.choice(places)
        category = rng.choice(("military", "military", "police", "civilian"))
        email = f"{number.lower()}@roster.example" if rng.random() < 0.6 else ""
        lines.append(f"{number},{_name(rng, number)},{email},{category},{rng.choice(RANKS)},{mission},{unit},"
                     f"{arrival},{rng.choice(('en', 'fr', 'ar', ''))}")
    return "\n".join(lines) + "\n"


def _name(rng: random.Random, number: str) -> str:
    # The same name for the same number, so an "update" row changes the rank only.
    seeded = random.Random(number)
    return f"{seeded.choice(FIRST)} {seeded.choice(LAST)}"


def existing_people(count: int, places: list[tuple[str, str]], *, prefix: str = "EX", seed: int = 7,
                    arrival_on: date | None = None) -> list[dict]:
    """People to insert before an import (users and their one deployment), as plain values."""
    rng = random.Random(seed)
    arrival = (arrival_on or date.today()) - timedelta(days=200)
    people = []
    for n in range(count):
        number = f"{prefix}-{n:06d}"
        mission, unit = rng.choice(places)
        people.append({"service_number": number, "name": _name(rng, number), "mission": mission, "unit": unit,
                       "arrival_on": arrival})
    return people


def gift_bank(target_bytes: int, *, prefix: str = "big") -> tuple[str, int]:
    """A GIFT file of about `target_bytes` of short questions (single choice, multiple response,
    true/false, some critical), about 250 bytes each as in a Moodle export: 5 MB is some 20,000
    questions. Returns (text, number of questions)."""
    out, size, count = [], 0, 0
    while size < target_bytes:
        key, topic = f"{prefix}-{count:06d}", TOPICS[count % len(TOPICS)]
        kind = count % 4
        if kind == 3:
            block = f"::{key}::{topic}: a child is anyone under 18 (question {count}).{{TRUE#Right.#Yes, under 18.}}"
        elif kind == 2:
            block = (f"::{key}::{topic}: which steps apply? (question {count}){{\n~%50%Report it#Yes.\n"
                     f"~%50%Record it#Yes.\n~%-100%Ignore it#No.\n~%-100%Pay for it#No.\n}}")
        else:
            critical = "// critical\n" if kind == 0 and count % 8 == 0 else ""
            block = (f"{critical}::{key}::{topic}: what do you do first? (question {count}){{\n"
                     f"=Pass it to the CPA#Right.\n~Wait a week#No.\n~Ask the family#No.\n~Nothing#No.\n}}")
        block = f"$CATEGORY: {topic}\n" + block.replace(": ", SCENE, 1) + "\n\n"
        out.append(block)
        size += len(block.encode())
        count += 1
    return "".join(out), count


SCENE = " - on a patrol near a school, a market or a checkpoint, with your team, you see a child in danger: "
TOPICS = ("grave violations", "detention", "reporting", "exploitation", "schools", "recruitment", "patrols")
