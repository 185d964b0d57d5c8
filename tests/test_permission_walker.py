"""Every route, as every role: the answer must be the one tests/permissions_table.py gives.

A new route fails test_every_route_is_in_the_table until someone has read its view and said
who may call it. The walk then checks status codes (and redirect targets), and that a refused
request wrote nothing.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from operator import attrgetter

import pytest
from sqlalchemy import func, select

from extensions import db
from tests import factories
from tests.conftest import login_as
from tests.permissions_table import EXPECTED, LOGIN, ROLES, SAMPLES, Expect, PerMission, Redirect, allowed_to

NOT_VIEWS = {"static"}  # files, not views
TABLE = "tests/permissions_table.py"
UNLIMITED = "100000 per minute"  # the walk signs in once per request


class World:
    """Two missions and one person per role; subject_a/subject_b are acted on, never act.

    Feature objects (a quiz, an attempt, a certificate...) are built the first time a
    route's sample value asks for them, so the walk only pays for what the routes use.
    """

    def __init__(self) -> None:
        self.mission_a = factories.make_mission(code="MISSA", name="Mission A")
        self.mission_b = factories.make_mission(code="MISSB", name="Mission B", kind="political")
        self.unit_a = factories.make_unit(self.mission_a, code="A-BATT-1")
        self.unit_b = factories.make_unit(self.mission_b, code="B-TEAM-1")
        self.learner = factories.make_user(mission=self.mission_a, unit=self.unit_a, name="Lena Learner")
        self.trainer = factories.make_user(roles=["trainer"], name="Tom Trainer", category="civilian")
        self.lead = factories.make_user(mission=self.mission_a, roles=[("mission_lead", self.mission_a)],
                                        name="Lea Lead")
        self.mission_trainer = factories.make_user(mission=self.mission_a, unit=self.unit_a, name="Mia Trainer",
                                                   roles=[("mission_trainer", self.mission_a)])
        self.hq = factories.make_user(roles=["hq"], name="Hana HQ", category="civilian")
        self.admin = factories.make_user(roles=["admin"], name="Ada Admin", category="civilian")
        self.subject_a = factories.make_user(mission=self.mission_a, unit=self.unit_a, roles=["trainer"], name="Sam in A")
        self.subject_b = factories.make_user(mission=self.mission_b, unit=self.unit_b, roles=["trainer"], name="Sue in B")
        self.deployment_a, self.grant_a = self.subject_a.deployments[0], self.subject_a.role_grants[0]
        self.deployment_b, self.grant_b = self.subject_b.deployments[0], self.subject_b.role_grants[0]
        db.session.commit()

    @cached_property
    def quiz_module(self):
        """A published module of a course the trainer owns, with a two-question quiz."""
        from tests import quiz_factories

        module = quiz_factories.make_module(owner=self.trainer)
        quiz_factories.choice_question(module, "q1")
        quiz_factories.choice_question(module, "q2")
        quiz_factories.make_quiz(module)
        db.session.commit()
        return module

    @cached_property
    def quiz_question(self):
        from quizzes.services import bank

        return bank(self.quiz_module.id)[0]

    @cached_property
    def learner_attempt(self):
        """The learner's open attempt at that quiz."""
        from quizzes.attempts import start_attempt
        from quizzes.services import quiz_for_module

        attempt = start_attempt(self.learner, quiz_for_module(self.quiz_module.id), language="en")
        db.session.commit()
        return attempt

    @cached_property
    def learner_certificate(self):
        """The learner's valid certificate for a course the trainer owns."""
        from tests import certificate_factories

        return certificate_factories.issue(self.learner, certificate_factories.make_course(owner=self.trainer))

    @cached_property
    def lesson(self):
        """The first lesson of a published two-lesson module, in a course the trainer owns."""
        from tests import training_factories

        module = training_factories.make_module(training_factories.make_course(owner=self.trainer), lessons=2)
        db.session.commit()
        return module.versions[0].lessons[0]

    @cached_property
    def lesson_image(self):
        """A stored lesson image (any signed-in person may fetch it)."""
        from io import BytesIO

        from PIL import Image

        from training import images

        raw = BytesIO()
        Image.new("RGB", (20, 10), (0, 90, 170)).save(raw, format="PNG")
        image = images.store(raw.getvalue(), actor=self.trainer)
        db.session.commit()
        return image

    @cached_property
    def reset_token(self):
        """A live password-reset link of the learner's (opening it spends nothing)."""
        from accounts.reset import request_link

        _user, token = request_link(self.learner.service_number, address="127.0.0.1")
        db.session.commit()
        return token

    def _requirement(self, mission):
        from tests import training_factories

        requirement = training_factories.make_requirement(training_factories.make_course(owner=self.trainer),
                                                          mission=mission, due_days=14)
        db.session.commit()
        return requirement

    @cached_property
    def lead_job(self):
        """A finished job the lead started (it produced no file)."""
        from jobs.models import Job

        job = Job(kind="mission_certificates_zip", status="done", created_by_id=self.lead.id,
                  mission_id=self.mission_a.id, params={}, result={"certificates": 0})
        db.session.add(job)
        db.session.commit()
        return job

    def _session(self, mission, unit):
        from inperson.services import plan_session

        module = self.quiz_module
        # The walker's trainer plans it: a trainer reads and records the sessions they ran (another
        # trainer is refused, tests/test_bad_inputs_idor.py).
        session = plan_session(actor=self.trainer, course=module.course, module_ids=[module.id], mission=mission,
                               unit_ids=[unit.id], place="Camp", held_on=date.today(), language="en", pass_mark=70)
        db.session.commit()
        return session

    @cached_property
    def session_a(self):
        """An in-person session in mission A (for unit A) of the trainer's course, planned by the trainer."""
        return self._session(self.mission_a, self.unit_a)

    @cached_property
    def session_b(self):
        """The same in mission B."""
        return self._session(self.mission_b, self.unit_b)

    @cached_property
    def requirement_a(self):
        """Mission A requires a course of the trainer's."""
        return self._requirement(self.mission_a)

    @cached_property
    def requirement_b(self):
        """Mission B requires a course of the trainer's."""
        return self._requirement(self.mission_b)

    def _outside(self, person, requirement):
        from datetime import timedelta
        from io import BytesIO

        from PIL import Image

        from database import utcnow
        from recognition.models import OutsideCertificate
        from training import images

        raw = BytesIO()
        Image.new("RGB", (20, 10), (0, 90, 170)).save(raw, format="PNG")
        outside = OutsideCertificate(user_id=person.id, requirement_id=requirement.id, issuer="UNITAR",
                                     course_name="Child protection", completed_on=utcnow().date(),
                                     expires_at=utcnow() + timedelta(days=300), recorded_by_id=self.admin.id,
                                     evidence=images.clean_image(raw.getvalue()).data, evidence_name="scan.png")
        db.session.add(outside)
        db.session.commit()
        return outside

    @cached_property
    def outside_a(self):
        """An outside certificate recognised for subject_a (in mission A), with evidence."""
        return self._outside(self.subject_a, self.requirement_a)

    @cached_property
    def outside_b(self):
        """An outside certificate recognised for subject_b (in mission B), with evidence."""
        return self._outside(self.subject_b, self.requirement_b)


