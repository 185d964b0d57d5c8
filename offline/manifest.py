"""Which URLs a learner's device keeps to study a course offline. Reads only."""

from __future__ import annotations

import hashlib
import json
import re

from flask import url_for

from accounts.models import User
from core.templating import static_url
from training import learning
from training.models import Course

MEDIA = re.compile(r"/media/[0-9a-f]{64}\.webp")
# What every saved page needs to look right: no fonts, no third-party files.
ASSETS = ("site.css", "favicon.svg", "js/offline.js")


def course_urls(user: User, course: Course) -> dict:
    """The pages (course, modules, published lessons the person studies), their images and static files.

    Only frozen versions are listed (learning.learner_version never gives a draft); quiz pages
    are not listed: an attempt's pages are kept by the service worker once the person opens them,
    and results, which show the answers, never are.
    """
    pages = [url_for("training.my_training"), url_for("training.course", course_id=course.id)]
    images: set[str] = set()
    for module in learning.live_modules(course):
        version = learning.learner_version(user, module)
        if version is None:
            continue
        pages.append(url_for("training.module", module_id=module.id))
        for lesson in version.lessons:
            pages.append(url_for("training.lesson", lesson_id=lesson.id))
            for body in (lesson.body or {}).values():
                images.update(MEDIA.findall(body or ""))
    pages.append(url_for("offline.unavailable"))
    assets = [static_url(name) for name in ASSETS]
    urls = {"course": course.id, "pages": pages, "images": sorted(images), "assets": assets}
    urls["version"] = hashlib.sha256(json.dumps(urls, sort_keys=True).encode()).hexdigest()[:16]
    return urls
