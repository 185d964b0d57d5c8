"""Test data for certificate tests: a course and certificates issued the way completion issues them."""

from __future__ import annotations

import itertools
from datetime import datetime

from accounts.models import User
from certificates import services
from certificates.models import Certificate
from extensions import db
from training.models import Course, CourseAuthor

_seq = itertools.count(1)


def make_course(owner: User | None = None, co_authors=(), **overrides) -> Course:
    n = next(_seq)
    values = dict(code=f"cp-{n}", title={"en": "Child Protection in Peace Operations",
                                         "fr": "Protection de l’enfance dans les opérations de paix",
                                         "ar": "حماية الطفل في عمليات السلام"},
                  validity_months=24, renewal_window_days=30, languages="en,fr,ar",
                  owner_id=owner.id if owner else None)
    values.update(overrides)
    course = Course(**values)
    db.session.add(course)
    db.session.flush()
    for author in co_authors:
        db.session.add(CourseAuthor(course_id=course.id, user_id=author.id))
    db.session.commit()
    return course


def issue(user: User, course: Course, completed_at: datetime | None = None) -> Certificate:
    certificate = services.issue_for_course(user, course, completed_at)
    db.session.commit()
    return certificate
