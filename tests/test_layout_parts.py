"""The top bar, offline-status strings and footer are rendered once per kind of page and reused
(core.layout, issue 14): what is kept must never carry one person's or one request's values to another."""

from __future__ import annotations

import re

import pytest

from accounts.models import RoleGrant
from core import layout
from extensions import db
from tests import factories
from tests.conftest import login_as

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
FORM_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def _nav(html: str) -> str:
    return html.split('<ul class="nav">')[1].split("</ul>")[0]


def test_each_person_gets_their_own_id_token_and_return_path_from_a_kept_part(make_app, app, learner, mission_a):
    colleague = factories.make_user(mission=mission_a)  # the same roles: the same kept parts
    db.session.commit()
    app = make_app(WTF_CSRF_ENABLED=True)
    people = [(learner.id, learner.service_number), (colleague.id, colleague.service_number)]
    pages = []
    for person_id, service_number in people:
        client = app.test_client()
        token = FORM_TOKEN.search(client.get("/sign-in").get_data(as_text=True)).group(1)
        assert client.post("/sign-in", data={"identifier": service_number, "password": factories.PASSWORD,
                                             "csrf_token": token}).status_code == 302
        html = client.get("/training?from=<b>&x=1").get_data(as_text=True)
        assert f'data-user="{person_id}"' in html
        # The return path is this request's, escaped: the part was kept with a marker in its place.
        returns = re.findall(r'name="next" value="([^"]*)"', html)
        assert returns in (["/training?from=&lt;b&gt;&amp;x=1"], ["/training?from=%3Cb%3E&amp;x=1"]), returns
        assert "<b>" not in html
        assert "\ue000" not in html
        tokens = set(TOKEN.findall(html))
        assert len(tokens) == 1  # the sign-out button and the language form carry the session's token
        pages.append((client, tokens.pop(), html))
    (client_a, token_a, _), (client_b, token_b, _) = pages
    assert token_a != token_b
    assert len(app.extensions["layout_parts"]) >= 3  # header, status and footer kept
    # Each token is the one its own session accepts: the footer's language form works with it.
    assert client_a.post("/language", data={"lang": "fr", "next": "/training", "csrf_token": token_a}).status_code == 302
    assert client_b.post("/language", data={"lang": "fr", "next": "/training", "csrf_token": token_a}).status_code == 400


def test_the_top_bar_follows_roles_missions_language_and_page(app, client, mission_a, mission_b):
    lead_a = factories.make_user(mission=mission_a, roles=[("mission_lead", mission_a)])
    lead_b = factories.make_user(mission=mission_b, roles=[("mission_lead", mission_b)])
    learner = factories.make_user(mission=mission_a)
    db.session.commit()

    login_as(client, lead_a)
    nav = _nav(client.get("/training").get_data(as_text=True))
    assert f'href="/missions/{mission_a.id}/dashboard"' in nav
    assert 'href="/training" aria-current="page"' in nav
    nav = _nav(client.get("/certificates").get_data(as_text=True))
    assert 'href="/certificates" aria-current="page"' in nav and 'href="/training" aria-current' not in nav

    other = app.test_client()
    login_as(other, lead_b)
    nav = _nav(other.get("/training").get_data(as_text=True))
    assert f'href="/missions/{mission_b.id}/dashboard"' in nav and f"/missions/{mission_a.id}/dashboard" not in nav

    third = app.test_client()
    login_as(third, learner)
    nav = _nav(third.get("/training").get_data(as_text=True))
    assert "/dashboard" not in nav and "Sign out" in nav

    # A role taken away shows at the next request: the roles are part of what a kept part is for.
    db.session.execute(db.delete(RoleGrant).where(RoleGrant.user_id == lead_a.id))
    db.session.commit()
    nav = _nav(client.get("/training").get_data(as_text=True))
    assert "/dashboard" not in nav

    with client.session_transaction() as session:
        session["lang"] = "fr"
    html = client.get("/training").get_data(as_text=True)
    assert "Se déconnecter" in _nav(html) and 'lang="fr"' in html


def test_anonymous_and_error_pages_keep_their_own_parts(app, client, learner):
    anonymous = client.get("/sign-in").get_data(as_text=True)
    assert 'href="/sign-in">Sign in</a>' in _nav(anonymous) and "offline-status" not in anonymous
    login_as(client, learner)
    missing = client.get("/training/courses/999999")
    assert missing.status_code == 404
    html = missing.get_data(as_text=True)
    assert _nav(html).strip() == ""  # error pages show no top bar links
    assert "Sign out" in _nav(client.get("/training").get_data(as_text=True))


def test_kept_parts_are_forgotten_beyond_the_limit(app, client, learner, monkeypatch):
    monkeypatch.setattr(layout, "KEPT_PARTS", 2)
    login_as(client, learner)
    for path in ("/training", "/certificates", "/account/profile"):
        assert client.get(path).status_code == 200
        assert len(app.extensions["layout_parts"]) <= 3


