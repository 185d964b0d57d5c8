"""Roster and GIFT imports as background jobs while learners keep writing.

Each import runs in a thread as a worker would; meanwhile a learner saves their profile over and
over through the site (each save a write, with its audit event) and an admin watches the job's
page. On both engines: no learner write fails (no 503) or waits 2 s, the import's own write
transaction is under 2 s, and the progress bar moves. bench/bench_jobs.py measures the same
with 50,000 rows.
"""

from __future__ import annotations

import multiprocessing
import re
import threading
import time
from datetime import date, timedelta

import pytest
from sqlalchemy import event, func, insert, select, text

from accounts import roster, roster_apply, roster_job
from accounts.models import Deployment, User
from audit.models import AuditEvent
from bench.import_data import existing_people, gift_bank, roster_csv
from extensions import db
from jobs import runner
from jobs.models import Job
from quizzes import gift_job
from quizzes.models import Question
from tests import factories
from tests.conftest import login_as
from tests.quiz_factories import make_module

ROWS, EXISTING = 5000, 2500  # 1,000 rows update people, 1,000 move people, 3,000 are new


class LongestWrite:
    """The longest write transaction of the job's thread (on SQLite: how long it held the lock)."""

    def __init__(self, engine) -> None:
        self.engine, self.longest = engine, 0.0
        self.hooks = [("begin", self._begin), ("before_cursor_execute", self._statement), ("commit", self._end),
                      ("rollback", self._end)]
        for name, hook in self.hooks:
            event.listen(engine, name, hook)

    def close(self) -> None:
        for name, hook in self.hooks:
            event.remove(self.engine, name, hook)

    @staticmethod
    def _mine() -> bool:
        return threading.current_thread().name == "import-job"

    def _begin(self, connection) -> None:
        if self._mine():
            connection.info["began"], connection.info["wrote"] = time.perf_counter(), False

    def _statement(self, connection, cursor, statement, *args) -> None:
        if self._mine() and statement.lstrip()[:6].upper() in ("INSERT", "UPDATE", "DELETE", "BEGIN "):
            connection.info["wrote"] = True

    def _end(self, connection) -> None:
        began = connection.info.pop("began", None)
        if began is not None and connection.info.pop("wrote", False):
            self.longest = max(self.longest, time.perf_counter() - began)


def _run_in_a_worker_process(app, job_id: int, results) -> None:
    """The job in a process of its own, as a worker runs it (a thread would share this one's GIL
    with the learner's requests, and on a busy machine measure that instead of the database)."""
    threading.current_thread().name = "import-job"
    with app.app_context():
        db.engine.dispose(close=False)  # the parent's connections stay the parent's
        watch = LongestWrite(db.engine)
        try:
            runner.run(job_id)
        finally:
            results.put(watch.longest)


def _run_while_learners_write(app, job_id: int, learner_client, admin_client, learner) -> dict:
    """Run the job in a worker process; the learner saves their profile and the admin reads the job's page meanwhile."""
    app.config["JOB_PROGRESS_INTERVAL"] = 0  # every report reaches the row
    name = learner.name
    db.session.rollback()  # no transaction open across the fork
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    worker = context.Process(target=_run_in_a_worker_process, args=(app, job_id, results))
    waits, statuses, percents = [], [], []
    worker.start()
    try:
        while worker.is_alive():
            started = time.perf_counter()
            response = learner_client.post("/account/profile", data={
                "name": name, "preferred_language": "fr" if len(waits) % 2 else "en", "email": ""})
            waits.append(time.perf_counter() - started)
            statuses.append(response.status_code)
            page = admin_client.get(f"/jobs/{job_id}").get_data(as_text=True)
            percents.append(int(re.search(r'<progress[^>]* value="(\d+)"', page).group(1)))
    finally:
        worker.join(120)
    assert worker.exitcode == 0
    db.session.rollback()  # a fresh snapshot: the job wrote on its own connection
    return {"waits": waits, "statuses": statuses, "percents": percents, "longest_write": results.get(timeout=10),
            "job": db.session.get(Job, job_id)}


def _assert_learners_were_served(run: dict) -> None:
    assert run["statuses"] and set(run["statuses"]) == {302}, run["statuses"]  # saved every time: no 503
    assert max(run["waits"]) < 2.0, f"a learner's save waited {max(run['waits']):.2f} s"
    assert run["longest_write"] < 2.0, f"the import held a write transaction for {run['longest_write']:.2f} s"
    moving = [p for p in run["percents"] if 0 < p < 100]
    assert len(set(moving)) >= 2 and moving == sorted(moving), run["percents"]  # the bar moved forward


