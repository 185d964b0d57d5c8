"""What a certificate's QR code holds, how it is drawn, and how to read it back (pure: no Flask).

The QR code holds one URL: `<base>/verify/<code>#p=<payload>`. A phone camera opens it as a
link and the browser asks the server for `/verify/<code>` only (a fragment is never sent), so
the live status shows. An offline verifier (the `verify-offline` command, the /verify/offline
page) finds the signed payload after `#p=` and checks it with the public key.
"""

from __future__ import annotations

import re

import segno

FRAGMENT = "#p="
_PAYLOAD = re.compile(r"CPT1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
_CODE = re.compile(r"/verify/([A-Za-z0-9_-]{16,})")
_DARK_RUN = re.compile(rb"[\x01-\xff]+")
# segno tries the 8 masks and scores each in Python (about 30 ms); any mask decodes, so one is
# fixed. Every rendered certificate in the tests is decoded again with zxing-cpp to hold us to it.
MASK = 4


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


def make(text: str) -> segno.QRCode:
    return segno.make(text, error="m", mask=MASK, micro=False)


def pdf_operators(code: segno.QRCode, x: float, y: float, size: float) -> str:
    """Dark modules as filled rectangles (one per horizontal run), `size` points wide, quiet zone included."""
    matrix = code.matrix
    modules = len(matrix) + 8  # 4 modules of quiet zone on each side
    scale = size / modules
    rects = [f"{run.start() + 4} {row_index + 4} {run.end() - run.start()} 1 re"
             for row_index, row in enumerate(matrix) for run in _DARK_RUN.finditer(bytes(row))]
    # Module units, with y growing downwards as in the matrix.
    return (f"q 1 1 1 rg {x:.2f} {y:.2f} {size:.2f} {size:.2f} re f 0 0 0 rg "
            f"{scale:.4f} 0 0 {-scale:.4f} {x:.2f} {y + size:.2f} cm\n" + "\n".join(rects) + "\nf Q")


def svg_data_uri(text: str, scale: int = 4) -> str:
    return make(text).svg_data_uri(scale=scale, border=4, title="QR code")
