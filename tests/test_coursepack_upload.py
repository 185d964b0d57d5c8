"""Course packages through the browser: download as ZIP, upload, dry run, import as a job.

The round trip goes through the routes only (export ZIP -> empty database -> upload -> job ->
the course and its picture are served -> export again gives the same files). Every unsafe or
malformed archive is refused with a message and changes nothing; a job killed half-way leaves
nothing and runs again; only those who may write a course can change it.
"""

from __future__ import annotations

import io
import re
import stat
import zipfile
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select

from audit.models import AuditEvent
from coursepack import archive, upload
from coursepack.files import read_package
from database import utcnow
from extensions import db
from jobs.models import Job
from quizzes.models import Question
from quizzes.transfer import import_gift
from tests import factories, training_factories
from tests.conftest import _empty_tables, login_as
from training import images
from training.models import Course, LessonImage, ModuleVersion


def _zip(entries: dict[str, bytes | str], *, modes: dict[str, int] | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as built:
        for name, data in entries.items():
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            if modes and name in modes:
                info.external_attr = modes[name] << 16
            built.writestr(info, data)
    return out.getvalue()


def _entries(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as opened:
        return {info.filename: opened.read(info) for info in opened.infolist()}


def _counts() -> tuple:
    return tuple(db.session.scalar(select(func.count(model.id)))
                 for model in (Course, ModuleVersion, Question, LessonImage, Job))


def _authored_course(owner):
    """A course written in the browser: English only of en/fr/ar, a picture in a lesson, a draft, a question."""
    picture = io.BytesIO()
    Image.new("RGB", (40, 30), (20, 120, 200)).save(picture, format="PNG")
    course = training_factories.make_course(owner=owner, code="field-notes", languages="en,fr,ar",
                                            title={"en": "Field notes"}, description={"en": "Written in the browser."})
    module = training_factories.make_module(course, lessons=2, langs=("en",), published=False, slug="first-steps")
    stored = images.store(picture.getvalue())
    module.versions[0].lessons[0].body = {"en": f"Look at this.\n\n![A poster on a wall]({images.media_path(stored)})\n"}
    assert not import_gift(module, "::fn-q1::Who protects children?{=Everyone ~Nobody}\n", lang="en", actor=None).errors
    db.session.commit()
    return course, stored


def _check(client, data: bytes, name: str = "package.zip"):
    return client.post("/training/author/import", data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def _hidden(page: str, name: str) -> str:
    return re.search(rf'name="{name}"[^>]*value="([^"]*)"', page).group(1)


def _import(client, page: str):
    return client.post("/training/author/import/start", data={name: _hidden(page, name)
                                                             for name in ("upload", "digest", "name")})


def test_export_zip_import_into_an_empty_database_and_export_again_gives_the_same_files(app, client, trainer):
    course, stored = _authored_course(trainer)
    login_as(client, trainer)
    overview = client.get(f"/training/author/courses/{course.id}").get_data(as_text=True)
    assert f"/training/author/courses/{course.id}/package.zip" in overview
    first = client.get(f"/training/author/courses/{course.id}/package.zip")
    assert first.status_code == 200 and first.mimetype == "application/zip"
    assert "field-notes.zip" in first.headers["Content-Disposition"]
    files = _entries(first.data)
    assert files["field-notes/01-first-steps/images/" + f"{stored.sha256}.webp"] == stored.data

    _empty_tables()
    importer = factories.make_user(name="Tomas Trainer", roles=("trainer",))
    db.session.commit()
    client = app.test_client()
    login_as(client, importer)
    checked = _check(client, first.data, "field-notes.zip")
    page = checked.get_data(as_text=True)
    assert checked.status_code == 200
    assert "Create the course field-notes, which you will own." in page
    assert "first-steps" in page and "New module, as a draft" in page
    assert re.search(r"course\.yaml:\d+</code></td><td>&#39;title&#39; has no fr translation", page)  # a warning by file and line
    assert db.session.scalar(select(func.count(Course.id))) == 0  # the dry run wrote nothing

    started = _import(client, page)
    assert started.status_code == 302 and "/jobs/" in started.location
    job_page = client.get(started.location).get_data(as_text=True)
    assert "Done." in job_page and "Open the course" in job_page
    db.session.rollback()
    imported = db.session.scalar(select(Course).filter_by(code="field-notes"))
    assert imported.owner_id == importer.id  # a trainer's import is theirs
    assert f"/training/author/courses/{imported.id}" in job_page
    assert db.session.scalars(select(ModuleVersion.status)).all() == ["draft"]
    event = db.session.scalar(select(AuditEvent).filter_by(action="content_imported"))
    assert event.actor_id == importer.id and event.target == "course:field-notes"

    assert client.get(f"/training/author/courses/{imported.id}").status_code == 200
    served = client.get(f"/media/{stored.sha256}.webp")
    assert served.status_code == 200 and served.data == stored.data
    second = client.get(f"/training/author/courses/{imported.id}/package.zip")
    assert _entries(second.data) == files
    assert second.data == first.data  # sorted entries, fixed dates: the same bytes


def test_the_shipped_course_round_trips_through_the_browser(app, client, admin, runner):
    assert runner.invoke(args=["import-content", "content/cp-peace-ops"]).exit_code == 0
    course = db.session.scalar(select(Course).filter_by(code="cp-peace-ops"))
    login_as(client, admin)
    first = client.get(f"/training/author/courses/{course.id}/package.zip").data
    page = _check(client, first).get_data(as_text=True)
    assert "Update the course cp-peace-ops." in page and "New draft" not in page and "Unchanged" in page
    versions_before = db.session.scalar(select(func.count(ModuleVersion.id)))
    assert _import(client, page).status_code == 302
    db.session.rollback()
    assert db.session.scalar(select(func.count(ModuleVersion.id))) == versions_before
    assert client.get(f"/training/author/courses/{course.id}/package.zip").data == first


GOOD = {"course.yaml": "code: x\n"}


def _symlink_zip() -> bytes:
    return _zip({"course.yaml": "code: x\n", "01-a/module.yaml": "/etc/passwd"},
                modes={"01-a/module.yaml": stat.S_IFLNK | 0o777})


def _bomb() -> bytes:
    return _zip({"course.yaml": "code: x\n", "01-a/01-l.en.md": b"\0" * (archive.MAX_UNCOMPRESSED_BYTES + 1)})


@pytest.mark.parametrize("data, message", [
    (b"this is not a zip", "This is not a ZIP file, or it is damaged."),
    (lambda: _zip({f"01-a/{n}-l.en.md": "# T\n" for n in range(archive.MAX_ENTRIES)} | GOOD),
     f"The archive holds more than {archive.MAX_ENTRIES} entries."),
    (_bomb, "Unpacked, the archive would be larger than 64 MB"),
    (lambda: _zip({"/course.yaml": "code: x\n"}), "/course.yaml: a path that leaves the package"),
    (lambda: _zip({**GOOD, "../01-a/module.yaml": "x"}), "../01-a/module.yaml: a path that leaves the package"),
    (lambda: _zip({**GOOD, "01-a/../../module.yaml": "x"}), "a path that leaves the package"),
    (lambda: _zip({**GOOD, "01-a\\module.yaml": "x"}), "a path that leaves the package"),
    (_symlink_zip, "01-a/module.yaml: links are refused"),
    (lambda: _zip({**GOOD, "01-a/run.sh": "rm -rf /"}), "01-a/run.sh: not a file a course package holds"),
    (lambda: _zip({**GOOD, "01-a/images/x.svg": "<svg/>"}), "01-a/images/x.svg: not a file a course package holds"),
    (lambda: _zip({**GOOD, "01-a/module.yaml": b"\xff\xfe"}), "01-a/module.yaml: not UTF-8 text."),
    (lambda: _zip({**GOOD, "01-a/01-l.en.md": "# T\n\x00"}), "01-a/01-l.en.md: contains control characters"),
    (lambda: _zip({"01-a/module.yaml": "x"}), "There is no course.yaml at the top"),
    (lambda: _zip({"a/course.yaml": "x", "b/course.yaml": "x"}), "There is no course.yaml at the top"),
])
def test_a_bad_archive_is_refused_with_a_clear_message_and_changes_nothing(app, client, trainer, data, message):
    data = data() if callable(data) else data
    login_as(client, trainer)
    before = _counts()
    response = _check(client, data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message.replace("'", "&#39;") in page, page
    assert 'name="digest"' not in page  # no import button
    db.session.rollback()
    assert _counts() == before


def test_an_archive_over_the_size_limit_is_refused_before_it_is_opened():
    with pytest.raises(archive.ArchiveError) as refused:
        archive.read_archive(b"PK" + b"\0" * archive.MAX_ARCHIVE_BYTES)
    assert refused.value.reason == "too_big"


def test_a_yaml_path_leaving_the_package_is_a_problem_by_file_and_line(app, client, trainer):
    package = _zip({"course.yaml": "code: evil\ntitle: {en: E}\ndescription: {en: E}\nlanguages: [en]\n"
                                   "modules: [\"../../../etc\"]\n"})
    login_as(client, trainer)
    page = _check(client, package).get_data(as_text=True)
    assert "course.yaml:5</code>" in page and "is not a folder name inside the package" in page
    assert 'name="digest"' not in page
    files = archive.read_archive(package)
    with pytest.raises(Exception, match="not a folder name"):
        read_package(archive.ArchivePath(files))


def test_problems_are_listed_by_file_and_line_and_nothing_can_be_imported(app, client, trainer):
    course, _stored = _authored_course(trainer)
    login_as(client, trainer)
    files = _entries(client.get(f"/training/author/courses/{course.id}/package.zip").data)
    files["field-notes/01-first-steps/module.yaml"] = files["field-notes/01-first-steps/module.yaml"].replace(
        b"minutes:", b"minutes: [broken\nx:")
    files["field-notes/01-first-steps/questions.en.gift"] = b"::fn-q1::Who?{=Everyone ~Nobody}\n\n::fn-q2::Broken{\n"
    before = _counts()
    page = _check(client, _zip(files)).get_data(as_text=True)
    assert re.search(r"01-first-steps/module\.yaml:\d+</code></td><td>broken YAML", page), page
    assert 'name="digest"' not in page and "nothing can be imported until" in page
    assert _counts() == before


def test_a_trainer_cannot_change_a_course_they_do_not_write(app, client, trainer):
    course, _stored = _authored_course(trainer)
    login_as(client, trainer)
    data = client.get(f"/training/author/courses/{course.id}/package.zip").data
    other = factories.make_user(name="Olga Other", roles=("trainer",))
    db.session.commit()
    client = app.test_client()
    login_as(client, other)
    assert client.get(f"/training/author/courses/{course.id}/package.zip").status_code == 403
    page = _check(client, data).get_data(as_text=True)
    assert "exists and you may not change it" in page and 'name="digest"' not in page
    # Nor with another person's checked upload: it waits under its uploader's id.
    login_as(app.test_client(), trainer)
    owner_client = app.test_client()
    login_as(owner_client, trainer)
    owner_page = _check(owner_client, data).get_data(as_text=True)
    before = _counts()
    assert _import(client, owner_page).status_code == 400
    db.session.rollback()
    assert _counts() == before


def test_a_learner_cannot_upload_or_download_packages(app, client, trainer, learner):
    course, _stored = _authored_course(trainer)
    login_as(client, learner)
    assert client.get("/training/author/import").status_code == 403
    assert client.get(f"/training/author/courses/{course.id}/package.zip").status_code == 403


def test_the_job_finding_the_course_changed_since_the_check_imports_nothing(app, client, trainer):
    course, _stored = _authored_course(trainer)
    login_as(client, trainer)
    files = _entries(client.get(f"/training/author/courses/{course.id}/package.zip").data)
    lesson = "field-notes/01-first-steps/lesson-2.en.md"
    files[lesson] += b"\nOne more line.\n"
    page = _check(client, _zip(files)).get_data(as_text=True)
    assert "New draft" in page
    course.modules[0].versions[0].lessons[1].body = {"en": "Someone else edited this meanwhile.\n"}
    db.session.commit()
    before = _counts()
    job_page = client.get(_import(client, page).location).get_data(as_text=True)
    assert "It could not be done. Nothing was saved." in job_page and "changed since the package was checked" in job_page
    db.session.rollback()
    assert _counts()[:4] == before[:4]


class Killed(BaseException):
    """Not an error the runner handles: as if the worker process died there."""


def test_a_job_killed_half_way_leaves_nothing_and_runs_again(app, client, trainer, monkeypatch):
    course, _stored = _authored_course(trainer)
    login_as(client, trainer)
    data = client.get(f"/training/author/courses/{course.id}/package.zip").data
    _empty_tables()
    importer = factories.make_user(name="Kim Killed", roles=("trainer",))
    db.session.commit()
    client = app.test_client()
    login_as(client, importer)
    page = _check(client, data).get_data(as_text=True)
    real = upload.import_package

    def dies_after_writing(*args, **kwargs):
        real(*args, **kwargs)
        db.session.flush()
        assert db.session.scalar(select(func.count(Course.id))) == 1  # written, not yet committed
        raise Killed

    monkeypatch.setattr(upload, "import_package", dies_after_writing)
    with pytest.raises(Killed):
        _import(client, page)
    db.session.rollback()
    assert db.session.scalar(select(func.count(Course.id))) == 0
    assert db.session.scalar(select(func.count(LessonImage.id))) == 0
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "content_imported")) == 0
    job = db.session.scalar(select(Job).filter_by(kind=upload.KIND))
    assert job.status == "running"
    job.progress_at = utcnow() - timedelta(hours=1)  # its worker has stopped reporting
    db.session.commit()
    assert "stopped before it finished" in client.get(f"/jobs/{job.id}").get_data(as_text=True)

    monkeypatch.setattr(upload, "import_package", real)
    assert client.post(f"/jobs/{job.id}/run-again").status_code == 302
    db.session.rollback()
    assert db.session.get(Job, job.id).status == "done"
    assert db.session.scalar(select(func.count(Course.id))) == 1
    assert db.session.scalar(select(func.count(LessonImage.id))) == 1


COURSE = "code: odd\ntitle: {en: Odd}\ndescription: {en: Odd}\nlanguages: [en]\nmodules: [01-a]\n"


@pytest.mark.parametrize("entries", [
    {"course.yaml": "- a list\n- not a mapping\n"},
    {"course.yaml": "code: [1, 2]\nlanguages: {en: 1}\nmodules: 7\n"},
    {"course.yaml": COURSE, "01-a/module.yaml": "slug: a\nlessons: [{x: 1}, 3]\nquiz: [1]\nminutes: many\n"},
    {"course.yaml": COURSE, "01-a/module.yaml": "slug: a\ntitle: {en: A}\nsummary: {en: A}\nobjectives: {en: [o]}\n"
                                                "lessons: [l1]\n", "01-a/l1.en.md": "no title line\n"},
    {"course.yaml": COURSE, "01-a/module.yaml": "slug: a\ntitle: {en: A}\nsummary: {en: A}\nobjectives: {en: [o]}\n"
                                                "lessons: [l1]\n", "01-a/l1.en.md": "# T\n\n![x](images/../../x.png)\n",
     "01-a/questions.en.gift": "::q1::{{{\n"},
])
def test_a_malformed_package_is_a_list_of_problems_never_a_server_error(app, client, trainer, entries):
    login_as(client, trainer)
    before = _counts()
    response = _check(client, _zip(entries))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "nothing can be imported until" in page and 'name="digest"' not in page
    assert _counts() == before
