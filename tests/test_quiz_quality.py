"""Question quality rules and guessability (quizzes.quality), and the critical minimum of the draw (issue 13)."""

from __future__ import annotations

import itertools
import math
import random
from fractions import Fraction
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from coursepack import importer
from coursepack.cli import SHIPPED_COURSE
from extensions import db
from quizzes import attempts, quality, services, transfer
from quizzes.models import Question, Quiz
from quizzes.services import QuizError
from tests import quiz_factories as qf

# -- pure: quality rules ---------------------------------------------------------------------------


def single(options: dict[str, str] | list[str], right: int = 0, *, critical: bool = False, tags=(),
           langs: dict[str, list[str]] | None = None) -> dict:
    """A single-choice question dict; `langs` gives the option texts per language (default: English only)."""
    texts = langs or {"en": list(options)}
    ids = [f"o{i}" for i in range(len(next(iter(texts.values()))))]
    content = {lang: {"text": f"Question ({lang})?", "options": [{"id": i, "text": t, "feedback": ""}
                                                               for i, t in zip(ids, values, strict=False)]}
               for lang, values in texts.items()}
    return {"id": id(content), "type": "single_choice", "critical": critical, "tags": list(tags), "content": content,
            "answer": {"weights": {i: (1.0 if k == right else 0.0) for k, i in enumerate(ids)}}}


def codes(question: dict) -> list[tuple[str, str | None]]:
    return [(w.code, w.lang) for w in quality.question_warnings(question)]


def test_key_clearly_the_longest_is_flagged_and_a_fair_one_is_not():
    long_key = single(["Hand the child to child protection actors at once", "Detain him", "Let him go"])
    assert codes(long_key) == [("key_longest", "en")]
    warning = quality.question_warnings(long_key)[0]
    assert warning.params == {"key": 49, "other": 10}
    assert "49" in warning.text and "10" in warning.text
    # 20% longer than the runner-up is the line: 12 against 10 is not "clearly", 13 is.
    assert codes(single(["abcdefghijkl", "abcdefghij", "abcdefghi"])) == []
    assert codes(single(["abcdefghijklm", "abcdefghij", "abcdefghi"])) == [("key_longest", "en")]
    assert quality.key_is_longest(single(["abcdefghijkl", "abcdefghij", "abcdefghi"]), "en")
    # Lengths are of the stripped text; a tie is not "the longest".
    assert not quality.key_is_longest(single(["  same size  ", "same size", "other"]), "en")


@pytest.mark.parametrize(("lang", "text"), [
    ("en", "All of the above"), ("en", "None of the above."), ("en", "Both of the above"),
    ("fr", "Toutes les réponses ci-dessus"), ("fr", "Aucune des réponses précédentes"), ("fr", "Tout ce qui précède"),
    ("ar", "كل ما سبق"), ("ar", "لا شيء مما سبق"), ("ar", "جميع ما ذُكر"),
])
def test_all_or_none_of_the_above_in_three_languages(lang, text):
    question = single({}, langs={lang: ["Report it to your commander", "Write it in your notebook", text]})
    assert ("above", lang) in codes(question)


def test_ordinary_options_are_not_all_of_the_above():
    question = single({}, langs={"en": ["Report all of it to the CPA", "Above all, stay calm", "Wait"],
                                 "fr": ["Signaler tout au CPE", "Rester calme", "Attendre"],
                                 "ar": ["أبلغ عن كل شيء", "ابقَ هادئًا", "انتظر"]})
    assert [c for c, _ in codes(question) if c == "above"] == []


def test_duplicate_near_empty_and_too_few_options():
    assert ("duplicate", "en") in codes(single(["Report it", "report  IT", "Wait"]))
    assert ("near_empty", "en") in codes(single(["Report it", "-", "Wait"]))
    assert ("near_empty", "en") not in codes(single(["Age 18", "15", "Wait"]))
    assert ("few_options", None) in codes(single(["Report it", "Wait"]))
    true_false = {"type": "true_false", "critical": False, "content": {"en": {"text": "A child is under 18."}},
                  "answer": {"value": True}}
    assert quality.question_warnings(true_false) == []


def test_languages_with_fewer_written_options():
    question = single({}, langs={"en": ["Report it", "Detain", "Wait"], "fr": ["Signaler", "Détenir", ""]})
    assert ("languages_differ", "fr") in codes(question)
    warning = next(w for w in quality.question_warnings(question) if w.code == "languages_differ")
    assert warning.values == {"lang": "fr", "n": 2, "other_lang": "en", "other_n": 3}