# --- reading the url map -------------------------------------------------------------------

def _rules(app):
    return sorted((r for r in app.url_map.iter_rules() if r.endpoint not in NOT_VIEWS),
                  key=lambda r: (r.endpoint, r.rule))


def _method(rule) -> str | None:
    if "GET" in rule.methods:
        return "GET"
    if "POST" in rule.methods:
        return "POST"
    return None


def _has_mission_b_variant(rule) -> bool:
    return any(SAMPLES.get(name, (None, None))[1] for name in rule.arguments)


def _expectations(endpoint: str, mission: str) -> dict[str, Expect]:
    entry = EXPECTED[endpoint]
    if isinstance(entry, PerMission):
        return entry.own if mission == "A" else entry.other
    return entry


def _is_refusal(expect: Expect) -> bool:
    return expect == LOGIN or expect in (403, 404)


def _source_of(app, endpoint: str) -> str:
    return inspect.getsourcefile(inspect.unwrap(app.view_functions[endpoint])) or "?"


def table_problems(app) -> list[str]:
    """Everything that stops the table from describing this app's routes, in words for the developer."""
    problems = []
    endpoints = {rule.endpoint for rule in _rules(app)}
    for endpoint in sorted(endpoints - EXPECTED.keys()):
        problems.append(f"{endpoint} ({_source_of(app, endpoint)}) is not in {TABLE}: read the view and add "
                        f"a line saying what each role gets, e.g. \"{endpoint}\": ADMIN_ONLY,")
    for endpoint in sorted(EXPECTED.keys() - endpoints):
        problems.append(f"{endpoint} is in {TABLE} but no longer a route: remove its line")
    for rule in _rules(app):
        if rule.endpoint not in EXPECTED:
            continue
        if _method(rule) is None:
            problems.append(f"{rule.endpoint} {rule.rule} takes neither GET nor POST: teach the walker its method")
        for name in sorted(rule.arguments - SAMPLES.keys()):
            problems.append(f"{rule.endpoint} {rule.rule}: no sample value for <{name}>: add it to SAMPLES in {TABLE}")
        entry = EXPECTED[rule.endpoint]
        for label, expectations in ([("own", entry.own), ("other", entry.other)] if isinstance(entry, PerMission)
                                    else [("", entry)]):
            if set(expectations) != set(ROLES):
                problems.append(f"{rule.endpoint} {label}: give exactly these roles {ROLES}, "
                                f"not {tuple(expectations)}")
        scoped = _has_mission_b_variant(rule)
        if isinstance(entry, PerMission) and not scoped:
            problems.append(f"{rule.endpoint}: PerMission on a route with no mission-scoped parameter: use a plain dict")
        if scoped and not isinstance(entry, PerMission) and not (_is_refusal(entry.get("lead"))
                                                                  and _is_refusal(entry.get("mission_trainer"))):
            problems.append(f"{rule.endpoint} {rule.rule} is mission-scoped and lets the lead of mission A in (or its mission "
                            f"trainer): "
                            f"say what they get for mission B, e.g. PerMission(own=..., other=lead_refused(...))")
    return problems


