"""A mission's certificates as one ZIP, streamed: memory stays flat however many people there are.

The ZIP is written into a sink that hands its bytes out after every file, and the rows are
read in keyset batches of plain columns (no ORM objects pile up in the session). The only
thing that grows is the list of entries for the ZIP's central directory, which the format
writes at the end: about 1 KB of Python objects per file (5 MB for 5,000 people, against a
100 MB archive; bench/bench_certificates.py measures it).
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Iterator
from datetime import datetime

from sqlalchemy import exists, func, select

from accounts.models import Deployment, User
from certificates import documents, pdf
from certificates.models import Certificate, CertificateStatus
from core.spreadsheet import safe_cell
from database import utcnow
from extensions import db

BATCH = 200
_COLUMNS = (Certificate.id, Certificate.code, Certificate.serial, Certificate.check_code, Certificate.holder_name,
            Certificate.holder_name_arabic,
            Certificate.course_title, Certificate.language, Certificate.issued_at, Certificate.expires_at,
            Certificate.key_id, Certificate.signature, Certificate.delivery_mode, User.service_number)


class _Sink(io.RawIOBase):
    """A write-only stream that keeps what was written until `take()` hands it out."""

    def __init__(self) -> None:
        super().__init__()
        self._buffer = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self._buffer += data
        return len(data)

    def take(self) -> bytes:
        chunk = bytes(self._buffer)
        self._buffer.clear()
        return chunk


def _conditions(mission_id: int, moment: datetime):
    deployed_here = exists().where(Deployment.user_id == Certificate.user_id, Deployment.mission_id == mission_id,
                                   Deployment.current_clause(moment.date()))
    return (Certificate.status == CertificateStatus.VALID.value, Certificate.expires_at > moment, deployed_here)


def count_for_mission(mission_id: int, moment: datetime | None = None) -> int:
    return db.session.scalar(select(func.count(Certificate.id)).where(*_conditions(mission_id, moment or utcnow())))


def rows_for_mission(mission_id: int, moment: datetime | None = None, batch: int = BATCH) -> Iterator:
    """The current valid certificates of people deployed in the mission now, in id order, batch by batch."""
    moment = moment or utcnow()
    last_id = 0
    while True:
        rows = db.session.execute(
            select(*_COLUMNS).join(User, User.id == Certificate.user_id)
            .where(Certificate.id > last_id, *_conditions(mission_id, moment))
            .order_by(Certificate.id).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        last_id = rows[-1].id


def _entry(name: str, moment: datetime) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=moment.timetuple()[:6])
    info.compress_type = zipfile.ZIP_STORED  # PDFs are compressed already
    info.external_attr = 0o644 << 16
    return info


def zip_chunks(rows_factory: Callable[[], Iterator], folder: str, base_url: str,
               render: Callable[[dict], bytes] = pdf.render, moment: datetime | None = None) -> Iterator[bytes]:
    """Yield the ZIP's bytes: one PDF per row, then index.csv. `rows_factory` is called once per pass."""
    moment = moment or utcnow()
    sink = _Sink()
    with zipfile.ZipFile(sink, "w") as archive:
        for row in rows_factory():
            document = documents.certificate_document(row, base_url)
            archive.writestr(_entry(f"{folder}/{row.service_number}_{row.serial}.pdf", moment), render(document))
            yield sink.take()
        # The index is a second pass over the same rows, written as it is read.
        with archive.open(_entry(f"{folder}/index.csv", moment), "w") as raw:
            text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
            writer = csv.writer(text)
            writer.writerow(["service_number", "name", "course", "serial", "issued", "expires", "verify_url"])
            for count, row in enumerate(rows_factory(), 1):
                writer.writerow([safe_cell(value) for value in (
                    row.service_number, row.holder_name, row.course_title, row.serial,
                    row.issued_at.date().isoformat(), row.expires_at.date().isoformat(),
                    documents.verify_url(row.code, base_url))])
                if count % BATCH == 0:
                    text.flush()
                    yield sink.take()
            text.flush()
            text.detach()
    yield sink.take()
