"""Activation codes and /activate (accounts.activation, accounts.views.activate) and the slips routes
(reports.slips_views): the one answer for every failure, rate limits, mission scope, no code in clear."""

from __future__ import annotations

import hashlib
import hmac
import html
import io
import logging
import re
from datetime import date, timedelta

import pypdf
import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError

from accounts import activation
from accounts.models import ActivationCode, SignInSession, User
from accounts.passwords import verify_password
from audit.models import AuditEvent
from database import utcnow
from extensions import db
from tests import factories

NEW_PASSWORD = "a brand new passphrase"
FAILURE = b"That service number and activation code do not match a valid code."
CODE_IN_TEXT = re.compile(r"\b[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}\b")


@pytest.fixture
def newcomer(app, mission_a):
    """Someone imported from a roster: on it, deployed in mission A, no password yet."""
    user = factories.make_user(mission=mission_a, unit=mission_a.units[0], name="Nia Newcomer", password_hash=None,
                               email=None, preferred_language="en")
    db.session.commit()
    return user


def _issue(user, actor) -> str:
    [issued] = activation.issue_codes([user], actor=actor, scope="test", target=f"user:{user.id}")
    db.session.commit()
    return issued.code


def _activate(client, service_number, code, *, password=NEW_PASSWORD, language="fr", address="10.1.1.1"):
    return client.post("/activate", data={"service_number": service_number, "code": code, "password": password,
                                          "confirm": password, "language": language},
                       environ_base={"REMOTE_ADDR": address})


def _state(user_id: int):
    """Everything a failed activation must leave alone."""
    db.session.expire_all()
    user = db.session.get(User, user_id)
    codes = db.session.execute(select(ActivationCode.id, ActivationCode.used_at, ActivationCode.voided_at)
                               .order_by(ActivationCode.id)).all()
    sessions = db.session.scalar(select(db.func.count()).select_from(SignInSession))
    people = db.session.scalar(select(db.func.count()).select_from(User))
    return (user.password_hash, user.preferred_language, user.must_change_password, codes, sessions, people)


def test_codes_are_grouped_unambiguous_and_typed_loosely():
    codes = {activation.new_code() for _ in range(300)}
    assert len(codes) == 300
    for code in codes:
        assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", code)
        assert not set(code) & set("0O1I")
    assert len(activation.ALPHABET) ** activation.CODE_LENGTH >= 2 ** 60
    assert activation.normalise(" abcd efgh–jk23 ") == activation.normalise("ABCD-EFGH-JK23") == "ABCDEFGHJK23"


def test_activation_sets_password_and_language_signs_in_and_lands_on_my_training(client, newcomer, admin):
    code = _issue(newcomer, admin)
    typed = code.lower().replace("-", " ")  # as typed on a phone
    response = _activate(client, newcomer.service_number.lower(), typed, language="ar")
    assert response.status_code == 302 and response.headers["Location"].endswith("/training")
    assert client.get("/training").status_code == 200  # signed in
    db.session.expire_all()
    user = db.session.get(User, newcomer.id)
    assert verify_password(user.password_hash, NEW_PASSWORD) and user.preferred_language == "ar"
    assert db.session.scalar(select(ActivationCode.used_at).where(ActivationCode.user_id == user.id)) is not None
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions[-3:] == ["activation_codes_issued", "account_activated", "sign_in"]
    # Signs out, and in again with the new password.
    client.post("/sign-out")
    assert client.get("/training").status_code == 302
    again = client.post("/sign-in", data={"identifier": newcomer.service_number, "password": NEW_PASSWORD})
    assert again.status_code == 302 and client.get("/training").status_code == 200


def test_a_weak_password_is_refused_and_the_code_stays_live(client, newcomer, admin):
    code = _issue(newcomer, admin)
    before = _state(newcomer.id)
    response = _activate(client, newcomer.service_number, code, password="short")
    assert response.status_code == 200 and b"Use at least 10 characters." in response.data
    assert _state(newcomer.id) == before
    assert _activate(client, newcomer.service_number, code).status_code == 302


