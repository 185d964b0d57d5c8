"""Moodle GIFT: parse to plain data and write back. Pure: no Flask, no database.

What is understood (https://docs.moodle.org/en/GIFT_format):

- questions separated by blank lines; `//` comment lines; `$CATEGORY: name` lines;
- `::name::`, any text as Moodle writes it (spaces, apostrophes, any script, up to 255
  characters); the question's id comes from it (`question_key`): a name that is already a valid id
  (`m3-q04`) is the id itself, any other name gives a readable slug plus a short hash of the exact
  name, so the id is stable and two different names never share one;
- `[markdown]` / `[html]` / `[plain]` / `[moodle]` format prefixes on the question text, and on
  answers and feedback too, where they are removed (answers and feedback are plain text here:
  HTML in them goes through nh3 with no tag allowed, so its text is kept and its markup is not);
- multiple choice `{=right ~wrong}` (one `=` makes it single choice), weights `~%50%`, `~%-100%`
  (no `=` at all makes it multiple response, as in Moodle), per-answer feedback after `#`,
  general feedback after `####`;
- true/false `{T}`, `{FALSE}`, `{TRUE#feedback if wrong#feedback if right}`;
- escapes `\\~ \\= \\# \\{ \\} \\:` and `\\n` (a line break), multi-line question text;
- "missing word" questions (text after the answer block) become "before _____ after".

Our own metadata rides in comment lines directly above a question, where GIFT has no place
for it: `// type: scenario`, `// critical`, `// tags: a, b`.

Essay, numerical, matching and short-answer questions are refused with the line they start on.
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

import nh3

FORMATS = ("moodle", "html", "plain", "markdown")
BLANK = "_____"
NAME_MAX = 255  # Moodle's question name column
# The bank's id rule (quizzes.services.KEY_RE): a name that already fits it is kept as the id.
KEY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")
_FORMAT_RE = re.compile(r"^\[(" + "|".join(FORMATS) + r")\]", re.I)
_MOODLE_TOP = {"$course$", "$system$", "$module$", "$cat1$", "top"}

# Escaped characters become private-use placeholders so that structure (::, {, }, ~, =, #)
# can be found with plain string operations, then turn back into the literal characters.
_ESCAPES = {"~": "\ue000", "=": "\ue001", "#": "\ue002", "{": "\ue003", "}": "\ue004", ":": "\ue005",
            "\\": "\ue006", "n": "\ue007"}
_RESTORE = {placeholder: ("\n" if char == "n" else char) for char, placeholder in _ESCAPES.items()}
_ESCAPE_RE = re.compile(r"\\(.)", re.S)
_WEIGHT_RE = re.compile(r"^%(-?\d+(?:\.\d+)?)%")
_TRUE_FALSE_RE = re.compile(r"^(T|F|TRUE|FALSE)\s*(?:#(.*))?$", re.S | re.I)
_META_RE = re.compile(r"^//\s*(type|critical|tags)\b\s*:?\s*(.*)$", re.I)


@dataclass
class GiftAnswer:
    text: str
    weight: float  # a fraction: "=" is 1.0, "~" is 0.0 unless "%w%" says otherwise
    feedback: str = ""
    marker: str = "~"


@dataclass
class GiftQuestion:
    text: str
    line: int = 0
    title: str | None = None
    format: str | None = None
    kind: str = "choice"  # "choice" | "truefalse"
    answers: list[GiftAnswer] = field(default_factory=list)
    truth: bool | None = None
    feedback_wrong: str = ""
    feedback_right: str = ""
    general_feedback: str = ""
    category: str | None = None
    meta_type: str | None = None
    critical: bool = False
    tags: list[str] = field(default_factory=list)


@dataclass
class GiftError:
    line: int
    message: str
    title: str | None = None

    def __str__(self) -> str:
        where = f"line {self.line}" + (f" ({self.title})" if self.title else "")
        return f"{where}: {self.message}"


class _BadQuestion(ValueError):
    pass


def _protect(raw: str) -> str:
    def swap(match: re.Match) -> str:
        char = match.group(1)
        return _ESCAPES.get(char, match.group(0))

    return _ESCAPE_RE.sub(swap, raw)


def _restore(text: str) -> str:
    return "".join(_RESTORE.get(ch, ch) for ch in text)


def _clean(text: str) -> str:
    return _restore(text).strip()


def category_tag(value: str) -> str:
    """`$CATEGORY: $course$/top/Safeguarding/Detention` -> `Safeguarding/Detention`: the whole path
    below Moodle's own top levels, so two sub-categories with the same last name stay apart."""
    parts = [p.strip() for p in value.strip().split("/") if p.strip()]
    while parts and parts[0].lower() in _MOODLE_TOP:
        parts.pop(0)
    return "/".join(parts)