@pytest.fixture
def crowd(app, mission_a, mission_b):
    """EXISTING people already deployed (inserted in bulk: the factories hash a password each)."""
    factories.make_unit(mission_a, code="A-BATT-2")
    places = [(m.code, u.code) for m in (mission_a, mission_b) for u in m.units]
    units = {(m.code, u.code): (m.id, u.id) for m in (mission_a, mission_b) for u in m.units}
    people = existing_people(EXISTING, places, arrival_on=date.today())
    ids = db.session.execute(insert(User).returning(User.id, sort_by_parameter_order=True), [
        {"service_number": p["service_number"], "name": p["name"], "category": "military"} for p in people]).scalars().all()
    db.session.execute(insert(Deployment), [
        {"user_id": user_id, "mission_id": units[(p["mission"], p["unit"])][0],
         "unit_id": units[(p["mission"], p["unit"])][1], "arrival_on": p["arrival_on"]}
        for user_id, p in zip(ids, people, strict=True)])
    db.session.commit()
    return {"places": places, "existing": [(p["service_number"], p["mission"], p["unit"]) for p in people]}


def _roster(crowd) -> str:
    return roster_csv(ROWS, crowd["places"], existing=crowd["existing"], arrival_on=date.today() + timedelta(days=1))


def _counts() -> tuple[int, int, int]:
    return (db.session.scalar(select(func.count(User.id))), db.session.scalar(select(func.count(Deployment.id))),
            db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "deployed")))


def _start_roster(text_: str, admin) -> int:
    plan = roster.plan_roster(roster.parse_roster(text_))
    db.session.rollback()
    job_id = roster_job.start(roster.CheckedUpload(text_, "big.csv", roster.plan_digest(plan)), actor=admin,
                              keep_good_rows=False).id
    db.session.commit()
    return job_id


def test_a_roster_of_5000_rows_as_a_job_while_learners_write(app, client, admin, learner, crowd):
    users, deployments, moves = _counts()
    job_id = _start_roster(_roster(crowd), admin)
    admin_client = app.test_client()
    login_as(client, learner)
    login_as(admin_client, admin)
    run = _run_while_learners_write(app, job_id, client, admin_client, learner)
    assert run["job"].status == "done", run["job"].errors
    assert {k: run["job"].result[k] for k in ("created", "updated", "moved")} == {
        "created": ROWS - 2 * (ROWS // 5), "updated": 2 * (ROWS // 5), "moved": ROWS // 5}
    _assert_learners_were_served(run)
    assert _counts() == (users + 3000, deployments + 3000 + 1000, moves + 1000)
    assert run["percents"][-1] == 100 or "Done." in admin_client.get(f"/jobs/{job_id}").get_data(as_text=True)


@pytest.mark.parametrize("meddle", ["rename", "move", "take_number"])
def test_a_roster_job_finding_the_database_changed_writes_nothing_and_runs_again(app, admin, crowd, monkeypatch,
                                                                                 meddle):
    text_ = _roster(crowd)
    job_id = _start_roster(text_, admin)
    before = _counts()
    real_prepare = roster_apply.prepare

    def prepare_then_meddle(plan, **options):
        """Between the plan and the write, an admin changes someone the roster touches."""
        prepared = real_prepare(plan, **options)
        with db.engine.connect() as other:
            if meddle == "rename":
                other.execute(text("UPDATE users SET name = 'Renamed Meanwhile' WHERE service_number = :n"),
                              {"n": plan.updates[0].row.service_number})
            elif meddle == "move":
                other.execute(text("UPDATE deployments SET departure_on = :d WHERE user_id = "
                                   "(SELECT id FROM users WHERE service_number = :n)"),
                              {"d": date.today(), "n": plan.moves[0].row.service_number})
            else:
                other.execute(insert(User).values(service_number=plan.creates[-1].service_number, name="Added Meanwhile",
                                                  category="police"))
            other.commit()
        return prepared

    monkeypatch.setattr(roster_job, "prepare", prepare_then_meddle)
    runner.run(job_id)
    db.session.rollback()
    job = db.session.get(Job, job_id)
    assert job.status == "failed" and "check the file again" in job.errors[0]["message"]
    if meddle != "take_number":
        assert re.search(r"line \d+", job.errors[0]["message"])
    added = 1 if meddle == "take_number" else 0
    assert _counts() == (before[0] + added, before[1], before[2])  # all or nothing: nothing
    assert db.session.scalar(select(func.count(User.id)).where(User.service_number.like("RB-%"))) == added

    monkeypatch.setattr(roster_job, "prepare", real_prepare)
    job.status = "queued"
    job.params = {**job.params, "digest": ""}  # run again without the dry run's fingerprint (it changed)
    db.session.commit()
    runner.run(job_id)
    db.session.rollback()
    assert db.session.get(Job, job_id).status == "done"


def test_a_5_mb_gift_file_as_a_job_while_learners_write(app, client, admin, learner):
    module = make_module()
    db.session.commit()
    text_, questions = gift_bank(5 * 1024 * 1024)
    job_id = gift_job.start(text_, "big.gift", module_id=module.id, lang="en", keep_good=False, actor=admin).id
    db.session.commit()
    admin_client = app.test_client()
    login_as(client, learner)
    login_as(admin_client, admin)
    run = _run_while_learners_write(app, job_id, client, admin_client, learner)
    assert run["job"].status == "done", run["job"].errors[:3]
    assert run["job"].result["created"] == questions > 20_000
    assert db.session.scalar(select(func.count(Question.id)).where(Question.module_id == module.id)) == questions
    _assert_learners_were_served(run)