@pytest.mark.parametrize("case", ["used", "expired", "voided", "wrong", "unknown", "deactivated", "never issued"])
def test_every_failure_gets_the_same_answer_and_changes_nothing(client, newcomer, learner, admin, case):
    code = _issue(newcomer, admin)
    number = newcomer.service_number
    if case == "used":
        assert _activate(client, number, code).status_code == 302
        client.post("/sign-out")
    elif case == "expired":
        db.session.execute(update(ActivationCode).values(expires_at=utcnow() - timedelta(minutes=1)))
    elif case == "voided":
        _issue(newcomer, admin)  # a new slip voids the old code
    elif case == "wrong":
        code = activation.new_code()
    elif case == "unknown":
        number = "NOT-ON-ROSTER-1"
    elif case == "deactivated":
        db.session.get(User, newcomer.id).is_active = False
    elif case == "never issued":
        number = learner.service_number
    db.session.commit()
    before = _state(newcomer.id)
    response = _activate(client, number, code, password="another good password")
    assert response.status_code == 200
    assert FAILURE in response.data
    assert _state(newcomer.id) == before
    assert client.get("/training").status_code == 302  # not signed in
    assert db.session.scalar(select(AuditEvent.action).order_by(AuditEvent.id.desc()).limit(1)) == "activation_failed"


def test_the_answer_does_not_depend_on_whether_the_service_number_exists(client, newcomer, admin):
    _issue(newcomer, admin)
    known = _activate(client, newcomer.service_number, activation.new_code()).data
    unknown = _activate(client, "NOBODY-42", activation.new_code()).data
    strip = re.compile(rb'value="[^"]*"|name="csrf_token"[^>]*')
    assert strip.sub(b"", known) == strip.sub(b"", unknown)


def test_a_new_code_voids_the_old_one(client, newcomer, admin):
    first = _issue(newcomer, admin)
    second = _issue(newcomer, admin)
    live = db.session.scalars(select(ActivationCode).where(ActivationCode.user_id == newcomer.id,
                                                           ActivationCode.voided_at.is_(None))).all()
    assert len(live) == 1
    assert FAILURE in _activate(client, newcomer.service_number, first).data
    assert _activate(client, newcomer.service_number, second).status_code == 302


def test_codes_expire_after_the_configured_days(make_app, newcomer, admin):
    app = make_app(ACTIVATION_CODE_DAYS=3)
    with app.app_context():
        activation.issue_codes([db.session.get(User, newcomer.id)], actor=db.session.get(User, admin.id),
                               scope="test", target="")
        db.session.commit()
    db.session.expire_all()
    row = db.session.scalar(select(ActivationCode))
    assert timedelta(days=3) - timedelta(minutes=1) < row.expires_at - row.created_at <= timedelta(days=3)


def test_activation_is_rate_limited_per_service_number(make_app, newcomer):
    app = make_app(ACTIVATE_LIMIT_PER_ACCOUNT="3 per minute", ACTIVATE_LIMIT_PER_ADDRESS="100 per minute")
    client = app.test_client()
    codes = [_activate(client, newcomer.service_number, "AAAA-BBBB-CCCC", address=f"10.0.0.{i}").status_code
             for i in range(5)]
    assert codes == [200, 200, 200, 429, 429]
    # Typed in another case or with spaces, it is the same service number.
    assert _activate(client, f" {newcomer.service_number.lower()} ", "AAAA-BBBB-CCCC").status_code == 429
    assert _activate(client, "SOMEONE-ELSE", "AAAA-BBBB-CCCC").status_code == 200


def test_activation_is_rate_limited_per_address(make_app, newcomer):
    app = make_app(ACTIVATE_LIMIT_PER_ACCOUNT="100 per minute", ACTIVATE_LIMIT_PER_ADDRESS="3 per minute")
    client = app.test_client()
    codes = [_activate(client, f"SN-{i}", "AAAA-BBBB-CCCC").status_code for i in range(4)]
    assert codes == [200, 200, 200, 429]
    assert _activate(client, "SN-9", "AAAA-BBBB-CCCC", address="10.9.9.9").status_code == 200