def test_a_kept_lesson_follows_what_each_person_read_and_the_course_title(make_app, app, learner, mission_a):
    from tests import training_factories as tf

    course = tf.make_course()
    tf.make_requirement(course, mission=mission_a)
    module = tf.make_module(course, lessons=3)
    first, second = module.versions[0].lessons[:2]
    colleague = factories.make_user(mission=mission_a)
    db.session.commit()
    csrf_app = make_app(WTF_CSRF_ENABLED=True)
    clients = {}
    for person in (learner, colleague):
        client = csrf_app.test_client()
        token = FORM_TOKEN.search(client.get("/sign-in").get_data(as_text=True)).group(1)
        client.post("/sign-in", data={"identifier": person.service_number, "password": factories.PASSWORD,
                                      "csrf_token": token})
        clients[person.id] = client
    reader, newcomer = clients[learner.id], clients[colleague.id]

    page = reader.get(f"/training/lessons/{first.id}").get_data(as_text=True)
    assert "read-mark" not in page and "Mark as read, next lesson" in page
    token = set(TOKEN.findall(page)).pop()
    assert reader.post(f"/training/lessons/{first.id}/done", data={"csrf_token": token}).status_code == 302
    page = reader.get(f"/training/lessons/{first.id}").get_data(as_text=True)
    assert page.count("read-mark") == 1 and "Mark as read" not in page  # "Next lesson" once read
    # The colleague gets the same lesson text from what was kept, but their own marks and token.
    other = newcomer.get(f"/training/lessons/{first.id}").get_data(as_text=True)
    assert "read-mark" not in other and "Mark as read, next lesson" in other
    assert set(TOKEN.findall(other)) != {token}
    assert other.split('<article')[1].split('</article>')[0] == page.split('<article')[1].split('</article>')[0]
    # The course is not frozen: a new title shows at once.
    with csrf_app.app_context():
        from training.models import Course
        db.session.get(Course, course.id).title = {"en": "Renamed course"}
        db.session.commit()
    assert "Renamed course" in newcomer.get(f"/training/lessons/{second.id}").get_data(as_text=True)
    assert "Renamed course" in newcomer.get(f"/training/lessons/{first.id}").get_data(as_text=True)
    assert len(csrf_app.extensions["kept_fragments"]) >= 4


def test_kept_fragments_take_plain_values_only(app, learner):
    from core.layout import _frozen

    assert _frozen({"b": [1, {"x": "y"}], "a": {2, 3}}) == (("a", frozenset({2, 3})), ("b", (1, (("x", "y"),))))
    with pytest.raises(TypeError, match="ORM"):
        _frozen({"person": learner})


def test_rows_of_a_published_version_are_keyed_by_the_version_and_a_drafts_by_their_content():
    from datetime import datetime

    from core.layout import _frozen
    from training.player import LessonRow, Outline

    published = (7, datetime(2026, 12, 1, 9, 30))
    row = LessonRow(3, "intro", {"en": "Intro", "fr": "Intro"}, frozenset({"en", "fr"}), version=published)
    assert _frozen(row) == (LessonRow, (published, 3))  # the titles are not walked
    outline = Outline([row])
    outline.kept_key = published
    assert _frozen({"lessons": outline}) == (("lessons", (Outline, published)),)
    # The same version published again (a database emptied under the process) is another key.
    again = LessonRow(3, "intro", {"en": "Other"}, frozenset({"en"}), version=(7, datetime(2026, 12, 2)))
    assert _frozen(again) != _frozen(row)
    # A draft's rows say nothing of what they hold: their content is the key.
    draft = LessonRow(3, "intro", {"en": "Intro"}, frozenset({"en"}))
    assert _frozen(draft) == (LessonRow, (3, "intro", (("en", "Intro"),), frozenset({"en"}), None))
    assert _frozen(Outline([draft])) == ((LessonRow, (3, "intro", (("en", "Intro"),), frozenset({"en"}), None)),)


def test_the_kept_blank_sign_in_form_has_each_visitors_token_return_path_and_language(make_app, learner):
    app = make_app(WTF_CSRF_ENABLED=True)
    def form_of(client, query="", language="en"):
        page = client.get("/sign-in" + query, headers={"Accept-Language": language}).text
        token = re.search(r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        next_path = re.search(r'id="next" name="next" type="hidden" value="([^"]*)"', page).group(1)
        return page, token, next_path

    first, second = app.test_client(), app.test_client()
    _, first_token, first_next = form_of(first, "?next=/training")
    _, second_token, second_next = form_of(second, "?next=/certificates")
    _, again_token, _ = form_of(first, "?next=/training")
    assert (first_next, second_next) == ("/training", "/certificates")
    # Each visitor's own token, and it signs them in (the kept form carries no one else's).
    assert first_token != second_token and again_token
    assert first.post("/sign-in", data={"identifier": learner.service_number, "password": factories.PASSWORD,
                                        "csrf_token": again_token, "next": "/training"}).status_code == 302
    _, _, hostile_next = form_of(app.test_client(), '?next="><script>alert(1)</script>')
    assert hostile_next == "&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"
    french, _, _ = form_of(app.test_client(), language="fr")
    assert "Mot de passe" in french and "Password" not in french.split('id="main"')[1]
