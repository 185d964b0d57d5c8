"""Reading and writing course packages as plain files (no database).

Layout and rules: content/README.md. Reading collects every problem as "file:line: message"
instead of stopping at the first, so a trainer can fix a package in one pass. A translation that
is not written yet is a warning, not a problem: a course authored in the browser declares its
languages before it is translated, and what export writes, import must read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from core import languages as site_languages

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
REVIEW_MODES = ("none", "wrong", "feedback")
REVIEW_WHENS = ("after_each", "after_pass", "after_last")
IMAGES_FOLDER = "images"
# A picture beside its lesson, named by the SHA-256 of its bytes: ![text](images/<sha256>.webp)
IMAGE_LINK = re.compile(r"\]\(" + IMAGES_FOLDER + r"/([^)\s]+)")
# A module folder or lesson stem named in the YAML: one plain name inside the package, never a path
# ("../x" would read files beside the package, which matters once packages are uploaded).
PLAIN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*$")


class ContentError(Exception):
    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class LessonFile:
    stem: str
    title: dict[str, str]
    body: dict[str, str]


@dataclass
class ModulePackage:
    folder: str
    slug: str
    title: dict
    summary: dict
    objectives: dict
    minutes: int
    sources: list
    lessons: list[LessonFile]
    quiz: dict
    gift: dict[str, tuple[str, str]] = field(default_factory=dict)  # lang -> (file path, text)
    images: dict[str, bytes] = field(default_factory=dict)  # file name in images/ -> bytes
    untranslated: bool = False  # a declared language is missing somewhere in the module

    def version_content(self) -> dict:
        return {"title": self.title, "summary": self.summary, "objectives": self.objectives, "minutes": self.minutes,
                "sources": self.sources,
                "lessons": [{"key": lesson.stem, "title": lesson.title, "body": lesson.body} for lesson in self.lessons]}


@dataclass
class CoursePackage:
    root: Path
    code: str
    title: dict
    description: dict
    validity_months: int
    renewal_window_days: int
    default_language: str
    languages: list[str]
    modules: list[ModulePackage]
    warnings: list[str] = field(default_factory=list)


def _load_yaml(path: Path, problems: list[str]) -> dict | None:
    if not path.exists():
        problems.append(f"{path}: file is missing")
        return None
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        problems.append(f"{path}:1: not UTF-8 text")
        return None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        problems.append(f"{path}:{line}: broken YAML: {getattr(error, 'problem', None) or error}")
        return None
    if not isinstance(data, dict):
        problems.append(f"{path}:1: expected a mapping of keys to values")
        return None
    return data


def _key_line(path: Path, key: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith(f"{key}:"):
            return number
    return 1


def _per_language(data: dict, key: str, languages: list[str], path: Path, problems: list[str], *,
                  kind: type = str, warnings: list[str] | None = None) -> dict:
    value = data.get(key)
    where = f"{path}:{_key_line(path, key)}"
    if not isinstance(value, dict):
        problems.append(f"{where}: '{key}' must give one entry per language ({', '.join(languages)})")
        return {}
    for lang in languages:
        if not value.get(lang):
            (problems if warnings is None else warnings).append(f"{where}: '{key}' has no {lang} translation")
        elif not isinstance(value[lang], kind):
            problems.append(f"{where}: '{key}.{lang}' must be a {'list' if kind is list else 'text'}")
    return {lang: value[lang] for lang in languages if value.get(lang)}


def _int(data: dict, key: str, path: Path, problems: list[str], low: int, high: int, default: int | None = None) -> int:
    value = data.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        problems.append(f"{path}:{_key_line(path, key)}: '{key}' must be a whole number from {low} to {high}")
        return default or low
    return value


def read_package(root: Path) -> CoursePackage:
    """Read and check a whole package; raise ContentError listing every problem."""
    problems: list[str] = []
    warnings: list[str] = []
    course_path = root / "course.yaml"
    data = _load_yaml(course_path, problems) or {}
    languages = data.get("languages") or []
    if not isinstance(languages, list) or not languages or any(lang not in site_languages.codes() for lang in languages):
        problems.append(f"{course_path}:{_key_line(course_path, 'languages') if data else 1}: "
                        f"'languages' must list codes from {', '.join(site_languages.codes())}")
        languages = ["en"]
    code = data.get("code")
    if not isinstance(code, str) or not SLUG_RE.match(code or ""):
        problems.append(f"{course_path}:{_key_line(course_path, 'code') if data else 1}: 'code' must be lowercase-with-dashes")
    modules = []
    folders = data.get("modules") or []
    if data and (not isinstance(folders, list) or not folders):
        problems.append(f"{course_path}:{_key_line(course_path, 'modules')}: 'modules' must list the module folders")
        folders = []
    for folder in folders:
        if not PLAIN_NAME.match(str(folder)):
            problems.append(f"{course_path}:{_key_line(course_path, 'modules')}: '{folder}' is not a folder name "
                            f"inside the package (letters, digits, dashes)")
            continue
        module = _read_module(root / str(folder), languages, problems, warnings)
        if module is not None:
            modules.append(module)
    slugs = [m.slug for m in modules]
    for slug in {s for s in slugs if slugs.count(s) > 1}:
        problems.append(f"{course_path}: two modules use the slug '{slug}'")
    package = CoursePackage(
        root=root, code=code, languages=languages, modules=modules, warnings=warnings,
        title=_per_language(data, "title", languages, course_path, problems, warnings=warnings) if data else {},
        description=_per_language(data, "description", languages, course_path, problems,
                                  warnings=warnings) if data else {},
        validity_months=_int(data, "validity_months", course_path, problems, 1, 120, 36) if data else 36,
        renewal_window_days=_int(data, "renewal_window_days", course_path, problems, 0, 365, 60) if data else 60,
        default_language=data.get("default_language", languages[0]),
    )
    if package.default_language not in languages:
        problems.append(f"{course_path}:{_key_line(course_path, 'default_language')}: 'default_language' must be one of 'languages'")
    if problems:
        raise ContentError(problems)
    return package


def _read_module(folder: Path, languages: list[str], problems: list[str],
                 warnings: list[str]) -> ModulePackage | None:
    path = folder / "module.yaml"
    data = _load_yaml(path, problems)
    if data is None:
        return None
    warnings_before = len(warnings)
    slug = data.get("slug")
    if not isinstance(slug, str) or not SLUG_RE.match(slug):
        problems.append(f"{path}:{_key_line(path, 'slug')}: 'slug' must be lowercase-with-dashes")
    lessons = []
    stems = data.get("lessons")
    if stems is None:
        stems = []
    if not isinstance(stems, list):
        problems.append(f"{path}:{_key_line(path, 'lessons')}: 'lessons' must list the lesson files")
        stems = []
    elif not stems:
        warnings.append(f"{path}:{_key_line(path, 'lessons')}: no lessons yet: the module stays a draft")
    images: dict[str, bytes] = {}
    for stem in stems:
        if not PLAIN_NAME.match(str(stem)):
            problems.append(f"{path}:{_key_line(path, 'lessons')}: '{stem}' is not a lesson file name (letters, "
                            f"digits, dashes)")
            continue
        lesson = _read_lesson(folder, str(stem), languages, problems, warnings)
        if lesson is not None:
            lessons.append(lesson)
            _read_images(folder, stem, lesson, images, problems)
    quiz = data.get("quiz") or {}
    if not isinstance(quiz, dict):
        problems.append(f"{path}:{_key_line(path, 'quiz')}: 'quiz' must be a mapping")
        quiz = {}
    quiz_settings = {
        "draw_count": _int(quiz, "draw", path, problems, 0, 100, 0),
        "pass_mark": _int(quiz, "pass_mark", path, problems, 0, 100, 80),
        "review_mode": quiz.get("review", "feedback"),
        "review_when": quiz.get("review_when", "after_pass"),
        "min_critical": _int(quiz, "min_critical", path, problems, 0, 100, 0),
    }
    if quiz_settings["review_mode"] not in REVIEW_MODES or quiz_settings["review_when"] not in REVIEW_WHENS:
        problems.append(f"{path}:{_key_line(path, 'quiz')}: quiz 'review' must be one of {', '.join(REVIEW_MODES)} "
                        f"and 'review_when' one of {', '.join(REVIEW_WHENS)}")
    gift = {}
    for lang in languages:
        gift_path = folder / f"questions.{lang}.gift"
        if gift_path.exists():
            gift[lang] = (str(gift_path), gift_path.read_text(encoding="utf-8"))
        elif any((folder / f"questions.{other}.gift").exists() for other in languages):
            warnings.append(f"{gift_path}: missing translation of the question bank")
    sources = data.get("sources") or []
    module = ModulePackage(
        folder=folder.name, slug=slug or "", lessons=lessons, quiz=quiz_settings, gift=gift, images=images,
        title=_per_language(data, "title", languages, path, problems, warnings=warnings),
        summary=_per_language(data, "summary", languages, path, problems, warnings=warnings),
        objectives=_per_language(data, "objectives", languages, path, problems, kind=list, warnings=warnings),
        minutes=_int(data, "minutes", path, problems, 1, 600, 15),
        sources=[str(s) for s in sources] if isinstance(sources, list) else [],
    )
    module.untranslated = len(warnings) > warnings_before
    return module


def _read_images(folder: Path, stem: str, lesson: LessonFile, images: dict[str, bytes], problems: list[str]) -> None:
    """Every picture a lesson links to as images/<name> must be in the module's images/ folder."""
    for lang, body in lesson.body.items():
        for number, line in enumerate(body.splitlines(), 3):  # after the title line and the blank line
            for name in IMAGE_LINK.findall(line):
                path = folder / IMAGES_FOLDER / name
                if "/" in name or name.startswith(".") or not path.is_file():
                    problems.append(f"{folder / f'{stem}.{lang}.md'}:{number}: the picture {IMAGES_FOLDER}/{name} "
                                    f"is not in {folder / IMAGES_FOLDER}")
                elif name not in images:
                    images[name] = path.read_bytes()


