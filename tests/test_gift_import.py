"""GIFT into a module's bank and back out: languages matched by id, bad files, the CLI, round trips."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from audit.models import AuditEvent
from extensions import db
from quizzes import gift, services, transfer
from tests import quiz_factories as qf

# Module 3 of the shipped course (found by its number, so renaming the folder breaks nothing).
BANK = next((Path(__file__).resolve().parent.parent / "content").glob("*/03-*/"))


def _text(lang: str) -> str:
    return (BANK / f"questions.{lang}.gift").read_text(encoding="utf-8")


SHIPPED = _text("en").count("\n::m3-")  # the size of the shipped bank


def _bank_shape(module) -> list[tuple]:
    """The bank without the random option ids: what a round trip must keep."""
    shape = []
    for question in services.bank(module.id):
        ids = {}
        for lang_content in question.content.values():
            for option in lang_content.get("options", []):
                ids.setdefault(option["id"], f"o{len(ids)}")
        content = {lang: {k: ([{**o, "id": ids[o["id"]]} for o in v] if k == "options" else v) for k, v in c.items()}
                   for lang, c in question.content.items()}
        answer = {k: ({ids[i]: w for i, w in v.items()} if k == "weights" else v) for k, v in question.answer.items()}
        shape.append((question.key, question.type, question.tags, question.is_critical, content, answer))
    return shape


def test_three_languages_share_one_bank(app, admin):
    module = qf.make_module(languages="en,fr,ar")
    for lang in ("en", "fr", "ar"):
        report = transfer.import_gift(module, _text(lang), lang=lang, actor=admin)
        assert report.imported and not report.errors
    db.session.commit()
    questions = services.bank(module.id)
    assert len(questions) == SHIPPED >= 12
    for question in questions:
        assert set(question.content) == {"en", "fr", "ar"}
        if question.type != "true_false":
            ids = [[o["id"] for o in question.content[lang]["options"]] for lang in ("en", "fr", "ar")]
            assert ids[0] == ids[1] == ids[2]
    parsed, _errors = gift.parse(_text("en"))
    by_key = {q.key: q for q in questions}
    for source in parsed:
        question = by_key[source.title]
        assert question.is_critical == source.critical and question.tags == [source.category]
        assert question.type == (source.meta_type or question.type)
    scenario = next(q for q in questions if q.type == "scenario")
    source = next(p for p in parsed if p.title == scenario.key)
    case, _sep, stem = source.text.rpartition("\n\n")
    assert (scenario.content["en"]["case"], scenario.content["en"]["text"]) == (case, stem)
    assert any(q.is_critical for q in questions)
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "gift_imported")) == 3


def test_importing_the_same_file_again_changes_nothing(app, admin):
    module = qf.make_module()
    transfer.import_gift(module, _text("en"), lang="en", actor=admin)
    before = _bank_shape(module)
    report = transfer.import_gift(module, _text("en"), lang="en", actor=admin)
    assert (len(report.created), len(report.updated), len(report.unchanged)) == (0, 0, SHIPPED)
    assert _bank_shape(module) == before


def test_round_trip_export_imports_back_to_the_same_bank(app, admin):
    source = qf.make_module(languages="en,fr")
    transfer.import_gift(source, _text("en"), lang="en", actor=admin)
    transfer.import_gift(source, _text("fr"), lang="fr", actor=admin)
    qf.multi_question(source, "extra-multi")  # English only: the French file leaves it out
    qf.true_false_question(source, "extra-tf", value=False)
    exported = {lang: transfer.export_gift(source, lang) for lang in ("en", "fr")}

    copy = qf.make_module(languages="en,fr")
    for lang in ("en", "fr"):
        report = transfer.import_gift(copy, exported[lang], lang=lang, actor=admin)
        assert report.imported and not report.errors, report.errors
    assert _bank_shape(copy) == _bank_shape(source)
    assert {lang: transfer.export_gift(copy, lang) for lang in ("en", "fr")} == exported

    again = transfer.import_gift(source, exported["en"], lang="en", actor=admin)
    assert len(again.unchanged) == SHIPPED + 2 and not again.created and not again.updated


MIXED = """$CATEGORY: ok
::good-1::Fine?{=yes ~no}