def question_key(title: str | None, text: str) -> str:
    """The bank id of a question: its name if that is already an id, else a slug of the name and
    a hash of the exact name ("Grant's Tomb" -> "grant-s-tomb-5d1c0e"); unnamed, a hash of the text."""
    if title and KEY_RE.match(title):
        return title
    if not title:
        return "q-" + hashlib.sha256(text.encode()).hexdigest()[:10]
    digest = hashlib.sha256(title.encode()).hexdigest()[:6]
    folded = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", folded).strip("-")[:60].strip("-")
    return f"{slug}-{digest}" if slug else f"q-{digest}"


def _plain(text: str) -> str:
    """Answer or feedback text without its format marker; HTML reduced to its text by nh3."""
    match = _FORMAT_RE.match(text)
    if not match:
        return text
    rest = text[match.end():].lstrip()
    if match.group(1).lower() != "html":
        return rest
    spaced = re.sub(r"(?i)<br\s*/?>|</p>|</li>|</div>", "\n", rest)
    return html.unescape(nh3.clean(spaced, tags=set())).strip()


def _blocks(text: str) -> Iterable[tuple[int, list[tuple[int, str]]]]:
    """Yield (first line number, [(line number, line)]) for each blank-line separated block."""
    block: list[tuple[int, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            block.append((number, line))
        elif block:
            yield block[0][0], block
            block = []
    if block:
        yield block[0][0], block


def parse(text: str) -> tuple[list[GiftQuestion], list[GiftError]]:
    """Parse a GIFT file. Returns the good questions and one error per bad one."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    questions: list[GiftQuestion] = []
    errors: list[GiftError] = []
    category: str | None = None
    for _start, block in _blocks(text):
        meta: list[str] = []
        body: list[tuple[int, str]] = []
        for number, line in block:
            stripped = line.strip()
            if stripped.startswith("//"):
                if not body:  # only comments directly above a question carry metadata
                    meta.append(stripped)
                continue
            if stripped.upper().startswith("$CATEGORY:") and not body:
                category = category_tag(stripped.split(":", 1)[1]) or None
                meta = []
                continue
            body.append((number, line))
        if not body:
            continue
        line_no = body[0][0]
        raw = "\n".join(line for _n, line in body).strip()
        title = None
        try:
            question = _parse_question(_protect(raw))
            title = question.title
            question.line = line_no
            question.category = category
            _apply_meta(question, meta)
        except _BadQuestion as error:
            errors.append(GiftError(line_no, str(error), title or _peek_title(raw)))
            continue
        questions.append(question)
    return questions, errors


def _peek_title(raw: str) -> str | None:
    match = re.match(r"^::(.*?)::", _protect(raw), re.S)
    return _clean(match.group(1)) if match else None


def _apply_meta(question: GiftQuestion, meta: list[str]) -> None:
    for line in meta:
        match = _META_RE.match(line)
        if not match:
            continue  # an ordinary comment
        name, value = match.group(1).lower(), match.group(2).strip()
        if name == "type":
            if not value:
                raise _BadQuestion("'// type:' needs a type name")
            question.meta_type = value.lower()
        elif name == "critical":
            question.critical = value.lower() not in {"no", "false", "0"}
        elif name == "tags":
            question.tags.extend(t.strip() for t in value.split(",") if t.strip())


def _parse_question(text: str) -> GiftQuestion:
    title = None
    if text.startswith("::"):
        end = text.find("::", 2)
        if end == -1:
            raise _BadQuestion("the title opened with '::' is not closed with '::'")
        title = _clean(text[2:end]) or None
        if title and len(title) > NAME_MAX:
            raise _BadQuestion(f"the name is longer than {NAME_MAX} characters")
        text = text[end + 2:].lstrip()
    opening = text.find("{")
    if opening == -1:
        raise _BadQuestion("no answer block '{...}' (escape a literal brace as \\{)")
    closing = text.find("}", opening)
    if closing == -1:
        raise _BadQuestion("the answer block '{' is not closed with '}'")
    if text.find("{", opening + 1, closing) != -1:
        raise _BadQuestion("a '{' inside the answer block must be escaped as \\{")
    before, answers, after = text[:opening].strip(), text[opening + 1:closing].strip(), text[closing + 1:].strip()
    if "{" in after or "}" in after:
        raise _BadQuestion("more than one answer block; separate questions with a blank line")
    fmt = None
    match = re.match(r"^\[(\w+)\]", before)
    if match and match.group(1).lower() in FORMATS:
        fmt = match.group(1).lower()
        before = before[match.end():].lstrip()
    stem = f"{before} {BLANK} {after}" if after else before
    question = GiftQuestion(text=_clean(stem), title=title, format=fmt)
    if not question.text:
        raise _BadQuestion("the question has no text")
    if "####" in answers:
        answers, general = answers.split("####", 1)
        question.general_feedback = _plain(_clean(general))
        answers = answers.strip()
    _parse_answers(question, answers)
    return question


def _parse_answers(question: GiftQuestion, answers: str) -> None:
    if not answers:
        raise _BadQuestion("essay questions (an empty answer block) are not supported")
    if answers.startswith("#"):
        raise _BadQuestion("numerical questions are not supported")
    truth = _TRUE_FALSE_RE.match(answers)
    if truth:
        question.kind = "truefalse"
        question.truth = truth.group(1).upper() in {"T", "TRUE"}
        feedback = (truth.group(2) or "").split("#", 1)
        question.feedback_wrong = _plain(_clean(feedback[0]))
        question.feedback_right = _plain(_clean(feedback[1])) if len(feedback) > 1 else ""
        return
    if "->" in answers:
        raise _BadQuestion("matching questions are not supported")
    if "~" not in answers:
        raise _BadQuestion("short-answer questions (only '=' answers) are not supported; "
                           "a choice question needs at least one '~' answer")
    first = min(i for i in (answers.find("~"), answers.find("=")) if i != -1)
    if answers[:first].strip():
        raise _BadQuestion(f"text before the first answer: {_clean(answers[:first])[:40]!r}")
    for match in re.finditer(r"([=~])([^=~]*)", answers[first:]):
        marker, body = match.group(1), match.group(2).strip()
        weight = 1.0 if marker == "=" else 0.0
        found = _WEIGHT_RE.match(body)
        if found:
            weight = float(found.group(1)) / 100
            body = body[found.end():]
            if not -1.0 <= weight <= 1.0:
                raise _BadQuestion(f"weight {found.group(1)}% is outside -100% to 100%")
        answer_text, _sep, feedback = body.partition("#")
        if not _plain(_clean(answer_text)):
            raise _BadQuestion("an answer has no text")
        question.answers.append(GiftAnswer(_plain(_clean(answer_text)), weight, _plain(_clean(feedback)), marker))
    if len(question.answers) < 2:
        raise _BadQuestion("a choice question needs at least two answers")


# -- writing ---------------------------------------------------------------------------------

def escape(text: str) -> str:
    out = text.replace("\\", "\\\\")
    for char in "~=#{}:":
        out = out.replace(char, "\\" + char)
    return out.replace("\r\n", "\n").replace("\n", "\\n")


def _weight(value: float) -> str:
    percent = round(value * 100, 5)
    return f"{int(percent)}" if percent == int(percent) else f"{percent:g}"


def dump_question(question: GiftQuestion) -> str:
    lines = []
    if question.meta_type:
        lines.append(f"// type: {question.meta_type}")
    if question.critical:
        lines.append("// critical")
    if question.tags:
        lines.append("// tags: " + ", ".join(question.tags))
    head = f"::{escape(question.title)}::" if question.title else ""
    if question.format and question.format != "moodle":
        head += f"[{question.format}]"
    head += escape(question.text)
    if question.kind == "truefalse":
        feedback = ""
        if question.feedback_wrong or question.feedback_right:
            feedback = f"#{escape(question.feedback_wrong)}#{escape(question.feedback_right)}"
        general = f"####{escape(question.general_feedback)}" if question.general_feedback else ""
        lines.append(f"{head}{{{'TRUE' if question.truth else 'FALSE'}{feedback}{general}}}")
        return "\n".join(lines)
    lines.append(head + "{")
    for answer in question.answers:
        if answer.marker == "=" and answer.weight == 1.0:
            prefix = "="
        elif answer.weight == 0.0 and answer.marker == "~":
            prefix = "~"
        else:
            prefix = f"{answer.marker}%{_weight(answer.weight)}%"
        feedback = f"#{escape(answer.feedback)}" if answer.feedback else ""
        lines.append(f"{prefix}{escape(answer.text)}{feedback}")
    if question.general_feedback:
        lines.append(f"####{escape(question.general_feedback)}")
    lines.append("}")
    return "\n".join(lines)


def dump(questions: Iterable[GiftQuestion]) -> str:
    """GIFT text for `questions`; a `$CATEGORY:` line wherever the category changes."""
    parts: list[str] = []
    category: str | None = None
    for question in questions:
        if question.category != category:
            category = question.category
            # "$course$/top" is Moodle's top category: it ends the tag of the questions before.
            parts.append(f"$CATEGORY: {category or '$course$/top'}")
        parts.append(dump_question(question))
    return "\n\n".join(parts) + "\n"