def _read_lesson(folder: Path, stem: str, languages: list[str], problems: list[str],
                 warnings: list[str]) -> LessonFile | None:
    titles, bodies = {}, {}
    missing = []
    for lang in languages:
        path = folder / f"{stem}.{lang}.md"
        if not path.exists():
            missing.append(f"{path}: missing translation of lesson '{stem}'")
            continue
        text = path.read_text(encoding="utf-8")
        first, _, rest = text.partition("\n")
        if not first.startswith("# ") or not first[2:].strip():
            problems.append(f"{path}:1: the first line must be the lesson title, as '# Title'")
            continue
        titles[lang] = first[2:].strip()
        bodies[lang] = rest.lstrip("\n")
    if len(missing) == len(languages):
        problems.append(f"{folder / stem}: lesson '{stem}' has no file in any language ({', '.join(languages)})")
    else:
        warnings.extend(missing)
    return LessonFile(stem=stem, title=titles, body=bodies) if titles else None


# ---- writing -------------------------------------------------------------------------------

class _Dumper(yaml.SafeDumper):
    """Double quotes where quotes are needed: easier to edit than YAML's doubled single quotes."""

    def choose_scalar_style(self):
        style = super().choose_scalar_style()
        return '"' if style == "'" else style

    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)  # indent lists under their key