def test_every_message_has_the_placeholders_its_warnings_fill():
    for code, message in quality.MESSAGES.items():
        sample = {"lang": "en", "key": 1, "other": 1, "option": "x", "n": 2, "other_lang": "fr", "other_n": 3}
        assert message % sample, code


# -- pure: guessability, checked by hand ---------------------------------------------------------------

def test_hand_computed_random_guesser():
    """Three 3-option questions, all drawn, pass mark 66%: pass = at least 2 right of 3 (66.67%) at p = 1/3.

    P = 3 (1/3)^2 (2/3) + (1/3)^3 = 6/27 + 1/27 = 7/27. At 67%, 2 of 3 fails: only 3 of 3, 1/27.
    """
    questions = [single(["aaa", "bbb", "ccc"]) for _ in range(3)]
    figure = quality.pass_probability(questions, {"draw_count": 0, "pass_mark": 66}, lang="en", guesser="random")
    assert figure.method == "exact"
    assert figure.probability == pytest.approx(7 / 27, abs=1e-12)
    strict = quality.pass_probability(questions, {"draw_count": 0, "pass_mark": 67}, lang="en", guesser="random")
    assert strict.probability == pytest.approx(1 / 27, abs=1e-12)


def test_hand_computed_longest_guesser_with_a_critical_question():
    """Key longest in q1 (always right), tied with one other in q2 (right half the time), shortest in q3
    (never right). Draw 2 of 3, pass mark 50% (1 of 2 right), q2 critical.

    Sets: {q1,q2}: q2 right (1/2) -> 2 of 2 -> pass; q2 wrong -> critical fails -> 1/2.
          {q1,q3}: 1 of 2 -> pass -> 1.
          {q2,q3}: q2 right (1/2) -> 1 of 2 -> pass -> 1/2.
    P = (1/2 + 1 + 1/2) / 3 = 2/3.
    """
    q1 = single(["the longest one", "short", "tiny"])
    q2 = single(["equal length", "equal length", "tiny"], critical=True)
    q2["content"]["en"]["options"][1]["text"] = "equal-length"  # same length, not a duplicate
    q3 = single(["no", "the longest one", "short"])
    figure = quality.pass_probability([q1, q2, q3], {"draw_count": 2, "pass_mark": 50}, lang="en", guesser="longest")
    assert figure.probability == pytest.approx(2 / 3, abs=1e-12)
    # With one critical question guaranteed, every set holds q2: {q1,q2} 1/2, {q2,q3} 1/2 -> 1/2.
    guaranteed = quality.pass_probability([q1, q2, q3], {"draw_count": 2, "pass_mark": 50, "min_critical": 1},
                                          lang="en", guesser="longest")
    assert guaranteed.probability == pytest.approx(1 / 2, abs=1e-12)


def test_multiple_response_guessers():
    """Weights A 50%, B 50%, C -100%; texts: C longest, then A, then B."""
    question = {"type": "multiple_response", "critical": False, "answer": {"weights": {"a": 0.5, "b": 0.5, "c": -1.0}},
                "content": {"en": {"text": "Which?", "options": [{"id": "a", "text": "medium one"},
                                                                 {"id": "b", "text": "short"},
                                                                 {"id": "c", "text": "the very longest"}]}}}
    # Longest: ticks 2 options (two are right): C and A -> 0.5 - 1 = clamped 0.
    assert quality.guess_distribution(question, "en", "longest") == {0.0: 1.0}
    # Random: the 7 non-empty sets: A .5, B .5, C 0, AB 1, AC 0, BC 0, ABC 0.
    assert quality.guess_distribution(question, "en", "random") == pytest.approx({0.5: 2 / 7, 0.0: 4 / 7, 1.0: 1 / 7})


def brute_force(questions: list[dict], settings: dict, lang: str, guesser: str) -> Fraction:
    """Every draw the procedure can make (critical first, then the rest), every outcome: exact fractions."""
    n, k = len(questions), quality.draw_size(settings, len(questions))
    m = settings.get("min_critical", 0)
    critical = [i for i, q in enumerate(questions) if q["critical"]]
    total = Fraction(0)
    draws = [(first, rest) for first in itertools.combinations(critical, m)
             for rest in itertools.combinations([i for i in range(n) if i not in first], k - m)]
    for first, rest in draws:
        chosen = [questions[i] for i in first + rest]
        dists = [quality.guess_distribution(q, lang, guesser) for q in chosen]
        for outcome in itertools.product(*(list(d.items()) for d in dists)):
            p = math.prod(Fraction(prob).limit_denominator(10_000) for _, prob in outcome)
            scores = [score for score, _ in outcome]
            critical_ok = all(s == 1.0 for s, q in zip(scores, chosen, strict=True) if q["critical"])
            if critical_ok and 100 * sum(scores) / k >= settings["pass_mark"] - 1e-9:
                total += p
    return total / len(draws)


