"""Data and browser helpers for the field-readiness browser tests (accessibility, keyboard, no-JS,
page weight, offline): the shipped course's real lessons and questions, so that page weights and
Arabic layout are measured on what learners really get."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import yaml
from PIL import Image
from sqlalchemy import func, select

from coursepack.cli import SHIPPED_COURSE
from coursepack.importer import import_content
from extensions import db
from quizzes import attempts as attempt_service
from quizzes.models import Answer, Attempt, Question
from quizzes.services import quiz_for_module
from tests import training_factories
from training import authoring, images, progress, versions
from training.learning import learner_version
from training.models import Course, Lesson, LessonView, Module

# Module 3 has the longest lessons and scenario questions; module 5 the longest Arabic lesson.
DEFAULT_MODULES = ("03-six-grave-violations",)
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def shipped_course(tmp_path: Path, modules=DEFAULT_MODULES, *, required_in=None, quiz: dict | None = None,
                   picture: bool = False) -> Course:
    """Import (published) a copy of the shipped course holding only `modules`; commit it.

    `quiz` overrides the quiz settings of every module; `picture` adds an uploaded picture to
    each module's first lesson (the shipped lessons have none) before publishing.
    """
    root = tmp_path / "course"
    root.mkdir()
    course_yaml = yaml.safe_load((SHIPPED_COURSE / "course.yaml").read_text(encoding="utf-8"))
    course_yaml["modules"] = list(modules)
    (root / "course.yaml").write_text(yaml.safe_dump(course_yaml, allow_unicode=True), encoding="utf-8")
    for folder in modules:
        shutil.copytree(SHIPPED_COURSE / folder, root / folder)
    import_content(root, publish=not picture)
    course = db.session.scalar(select(Course).filter_by(code=course_yaml["code"]))
    if picture:
        for module in course.modules:
            draft = versions.draft_of(module)
            snippet = images.markdown_snippet(images.store(_picture()), "A blue and orange picture")
            for lang in draft.lessons[0].body:
                authoring.append_to_lesson(draft.lessons[0], lang, snippet)
            versions.publish(draft, actor=None)
    for module in course.modules:
        found = quiz_for_module(module.id)
        for name, value in (quiz or {}).items():
            setattr(found, name, value)
    if required_in is not None:
        training_factories.make_requirement(course, mission=required_in, due_days=30)
    db.session.commit()
    return course


def _picture() -> bytes:
    canvas = Image.new("RGB", (640, 360), (29, 95, 168))
    canvas.paste((255, 191, 71), (200, 100, 440, 260))
    out = io.BytesIO()
    canvas.save(out, format="PNG")
    return out.getvalue()


def lessons_of(user, module: Module) -> list[Lesson]:
    return list(learner_version(user, module).lessons)


def read_every_lesson(user, module: Module) -> None:
    for lesson in lessons_of(user, module):
        progress.record_lesson_view(user, lesson)
    db.session.commit()


def right_values(question: Question) -> list[str]:
    """The option ids (or "true"/"false") that score full marks."""
    if question.type == "true_false":
        return ["true" if question.answer["value"] else "false"]
    return [option for option, weight in question.answer["weights"].items() if weight > 0]


def take_quiz(user, module: Module, *, right: bool, submit: bool = True) -> Attempt:
    """An attempt made through the services (not the browser): all right or all wrong answers."""
    quiz = quiz_for_module(module.id)
    attempt = attempt_service.start_attempt(user, quiz, language="en")
    questions = {q.id: q for q in db.session.scalars(select(Question).where(Question.module_id == module.id))}
    responses = {}
    for drawn in attempt.drawn:
        good = right_values(questions[drawn["id"]])
        wrong = [option for option in drawn["options"] if option not in good][:1] or ["false"]
        responses[drawn["id"]] = good if right else wrong
    attempt_service.save_answers(attempt, responses)
    if submit:
        attempt_service.submit(attempt)
    db.session.commit()
    return attempt


def saved_answers(attempt_id: int) -> dict[int, list]:
    """What the server holds for an attempt: question id -> response (one row per question, or it fails)."""
    db.session.commit()  # drop the test's snapshot: the server wrote in other transactions
    rows = list(db.session.execute(select(Answer.question_id, Answer.response).where(Answer.attempt_id == attempt_id)))
    ids = [question_id for question_id, _ in rows]
    assert len(ids) == len(set(ids)), f"an answer was stored twice: {ids}"
    return {question_id: response for question_id, response in rows}


def lesson_views(user, lesson_ids) -> dict[int, int]:
    """How many view rows the server holds per lesson for `user`."""
    db.session.commit()
    rows = db.session.execute(select(LessonView.lesson_id, func.count()).where(
        LessonView.user_id == user.id, LessonView.lesson_id.in_(list(lesson_ids))).group_by(LessonView.lesson_id))
    return dict(rows.all())


def choose_language(page, base_url: str, code: str) -> None:
    """Switch the interface language with the footer form, as a person would (it is kept in the session)."""
    if not page.url.startswith(base_url):
        page.goto(f"{base_url}/")
    page.locator("#lang-select").select_option(code)
    page.locator(".lang-form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == code


def axe_violations(page) -> list[dict]:
    """Run axe-core (from npm, pinned) on the page: WCAG 2.0/2.1 A and AA rules only."""
    if not AXE.exists():
        raise AssertionError(f"{AXE} is missing: run `make install-dev` (npm ci) to install axe-core")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    return page.evaluate("""async (tags) => {
        const result = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
        return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + " :: " + n.failureSummary.replace(/\\s+/g, " "))}));
    }""", WCAG_AA)


def describe(violations_by_page: dict[str, list[dict]]) -> str:
    lines = []
    for where, violations in violations_by_page.items():
        for violation in violations:
            lines.append(f"{where}: {violation['id']} ({violation['impact']}): {violation['help']}")
            lines.extend(f"    {node}" for node in violation["nodes"])
    return "\n".join(lines)