def _dump_yaml(data: dict) -> str:
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100_000,
                     default_flow_style=False)


def write_package(package: CoursePackage, root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    course = {"code": package.code, "title": package.title, "description": package.description,
              "validity_months": package.validity_months, "renewal_window_days": package.renewal_window_days,
              "default_language": package.default_language, "languages": package.languages,
              "modules": [m.folder for m in package.modules]}
    (root / "course.yaml").write_text(_dump_yaml(course), encoding="utf-8")
    for module in package.modules:
        folder = root / module.folder
        folder.mkdir(exist_ok=True)
        data = {"slug": module.slug, "title": module.title, "summary": module.summary,
                "objectives": module.objectives, "minutes": module.minutes, "sources": module.sources,
                "lessons": [lesson.stem for lesson in module.lessons],
                "quiz": {"draw": module.quiz["draw_count"]}}
        if module.quiz.get("min_critical"):  # only when set, so packages written before it round-trip unchanged
            data["quiz"]["min_critical"] = module.quiz["min_critical"]
        data["quiz"].update({"pass_mark": module.quiz["pass_mark"], "review": module.quiz["review_mode"],
                             "review_when": module.quiz["review_when"]})
        (folder / "module.yaml").write_text(_dump_yaml(data), encoding="utf-8")
        for lesson in module.lessons:
            for lang, title in lesson.title.items():
                (folder / f"{lesson.stem}.{lang}.md").write_text(f"# {title}\n\n{lesson.body.get(lang, '')}",
                                                                 encoding="utf-8")
        for lang, (_path, text) in module.gift.items():
            (folder / f"questions.{lang}.gift").write_text(text, encoding="utf-8")
        if module.images:
            (folder / IMAGES_FOLDER).mkdir(exist_ok=True)
            for name, data in sorted(module.images.items()):
                (folder / IMAGES_FOLDER / name).write_bytes(data)