def random_bank(rng: random.Random, n: int, n_critical: int) -> list[dict]:
    questions = []
    for index in range(n):
        texts = ["x" * rng.randint(5, 12) for _ in range(rng.choice([2, 3, 4]))]
        questions.append(single(texts, right=rng.randrange(len(texts)), critical=index < n_critical,
                                tags=[rng.choice(["a", "b"])]))
    return questions


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("minimum", [0, 2])
def test_exact_agrees_with_brute_force_and_with_the_simulation(seed, minimum):
    rng = random.Random(seed)
    questions = random_bank(rng, 7, 3)
    settings = {"draw_count": 4, "pass_mark": 75, "min_critical": minimum}
    for guesser in quality.GUESSERS:
        exact = quality.pass_probability(questions, settings, lang="en", guesser=guesser)
        assert exact.probability == pytest.approx(float(brute_force(questions, settings, "en", guesser)), abs=1e-9)
        simulated = quality.pass_probability(questions, settings, lang="en", guesser=guesser, simulate=True,
                                             draws=6000)
        assert simulated.method == "simulation"
        assert abs(simulated.probability - exact.probability) <= 4 * simulated.error + 1e-9


def test_draws_per_tag_exact_when_tags_are_disjoint_else_simulated_and_seeded():
    questions = random_bank(random.Random(5), 10, 2)
    settings = {"draw_per_tag": {"a": 2, "b": 2}, "pass_mark": 50}
    # Enumerate every per-tag draw: two from tag a, two from tag b, each pair equally likely.
    tag_a = [q for q in questions if "a" in q["tags"]]
    tag_b = [q for q in questions if "b" in q["tags"]]
    enumerated = Fraction(0)
    pairs = list(itertools.product(itertools.combinations(tag_a, 2), itertools.combinations(tag_b, 2)))
    for left, right in pairs:
        items = [quality._item(q, "en", "longest") for q in left + right]
        enumerated += Fraction(quality.set_pass_probability(items, 50))
    enumerated /= len(pairs)
    exact = quality.pass_probability(questions, settings, lang="en", guesser="longest")
    assert exact.method == "exact" and exact.probability == pytest.approx(float(enumerated), abs=1e-12)
    simulated = quality.pass_probability(questions, settings, lang="en", guesser="longest", simulate=True)
    assert abs(simulated.probability - float(enumerated)) <= 4 * simulated.error + 1e-9
    # A question carrying both drawn tags makes the draw depend on the tags' order: simulated, and seeded.
    questions[0]["tags"] = ["a", "b"]
    first = quality.pass_probability(questions, settings, lang="en", guesser="longest")
    again = quality.pass_probability(questions, settings, lang="en", guesser="longest")
    assert first.method == "simulation" and first == again and 0 < first.error < 0.02


def test_fewest_critical_per_draw():
    questions = random_bank(random.Random(7), 10, 3)
    assert quality.min_critical_in_draws(questions, {"draw_count": 5}) == 0
    assert quality.min_critical_in_draws(questions, {"draw_count": 5, "min_critical": 2}) == 2
    assert quality.min_critical_in_draws(questions, {"draw_count": 9}) == 2  # only 7 are not critical
    assert quality.min_critical_in_draws(questions, {"draw_count": 0}) == 3


def test_product_draw_matches_the_probability_model(app):
    """quizzes.attempts.draw and quality.draw_sets follow the same procedure: over many draws the sets
    with c critical questions appear as often as C(c, m) / (C(C, m) C(N - m, k - m)) says."""
    version = type("Version", (), {})()
    pool = [{"id": i, "type": "true_false", "critical": i < 3, "tags": [], "content": {}, "answer": {"value": True}}
            for i in range(6)]
    version.settings, version.questions = {"draw_count": 3, "min_critical": 1, "shuffle_questions": False}, pool
    version.question_map = lambda: {question["id"]: question for question in pool}  # as QuizVersion's, in bank order
    counts: dict[int, int] = {}
    runs = 6000
    for _ in range(runs):
        drawn = attempts.draw(version)
        assert len(drawn) == 3 and len({d["id"] for d in drawn}) == 3
        c = sum(1 for d in drawn if d["id"] < 3)
        assert c >= 1
        counts[c] = counts.get(c, 0) + 1
    for c in (1, 2, 3):
        sets = math.comb(3, c) * math.comb(3, 3 - c)
        expected = sets * math.comb(c, 1) / (math.comb(3, 1) * math.comb(5, 2))
        assert abs(counts.get(c, 0) / runs - expected) < 0.03, (c, counts, expected)


