"""Static files: content-hashed names, gzip chosen by Accept-Encoding, a year of caching."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

from core import assets

STATIC = Path(__file__).resolve().parent.parent / "static"


def _css_url(client) -> str:
    page = client.get("/sign-in").get_data(as_text=True)
    [url] = re.findall(r'href="(/static/site\.[0-9a-f]{12}\.css)"', page)
    return url


def test_pages_link_the_stylesheet_by_its_content_hash(client):
    url = _css_url(client)
    digest = assets.build_manifest(STATIC).by_name["site.css"].digest
    assert url == f"/static/site.{digest[:12]}.css"


def test_hashed_file_is_gzipped_for_browsers_that_accept_it_and_cached_for_a_year(client):
    url = _css_url(client)
    response = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert "Accept-Encoding" in response.headers["Vary"]
    assert response.mimetype == "text/css"
    assert gzip.decompress(response.data) == (STATIC / "site.css").read_bytes()
    assert len(response.data) < len((STATIC / "site.css").read_bytes()) / 2


def test_hashed_file_is_sent_plain_without_accept_encoding_and_answers_304_to_its_etag(client):
    url = _css_url(client)
    response = client.get(url, headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in response.headers
    assert response.data == (STATIC / "site.css").read_bytes()
    assert "Accept-Encoding" in response.headers["Vary"]
    again = client.get(url, headers={"Accept-Encoding": "identity", "If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


def test_plain_name_still_works_but_is_revalidated(client):
    response = client.get("/static/site.css")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["ETag"]


def test_unknown_or_stale_hashes_are_not_found(client):
    assert client.get("/static/site.000000000000.css").status_code == 404
    assert client.get("/static/nothing.css").status_code == 404
    assert client.get("/static/../app.py").status_code == 404


def test_binary_files_are_not_gzipped_and_fonts_are_not_loaded_by_pages(client):
    manifest = assets.build_manifest(STATIC)
    font = manifest.by_name["fonts/NotoSans-Regular.ttf"]
    response = client.get(f"/static/{font.hashed_name}", headers={"Accept-Encoding": "gzip"})
    response.close()
    assert response.status_code == 200 and "Content-Encoding" not in response.headers
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert "fonts/" not in client.get("/sign-in").get_data(as_text=True)  # no web fonts for the interface


def test_the_manifest_is_built_once_per_process_and_rebuilt_when_a_file_changes(tmp_path):
    (tmp_path / "a.css").write_text("body{color:red}")
    first = assets.build_manifest(tmp_path)
    assert assets.build_manifest(tmp_path) is first
    (tmp_path / "a.css").write_text("body{color:blue}")
    second = assets.build_manifest(tmp_path)
    assert second is not first
    assert second.by_name["a.css"].hashed_name != first.by_name["a.css"].hashed_name
    assert re.fullmatch(r"a\.[0-9a-f]{12}\.css", second.by_name["a.css"].hashed_name)
