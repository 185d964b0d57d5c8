"""Course packages in the browser: download a course as a ZIP, upload one, see its dry run, import it.

The upload is checked (coursepack.archive) and dry-run at once; the archive is then kept in the
job files folder under the uploader's id and its SHA-256 until they press "Import as drafts",
which starts the import job (coursepack.upload) and sends them to its page.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

from flask import Blueprint, Response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.utils import secure_filename

from core.permissions import require, role_required
from coursepack import archive, upload
from coursepack.forms import PackageImportForm, PackageUploadForm
from extensions import db
from jobs import services as jobs
from training.models import Course
from training.permissions import can_create_course, can_read_course

bp = Blueprint("coursepack", __name__, url_prefix="/training/author")
STAGED = "uploads"
STAGED_HOURS = 24


def _refusal(error: archive.ArchiveError) -> str:
    """What an ArchiveError means, in the reader's language."""
    name = error.name
    return {
        "too_big": _("The file is larger than %(mb)s MB.", mb=archive.MAX_ARCHIVE_BYTES // (1024 * 1024)),
        "not_zip": _("This is not a ZIP file, or it is damaged."),
        "too_many": _("The archive holds more than %(count)s entries.", count=archive.MAX_ENTRIES),
        "bomb": _("Unpacked, the archive would be larger than %(mb)s MB: it cannot be a course package.",
                  mb=archive.MAX_UNCOMPRESSED_BYTES // (1024 * 1024)),
        "unsafe_path": _("%(name)s: a path that leaves the package (absolute, with '..' or empty parts) is refused.",
                         name=name),
        "link": _("%(name)s: links are refused; put the file itself in the package.", name=name),
        "encrypted": _("%(name)s: encrypted entries are refused.", name=name),
        "unknown_file": _("%(name)s: not a file a course package holds (course.yaml, module.yaml, lessons, "
                          "question banks, pictures in images/).", name=name),
        "duplicate": _("%(name)s: the archive holds this file twice.", name=name),
        "not_text": _("%(name)s: not UTF-8 text.", name=name),
        "control": _("%(name)s: contains control characters (such as a NUL byte).", name=name),
        "no_course": _("There is no course.yaml at the top of the archive or in its one top folder."),
    }[error.reason]


def _staged_path(sha256: str) -> Path:
    """Where a checked upload waits: named by its uploader, so nobody imports another person's file."""
    folder = jobs.files_dir() / STAGED
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder / f"{current_user.id}-{sha256}.zip"


def _forget_old_uploads() -> None:
    """Checked packages nobody imported are removed after STAGED_HOURS."""
    cutoff = time.time() - STAGED_HOURS * 3600
    for path in (jobs.files_dir() / STAGED).glob("*.zip"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except FileNotFoundError:
            pass  # another request removed it first


def _require_importer() -> None:
    require(can_create_course(current_user))


@bp.route("/import", methods=["GET", "POST"])
@role_required("trainer")
def upload_package():
    """Trainers and admins: upload a course package (ZIP) and see what it would do; nothing is saved yet."""
    _require_importer()
    form = PackageUploadForm()
    if form.validate_on_submit():
        data = form.file.data.stream.read(archive.MAX_ARCHIVE_BYTES + 1)
        name = secure_filename(form.file.data.filename or "") or "package.zip"
        try:
            files = archive.read_archive(data)
        except archive.ArchiveError as error:
            form.file.errors = [*form.file.errors, _refusal(error)]
            return render_template("coursepack/upload.html", form=form, plan=None), 400
        plan = upload.plan_upload(files, actor=current_user)
        db.session.rollback()  # the dry run only read
        import_form = None
        if not plan.problems:
            sha256 = hashlib.sha256(data).hexdigest()
            _staged_path(sha256).write_bytes(data)
            _forget_old_uploads()
            import_form = PackageImportForm(formdata=None, upload=sha256, digest=plan.digest(), name=name)
        return render_template("coursepack/upload.html", form=PackageUploadForm(formdata=None), plan=plan,
                               import_form=import_form, filename=name,
                               problems=[upload.split_problem(p) for p in plan.problems],
                               warnings=[upload.split_problem(w) for w in plan.warnings])
    return render_template("coursepack/upload.html", form=form, plan=None)


@bp.post("/import/start")
@role_required("trainer")
def start_import():
    """Trainers and admins: import the package checked on the upload page, as a background job."""
    _require_importer()
    form = PackageImportForm()
    path = _staged_path(form.upload.data) if form.validate_on_submit() else None
    if path is None or not path.is_file():
        return render_template("coursepack/upload.html", form=PackageUploadForm(formdata=None), plan=None,
                               problem=_("Nothing was imported. Upload the package again.")), 400
    job_id = upload.start(path.read_bytes(), form.name.data or "package.zip", digest=form.digest.data,
                          actor=current_user).id
    db.session.commit()
    path.unlink(missing_ok=True)
    jobs.enqueue(job_id)
    return redirect(url_for("jobs.show", job_id=job_id))


@bp.get("/courses/<int:course_id>/package.zip")
@role_required("trainer")
def export_package(course_id: int):
    """Course owners, co-authors, admins; any trainer for the shipped course: the course as a package (ZIP)."""
    course = db.get_or_404(Course, course_id)
    require(can_read_course(current_user, course))
    data = upload.export_zip(course)
    return Response(data, mimetype="application/zip",
                    headers={"Content-Disposition": f"attachment; filename={course.code}.zip"})