::bad-1::Essay?{}

::good-2::Also fine?{T}

// type: nonsense
::bad-2::Unknown type?{=a ~b}
"""


def test_a_bad_question_names_its_line_and_nothing_is_imported(app, admin):
    module = qf.make_module()
    report = transfer.import_gift(module, MIXED, lang="en", actor=admin)
    assert not report.imported and report.good == 2
    assert [(e.line, e.title) for e in report.errors] == [(4, "bad-1"), (9, "bad-2")]
    assert "unknown question type 'nonsense'" in str(report.errors[1])
    assert services.bank(module.id) == []


def test_keep_good_imports_the_good_ones(app, admin):
    module = qf.make_module()
    report = transfer.import_gift(module, MIXED, lang="en", actor=admin, keep_good=True)
    assert report.imported and report.created == ["good-1", "good-2"] and len(report.errors) == 2
    assert [q.key for q in services.bank(module.id)] == ["good-1", "good-2"]


def test_a_translation_with_a_different_key_is_refused(app, admin):
    module = qf.make_module()
    transfer.import_gift(module, "::k::Right one?{=a ~b ~c}", lang="en", actor=admin)
    report = transfer.import_gift(module, "::k::La bonne ?{~a =b ~c}", lang="fr", actor=admin)
    assert not report.imported and "differ from the en text" in report.errors[0].message
    report = transfer.import_gift(module, "::k::La bonne ?{=a ~b}", lang="fr", actor=admin)
    assert not report.imported and "different number of options" in report.errors[0].message
    report = transfer.import_gift(module, "::k::Vrai ?{T}", lang="fr", actor=admin)
    assert "single_choice in the bank but a true_false" in report.errors[0].message


def test_duplicate_ids_in_one_file(app, admin):
    module = qf.make_module()
    report = transfer.import_gift(module, "::same::A?{=a ~b}\n\n::same::B?{=a ~b}\n", lang="en", actor=admin)
    assert not report.imported and report.errors[0].line == 3 and "used twice" in report.errors[0].message


def test_questions_without_titles_get_stable_ids(app, admin):
    module = qf.make_module()
    text = "Which is right?{=this ~that}\n\nAnd now?{T}\n"
    first = transfer.import_gift(module, text, lang="en", actor=admin)
    second = transfer.import_gift(module, text, lang="en", actor=admin)
    assert len(first.created) == 2 and second.unchanged == first.created


# -- the command line ----------------------------------------------------------------------------

@pytest.fixture
def module_with_slug(app):
    module = qf.make_module()
    module.slug = "grave-violations"
    db.session.commit()
    return module


def test_cli_imports_and_says_what_it_did(runner, module_with_slug, tmp_path):
    result = runner.invoke(args=["import-gift", str(BANK / "questions.en.gift"), "--module", "grave-violations"])
    assert result.exit_code == 0, result.output
    assert f"{SHIPPED} new, 0 updated, 0 unchanged" in result.output
    result = runner.invoke(args=["import-gift", str(BANK / "questions.fr.gift"), "--module", "grave-violations",
                                 "--lang", "fr"])
    assert result.exit_code == 0 and f"0 new, {SHIPPED} updated" in result.output
    db.session.commit()
    assert all("fr" in q.content for q in services.bank(module_with_slug.id))


def test_cli_refuses_a_bad_file_with_a_one_line_reason(runner, module_with_slug, tmp_path):
    bad = tmp_path / "bad.gift"
    bad.write_text(MIXED, encoding="utf-8")
    result = runner.invoke(args=["import-gift", str(bad), "--module", "grave-violations"])
    assert result.exit_code != 0
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("Error: ") and "line 4 (bad-1)" in last and "nothing imported" in last and "--keep-good" in last
    db.session.commit()
    assert services.bank(module_with_slug.id) == []

    result = runner.invoke(args=["import-gift", str(bad), "--module", "grave-violations", "--keep-good"])
    assert result.exit_code == 0 and "2 new" in result.output and "2 bad question(s) skipped" in result.output


@pytest.mark.parametrize(("args", "reason"), [
    (["missing.gift", "--module", "grave-violations"], "no such file"),
    (["{bank}", "--module", "nope"], "no module with slug 'nope'"),
    (["{bank}", "--module", "grave-violations", "--lang", "de"], "unsupported language"),
])
def test_cli_bad_arguments(runner, module_with_slug, args, reason):
    args = [a.format(bank=BANK / "questions.en.gift") for a in args]
    result = runner.invoke(args=["import-gift", *args])
    assert result.exit_code != 0 and reason in result.output
    db.session.commit()
    assert services.bank(module_with_slug.id) == []


MOODLE_NAMES = (Path(__file__).parent / "fixtures" / "gift" / "moodle-names.gift").read_text(encoding="utf-8")


def _named_shape(module) -> list[tuple]:
    by_key = {q.key: q.name for q in services.bank(module.id)}
    return [(*row, by_key[row[0]]) for row in _bank_shape(module)]


def test_moodle_names_import_export_import_gives_the_same_bank(app, admin):
    module = qf.make_module()
    report = transfer.import_gift(module, MOODLE_NAMES, lang="en", actor=admin)
    assert report.imported and not report.errors and len(report.created) == 6
    bank = {q.name: q for q in services.bank(module.id)}
    assert set(bank) == {"CP-01 Checkpoint", "Grant's Tomb", "L'enfant d'abord — règle 1", "سؤال الحماية الأول",
                         "Same stem, version A", "Same stem, version B"}
    assert bank["Grant's Tomb"].key == gift.question_key("Grant's Tomb", "")
    assert bank["CP-01 Checkpoint"].tags == ["default for cp/checkpoints/night duty"]
    assert bank["CP-01 Checkpoint"].content["en"]["format"] == "html"
    db.session.commit()

    exported = transfer.export_gift(module, "en")
    assert "::Grant's Tomb::" in exported and "::سؤال الحماية الأول::" in exported
    assert "[plain]" not in exported and "[moodle]" not in exported
    again = qf.make_module()
    report = transfer.import_gift(again, exported, lang="en", actor=admin)
    assert report.imported and not report.errors
    assert _named_shape(again) == _named_shape(module)
    # Importing the export over the first bank changes nothing.
    report = transfer.import_gift(module, exported, lang="en", actor=admin)
    assert report.unchanged and not report.created and not report.updated
    # An id changed by an author since wins over the old name, so the file still finds the question.
    bank["Grant's Tomb"].key = "tomb"
    db.session.commit()
    assert "::tomb::" in transfer.export_gift(module, "en")


def test_same_name_or_unnamed_same_stem_is_reported_by_line(app, admin):
    module = qf.make_module()
    text = ("::Grant's Tomb::Who?{=Grant ~Nobody}\n\n::Grant's Tomb::Who else?{=Julia ~Nobody}\n\n"
            "Who may interview a child?{=A specialist ~Anyone}\n\nWho may interview a child?{=A specialist ~Anyone}\n")
    report = transfer.import_gift(module, text, lang="en", actor=admin)
    assert not report.imported
    named, unnamed = gift.question_key("Grant's Tomb", ""), gift.question_key(None, "Who may interview a child?")
    assert [(error.line, error.message) for error in report.errors] == [
        (3, f"the id {named} is used twice in this file (first on line 1)"),
        (7, f"the id {unnamed} is used twice in this file (first on line 5)")]
    assert services.bank(module.id) == []
