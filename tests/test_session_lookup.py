"""The signed-in person is read in one indexed statement on every request (issue 14)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event, inspect, select, text, update

from accounts import services
from accounts.models import SignInSession, User
from accounts.sessions import _by_token, load_user_by_token, start_session
from database import utcnow
from extensions import db


def test_the_session_lookup_reads_by_index_and_no_deployments(app, engine_name):
    sql = str(_by_token().compile(db.engine))
    # Deployments load when a page reads them: every request joining them (with their missions)
    # cost more than the pages that need them.
    assert "deployments" not in sql and "LEFT OUTER JOIN role_grants" in sql
    if engine_name == "sqlite":
        plan = [row[3] for row in db.session.execute(text("EXPLAIN QUERY PLAN " + sql.replace("?", ":token")), {"token": "x"})]
        assert not [step for step in plan if step.startswith(("SCAN", "MATERIALIZE"))], plan


def _signed_in(user: User) -> str:
    token = start_session(user, remember=False, address="test")
    db.session.commit()
    db.session.expunge_all()
    return token


def test_one_statement_gives_a_tracked_person_with_their_roles(app, lead, mission_a):
    lead_id, mission_id = lead.id, mission_a.id
    token = _signed_in(lead)
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        user = load_user_by_token(token)
        assert user.has_role("mission_lead") and not user.has_role("admin")
        assert user.lead_mission_ids() == {mission_id} and user.roles() == {"learner", "mission_lead"}
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1
    # A persistent object of the request's session: a change to it is saved like any other.
    assert inspect(user).persistent and db.session.get(User, lead_id) is user
    user.rank = "Maj"
    db.session.commit()
    db.session.expunge_all()
    assert db.session.get(User, lead_id).rank == "Maj"
    # Deployments, not read by the lookup, load when asked for.
    assert load_user_by_token(token).current_deployment().mission_id == mission_id


def test_roles_changed_in_the_request_answer_at_once(app, lead, admin, mission_a):
    admin_id = admin.id
    token = _signed_in(lead)
    actor = db.session.get(User, admin_id)
    user = load_user_by_token(token)
    assert not user.has_role("trainer")
    services.grant_role(user, "trainer", actor=actor)
    assert user.has_role("trainer")
    grant = next(g for g in user.role_grants if g.role == "mission_lead")
    services.revoke_role(grant, actor=actor)
    assert not user.has_role("mission_lead") and user.lead_mission_ids() == set()
    db.session.commit()
    db.session.expunge_all()
    assert load_user_by_token(token).roles() == {"learner", "trainer"}


def test_an_ended_expired_or_deactivated_session_gives_nobody(app, learner):
    learner_id = learner.id
    token = _signed_in(learner)
    assert load_user_by_token(token) is not None
    db.session.expunge_all()
    db.session.execute(update(SignInSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert load_user_by_token(token) is None
    db.session.execute(update(SignInSession).values(expires_at=utcnow() + timedelta(hours=1)))
    db.session.execute(update(User).where(User.id == learner_id).values(is_active=False))
    assert load_user_by_token(token) is None
    db.session.execute(update(User).where(User.id == learner_id).values(is_active=True))
    assert load_user_by_token(token) is not None
    db.session.expunge_all()
    db.session.execute(update(SignInSession).values(ended_at=utcnow()))
    assert load_user_by_token(token) is None
    assert load_user_by_token("not-a-token") is None
    assert db.session.scalar(select(SignInSession.user_id)) == learner_id


def test_the_deployments_come_as_plain_rows_in_the_relationships_order(app, mission_a, mission_b, admin):
    from datetime import date

    from tests import factories

    person = factories.make_user(mission=mission_a, arrival_on=date(2026, 1, 10))
    services.deploy(person, mission_b, None, date(2026, 6, 1), actor=admin)
    db.session.commit()
    person_id, mission_b_id = person.id, mission_b.id
    token = _signed_in(person)
    expected = [(d.id, d.mission_id, d.departure_on) for d in db.session.get(User, person_id).deployments]
    db.session.expunge_all()
    user = load_user_by_token(token)
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        current = user.current_deployment(date(2026, 7, 1))
        assert current.mission_id == mission_b_id and current.mission.id == mission_b_id
        assert user.current_deployment(date(2026, 7, 1)) is current
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert len(statements) == 1  # the deployments with their missions, once
    assert [(d.id, d.mission_id, d.departure_on) for d in user.deployments] == expected
    assert inspect(current).persistent