def test_codes_are_never_in_clear_in_the_database_the_audit_log_or_the_logs(client, newcomer, admin, caplog,
                                                                          login):
    caplog.set_level(logging.DEBUG)
    login(client, admin)
    unit = newcomer.deployments[0].unit
    response = client.post(f"/missions/{unit.mission_id}/activation-slips", data={"unit": unit.id, "who": "never"})
    assert response.status_code == 200
    [code] = CODE_IN_TEXT.findall(pypdf.PdfReader(io.BytesIO(response.data)).pages[0].extract_text())
    client.post("/sign-out")
    assert _activate(client, newcomer.service_number, code).status_code == 302
    needles = {code, activation.normalise(code)}
    # Every text column of every table.
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(select(table)).all():
            dumped = " ".join(str(value) for value in row)
            assert not any(needle in dumped for needle in needles), table.name
    assert not any(needle in caplog.text for needle in needles)
    # The stored value is HMAC-SHA256 keyed by a key derived from SECRET_KEY, bound to the person.
    key = hmac.new(b"test-secret", b"activation-code-v1", hashlib.sha256).digest()
    expected = hmac.new(key, f"{newcomer.id}:{activation.normalise(code)}".encode(), hashlib.sha256).hexdigest()
    assert db.session.scalar(select(ActivationCode.code_hash)) == expected


def test_issuing_is_one_audit_event_saying_who_for_whom_and_how_many(client, mission_a, lead, login):
    unit = mission_a.units[0]
    people = [factories.make_user(mission=mission_a, unit=unit, password_hash=None) for _ in range(3)]
    signed_in = factories.make_user(mission=mission_a, unit=unit)
    db.session.add(SignInSession(token_hash="x" * 64, user_id=signed_in.id, expires_at=utcnow()))
    db.session.commit()
    login(client, lead)
    response = client.post(f"/missions/{mission_a.id}/activation-slips", data={"unit": unit.id, "who": "never"})
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "activation_codes_issued"))
    assert event.actor_id == lead.id and event.target == f"unit:{unit.id}"
    assert event.details["count"] == 3
    assert sorted(event.details["people"]) == sorted(p.service_number for p in people)
    assert db.session.scalar(select(db.func.count()).select_from(ActivationCode)) == 3  # not the one signed in
    pdf_text = pypdf.PdfReader(io.BytesIO(response.data)).pages[0].extract_text()
    assert len(CODE_IN_TEXT.findall(pdf_text)) == 3 and all(p.name in pdf_text for p in people)


def test_a_lead_issues_codes_only_in_their_own_missions(client, mission_a, mission_b, lead, login):
    person_b = factories.make_user(mission=mission_b, unit=mission_b.units[0], password_hash=None)
    person_a = factories.make_user(mission=mission_a, unit=mission_a.units[0], password_hash=None)
    db.session.commit()
    login(client, lead)
    assert client.post(f"/missions/{mission_b.id}/activation-slips", data={"who": "all"}).status_code == 403
    assert client.post(f"/missions/{mission_b.id}/people/{person_b.id}/activation-slip").status_code == 403
    # Mission B's person through mission A's address: not deployed there.
    assert client.post(f"/missions/{mission_a.id}/people/{person_b.id}/activation-slip").status_code == 404
    # Mission B's unit through mission A's address.
    assert client.post(f"/missions/{mission_a.id}/activation-slips",
                       data={"unit": mission_b.units[0].id, "who": "all"}).status_code == 404
    assert db.session.scalar(select(db.func.count()).select_from(ActivationCode)) == 0
    response = client.post(f"/missions/{mission_a.id}/people/{person_a.id}/activation-slip")
    assert response.status_code == 200
    assert db.session.scalars(select(ActivationCode.user_id)).all() == [person_a.id]


def test_hq_reads_the_counts_but_does_not_issue(client, mission_a, hq, newcomer, login):
    login(client, hq)
    assert client.post(f"/missions/{mission_a.id}/activation-slips", data={"who": "all"}).status_code == 403
    page = client.get(f"/missions/{mission_a.id}/dashboard").get_data(as_text=True)
    assert "Never signed in, by unit" in page and "activation-slips" not in page


