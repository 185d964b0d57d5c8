"""The shipped course as a learner reads it: module 5 in Arabic (right to left) on a phone, and
module 3 in French on a desktop, every lesson, with screenshots under test-results/."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from coursepack.cli import SHIPPED_COURSE
from extensions import db
from tests.browser.conftest import sign_in
from tests.browser.field_world import lessons_of, shipped_course
from training.models import Completion, LessonView

pytestmark = pytest.mark.browser


def _titles(folder: str, lang: str) -> list[str]:
    import yaml

    module = yaml.safe_load((SHIPPED_COURSE / folder / "module.yaml").read_text(encoding="utf-8"))
    return [(SHIPPED_COURSE / folder / f"{stem}.{lang}.md").read_text(encoding="utf-8").splitlines()[0][2:]
            for stem in module["lessons"]]


@pytest.mark.parametrize("folder, lang, direction, device", [
    ("05-meeting-children", "ar", "rtl", "phone"),
    ("03-six-grave-violations", "fr", "ltr", "desktop"),
])
def test_walk_through_a_module_in_the_learners_language(new_page, live_server, learner, mission_a, tmp_path,
                                                         screenshot, folder, lang, direction, device):
    course = shipped_course(tmp_path, (folder,), required_in=mission_a)
    learner.preferred_language = lang
    db.session.commit()
    module = course.modules[0]
    lessons = lessons_of(learner, module)
    titles = _titles(folder, lang)
    options = {"viewport": {"width": 360, "height": 740}, "is_mobile": True} if device == "phone" else {}
    page = new_page(**options)
    sign_in(page, live_server, learner)
    assert page.locator("html").get_attribute("dir") == direction
    assert page.locator("html").get_attribute("lang") == lang

    page.goto(f"{live_server}/training/lessons/{lessons[0].id}")
    for number, lesson in enumerate(lessons, start=1):
        assert f"/training/lessons/{lesson.id}" in page.url
        article = page.locator("article.lesson")
        assert article.get_attribute("lang") == lang and article.get_attribute("dir") == direction
        assert page.get_by_role("heading", level=1).inner_text() == titles[number - 1]
        # Readable on the device: nothing wider than the window.
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        screenshot(page, f"{lang}-lesson-{number}")
        page.locator("form[action*='/done'] button[type=submit]").click()
    db.session.commit()
    viewed = set(db.session.scalars(select(LessonView.lesson_id).where(LessonView.user_id == learner.id)))
    assert viewed == {lesson.id for lesson in lessons}
    # Lessons done; the module waits for its quiz (it is not complete yet).
    assert db.session.scalar(select(Completion).where(Completion.user_id == learner.id)) is None
    assert page.locator("html").get_attribute("dir") == direction
    screenshot(page, f"{lang}-module-after-lessons")
