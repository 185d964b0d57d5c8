"""bench/profile_pages.py: py-spy's stacks sorted into the parts of a request, and the view found
past the permission decorators (the numbers a performance pass reads its next step from)."""

import pytest

from bench.bench_pages import chosen
from bench.profile_pages import parse, phase_of, summary, view_of

WORKER = "<module> (gunicorn:6);SyncWorker.run (gunicorn/workers/sync.py:132);SyncWorker.handle (gunicorn/workers/sync.py:141)"
APP = f"{WORKER};SyncWorker.handle_request (gunicorn/workers/sync.py:184);Flask.__call__ (flask/app.py:1536);Flask.wsgi_app (flask/app.py:1511)"
DISPATCH = f"{APP};Flask.full_dispatch_request (flask/app.py:917);Flask.dispatch_request (flask/app.py:902)"
RAW = f"""<module> (gunicorn:6);SyncWorker.run (gunicorn/workers/sync.py:132);SyncWorker.wait (gunicorn/workers/sync.py:35) 7
{WORKER};close_graceful (gunicorn/util.py:312) 10
{APP};RequestContext.pop (flask/ctx.py:436);SQLAlchemy._teardown_session (flask_sqlalchemy/extension.py:448) 5
{APP};Flask.full_dispatch_request (flask/app.py:915);Flask.preprocess_request (flask/app.py:1291);force_password_change (accounts/views.py:289) 20
{DISPATCH};login_required.<locals>.decorated_view (flask_login/utils.py:290);role_required.<locals>.decorator.<locals>.wrapped (core/permissions.py:25);mission (reports/views.py:112);read (core/reads.py:31);DefaultDialect.do_execute (sqlalchemy/engine/default.py:1192) 30
{DISPATCH};login_required.<locals>.decorated_view (flask_login/utils.py:290);lesson (training/views.py:106);render_template (flask/templating.py:151) 20
{APP};Flask.full_dispatch_request (flask/app.py:941);Flask.finalize_request (flask/app.py:941);Flask.process_response (flask/app.py:1322) 8
a line py-spy did not write
"""


def test_each_stack_lands_in_its_part_of_the_request():
    stacks = parse(RAW.splitlines())
    assert [count for _, count in stacks] == [7, 10, 5, 20, 30, 20, 8]  # the stray line is skipped
    assert [phase_of(frames) for frames, _ in stacks] == [
        "gunicorn, waiting", "gunicorn, outside the app", "request context and teardown",
        "before-request hooks", "view", "view", "after-request hooks"]


def test_the_view_is_the_first_project_frame_past_flask_and_the_permission_decorator():
    views = [view_of(frames) for frames, _ in parse(RAW.splitlines())]
    assert views == [None, None, None, None, "mission reports/views.py", "lesson training/views.py", None]


def test_the_summary_gives_shares_of_all_samples():
    report = summary(parse(RAW.splitlines()), focus="force_password_change")
    assert report.startswith("100 samples")
    assert " 50.0%  view\n" in report and " 20.0%  before-request hooks\n" in report
    assert " 30.0%  mission reports/views.py" in report
    # The focus's callees: force_password_change is a leaf here, so its own code.
    assert " 20.0%  (its own code)" in report
    assert " 30.0%  DefaultDialect.do_execute (sqlalchemy/engine/default.py:1192)" in report


def test_the_summary_looks_inside_the_busiest_view_unless_told_otherwise():
    report = summary(parse(RAW.splitlines()))
    assert "by directly under mission:\n   30.0%  read (core/reads.py:31)" in report


def test_pages_are_chosen_by_name_in_any_case_and_an_unknown_name_is_told():
    pages = {"lesson": "/training/lessons/1", "my training": "/training"}
    assert chosen(pages, [" My Training", "lesson"]) == {"my training": "/training", "lesson": "/training/lessons/1"}
    with pytest.raises(SystemExit, match="no page called 'lessons': the pages are lesson, my training"):
        chosen(pages, ["lessons"])