def test_the_dashboard_counts_people_who_never_signed_in_per_unit(client, mission_a, lead, login):
    unit = mission_a.units[0]
    other = factories.make_unit(mission_a, code="A-MED-2", name="Medical")
    for _ in range(3):
        factories.make_user(mission=mission_a, unit=unit, password_hash=None)
    factories.make_user(mission=mission_a, unit=other, password_hash=None)
    db.session.commit()
    assert activation.never_signed_in_by_unit(mission_a.id) == {unit.id: (3, 3), other.id: (1, 1),
                                                                 None: (1, 1)}  # the lead, not yet signed in
    login(client, lead)  # now the lead has signed in
    assert activation.never_signed_in_by_unit(mission_a.id)[None] == (1, 0)
    page = client.get(f"/missions/{mission_a.id}/dashboard").get_data(as_text=True)
    assert "Print 3 slips: never signed in" in page and "Print 1 slip: never signed in" in page
    # Printing for the unit's never-signed-in people: exactly them.
    response = client.post(f"/missions/{mission_a.id}/activation-slips", data={"unit": other.id, "who": "never"})
    assert len(CODE_IN_TEXT.findall(pypdf.PdfReader(io.BytesIO(response.data)).pages[0].extract_text())) == 1


def test_an_empty_form_issues_nothing(client, mission_a, lead, newcomer, login):
    login(client, lead)
    response = client.post(f"/missions/{mission_a.id}/activation-slips", data={})
    assert response.status_code == 302
    assert db.session.scalar(select(db.func.count()).select_from(ActivationCode)) == 0


def test_two_live_codes_for_one_person_are_refused_by_the_database(app, newcomer, admin):
    _issue(newcomer, admin)
    with pytest.raises(IntegrityError):
        db.session.execute(text("INSERT INTO activation_codes (user_id, code_hash, created_at, expires_at) "
                                "VALUES (:u, 'x', :now, :now)"), {"u": newcomer.id, "now": utcnow()})
    db.session.rollback()


def test_the_demo_lead_prints_slips_for_monusco_and_a_demo_peacekeeper_gets_in(client, login):
    from accounts.models import Mission
    from demo.people import DEMO_PASSWORD, seed_people

    seed_people(40)
    db.session.commit()
    monusco = db.session.scalar(select(Mission).filter_by(code="MONUSCO"))
    lead = db.session.scalar(select(User).filter_by(service_number="LEAD-0001"))
    login(client, lead, DEMO_PASSWORD)
    page = client.get(f"/missions/{monusco.id}/dashboard").get_data(as_text=True)
    counts = activation.never_signed_in_by_unit(monusco.id)
    assert sum(never for _people, never in counts.values()) > 0 and "Never signed in, by unit" in page
    # The smallest unit with people who never signed in (the whole demo MONUSCO is about 3,000 slips).
    unit_id = min((unit for unit, (_people, never) in counts.items() if unit and never), key=lambda u: counts[u][1])
    response = client.post(f"/missions/{monusco.id}/activation-slips", data={"unit": unit_id, "who": "never"})
    assert response.status_code == 200
    text_ = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(response.data)).pages)
    number = re.search(r"DEMO-M?\d{5}", text_).group(0)
    code = CODE_IN_TEXT.search(text_[text_.index(number):]).group(0)  # the code follows the service number
    client.post("/sign-out")
    assert _activate(client, number, code).status_code == 302


