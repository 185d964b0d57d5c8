"""The signed-in person is read in one indexed statement on every request (issue 14)."""

from __future__ import annotations

from sqlalchemy import text

from accounts.sessions import _by_token
from extensions import db


def test_the_session_lookup_joins_deployments_by_index_not_by_scanning_them(app, engine_name):
    sql = str(_by_token().compile(db.engine))
    # A nested "(deployments JOIN missions)" made SQLite materialise every deployment of every
    # person (2.8 ms a request with the demo's 3,400 people; 0.3 ms with plain outer joins).
    assert "(deployments" not in sql and "LEFT OUTER JOIN deployments" in sql
    if engine_name == "sqlite":
        plan = [row[3] for row in db.session.execute(text("EXPLAIN QUERY PLAN " + sql.replace("?", ":token")), {"token": "x"})]
        assert not [step for step in plan if step.startswith(("SCAN", "MATERIALIZE"))], plan
