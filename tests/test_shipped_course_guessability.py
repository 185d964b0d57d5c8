"""The shipped course cannot be passed by guessing, and every attempt tests the safety rules (issue 13).

For each module and each language, with the module's own quiz settings (module.yaml): a learner who
answers at random and one who always picks the longest option each pass at most 5% of attempts; in
at most 40% of the single-choice questions is the key the longest option; every possible draw holds
at least 2 critical questions. The figures come from the product's code (quizzes.quality); a plain
simulation written here, sharing none of it, must agree.
"""

from __future__ import annotations

import itertools
import math
import random

import pytest

from coursepack.cli import SHIPPED_COURSE
from coursepack.files import read_package
from quizzes import gift, quality
from quizzes.registry import get_type, type_for_gift
from quizzes.types.base import GUESS_SINGLE

PACKAGE = read_package(SHIPPED_COURSE)
LANGUAGES = ("en", "fr", "ar")
MAX_PASS = 0.05
MAX_KEY_LONGEST = 0.40
MIN_CRITICAL = 2
SIMULATIONS = 20_000


def bank(module) -> list[dict]:
    """The module's questions as the product stores them (one dict, every language, shared option ids)."""
    questions: dict[str, dict] = {}
    for lang in LANGUAGES:
        parsed, errors = gift.parse(module.gift[lang][1])
        assert errors == [], errors
        for index, item in enumerate(parsed):
            qtype = type_for_gift(item)
            question = questions.setdefault(item.title, {"id": index, "key": item.title, "type": qtype.name,
                                                          "critical": item.critical, "tags": [item.category],
                                                          "content": {}, "answer": {}})
            ids = qtype.option_ids(question["content"], question["answer"]) if question["content"] else None
            question["content"][lang], question["answer"] = qtype.from_gift(item, ids)
    return list(questions.values())


def settings_of(module) -> dict:
    return {"draw_count": module.quiz["draw_count"], "pass_mark": module.quiz["pass_mark"],
            "min_critical": module.quiz.get("min_critical", 0), "draw_per_tag": {}}


# -- a second, plain implementation: simulate whole attempts ------------------------------------

def plain_guess(question: dict, lang: str, guesser: str, rng: random.Random) -> float:
    """One guess at one question, scored by hand."""
    if question["type"] == "true_false":
        return 1.0 if rng.choice([True, False]) == question["answer"]["value"] else 0.0
    weights = question["answer"]["weights"]
    options = question["content"][lang]["options"]
    if question["type"] == "multiple_response":
        if guesser == "random":
            while True:  # a non-empty set, each equally likely
                ticked = [o["id"] for o in options if rng.random() < 0.5]
                if ticked:
                    break
        else:
            how_many = sum(1 for w in weights.values() if w > 0)
            shuffled = rng.sample(options, len(options))  # a random order breaks ties at random
            ticked = [o["id"] for o in sorted(shuffled, key=lambda o: len(o["text"].strip()), reverse=True)[:how_many]]
        return min(1.0, max(0.0, sum(weights[i] for i in ticked)))
    if guesser == "random":
        chosen = rng.choice(options)
    else:
        longest = max(len(o["text"].strip()) for o in options)
        chosen = rng.choice([o for o in options if len(o["text"].strip()) == longest])
    return min(1.0, max(0.0, weights[chosen["id"]]))


def plain_draw(questions: list[dict], settings: dict, rng: random.Random) -> list[dict]:
    k = settings["draw_count"] if 0 < settings["draw_count"] < len(questions) else len(questions)
    critical = [q for q in questions if q["critical"]]
    first = rng.sample(critical, min(settings["min_critical"], len(critical), k))
    rest = [q for q in questions if q not in first]
    return first + rng.sample(rest, k - len(first))


def plain_pass_rate(questions: list[dict], settings: dict, lang: str, guesser: str) -> tuple[float, float]:
    rng = random.Random(f"{lang}-{guesser}")
    passes = 0
    for _ in range(SIMULATIONS):
        drawn = plain_draw(questions, settings, rng)
        scores = [(plain_guess(q, lang, guesser, rng), q["critical"]) for q in drawn]
        percent = 100 * sum(s for s, _ in scores) / len(scores)
        if percent >= settings["pass_mark"] - 1e-9 and all(s == 1.0 for s, critical in scores if critical):
            passes += 1
    rate = passes / SIMULATIONS
    return rate, math.sqrt(max(rate * (1 - rate), 1 / SIMULATIONS) / SIMULATIONS)


def plain_fewest_critical(questions: list[dict], settings: dict) -> int:
    """Enumerate every set the draw can produce and count its critical questions."""
    k = settings["draw_count"] if 0 < settings["draw_count"] < len(questions) else len(questions)
    flags = [q["critical"] for q in questions]
    floor = min(settings["min_critical"], sum(flags), k)
    return min(c for c in (sum(s) for s in itertools.combinations(flags, k)) if c >= floor)


CASES = [(module, lang) for module in PACKAGE.modules for lang in LANGUAGES]


@pytest.mark.parametrize(("module", "lang"), CASES, ids=[f"{m.slug}-{lang}" for m, lang in CASES])
def test_guessers_do_not_pass(module, lang):
    questions, settings = bank(module), settings_of(module)
    figures = {}
    for guesser in quality.GUESSERS:
        product = quality.pass_probability(questions, settings, lang=lang, guesser=guesser)
        plain, error = plain_pass_rate(questions, settings, lang, guesser)
        assert abs(product.probability - plain) <= 4 * error + 0.002, (guesser, product.probability, plain)
        figures[guesser] = product.probability
    assert figures["longest"] <= MAX_PASS and figures["random"] <= MAX_PASS, (
        f"{module.slug} ({lang}): a guesser passes too often: longest option {figures['longest']:.1%}, "
        f"at random {figures['random']:.2%} (at most {MAX_PASS:.0%} each)")


@pytest.mark.parametrize(("module", "lang"), CASES, ids=[f"{m.slug}-{lang}" for m, lang in CASES])
def test_key_is_not_usually_the_longest(module, lang):
    single = [q for q in bank(module) if get_type(q["type"]).guess_kind == GUESS_SINGLE]
    longest = [q["key"] for q in single if quality.key_is_longest(q, lang)]
    by_hand = []
    for q in single:
        right = next(i for i, w in q["answer"]["weights"].items() if w == 1.0)
        lengths = {o["id"]: len(o["text"].strip()) for o in q["content"][lang]["options"]}
        if all(lengths[right] > n for i, n in lengths.items() if i != right):
            by_hand.append(q["key"])
    assert longest == by_hand
    assert len(longest) <= MAX_KEY_LONGEST * len(single), (
        f"{module.slug} ({lang}): the key is the longest option in {len(longest)} of {len(single)} single-choice "
        f"questions (at most {MAX_KEY_LONGEST:.0%}): {', '.join(longest)}")


@pytest.mark.parametrize("module", PACKAGE.modules, ids=lambda m: m.slug)
def test_every_draw_holds_critical_questions(module):
    questions, settings = bank(module), settings_of(module)
    fewest = quality.min_critical_in_draws(questions, settings)
    assert fewest == plain_fewest_critical(questions, settings)
    assert fewest >= MIN_CRITICAL, (
        f"{module.slug}: some draws hold only {fewest} critical question(s) "
        f"({sum(q['critical'] for q in questions)} in the bank, {settings['draw_count']} drawn, "
        f"min_critical {settings['min_critical']}); every draw needs {MIN_CRITICAL}")
