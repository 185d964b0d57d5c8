"""What a certificate's QR code holds, how it is drawn, and how to read it back (pure: no Flask).

The QR code holds one URL: `<base>/verify/<code>#p=<payload>`. A phone camera opens it as a
link and the browser asks the server for `/verify/<code>` only (a fragment is never sent), so
the live status shows. An offline verifier (the `verify-offline` command, the /verify/offline
page) finds the signed payload after `#p=` and checks it with the public key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import segno
import zxingcpp

FRAGMENT = "#p="
_PAYLOAD = re.compile(r"CPT1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
_CODE = re.compile(r"/verify/([A-Za-z0-9_-]{16,})")
ERROR_LEVEL = "M"  # 15% of the code may be lost (a fold, a stain) and it still reads


@dataclass(frozen=True)
class Matrix:
    """A QR symbol without its quiet zone: `size` x `size` modules, one byte each, row by row,
    0 for a dark module and 255 for a light one (an 8-bit grey image, one pixel per module)."""

    size: int
    modules: bytes


def qr_text(verify_url: str, payload: str) -> str:
    return f"{verify_url}{FRAGMENT}{payload}"


def payload_from_text(text: str) -> str | None:
    """The signed payload inside a scanned QR text, a pasted URL or a bare payload.

    Whatever follows `#p=` (or a text starting with CPT1.) is taken whole, so a changed or
    added character reaches the signature check instead of being trimmed away.
    """
    text = text.strip()
    if FRAGMENT in text:
        text = text.split(FRAGMENT, 1)[1]
    if text.startswith("CPT1."):
        return text
    match = _PAYLOAD.search(text)
    return match.group(0) if match else None


def code_from_text(text: str) -> str | None:
    match = _CODE.search(text)
    return match.group(1) if match else None


def matrix(text: str) -> Matrix:
    """The QR symbol for `text`, made by zxing-cpp's C++ encoder.

    segno (pure Python) takes 8-14 ms for the 81-89 module codes certificates need, two thirds
    of a certificate's rendering; zxing-cpp, already used to read QR images, takes about 2 ms
    and chooses the mask by the standard's penalty rules as segno does.
    """
    code = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level=ERROR_LEVEL)
    image = code.to_image(scale=1, add_quiet_zones=False)
    return Matrix(size=image.shape[0], modules=bytes(memoryview(image)))


def svg_data_uri(text: str, scale: int = 4) -> str:
    """The QR code for a screen, as an SVG data URI (segno writes tidy, small SVG)."""
    return segno.make(text, error=ERROR_LEVEL.lower(), micro=False).svg_data_uri(scale=scale, border=4)