def test_an_import_offers_slips_for_exactly_the_people_it_created(client, admin, mission_a, learner, login):
    unit = mission_a.units[0]
    arrival = date.today().isoformat()
    rows = [f"{learner.service_number},{learner.name},,military,Sgt,{mission_a.code},{unit.code},{arrival},",
            *(f"NEW-{i},New Person {i},,police,,{mission_a.code},{unit.code},{arrival},fr" for i in range(3))]
    csv_text = "service_number,name,email,category,rank,mission,unit,arrival_on,language\n" + "\n".join(rows) + "\n"
    login(client, admin)
    checked = client.post("/admin/roster", data={"file": (io.BytesIO(csv_text.encode()), "arrivals.csv")},
                          content_type="multipart/form-data")
    payload = re.search(r'name="payload" type="hidden" value="([^"]+)"', checked.get_data(as_text=True)).group(1)
    applied = client.post("/admin/roster/apply", data={"payload": payload, "apply_all": "y"})
    assert applied.status_code == 302 and "/jobs/" in applied.headers["Location"]  # applied by a background job
    db.session.rollback()  # a fresh snapshot: the job wrote on its own connection
    job_page = client.get(applied.headers["Location"]).get_data(as_text=True)
    slips_link = re.search(r'href="([^"]*/admin/roster\?created=[^"]+)"', job_page).group(1)
    page = client.get(html.unescape(slips_link)).get_data(as_text=True)
    assert "Print 3 activation slips (PDF)" in page
    token = re.search(r'name="created" value="([^"]+)"', page).group(1)

    # A changed token prints nothing.
    forged = client.post("/admin/roster/activation-slips", data={"created": token[:-2] + "xx"})
    assert forged.status_code == 302
    assert db.session.scalar(select(db.func.count()).select_from(ActivationCode)) == 0

    response = client.post("/admin/roster/activation-slips", data={"created": token})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text_ = pypdf.PdfReader(io.BytesIO(response.data)).pages[0].extract_text()
    assert [n for n in ("NEW-0", "NEW-1", "NEW-2", learner.service_number) if n in text_] == ["NEW-0", "NEW-1", "NEW-2"]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "activation_codes_issued"))
    assert event.details["scope"] == "roster import arrivals.csv" and event.details["count"] == 3
    assert "Matricule" in text_ and "Service number" not in text_  # each slip in the person's language (fr)


def test_ten_parallel_activations_with_one_code_let_one_in(make_app, newcomer, admin):
    import threading

    code, number = _issue(newcomer, admin), newcomer.service_number  # read here: the threads have no app context
    app = make_app(ACTIVATE_LIMIT_PER_ACCOUNT="100 per minute", ACTIVATE_LIMIT_PER_ADDRESS="100 per minute")
    clients = [app.test_client() for _ in range(10)]
    barrier, statuses, errors = threading.Barrier(10), [], []

    def run(each, index):
        try:
            barrier.wait(timeout=10)
            statuses.append(_activate(each, number, code, password=f"parallel password {index}")
                            .status_code)
        except BaseException as error:  # reported below, not lost in the thread
            errors.append(error)

    threads = [threading.Thread(target=run, args=(each, i)) for i, each in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert sorted(statuses) == [200] * 9 + [302]
    db.session.commit()  # end the test's own snapshot: see what the threads committed
    assert db.session.scalar(select(db.func.count()).select_from(SignInSession)) == 1
    assert db.session.scalar(select(db.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "account_activated")) == 1


def test_two_leads_printing_the_same_unit_at_once_leave_one_live_code_each(make_app, mission_a, lead, newcomer):
    import threading

    second = factories.make_user(mission=mission_a, roles=[("mission_lead", mission_a)])
    db.session.commit()
    app = make_app()
    clients = []
    for user in (lead, second):
        each = app.test_client()
        each.post("/sign-in", data={"identifier": user.service_number, "password": factories.PASSWORD})
        clients.append(each)
    barrier, statuses = threading.Barrier(2), []
    url, unit_id = f"/missions/{mission_a.id}/activation-slips", mission_a.units[0].id  # no app context in threads

    def run(each):
        barrier.wait(timeout=10)
        statuses.append(each.post(url, data={"unit": unit_id, "who": "all"}).status_code)

    threads = [threading.Thread(target=run, args=(each,)) for each in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert statuses == [200, 200]
    db.session.commit()  # end the test's own snapshot: see what the threads committed
    live = db.session.scalars(select(ActivationCode.user_id).where(ActivationCode.used_at.is_(None),
                                                                    ActivationCode.voided_at.is_(None))).all()
    assert sorted(live) == [newcomer.id]  # the unit's one person: one live code, the other voided
