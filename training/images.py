"""Image uploads for lessons (and quiz cases): check, re-encode, store by content hash.

Nothing a trainer uploads is served as it came. The bytes must decode as a still JPEG, PNG,
WebP or GIF (the type is read from the bytes, never from the name or the browser's claim);
the picture is then redrawn into a fresh image with no metadata (EXIF, GPS, ICC, comments),
turned upright, shrunk to at most MAX_WIDTH pixels wide and saved as WebP. The stored name is
the SHA-256 of those new bytes, so a URL never changes meaning and can be cached for a year.
"""

from __future__ import annotations

import hashlib
import io
import re
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import select

from extensions import db
from training.models import LessonImage

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 50_000_000  # a 50-megapixel phone photo; anything larger is refused before decoding
MAX_WIDTH = 1200
MAX_HEIGHT = 3000  # a very tall strip is shrunk too, so one picture never fills many screens
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
WEBP_QUALITY = 82
MEDIA_TYPE = "image/webp"
# Markup or script inside an image file makes it a polyglot: refuse it even if it decodes.
_MARKUP = re.compile(rb"<\s*(script|html|svg|body|iframe|object|embed|\?php|!doctype)|javascript:", re.IGNORECASE)
NOT_AN_IMAGE = "This is not a JPEG, PNG, WebP or GIF picture (SVG and other files are refused)."
DAMAGED = "The picture is damaged or incomplete; save it again and upload the new file."


class ImageError(ValueError):
    """An upload that is refused; the message is safe to show to the trainer."""


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    width: int
    height: int

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def clean_image(raw: bytes) -> CleanImage:
    """Check `raw` and return it re-encoded as WebP, or raise ImageError saying why not.

    A cut-off file fails to load because Pillow's ImageFile.LOAD_TRUNCATED_IMAGES stays False
    (its default; nothing in this project turns it on).
    """
    if not raw:
        raise ImageError("The file is empty.")
    if len(raw) > MAX_UPLOAD_BYTES:
        raise ImageError(f"The file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB; make it smaller first.")
    if _MARKUP.search(raw):
        raise ImageError("The file contains web page code or script; only plain pictures are accepted.")
    with warnings.catch_warnings():
        # Pillow warns (and past twice the limit raises) on decompression bombs; both mean no.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            return _reencode(raw)
        except ImageError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise ImageError("The picture has too many pixels to be a normal photo or drawing.") from error
        except UnidentifiedImageError as error:
            if _looks_like_accepted_image(raw):
                raise ImageError(DAMAGED) from error
            raise ImageError(NOT_AN_IMAGE) from error
        except (OSError, SyntaxError, ValueError, EOFError) as error:
            raise ImageError(DAMAGED) from error


def _looks_like_accepted_image(raw: bytes) -> bool:
    return raw.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a")) or (
        raw[:4] == b"RIFF" and raw[8:12] == b"WEBP")


def _reencode(raw: bytes) -> CleanImage:
    with Image.open(io.BytesIO(raw), formats=ACCEPTED_FORMATS) as probe:
        _check_header(probe)
        probe.verify()  # checksums and structure, before any pixel is decoded
    with Image.open(io.BytesIO(raw), formats=ACCEPTED_FORMATS) as image:
        if getattr(image, "is_animated", False):  # looks for a second frame only, so a frame bomb costs nothing
            raise ImageError("Animated pictures are not accepted; upload a still picture.")
        if image.format == "JPEG":
            image.draft("RGB", (MAX_WIDTH, MAX_HEIGHT))  # decode big photos at a reduced scale
        image.load()
        upright = ImageOps.exif_transpose(image)
        has_alpha = upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info
        converted = upright.convert("RGBA" if has_alpha else "RGB")
    # A new image from the raw pixels carries none of the original's metadata.
    fresh = Image.frombytes(converted.mode, converted.size, converted.tobytes())
    fresh.thumbnail((MAX_WIDTH, MAX_HEIGHT), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    fresh.save(out, format="WEBP", quality=WEBP_QUALITY, method=4)
    return CleanImage(out.getvalue(), fresh.width, fresh.height)


def _check_header(image: Image.Image) -> None:
    if image.format not in ACCEPTED_FORMATS:
        raise ImageError(NOT_AN_IMAGE)
    width, height = image.size
    if width < 1 or height < 1:
        raise ImageError("The picture has no pixels.")
    if width * height > MAX_PIXELS:
        raise ImageError("The picture has too many pixels to be a normal photo or drawing.")


def store(raw: bytes, *, actor=None, original_name: str = "") -> LessonImage:
    """Clean and keep an upload; the same picture uploaded twice is stored once. Adds and flushes."""
    return store_clean(clean_image(raw), actor=actor, original_name=original_name)


def store_upload(upload, *, actor=None) -> LessonImage:
    """Store a werkzeug FileStorage, reading no more than the size limit (plus one byte to notice)."""
    raw = upload.stream.read(MAX_UPLOAD_BYTES + 1)
    return store(raw, actor=actor, original_name=getattr(upload, "filename", "") or "")


def media_path(image: LessonImage) -> str:
    return f"/media/{image.sha256}.webp"


def markdown_snippet(image: LessonImage, alt: str) -> str:
    alt = " ".join((alt or "").replace("[", "(").replace("]", ")").split()) or "Picture"
    return f"![{alt}]({media_path(image)})"


def clean_packaged(raw: bytes) -> CleanImage:
    """What is kept of a picture from a course package: its bytes as they came when they
    are already what clean_image makes (a still WebP, small enough, without metadata), so that a
    package this platform exported names the same picture by the same hash when imported again;
    otherwise the picture re-encoded like an upload. No database: a package's dry run uses it too.
    """
    clean = clean_image(raw)  # refuses what an upload would refuse
    with Image.open(io.BytesIO(raw)) as image:
        already_clean = (image.format == "WEBP" and image.size == (clean.width, clean.height)
                         and not ({"exif", "icc_profile", "xmp"} & set(image.info)))
    return CleanImage(raw, clean.width, clean.height) if already_clean else clean


def store_clean(clean: CleanImage, *, actor=None, original_name: str = "") -> LessonImage:
    """Keep a picture already cleaned; the same picture twice is stored once. Adds and flushes."""
    existing = db.session.scalar(select(LessonImage).filter_by(sha256=clean.sha256))
    if existing is not None:
        return existing
    image_row = LessonImage(sha256=clean.sha256, media_type=MEDIA_TYPE, width=clean.width, height=clean.height,
                            data=clean.data, uploaded_by_id=getattr(actor, "id", None),
                            original_name=(original_name or "")[:200])
    db.session.add(image_row)
    db.session.flush()
    return image_row