# -- database: settings, draw, versions, GIFT, content packages -------------------------------------

@pytest.fixture
def module(app, trainer):
    module = qf.make_module(owner=trainer)
    for n in range(6):
        qf.choice_question(module, f"q{n}", critical=n < 2)
    qf.make_quiz(module, draw_count=4)
    db.session.commit()
    return module


def test_min_critical_draws_the_critical_questions_every_time(module, trainer):
    quiz = services.quiz_for_module(module.id)
    services.update_settings(quiz, actor=trainer, min_critical=2)
    db.session.commit()
    version = services.current_version(quiz)
    assert version.settings["min_critical"] == 2
    critical = {q.id for q in services.bank(module.id) if q.is_critical}
    for _ in range(40):
        assert critical <= {d["id"] for d in attempts.draw(version)}


@pytest.mark.parametrize(("settings", "message"), [
    ({"min_critical": 3}, "the bank has only 2"),
    ({"min_critical": 2, "draw_count": 1}, "only 1 are drawn"),
    ({"min_critical": 1, "draw_count": 0, "draw_per_tag": {"general": 2}}, "not with a draw per tag"),
])
def test_a_minimum_that_cannot_be_met_is_refused_and_changes_nothing(module, trainer, settings, message):
    quiz = services.quiz_for_module(module.id)
    with pytest.raises(QuizError, match=message):
        services.update_settings(quiz, actor=trainer, **settings)
    db.session.rollback()
    quiz = db.session.get(Quiz, quiz.id)
    assert quiz.min_critical == 0 and quiz.draw_count == 4 and quiz.draw_per_tag == {}


def test_unmarking_or_archiving_a_needed_critical_question_is_refused(client, login, module, trainer):
    quiz = services.quiz_for_module(module.id)
    services.update_settings(quiz, actor=trainer, min_critical=2)
    db.session.commit()
    critical = next(q for q in services.bank(module.id) if q.is_critical)
    with pytest.raises(QuizError, match="the bank has only 1"):
        services.save_question(module, actor=trainer, key=critical.key, type_name=critical.type,
                               content=critical.content, answer=critical.answer, is_critical=False, question=critical)
    db.session.rollback()
    login(client, trainer)
    client.post(f"/quiz/author/questions/{critical.id}/archive", data={})
    page = client.get(f"/quiz/author/module/{module.id}").get_data(as_text=True)
    assert "the bank has only 1" in page
    db.session.expire_all()
    question = db.session.get(Question, critical.id)
    assert question.is_critical and not question.is_archived


def test_quizzes_without_a_minimum_keep_their_fingerprint(module):
    quiz = services.quiz_for_module(module.id)
    assert "min_critical" not in quiz.settings()
    before = services.current_version(quiz)
    db.session.commit()
    assert services.current_version(quiz).id == before.id and not services.has_unfrozen_changes(quiz)


def test_the_tag_critical_is_refused(module, trainer):
    with pytest.raises(QuizError, match="is not a tag"):
        qf.choice_question(module, "q9", tags=("critical",))
    db.session.rollback()
    report = transfer.import_gift(module, "$CATEGORY: critical\n\n::q10::Is it?{=Yes#r ~No#w ~Maybe#w}\n",
                                  lang="en", actor=trainer)
    assert not report.imported and "is not a tag" in report.errors[0].message


def test_gift_import_reports_quality_warnings_and_imports_anyway(module, trainer):
    text = "::g1::What do you do?{=Report it to the child protection adviser at once#r ~Wait#w ~All of the above#w}\n"
    report = transfer.import_gift(module, text, lang="en", actor=trainer)
    assert report.imported and report.created == ["g1"]
    assert {(key, w.code) for key, w in report.warnings} == {("g1", "key_longest"), ("g1", "above")}


def test_cli_import_prints_warnings(app, module, runner, tmp_path):
    path = tmp_path / "bank.gift"
    path.write_text("::g2::Which?{=Yes#r ~No#w}\n", encoding="utf-8")
    result = runner.invoke(args=["import-gift", str(path), "--module", module.slug])
    assert result.exit_code == 0, result.output
    assert "warning: g2: Only 2 options" in result.output
    assert db.session.scalar(select(Question).where(Question.key == "g2")) is not None


