"""?next= handling: only ever a path on this site."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit


def safe_next(target: str | None) -> str | None:
    """Return `target` if it is a local path, else None.

    Browsers treat `//host`, `/\\host` and their percent-encoded forms as other sites, so
    anything but a single leading slash followed by a normal path character is refused.
    """
    if not target:
        return None
    decoded = target
    for _ in range(3):  # catch double-encoded forms too
        decoded = unquote(decoded)
    if any(ch in decoded for ch in ("\\", "\r", "\n", "\t")) or any(ord(ch) < 32 for ch in decoded):
        return None
    if not decoded.startswith("/") or decoded.startswith("//"):
        return None
    parts = urlsplit(decoded)
    if parts.scheme or parts.netloc:
        return None
    return target
