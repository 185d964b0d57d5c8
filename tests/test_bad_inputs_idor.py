"""Object ids in URLs: another person's, zero, negative, huge and non-numeric ids never give data or a 500.

Both walks read app.url_map, so a new route is covered the day it is added:

- every id in every route is replaced, one at a time, by a hostile value and requested as an
  admin (who passes every role check, so only the loading of the object stands in the way);
- every route that the permission table opens to a learner but not to HQ (their own attempts
  and certificates) is requested by another learner of the same mission, and every route it
  opens to a trainer but not to learners (their own courses, modules, questions, lessons) by
  another trainer: both must be refused (403/404) and write nothing.

Another mission's objects for a mission lead are walked by test_permission_walker.py.
"""

from __future__ import annotations

import re

from tests import factories
from tests.conftest import login_as
from tests.permissions_table import EXPECTED, LOGIN, PerMission, Redirect
from tests.test_permission_walker import UNLIMITED, World, _cases, _row_counts

# zero, negative, past PostgreSQL's integer, past any integer, not a number, another script's digit, a NUL
HOSTILE_IDS = ["0", "-1", "2147483648", "99999999999999999999", "abc", "1.5", "\u0661", "%00"]
REFUSED = (400, 403, 404, 405)


def _id_arguments(rule) -> list[str]:
    return sorted(name for name, converter in rule._converters.items() if type(converter).__name__ == "IdConverter")


def _with_hostile(rule, values: dict, name: str, hostile: str) -> str:
    url = rule.build({**values, name: 123454321})[1]
    return url.replace("123454321", hostile, 1)


def test_hostile_ids_in_every_route_give_a_refusal_never_data_or_500(app, empty_tables):
    app.config.update(SIGNIN_LIMIT_PER_ADDRESS=UNLIMITED, SIGNIN_LIMIT_PER_ACCOUNT=UNLIMITED)
    world = World()
    client = app.test_client()
    login_as(client, world.admin)
    problems, tried = [], 0
    for case in _cases(app):
        if case.mission != "A" or not _id_arguments(case.rule):
            continue
        values = case.values(world)
        for name in _id_arguments(case.rule):
            for hostile in HOSTILE_IDS:
                url = _with_hostile(case.rule, values, name, hostile)
                before = _row_counts() if case.method == "POST" else None
                response = client.open(url, method=case.method)
                response.close()
                tried += 1
                status = response.status_code
                wrote = sorted(t for t, count in _row_counts().items() if before[t] != count) if before else []
                if status >= 500 or status == 200 or wrote:
                    problems.append(f"{case.method} {url}: {status}" + (f", wrote to {wrote}" if wrote else ""))
                elif status not in REFUSED and status != 302:
                    problems.append(f"{case.method} {url}: unexpected {status}")
    assert tried >= 60 * len(HOSTILE_IDS), f"only {tried} id slots were tried: is the url map being read?"
    assert not problems, f"{len(problems)} hostile id(s) mishandled:\n  " + "\n  ".join(problems)


def _succeeds(expect) -> bool:
    if isinstance(expect, Redirect):
        return expect != LOGIN
    return expect in (200, 302)


# Routes whose URL is itself the credential: whoever holds a live password-reset link may use it,
# as with any reset e-mail (the link is long, random, one-time and short-lived: tests/test_password_reset.py).
BEARER_LINKS = {"accounts.reset_password"}


def _intruder_roles(endpoint: str) -> list[str]:
    """Which of 'learner' / 'trainer' the route serves only for their own objects."""
    if endpoint in BEARER_LINKS:
        return []
    entry = EXPECTED[endpoint]
    own = entry.own if isinstance(entry, PerMission) else entry
    roles = []
    if _succeeds(own["learner"]) and own["hq"] in (403, 404):
        roles.append("learner")
    if _succeeds(own["trainer"]) and own["learner"] in (403, 404):
        roles.append("trainer")
    return roles


def test_another_learner_or_trainer_is_refused_every_object_that_is_not_theirs(app, empty_tables):
    app.config.update(SIGNIN_LIMIT_PER_ADDRESS=UNLIMITED, SIGNIN_LIMIT_PER_ACCOUNT=UNLIMITED)
    world = World()
    intruders = {
        "learner": factories.make_user(mission=world.mission_a, unit=world.unit_a, name="Ivan Intruder"),
        "trainer": factories.make_user(roles=["trainer"], name="Tina Other-Trainer", category="civilian"),
    }
    from extensions import db

    db.session.commit()
    clients = {}
    for role, person in intruders.items():
        clients[role] = app.test_client()
        login_as(clients[role], person)
    problems, walked = [], {"learner": 0, "trainer": 0}
    for case in _cases(app):
        if case.mission != "A" or not case.rule.arguments:
            continue
        for role in _intruder_roles(case.rule.endpoint):
            url = case.url(case.values(world))
            before = _row_counts()
            response = clients[role].open(url, method=case.method)
            body = response.get_data(as_text=True) if response.mimetype.startswith("text/") else ""
            response.close()
            walked[role] += 1
            wrote = sorted(table for table, count in _row_counts().items() if before[table] != count)
            if response.status_code not in (403, 404) or wrote:
                problems.append(f"{case.method} {url} as another {role}: {response.status_code}"
                                + (f", wrote to {wrote}" if wrote else ""))
            if re.search(r"Lena Learner|Traceback", body):
                problems.append(f"{case.method} {url} as another {role}: the page shows the owner's data")
    assert walked["learner"] >= 5 and walked["trainer"] >= 20, walked
    assert not problems, f"{len(problems)} object route(s) serve an intruder:\n  " + "\n  ".join(problems)