# --- the walk ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Case:
    rule: object
    method: str
    mission: str  # "A" or "B": whose objects fill the URL

    def values(self, world) -> dict:
        slot = 0 if self.mission == "A" else 1
        values = {}
        for name in self.rule.arguments:
            sample = SAMPLES[name][slot] or SAMPLES[name][0]
            values[name] = attrgetter(sample)(world) if isinstance(sample, str) else sample
        return values

    def url(self, values: dict) -> str:
        return self.rule.build(values)[1]

    def describe(self, url: str) -> str:
        where = " (mission B's objects)" if self.mission == "B" else ""
        return f"{self.rule.endpoint}: {self.method} {url}{where}"


def _cases(app) -> list[Case]:
    """Every reviewed, requestable route; GETs first so that POSTs, which may change data, come last."""
    cases = []
    for rule in _rules(app):
        if rule.endpoint not in EXPECTED or _method(rule) is None or rule.arguments - SAMPLES.keys():
            continue  # reported by test_every_route_is_in_the_table
        cases.append(Case(rule, _method(rule), "A"))
        if _has_mission_b_variant(rule):
            cases.append(Case(rule, _method(rule), "B"))
    return sorted(cases, key=lambda case: case.method != "GET")


def _row_counts() -> dict[str, int]:
    db.session.commit()  # a fresh snapshot: see what the request wrote
    tables = db.metadata.sorted_tables
    counts = db.session.execute(select(*[select(func.count()).select_from(t).scalar_subquery() for t in tables])).one()
    return {table.name: count for table, count in zip(tables, counts, strict=True)}


def _answer_matches(expect: Expect, response, url: str, values: dict) -> bool:
    if isinstance(expect, Redirect):
        return response.status_code == 302 and response.headers.get("Location") == expect.expected_location(url, values)
    return response.status_code == expect


