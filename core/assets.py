"""Static files under content-hashed names, served gzipped when the browser accepts it, cached for a year.

When the app is created, the static folder is read once: every file gets a name carrying the
first 12 hex digits of its SHA-256 (`site.css` -> `site.3f2a9c1d0b7e.css`) and every text file
(CSS, JS, SVG, JSON) a gzip copy made there and then, kept in memory. The result is cached per
process, keyed by the files' sizes and modification times, so the many apps the tests create
share one manifest. Templates link files only through `static_url()`, which gives the hashed name.

A hashed URL never changes meaning, so it is served `public, max-age=31536000, immutable`. The
plain name still works (an old bookmark, a file added after start) but must be revalidated.
Dynamic HTML is left uncompressed on purpose: pages carry the CSRF token next to text people
type, which is what BREACH-style attacks on compressed HTTPS responses need.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from flask import Flask, Response, abort, current_app, request, send_file

HASH_LENGTH = 12
YEAR = 31_536_000
COMPRESSIBLE = {".css", ".js", ".mjs", ".svg", ".json", ".txt", ".html", ".map"}


@dataclass(frozen=True)
class Asset:
    path: Path
    name: str            # as templates ask for it: "js/offline.js"
    hashed_name: str     # as it is served: "js/offline.3f2a9c1d0b7e.js"
    digest: str          # full SHA-256, the ETag
    mimetype: str
    data: bytes | None   # the bytes of a text file (None: large binary files are sent from disk)
    gzipped: bytes | None  # None when gzip would not make it smaller


@dataclass(frozen=True)
class Manifest:
    by_name: dict[str, Asset]
    by_hashed_name: dict[str, Asset]


def _hashed(name: str, digest: str) -> str:
    folder, _, filename = name.rpartition("/")
    stem, dot, ext = filename.rpartition(".")
    filename = f"{stem}.{digest[:HASH_LENGTH]}.{ext}" if dot and stem else f"{filename}.{digest[:HASH_LENGTH]}"
    return f"{folder}/{filename}" if folder else filename


def _mimetype(path: Path) -> str:
    if path.suffix in (".js", ".mjs"):
        return "text/javascript"
    return mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def _asset(folder: Path, path: Path) -> Asset:
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    name = path.relative_to(folder).as_posix()
    compressible = path.suffix.lower() in COMPRESSIBLE
    gzipped = gzip.compress(raw, compresslevel=9, mtime=0) if compressible else None
    if gzipped is not None and len(gzipped) >= len(raw):
        gzipped = None
    return Asset(path, name, _hashed(name, digest), digest, _mimetype(path), raw if compressible else None, gzipped)


def _signature(folder: Path) -> tuple:
    files = sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
    return tuple((p.relative_to(folder).as_posix(), p.stat().st_size, p.stat().st_mtime_ns) for p in files)


@cache
def _build(folder: Path, signature: tuple) -> Manifest:
    assets = [_asset(folder, folder / name) for name, _size, _mtime in signature]
    return Manifest({a.name: a for a in assets}, {a.hashed_name: a for a in assets})


def build_manifest(folder: str | Path) -> Manifest:
    """The manifest of `folder`: hashed once per process for as long as no file changes."""
    folder = Path(folder).resolve()
    return _build(folder, _signature(folder))


def manifest() -> Manifest:
    app = current_app
    if app.debug:  # a developer editing site.css sees the change without a restart
        app.extensions["assets"] = build_manifest(app.static_folder)
    return app.extensions["assets"]


def hashed_name(filename: str) -> str:
    """The served name of a static file; a missing file is a template bug, so it raises."""
    try:
        return manifest().by_name[filename].hashed_name
    except KeyError:
        raise LookupError(f"static/{filename} does not exist (or was added after the app started)") from None


def serve_static(filename: str):
    """Anyone: a static file. Hashed names are immutable; plain names must be revalidated."""
    files = manifest()
    asset = files.by_hashed_name.get(filename)
    if asset is not None:
        return _send(asset, f"public, max-age={YEAR}, immutable")
    asset = files.by_name.get(filename)
    if asset is None:
        abort(404)
    return _send(asset, "no-cache")


def _send(asset: Asset, cache_control: str) -> Response:
    if asset.data is None:
        response = send_file(asset.path, mimetype=asset.mimetype, etag=asset.digest, conditional=True,
                             max_age=None)
    else:
        body = asset.data
        use_gzip = asset.gzipped is not None and request.accept_encodings["gzip"] > 0
        if use_gzip:
            body = asset.gzipped
        response = current_app.response_class(body, mimetype=asset.mimetype)
        if use_gzip:
            response.headers["Content-Encoding"] = "gzip"
        if asset.gzipped is not None:
            response.vary.add("Accept-Encoding")
        # The gzip copy is another representation of the same file, so it gets its own tag.
        response.set_etag(asset.digest + ("-gz" if use_gzip else ""))
        response = response.make_conditional(request)
    response.headers["Cache-Control"] = cache_control
    return response


def init_app(app: Flask) -> None:
    """Hash the static folder and let the `static` endpoint serve hashed names."""
    if not app.static_folder:
        return
    app.extensions["assets"] = build_manifest(app.static_folder)
    app.view_functions["static"] = serve_static
