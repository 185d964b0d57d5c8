"""Background jobs: the certificates ZIP as a job, progress, failures by line, running again."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from certificates import bulk_job
from database import utcnow
from extensions import db
from jobs import registry, runner, services
from jobs.models import Job
from tests import factories
from tests.certificate_factories import issue, make_course
from tests.conftest import login_as


@pytest.fixture
def test_kinds():
    """Kinds that exist only for these tests; removed afterwards."""
    added = []

    def add(name, handler, **options):
        registry.register(name, name.replace("_", " "), handler, **options)
        added.append(name)

    yield add
    for name in added:
        registry.KINDS.pop(name, None)


def test_lead_prepares_the_mission_zip_as_a_job_and_downloads_it(app, client, lead, learner, mission_a):
    course = make_course()
    certificates = [issue(learner, course), issue(factories.make_user(mission=mission_a, name="Amina Colleague"), course)]
    login_as(client, lead)
    response = client.post(f"/missions/{mission_a.id}/certificates-zip")
    assert response.status_code == 302 and "/jobs/" in response.headers["Location"]
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    assert b'value="100"' in page.data and b"Done." in page.data and b'http-equiv="refresh"' not in page.data
    job = db.session.scalar(select(Job))
    assert (job.status, job.result["certificates"], job.done, job.total) == ("done", 2, 2, 2)
    with client.get(f"/jobs/{job.id}/file") as download:
        assert download.status_code == 200
        names = zipfile.ZipFile(io.BytesIO(download.get_data())).namelist()
    assert sorted(n for n in names if n.endswith(".pdf")) == sorted(
        f"certificates-MISSA-{utcnow().date():%Y-%m-%d}/{learner.service_number if c.user_id == learner.id else c.holder_name}_{c.serial}.pdf"
        .replace("Amina Colleague", db.session.get(type(learner), c.user_id).service_number) for c in certificates)
    assert not list(services.files_dir().glob(f"{job.id}/*.part"))


def test_only_the_starter_and_admins_see_a_job(app, client, lead, learner, admin, mission_a):
    login_as(client, lead)
    job_url = client.post(f"/missions/{mission_a.id}/certificates-zip").headers["Location"]
    job_id = int(job_url.rstrip("/").rsplit("/", 1)[1])
    client.post("/sign-out")
    login_as(client, learner)
    assert client.get(f"/jobs/{job_id}").status_code == 403
    assert client.get(f"/jobs/{job_id}/file").status_code == 403
    client.post("/sign-out")
    login_as(client, admin)
    assert client.get(f"/jobs/{job_id}").status_code == 200
    assert client.get("/jobs/").status_code == 200


def test_a_learner_cannot_start_a_mission_zip(app, client, learner, mission_a):
    login_as(client, learner)
    assert client.post(f"/missions/{mission_a.id}/certificates-zip").status_code == 403
    assert db.session.scalar(select(func.count(Job.id))) == 0


def test_a_failed_job_lists_its_problems_by_line_and_keeps_nothing(app, client, admin, test_kinds):
    def bad_rows(job, report):
        db.session.execute(text("UPDATE users SET rank = 'CHANGED'"))
        raise registry.JobFailed([{"line": 3, "message": "unknown unit X"}, {"line": 7, "message": "bad date"}])

    test_kinds("bad_rows", bad_rows)
    job = services.create("bad_rows", actor=admin)
    db.session.commit()
    services.enqueue(job.id)
    db.session.rollback()  # a fresh snapshot: the job ran on its own connection
    assert db.session.get(Job, job.id).status == "failed"
    assert db.session.scalar(select(func.count()).select_from(text("users")).where(text("rank = 'CHANGED'"))) == 0
    login_as(client, admin)
    page = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert "unknown unit X" in page and "bad date" in page and "Run it again" in page


def test_an_unexpected_error_keeps_nothing_and_says_so_without_a_trace(app, client, admin, test_kinds):
    def crash(job, report):
        with runner.apply():
            db.session.execute(text("UPDATE users SET rank = 'HALF'"))
            raise ZeroDivisionError("secret detail")

    test_kinds("crash", crash)
    job = services.create("crash", actor=admin)
    db.session.commit()
    services.enqueue(job.id)
    db.session.rollback()  # a fresh snapshot: the job ran on its own connection
    job = db.session.get(Job, job.id)
    assert job.status == "failed" and "secret detail" not in str(job.errors)
    assert db.session.scalar(select(func.count()).select_from(text("users")).where(text("rank = 'HALF'"))) == 0


def test_progress_is_visible_to_others_while_the_job_runs(app, admin, test_kinds):
    seen = []

    def counting(job, report):
        for n in range(1, 4):
            report(n, 3, f"row {n}")
            with db.engine.connect() as other:  # what the job's page would read now
                seen.append(other.execute(text("SELECT done, total, message FROM jobs WHERE id = :id"),
                                          {"id": job.id}).one())
        return {"rows": 3}

    test_kinds("counting", counting)
    job = services.create("counting", actor=admin)
    db.session.commit()
    app.config["JOB_PROGRESS_INTERVAL"] = 0  # every report reaches the row in this test
    services.enqueue(job.id)
    assert [tuple(row) for row in seen] == [(1, 3, "row 1"), (2, 3, "row 2"), (3, 3, "row 3")]
    db.session.rollback()
    assert db.session.get(Job, job.id).result == {"rows": 3}


def test_a_job_whose_worker_died_says_so_and_runs_again(app, client, admin, test_kinds):
    runs = []
    test_kinds("once", lambda job, report: runs.append(job.id) or {"ok": 1})
    job = services.create("once", actor=admin)
    job.status, job.started_at, job.progress_at = "running", utcnow() - timedelta(hours=1), utcnow() - timedelta(hours=1)
    db.session.commit()
    login_as(client, admin)
    page = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert "stopped before it finished" in page and 'http-equiv="refresh"' not in page
    assert client.post(f"/jobs/{job.id}/run-again").status_code == 302
    db.session.rollback()  # a fresh snapshot: the job ran on its own connection
    assert db.session.get(Job, job.id).status == "done" and runs == [job.id]
    # A running job that reports is not offered to run twice.
    fresh = services.create("once", actor=admin)
    fresh.status, fresh.started_at, fresh.progress_at = "running", utcnow(), utcnow()
    db.session.commit()
    assert client.post(f"/jobs/{fresh.id}/run-again").status_code == 400


def test_a_finished_job_delivered_twice_runs_once(app, admin, test_kinds):
    runs = []
    test_kinds("count_runs", lambda job, report: runs.append(1) or {})
    job = services.create("count_runs", actor=admin)
    db.session.commit()
    runner.run(job.id)
    runner.run(job.id)
    assert runs == [1]


def test_zip_kind_is_registered_with_a_translated_title(app):
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        assert str(registry.kind(bulk_job.KIND).title) not in ("", bulk_job.KIND)


def test_the_daily_audit_check_is_a_job_that_reports_a_broken_chain(app, admin):
    from audit.services import record
    from audit.verify_job import KIND

    record("something", actor=admin, target="x")
    db.session.commit()
    job_id = services.create(KIND, actor=None).id
    db.session.commit()
    services.enqueue(job_id)
    db.session.rollback()
    assert db.session.get(Job, job_id).result == {"events": 1}
    db.session.execute(text("UPDATE audit_events SET target = 'y'"))
    db.session.commit()
    again = services.create(KIND, actor=None).id
    db.session.commit()
    services.enqueue(again)
    db.session.rollback()
    job = db.session.get(Job, again)
    assert job.status == "failed" and "broken" in job.errors[0]["message"]
