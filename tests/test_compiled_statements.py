"""database.CompiledStatements: the engine's compiled-statement cache finds a statement built
once by identity, and any other statement by value, as SQLAlchemy's own cache does."""

from __future__ import annotations

from sqlalchemy import bindparam, event, select

from accounts.models import User
from database import CompiledStatements
from extensions import db
from tests import factories


def _cache_outcomes(engine, run) -> list[str]:
    outcomes: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        if context is not None and hasattr(context, "cache_hit"):
            outcomes.append("hit" if context.cache_hit == context.dialect.CACHE_HIT else "miss")

    event.listen(engine, "before_cursor_execute", note)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", note)
    return outcomes


def test_the_engine_uses_it_and_a_statement_is_compiled_once(app):
    person = factories.make_user()
    db.session.commit()
    person_id, number, email = person.id, person.service_number, person.email
    assert isinstance(db.engine.get_execution_options()["compiled_cache"], CompiledStatements)
    built_once = select(User.service_number).where(User.id == bindparam("id"))
    connection = db.session.connection()

    def run():
        for _ in range(3):  # the same object: found by identity
            assert connection.execute(built_once, {"id": person_id}).scalar() == number
        for _ in range(2):  # a new but equal statement each time: found by value
            statement = select(User.service_number).where(User.id == bindparam("id"))
            assert connection.execute(statement, {"id": person_id}).scalar() == number
        other = select(User.email).where(User.id == bindparam("id"))
        assert connection.execute(other, {"id": person_id}).scalar() == email

    assert _cache_outcomes(db.engine, run) == ["miss", "hit", "hit", "hit", "hit", "miss"]


def test_identity_entries_are_bounded_and_values_still_found():
    cache = CompiledStatements(size=2)
    dialect = object()
    keys = [(dialect, ("statement", n), (), False, False) for n in range(20)]
    for n, key in enumerate(keys):
        cache[key] = f"compiled {n}"
    assert len(cache._by_identity) <= 8
    assert cache.get(keys[-1]) == "compiled 19"
    equal_but_new = (dialect, ("statement", 19), (), False, False)
    assert cache.get(equal_but_new) == "compiled 19"
    assert cache.get((dialect, ("statement", 0), (), False, False)) is None  # dropped by the LRU
