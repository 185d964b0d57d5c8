"""Test data for the training tests: courses, published modules with lessons, requirements."""

from __future__ import annotations

import itertools

from database import utcnow
from extensions import db
from training import versions
from training.models import Course, CourseAuthor, Lesson, Module, ModuleVersion, Requirement

_seq = itertools.count(1)


def make_course(owner=None, co_authors=(), **overrides) -> Course:
    n = next(_seq)
    values = dict(code=f"course-{n}", title={"en": f"Course {n}", "fr": f"Cours {n}"},
                  description={"en": f"About course {n}."}, languages="en,fr", default_language="en",
                  validity_months=24, renewal_window_days=30, owner_id=owner.id if owner else None)
    values.update(overrides)
    course = Course(**values)
    db.session.add(course)
    db.session.flush()
    for author in co_authors:
        db.session.add(CourseAuthor(course_id=course.id, user_id=author.id))
    db.session.flush()
    return course


def make_module(course: Course, *, lessons: int = 2, langs=("en",), published: bool = True,
                slug: str | None = None) -> Module:
    """A module with one version (published by default) of `lessons` lessons written in `langs`."""
    n = next(_seq)
    position = len(course.modules) + 1
    module = Module(course=course, slug=slug or f"module-{n}", position=position,
                    default_language=course.default_language)
    version = ModuleVersion(module=module, number=1, status="published" if published else "draft",
                            published_at=utcnow() if published else None,  # as versions.publish() sets it
                            title={lang: f"Module {n} ({lang})" for lang in langs},
                            summary={lang: f"Summary {n} ({lang})" for lang in langs},
                            objectives={lang: [f"Objective A ({lang})", f"Objective B ({lang})"] for lang in langs},
                            minutes=10)
    for k in range(lessons):
        version.lessons.append(Lesson(key=f"lesson-{k + 1}", position=k,
                                      title={lang: f"Lesson {k + 1} ({lang})" for lang in langs},
                                      body={lang: f"Text of lesson {k + 1} in {lang}." for lang in langs}))
    db.session.add(module)
    db.session.flush()
    if published:
        course.version += 1
        db.session.flush()
    return module


def publish_new_version(module: Module, *, actor=None, body_suffix: str = " (v2)") -> ModuleVersion:
    """Draft from the published version, change every lesson's text, publish."""
    draft = versions.start_draft(module, actor=actor)
    for lesson in draft.lessons:
        lesson.body = {lang: text + body_suffix for lang, text in lesson.body.items()}
    db.session.flush()
    return versions.publish(draft, actor=actor)


def make_requirement(course: Course, *, mission=None, kind: str | None = None, due_days: int = 30,
                     categories: str = "military,police,civilian") -> Requirement:
    requirement = Requirement(course_id=course.id, mission_id=mission.id if mission else None, mission_kind=kind,
                              categories=categories, due_days=due_days)
    db.session.add(requirement)
    db.session.flush()
    return requirement
