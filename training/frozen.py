"""What a published module version holds, read once per process.

A published or retired version never changes: training.guards refuses any flush that would
edit, add, remove or delete its lessons, and only drafts are ever deleted. So what learner pages
read of it on every request (its lesson ids in order, the lesson outline with the languages each
text is written in) can be read once and reused. The key is the version's id together with the
instant it was published: a draft has none (and is never kept), and a database restored or
emptied under a running process cannot hand another version's outline to the same id.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from flask import current_app

KEPT_VERSIONS = 50_000  # per process and kind; forgotten all at once beyond that


def remembered(kind: str, versions: Iterable[tuple[int, datetime | None]],
               load: Callable[[list[int]], dict[int, Any]]) -> dict[int, Any]:
    """For each (version id, published at), what `load(ids)` gives for it; `load` runs once for all
    the versions not kept yet, and only published ones are kept."""
    store: dict = current_app.extensions.setdefault("frozen_versions", {})
    found: dict[int, Any] = {}
    missing: dict[int, datetime | None] = {}
    for version_id, published_at in versions:
        value = store.get((kind, version_id, published_at)) if published_at is not None else None
        if value is None:
            missing[version_id] = published_at
        else:
            found[version_id] = value
    if missing:
        loaded = load(list(missing))
        if len(store) + len(missing) > KEPT_VERSIONS:
            store.clear()
        for version_id, published_at in missing.items():
            found[version_id] = loaded[version_id]
            if published_at is not None:
                store[(kind, version_id, published_at)] = loaded[version_id]
    return found