def _describe_answer(response) -> str:
    if response.status_code in (301, 302, 303, 307, 308):
        return f"{response.status_code} to {response.headers.get('Location')}"
    return str(response.status_code)


@pytest.mark.parametrize("role", ROLES)
def test_every_route_answers_each_role_as_the_table_says(app, empty_tables, role):
    app.config.update(SIGNIN_LIMIT_PER_ADDRESS=UNLIMITED, SIGNIN_LIMIT_PER_ACCOUNT=UNLIMITED)
    world = World()
    mismatches = []
    for case in _cases(app):
        values = case.values(world)
        url = case.url(values)
        expect = _expectations(case.rule.endpoint, case.mission)[role]
        client = app.test_client()
        if role != "anonymous":
            login_as(client, getattr(world, role))
        before = _row_counts() if _is_refusal(expect) else None
        response = client.open(url, method=case.method)
        response.close()  # a streamed body (CSV export) otherwise keeps its request, and the database, busy
        refused = response.status_code in (403, 404) or _answer_matches(LOGIN, response, url, values)
        if not _answer_matches(expect, response, url, values):
            mismatches.append(f"{case.describe(url)} as {role}: expected {expect}, got {_describe_answer(response)}")
        may_have_written = True
        if refused and before is not None:
            changed = sorted(name for name, count in _row_counts().items() if before[name] != count)
            if changed:
                mismatches.append(f"{case.describe(url)} as {role}: refused but wrote to {changed}")
            may_have_written = bool(changed)
        if case.method == "POST" and may_have_written:
            # An accepted empty form may have changed things (signed out, moved someone...):
            # the next request starts again from a fresh world.
            empty_tables()
            db.session.expunge_all()  # ids start again from 1: forget the old objects
            world = World()
    assert not mismatches, (f"{len(mismatches)} answer(s) differ from {TABLE} (fix the view, or the table "
                            f"if the table was wrong):\n  " + "\n  ".join(mismatches))


def test_every_route_is_in_the_table(app):
    problems = table_problems(app)
    assert not problems, "The permission table needs attention:\n  " + "\n  ".join(problems)


WHO_MAY_CALL = re.compile(r"^[A-Z][^:]{1,80}: \S")


def test_every_view_says_who_may_call_it(app):
    missing = []
    for endpoint, view in sorted(app.view_functions.items()):
        if endpoint in NOT_VIEWS:
            continue
        first_line = (inspect.getdoc(view) or "").split("\n")[0]
        if not WHO_MAY_CALL.match(first_line):
            missing.append(f"{endpoint} ({_source_of(app, endpoint)}): {first_line or 'no docstring'!r}")
    assert not missing, ("Every view starts its docstring with one line '<who>: <what it does>', "
                         "e.g. 'Admin: list people.' or 'Signed-in people: change their own password.':\n  "
                         + "\n  ".join(missing))


# --- the guard itself ----------------------------------------------------------------------------

def _app_with_probe_route(make_app):
    app = make_app()
    app.add_url_rule("/probe/<int:mission_id>/report", "probe.report", lambda mission_id: "probe")
    return app


def _probe_problems(app) -> list[str]:
    return [problem for problem in table_problems(app) if problem.startswith("probe.report")]


def test_a_new_route_fails_until_it_is_in_the_table(make_app):
    problems = _probe_problems(_app_with_probe_route(make_app))

    assert len(problems) == 1
    assert problems[0].startswith(f"probe.report ({__file__}) is not in {TABLE}: read the view and add")


def test_a_mission_scoped_route_must_say_what_the_lead_gets_for_another_mission(make_app, monkeypatch):
    app = _app_with_probe_route(make_app)
    monkeypatch.setitem(EXPECTED, "probe.report", allowed_to("lead"))

    [problem] = _probe_problems(app)
    assert "is mission-scoped and lets the lead of mission A in" in problem

    monkeypatch.setitem(EXPECTED, "probe.report", PerMission(own=allowed_to("lead"), other=allowed_to()))
    assert _probe_problems(app) == []
    assert [case.mission for case in _cases(app) if case.rule.endpoint == "probe.report"] == ["A", "B"]
