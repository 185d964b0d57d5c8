"""Lesson images: hostile uploads are refused with a reason and store nothing; good ones are cleaned."""

from __future__ import annotations

import io
import random
import struct
import zlib
from io import BytesIO

import pytest
from PIL import Image
from sqlalchemy import func, select

from extensions import db
from tests import training_factories as tf
from training import authoring, images, versions
from training.images import ImageError, clean_image
from training.models import LessonImage


def _png(size=(64, 48), mode="RGB", noise=False) -> bytes:
    image = Image.new(mode, size, (200, 30, 30) if mode == "RGB" else (200, 30, 30, 128))
    if noise:
        rng = random.Random(1)
        image.putdata([tuple(rng.randrange(256) for _ in mode) for _ in range(size[0] * size[1])])
    out = BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _png_claiming(width: int, height: int) -> bytes:
    """A tiny file whose header claims an enormous picture (a decompression bomb)."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(b"\0" * 1024))
            + _chunk(b"IEND", b""))


def _animated_gif(frames: int) -> bytes:
    pictures = [Image.new("RGB", (8, 8), (n % 256, (n * 7) % 256, (n * 13) % 256)) for n in range(frames)]
    out = BytesIO()
    pictures[0].save(out, format="GIF", save_all=True, append_images=pictures[1:], duration=10, loop=0)
    return out.getvalue()


def _bad_crc_png() -> bytes:
    data = bytearray(_png())
    data[29] ^= 0xFF  # inside the IHDR chunk's CRC
    return bytes(data)


def _bmp() -> bytes:
    out = BytesIO()
    Image.new("RGB", (10, 10)).save(out, format="BMP")
    return out.getvalue()


HOSTILE = {
    "svg with script": (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
                        b"<script>alert(document.cookie)</script></svg>", "web page code"),
    "svg without script": (b'<svg xmlns="http://www.w3.org/2000/svg"><rect width="10" height="10"/></svg>',
                           "web page code"),
    "html renamed .png": (b"<!doctype html><html><body><img src=x onerror=alert(1)></body></html>", "web page code"),
    "png with html appended (polyglot)": (_png() + b"<html><script>alert(1)</script></html>", "web page code"),
    "gif/javascript polyglot": (b"GIF89a/*\x01\x00\x01\x00\x00\x00\x00*/=1;alert(document.domain)//", "damaged"),
    "zero bytes": (b"", "empty"),
    "huge dimensions bomb (81 megapixels)": (_png_claiming(9_000, 9_000), "too many pixels"),
    "huge dimensions bomb (10 gigapixels)": (_png_claiming(100_000, 100_000), "too many pixels"),
    "truncated png": (_png((300, 300), noise=True)[:20_000], "damaged"),
    "png with a broken checksum": (_bad_crc_png(), "damaged"),
    "pdf": (b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF", "not a JPEG"),
    "windows executable": (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200
                           + b"This program cannot be run in DOS mode.", "not a JPEG"),
    "text file": (b"Just some notes about the lesson.\nNothing to see here.\n", "not a JPEG"),
    "oversized file": (b"\xff\xd8\xff\xe0" + b"\x00" * (5 * 1024 * 1024), "larger than 5 MB"),
    "animated gif with many frames": (_animated_gif(300), "Animated"),
    "bmp (a picture, but not an accepted type)": (_bmp(), "not a JPEG"),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_bytes_are_refused_with_a_reason(name):
    raw, reason = HOSTILE[name]

    with pytest.raises(ImageError) as refused:
        clean_image(raw)

    assert reason.lower() in str(refused.value).lower()


def test_there_are_more_than_ten_hostile_uploads():
    assert len(HOSTILE) >= 10


def test_a_photo_is_resized_turned_upright_and_stripped_of_metadata():
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: the camera was held sideways
    exif[0x010F] = "CameraMaker"
    exif[0x8825] = {2: (48.0, 51.0, 24.0), 1: "N"}  # GPS
    out = BytesIO()
    Image.new("RGB", (3000, 2000), (10, 120, 200)).save(out, format="JPEG", exif=exif, comment=b"secret comment")
    raw = out.getvalue()
    assert b"CameraMaker" in raw

    clean = clean_image(raw)

    assert clean.data[:4] == b"RIFF" and clean.data[8:12] == b"WEBP"
    with Image.open(io.BytesIO(clean.data)) as result:
        assert result.format == "WEBP"
        assert result.size == (1200, 1800)  # rotated upright (2000 x 3000), then 1200 wide
        assert not result.getexif() and "exif" not in result.info and "icc_profile" not in result.info
    assert b"CameraMaker" not in clean.data and b"secret comment" not in clean.data and b"Exif" not in clean.data


def test_transparency_survives_and_small_pictures_keep_their_size():
    clean = clean_image(_png((40, 30), mode="RGBA"))

    with Image.open(io.BytesIO(clean.data)) as result:
        assert result.size == (40, 30) and result.mode == "RGBA"


def test_the_same_picture_twice_is_stored_once(app, trainer):
    first = images.store(_png(), actor=trainer, original_name="a.png")
    second = images.store(_png(), actor=trainer, original_name="b.png")
    db.session.commit()

    assert first.id == second.id
    assert db.session.scalar(select(func.count(LessonImage.id))) == 1
    assert images.media_path(first) == f"/media/{first.sha256}.webp"


# ---- through the lesson editor ----------------------------------------------------------------

@pytest.fixture
def draft_lesson(app, trainer):
    course = tf.make_course(owner=trainer)
    module = authoring.add_module(course, actor=trainer, title="Meeting children")
    lesson = authoring.add_lesson(versions.draft_of(module), "en", actor=trainer, title="Talking to a child")
    authoring.update_lesson(lesson, "en", actor=trainer, title="Talking to a child", body="Kneel down.")
    db.session.commit()
    return lesson


def _upload(client, lesson, raw: bytes, filename: str, alt: str = "A picture"):
    return client.post(f"/training/author/lessons/{lesson.id}/image?lang=en", follow_redirects=True,
                       data={"image": (BytesIO(raw), filename), "alt": alt}, content_type="multipart/form-data")


@pytest.mark.parametrize("name", ["svg with script", "html renamed .png", "png with html appended (polyglot)",
                                  "zero bytes", "huge dimensions bomb (10 gigapixels)", "truncated png", "pdf",
                                  "windows executable", "text file", "oversized file",
                                  "animated gif with many frames"])
def test_hostile_uploads_through_the_editor_store_nothing(client, login, trainer, draft_lesson, name):
    raw, reason = HOSTILE[name]
    login(client, trainer)

    response = _upload(client, draft_lesson, raw, "holiday.png")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "The picture was not added" in page and reason.lower() in page.lower()
    assert db.session.scalar(select(func.count(LessonImage.id))) == 0
    db.session.refresh(draft_lesson)
    assert draft_lesson.body == {"en": "Kneel down."}


def test_a_good_upload_is_added_to_the_lesson_and_served_with_long_cache(client, login, trainer, learner, draft_lesson):
    login(client, trainer)

    response = _upload(client, draft_lesson, _png((2400, 1200)), "../../etc/passwd.png", alt="A [safe] space")

    assert response.status_code == 200
    image = db.session.scalar(select(LessonImage))
    assert image.width == 1200 and image.height == 600 and image.media_type == "image/webp"
    assert image.uploaded_by_id == trainer.id
    db.session.refresh(draft_lesson)
    snippet = f"![A (safe) space](/media/{image.sha256}.webp)"
    assert draft_lesson.body["en"] == f"Kneel down.\n\n{snippet}\n"
    assert snippet in response.get_data(as_text=True)

    reader = client.application.test_client()
    login(reader, learner)
    served = reader.get(f"/media/{image.sha256}.webp")
    assert served.status_code == 200 and served.mimetype == "image/webp" and served.data == image.data
    assert served.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    again = reader.get(f"/media/{image.sha256}.webp", headers={"If-None-Match": served.headers["ETag"]})
    assert again.status_code == 304


def test_media_needs_sign_in_and_an_existing_hash(client, login, learner):
    assert client.get(f"/media/{'b' * 64}.webp").status_code == 302
    login(client, learner)
    assert client.get(f"/media/{'b' * 64}.webp").status_code == 404
    assert client.get("/media/short.webp").status_code == 404
