"""Course packages as ZIP files, for the browser: read an uploaded one safely, in memory; write one.

An upload is refused before anything is read from it when it is too big, has too many entries,
claims more uncompressed bytes than a package can need (a zip bomb), or holds an absolute path,
a `..` component, a symbolic link, an encrypted entry or any file the package format does not
know (content/README.md). Nothing is extracted to disk: the entries become a dict of bytes that
read_package walks through ArchivePath, so no name in the archive can reach outside it.
"""

from __future__ import annotations

import io
import re
import stat
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from core.text import CONTROL
from coursepack.files import IMAGES_FOLDER, PLAIN_NAME

MAX_ARCHIVE_BYTES = 8 * 1024 * 1024  # the site refuses larger bodies anyway (MAX_CONTENT_LENGTH)
MAX_ENTRIES = 2000
MAX_UNCOMPRESSED_BYTES = 64 * 1024 * 1024
TEXT_SUFFIXES = (".yaml", ".md", ".gift")
_LANG = r"[a-z]{2,3}(?:-[A-Za-z0-9]+)?"
# What a package may hold, below its root: course.yaml, and in each module folder its module.yaml,
# lessons <stem>.<lang>.md, question banks questions.<lang>.gift and pictures images/<name>.
_MODULE_FILE = re.compile(rf"^(?:module\.yaml|[A-Za-z0-9][A-Za-z0-9_-]*\.{_LANG}\.md|questions\.{_LANG}\.gift)$")
_IMAGE_FILE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*\.(?:webp|png|jpe?g|gif)$", re.IGNORECASE)
# The moment every exported entry carries, so the same course exports to the same bytes.
_FIXED_TIME = (2000, 1, 1, 0, 0, 0)


class ArchiveError(Exception):
    """The upload is refused. `reason` is one of REASONS (the page words it); `name` the entry, if one."""

    REASONS = ("too_big", "not_zip", "too_many", "bomb", "unsafe_path", "link", "encrypted", "unknown_file",
               "duplicate", "not_text", "control", "no_course")

    def __init__(self, reason: str, name: str = ""):
        assert reason in self.REASONS
        super().__init__(f"{reason}: {name}" if name else reason)
        self.reason, self.name = reason, name


def read_archive(data: bytes) -> dict[str, bytes]:
    """The package's files by their path below the package root ('01-why/module.yaml'); ArchiveError if refused.

    The root is the archive's top, or its one top folder (what export writes: '<code>/course.yaml').
    """
    if len(data) > MAX_ARCHIVE_BYTES:
        raise ArchiveError("too_big")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise ArchiveError("not_zip") from None
    if len(infos) > MAX_ENTRIES:
        raise ArchiveError("too_many")
    if sum(info.file_size for info in infos) > MAX_UNCOMPRESSED_BYTES:
        raise ArchiveError("bomb")
    files = [info for info in infos if _checked_entry(info)]
    root = _root_of([info.filename for info in files])
    budget = MAX_UNCOMPRESSED_BYTES
    contents: dict[str, bytes] = {}
    for info in files:
        name = info.filename[len(root):]
        _check_known(name, info.filename)
        if name in contents:
            raise ArchiveError("duplicate", info.filename)
        try:
            with archive.open(info) as entry:
                raw = entry.read(budget + 1)  # never trust the declared size alone
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError):
            raise ArchiveError("not_zip", info.filename) from None
        budget -= len(raw)
        if budget < 0:
            raise ArchiveError("bomb")
        if name.endswith(TEXT_SUFFIXES):
            _check_text(raw, info.filename)
        contents[name] = raw
    if "course.yaml" not in contents:
        raise ArchiveError("no_course")
    return contents


def _checked_entry(info: zipfile.ZipInfo) -> bool:
    """True for a file to read, False for a folder entry; ArchiveError for anything unsafe."""
    name = info.filename
    parts = name.rstrip("/").split("/")
    if (not name or name.startswith(("/", "\\")) or "\\" in name or re.match(r"^[A-Za-z]:", name)
            or any(part in ("", ".", "..") for part in parts) or CONTROL.search(name)):
        raise ArchiveError("unsafe_path", name)
    mode = info.external_attr >> 16
    kind = stat.S_IFMT(mode)  # 0 when the archiver recorded no type (Windows tools; Python's writestr)
    if kind == stat.S_IFLNK:
        raise ArchiveError("link", name)
    if info.flag_bits & 0x1:
        raise ArchiveError("encrypted", name)
    if info.is_dir():
        return False
    if kind and kind != stat.S_IFREG:  # a device, a pipe: only plain files
        raise ArchiveError("unknown_file", name)
    return True


def _root_of(names: list[str]) -> str:
    if "course.yaml" in names:
        return ""
    tops = {name.split("/", 1)[0] for name in names}
    if len(tops) == 1 and f"{next(iter(tops))}/course.yaml" in names:
        return f"{next(iter(tops))}/"
    raise ArchiveError("no_course")


def _check_known(name: str, full_name: str) -> None:
    parts = name.split("/")
    known = (parts == ["course.yaml"]
             or (len(parts) == 2 and PLAIN_NAME.match(parts[0]) and _MODULE_FILE.match(parts[1]))
             or (len(parts) == 3 and PLAIN_NAME.match(parts[0]) and parts[1] == IMAGES_FOLDER
                 and _IMAGE_FILE.match(parts[2])))
    if not known:
        raise ArchiveError("unknown_file", full_name)


def _check_text(raw: bytes, name: str) -> None:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ArchiveError("not_text", name) from None
    if CONTROL.search(text):
        raise ArchiveError("control", name)


class ArchivePath:
    """The few Path operations read_package uses, over the files of an archive held in memory.

    Its text is the path inside the package, which is what problems name ('01-why/module.yaml:3: ...').
    """

    def __init__(self, files: dict[str, bytes], at: str = ""):
        self._files, self._at = files, at

    def __truediv__(self, name: str) -> ArchivePath:
        return ArchivePath(self._files, f"{self._at}/{name}" if self._at else str(name))

    def __str__(self) -> str:
        return self._at

    @property
    def name(self) -> str:
        return PurePosixPath(self._at).name

    def is_file(self) -> bool:
        return self._at in self._files

    def exists(self) -> bool:
        return self.is_file() or any(name.startswith(f"{self._at}/") for name in self._files)

    def read_bytes(self) -> bytes:
        try:
            return self._files[self._at]
        except KeyError:
            raise FileNotFoundError(self._at) from None

    def read_text(self, encoding: str = "utf-8") -> str:
        return self.read_bytes().decode(encoding)


def write_archive(folder: Path) -> bytes:
    """The files under `folder` as a ZIP whose entries sit in one top folder named like it, sorted,
    dated alike: the same course exports to the same bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            entry = zipfile.ZipInfo(f"{folder.name}/{path.relative_to(folder).as_posix()}", date_time=_FIXED_TIME)
            entry.external_attr = (stat.S_IFREG | 0o644) << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, path.read_bytes())
    return out.getvalue()


def private_folder() -> tempfile.TemporaryDirectory:
    """A folder only this process's user can read (mkdtemp makes it 0700), removed when done."""
    return tempfile.TemporaryDirectory(prefix="coursepack-")