def _package_with_minimum(tmp_path: Path, minimum: int) -> Path:
    import shutil

    root = tmp_path / "pack"
    shutil.copytree(SHIPPED_COURSE, root)
    folder = next(root.glob("05-*"))
    data = (folder / "module.yaml").read_text(encoding="utf-8")
    assert "  min_critical: 2\n" in data  # every shipped module asks for 2 (issue 13)
    (folder / "module.yaml").write_text(data.replace("  min_critical: 2\n", f"  min_critical: {minimum}\n"),
                                        encoding="utf-8")
    first = next(root.glob("01-*")) / "module.yaml"  # and one module asks for none
    first.write_text(first.read_text(encoding="utf-8").replace("  min_critical: 2\n", ""), encoding="utf-8")
    return root


def test_content_package_min_critical_imports_and_round_trips(app, tmp_path):
    root = _package_with_minimum(tmp_path, 3)
    importer.import_content(root)
    db.session.commit()
    quizzes = {q.module_id: q.min_critical for q in db.session.scalars(select(Quiz))}
    assert sorted(quizzes.values()) == [0] + [2] * 6 + [3]
    out = tmp_path / "out"
    importer.export_content("cp-peace-ops", out)
    for path in root.rglob("*"):
        if path.is_file():
            assert (out / path.relative_to(root)).read_bytes() == path.read_bytes(), path
    written = yaml.safe_load(next(out.glob("05-*/module.yaml")).read_text(encoding="utf-8"))
    assert written["quiz"]["min_critical"] == 3
    assert "min_critical" not in next(out.glob("01-*/module.yaml")).read_text(encoding="utf-8")


def test_content_package_minimum_above_the_bank_is_refused(app, tmp_path):
    from coursepack.files import ContentError

    root = _package_with_minimum(tmp_path, 9)
    with pytest.raises(ContentError, match=r"05-meeting-children/module\.yaml: quiz: .*bank has only"):
        importer.import_content(root)
    db.session.rollback()


# -- screens ---------------------------------------------------------------------------------------

def test_bank_settings_and_analysis_show_warnings_and_both_guessers(client, login, module, trainer):
    qf.choice_question(module, "weak", n_options=2)
    quiz = services.quiz_for_module(module.id)
    quiz.pass_mark = 25  # 1 of 4 right passes: a guesser passes often
    db.session.commit()
    login(client, trainer)
    page = client.get(f"/quiz/author/module/{module.id}").get_data(as_text=True)
    assert "Only 2 options" in page and "Can a guesser pass?" in page
    weak = db.session.scalar(select(Question).where(Question.key == "weak"))
    assert "Only 2 options" in client.get(f"/quiz/author/questions/{weak.id}").get_data(as_text=True)
    assert "a learner who answers at random passes" in page and "always picks the longest option passes" in page
    settings = client.get(f"/quiz/author/module/{module.id}/settings").get_data(as_text=True)
    assert "At least this many critical questions in every attempt" in settings and "Guessing at random" in settings
    analysis = client.get(f"/quiz/author/module/{module.id}/analysis").get_data(as_text=True)
    assert "Guessing at random" in analysis and "Always the longest option" in analysis
    # Once a version is frozen, the analysis shows that version's figures, next to its pass mark.
    services.current_version(quiz)
    quiz.pass_mark = 100
    db.session.commit()
    analysis = client.get(f"/quiz/author/module/{module.id}/analysis").get_data(as_text=True)
    assert "Submitted attempts" in analysis and "25%" in analysis and "a learner who answers at random passes" in analysis
    # Translated first, then filled in (and the option text escaped).
    trainer.preferred_language = "fr"
    db.session.commit()
    french = client.get(f"/quiz/author/module/{module.id}").get_data(as_text=True)
    assert "Peut-on réussir en devinant" in french and "Seulement 2 options" in french


def test_settings_form_saves_min_critical_and_refuses_the_impossible(client, login, module, trainer):
    login(client, trainer)
    data = {"draw_count": "4", "min_critical": "2", "pass_mark": "80", "cooldown_minutes": "0",
            "review_mode": "feedback", "review_when": "after_each", "layout": "one_per_page"}
    assert client.post(f"/quiz/author/module/{module.id}/settings", data=data).status_code == 302
    assert db.session.get(Quiz, services.quiz_for_module(module.id).id).min_critical == 2
    page = client.post(f"/quiz/author/module/{module.id}/settings", data={**data, "min_critical": "5"})
    assert page.status_code == 200 and "the bank has only 2" in page.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Quiz, services.quiz_for_module(module.id).id).min_critical == 2
