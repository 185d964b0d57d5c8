"""Question quality and guessability. Pure: no Flask, no database.

Questions are the dicts frozen in a quiz version (`Question.snapshot()`): type, critical,
tags, content {lang: {...}} and the key (`answer`).

**Per question** (`question_warnings`), in each language:
- the key is *clearly the longest* option: the length of an option is the number of
  characters of its text with the surrounding white space stripped; the right option (the one
  giving 100%) is clearly the longest when it is longer than every other option by at least
  `CLEARLY_LONGER` (20%) of the longest of them. Learners learn quickly that "the long one is
  right". (`key_is_longest` is the plain "strictly longer than every other option".)
- an "all of the above" / "none of the above" option (English, French, Arabic wording);
- two options with the same text (case, spacing and Arabic diacritics ignored), or an option
  with fewer than two letters or digits;
- fewer than 3 options (true/false excepted: it has two by nature);
- a language where the question has fewer written options than another language.

**Per quiz** (`pass_probability`): the chance that a guesser passes, from the quiz's real draw
(draw_count, draw_per_tag, min_critical), pass mark and critical rule (a critical question
must score 100%). Two guessers:
Each type names how a guesser meets it (`guess_kind` in quizzes/types/): single, multiple,
true/false, or none (an open answer, which a guess never gets right).
- *random*: single choice, scenario and true/false: one option at random, each equally
  likely; multiple response: one of the non-empty sets of options at random, each equally likely.
- *longest*: single choice and scenario: the longest option, ties broken at random;
  multiple response: ticks as many options as the question has right options (credit above 0),
  the longest ones, ties at the cut broken at random (the strongest form of the strategy: a
  learner who can guess how many are right); true/false has no option text, so it guesses at random.
Each guess is independent of the others, so for one drawn set of questions the pass
probability is exact (a convolution of the item score distributions). Over the draw it is
exact for a number drawn (with or without a critical minimum: a dynamic programme over the
bank, since the chance of a set depends only on its size and how many critical questions it
holds) and for draws per tag whose tags share no question (one independent draw per tag); when a
question carries two drawn tags, a seeded simulation of the draw (`SIMULATED_DRAWS` draws, each
scored exactly), whose standard error is given.
"""

from __future__ import annotations

import math
import random
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import combinations

from quizzes.registry import get_type
from quizzes.scoring import EPSILON, clamp, is_full_marks
from quizzes.types.base import GUESS_MULTIPLE, GUESS_SINGLE, GUESS_TWO_WAY

CLEARLY_LONGER = 0.20     # the key beats every other option by 20% of the runner-up's length
MIN_OPTIONS = 3
MIN_SIGNS = 2             # letters or digits an option needs not to be "near-empty"
GUESS_WARNING = 0.05      # a guesser who passes more often than this is worth a warning
SIMULATED_DRAWS = 1500       # about 1 s a guesser and language for a 20-question draw; error shown
SEED = 13

GUESSERS = ("random", "longest")


def N_(message: str) -> str:
    """Marks a message for the catalogues; the page translates it when it shows it."""
    return message


MESSAGES = {
    "key_longest": N_("%(lang)s: the right answer is clearly the longest option (%(key)s characters, the next "
                      "longest %(other)s); learners learn that the long one is right."),
    "above": N_("%(lang)s: “%(option)s” (all or none of the above) tests reading, not knowledge: "
                "write the options out."),
    "duplicate": N_("%(lang)s: two options say the same thing: “%(option)s”."),
    "near_empty": N_("%(lang)s: an option is (nearly) empty: “%(option)s”."),
    "few_options": N_("Only %(n)s options: a guesser is right once in %(n)s. Add plausible wrong answers."),
    "languages_differ": N_("%(lang)s has %(n)s written options, %(other_lang)s has %(other_n)s: "
                           "translate every option."),
}

# "All of the above" and friends, lower case, white space collapsed, Arabic diacritics removed.
ABOVE_RE = re.compile(
    r"\b(all|none|both|neither) of (the|these) (above|options|answers)\b|\ball the above\b"
    r"|\b(toutes|aucune|tous|aucun) (les réponses |des réponses |les propositions |des propositions |de ces réponses"
    r"|ces réponses |les options |des options )?(ci-dessus|précédentes|précédents|mentionnées)\b"
    r"|\btout ce qui précède\b|\b(aucune|toutes) de ces (réponses|propositions)\b|\bles deux réponses\b"
    r"|(كل|جميع|لا شيء|ولا واحد|لا شىء|ولا أي)\s*(من\s*)?(ما|مما)\s*(سبق|ذكر|تقدم)"
    r"|(كل|جميع|لا شيء من|ولا)\s*(الإجابات|الاجابات|الخيارات)\s*(السابقة|أعلاه|اعلاه)")
_ARABIC_MARKS = re.compile("[\u064b-\u065f\u0670\u0640]")


@dataclass(frozen=True)
class QualityWarning:
    code: str            # a key of MESSAGES
    lang: str | None
    params: dict = field(default_factory=dict)

    @property
    def message(self) -> str:
        """The untranslated message; `values` fills its placeholders (after translation, on a page)."""
        return MESSAGES[self.code]

    @property
    def values(self) -> dict:
        return {"lang": self.lang or "", **self.params}

    @property
    def text(self) -> str:
        return self.message % self.values


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "").casefold()
    return " ".join(_ARABIC_MARKS.sub("", text).split())


def option_length(text: str | None) -> int:
    """The length used everywhere: characters of the option text, white space around it stripped."""
    return len((text or "").strip())


def _kind(question: dict) -> str | None:
    """How a guesser meets the question: the type's guess_kind (None: nothing to pick from)."""
    return get_type(question["type"]).guess_kind


def _weights(question: dict) -> dict[str, float]:
    return {k: float(w) for k, w in (question.get("answer") or {}).get("weights", {}).items()}


def _options(question: dict, lang: str) -> list[dict]:
    return [o for o in ((question.get("content") or {}).get(lang) or {}).get("options", [])]


def _languages(question: dict) -> list[str]:
    return [lang for lang, c in (question.get("content") or {}).items() if c and (c.get("text") or "").strip()]


def _right_id(question: dict) -> str | None:
    weights = _weights(question)
    right = [k for k, w in weights.items() if is_full_marks(w)]
    return right[0] if len(right) == 1 else None


def key_lengths(question: dict, lang: str) -> tuple[int, int] | None:
    """(length of the right option, length of the longest other option) in `lang`, for single choice."""
    if _kind(question) != GUESS_SINGLE:
        return None
    right = _right_id(question)
    options = [o for o in _options(question, lang) if (o.get("text") or "").strip()]
    if right is None or len(options) < 2 or right not in {o["id"] for o in options}:
        return None
    key = next(option_length(o["text"]) for o in options if o["id"] == right)
    other = max(option_length(o["text"]) for o in options if o["id"] != right)
    return key, other


def key_is_longest(question: dict, lang: str) -> bool:
    """The right option is strictly longer than every other option (single choice and scenario)."""
    lengths = key_lengths(question, lang)
    return lengths is not None and lengths[0] > lengths[1]


def key_is_clearly_longest(question: dict, lang: str) -> bool:
    lengths = key_lengths(question, lang)
    return lengths is not None and lengths[0] > lengths[1] * (1 + CLEARLY_LONGER)


def question_warnings(question: dict) -> list[QualityWarning]:
    """Everything worth a trainer's second look in one question, in every language it is written in."""
    warnings: list[QualityWarning] = []
    if _kind(question) not in (GUESS_SINGLE, GUESS_MULTIPLE):  # no options written by the author
        return warnings
    languages = _languages(question)
    ids = list(_weights(question))
    if 0 < len(ids) < MIN_OPTIONS:
        warnings.append(QualityWarning("few_options", None, {"n": len(ids)}))
    written = {lang: [o for o in _options(question, lang) if (o.get("text") or "").strip()] for lang in languages}
    for lang in languages:
        options = written[lang]
        if key_is_clearly_longest(question, lang):
            key, other = key_lengths(question, lang)
            warnings.append(QualityWarning("key_longest", lang, {"key": key, "other": other}))
        seen: set[str] = set()
        for option in _options(question, lang):
            text = (option.get("text") or "").strip()
            plain = normalise(text)
            if option in options and ABOVE_RE.search(plain):
                warnings.append(QualityWarning("above", lang, {"option": text}))
            if option in options and sum(ch.isalnum() for ch in text) < MIN_SIGNS:
                warnings.append(QualityWarning("near_empty", lang, {"option": text}))
            if plain and plain in seen:
                warnings.append(QualityWarning("duplicate", lang, {"option": text}))
            seen.add(plain)
    counts = {lang: len(options) for lang, options in written.items()}
    if counts and len(set(counts.values())) > 1:
        most = max(counts, key=lambda lang: counts[lang])
        for lang, n in counts.items():
            if n < counts[most]:
                warnings.append(QualityWarning("languages_differ", lang,
                                               {"n": n, "other_lang": most, "other_n": counts[most]}))
    return warnings


# -- guessers ------------------------------------------------------------------------------------

Distribution = dict[float, float]  # item score -> probability


def _add(dist: Distribution, score: float, p: float) -> None:
    score = round(clamp(score), 9)
    dist[score] = dist.get(score, 0.0) + p


def _single_dist(weights: dict[str, float], chosen: list[tuple[str, float]]) -> Distribution:
    dist: Distribution = {}
    for option_id, p in chosen:
        _add(dist, weights.get(option_id, 0.0), p)
    return dist


def _subsets_dist(weights: dict[str, float], subsets: list[tuple[str, ...]]) -> Distribution:
    dist: Distribution = {}
    for subset in subsets:
        _add(dist, sum(weights.get(o, 0.0) for o in subset), 1 / len(subsets))
    return dist


def guess_distribution(question: dict, lang: str, guesser: str) -> Distribution:
    """The distribution of the item score of one guess at `question` written in `lang`."""
    kind = _kind(question)
    if kind == GUESS_TWO_WAY:
        return {1.0: 0.5, 0.0: 0.5}
    if kind is None:  # an open answer (a number, a word): a guess earns nothing
        return {0.0: 1.0}
    weights = _weights(question)
    options = [o for o in _options(question, lang) if o["id"] in weights] or \
              [{"id": k, "text": ""} for k in weights]
    ids = [o["id"] for o in options]
    if not ids:
        return {0.0: 1.0}
    if kind == GUESS_SINGLE:
        if guesser == "random":
            return _single_dist(weights, [(i, 1 / len(ids)) for i in ids])
        longest = max(option_length(o["text"]) for o in options)
        ties = [o["id"] for o in options if option_length(o["text"]) == longest]
        return _single_dist(weights, [(i, 1 / len(ties)) for i in ties])
    if guesser == "random":
        subsets = [s for size in range(1, len(ids) + 1) for s in combinations(ids, size)]
        return _subsets_dist(weights, subsets)
    wanted = max(1, sum(1 for w in weights.values() if w > EPSILON))
    by_length = sorted(options, key=lambda o: -option_length(o["text"]))
    cut = option_length(by_length[wanted - 1]["text"])
    sure = [o["id"] for o in options if option_length(o["text"]) > cut]
    tied = [o["id"] for o in options if option_length(o["text"]) == cut]
    return _subsets_dist(weights, [tuple(sure) + rest for rest in combinations(tied, wanted - len(sure))])


# -- pass probability ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Guessability:
    guesser: str
    lang: str
    probability: float
    method: str               # exact | simulation
    error: float = 0.0        # standard error of a simulation

    @property
    def is_warning(self) -> bool:
        return self.probability > GUESS_WARNING


def _item(question: dict, lang: str, guesser: str) -> tuple[bool, Distribution]:
    """(critical, distribution) where a critical item keeps only its full-marks outcome (else: fail)."""
    dist = guess_distribution(question, lang, guesser)
    if question.get("critical"):
        dist = {s: p for s, p in dist.items() if is_full_marks(s)}
    return bool(question.get("critical")), dist


def _pass_points(n: int, pass_mark: float) -> float:
    """The fewest points out of `n` that pass: scoring.grade's `percent + EPSILON >= pass_mark`."""
    return pass_mark * n / 100.0 - EPSILON * n / 100.0 - 1e-9


def set_pass_probability(items: Iterable[tuple[bool, Distribution]], pass_mark: float) -> float:
    """The exact chance that a guesser passes one given set of questions."""
    items = list(items)
    if not items:
        return 0.0
    sums: Distribution = {0.0: 1.0}
    for _critical, dist in items:
        new: Distribution = {}
        for total, p in sums.items():
            for score, q in dist.items():
                key = round(total + score, 9)
                new[key] = new.get(key, 0.0) + p * q
        sums = new
    need = _pass_points(len(items), pass_mark)
    return sum(p for total, p in sums.items() if total >= need)


def draw_size(settings: dict, pool_size: int) -> int:
    count = settings.get("draw_count") or 0
    return count if 0 < count < pool_size else pool_size


def _set_sums(items: list[tuple[bool, Distribution]], k: int, minimum: int = 0) -> Distribution:
    """The distribution of points over every k-question set the draw can make, weighted by P(set),
    by a dynamic programme (mass lost on a critical question's wrong answers is a fail).

    P(set) depends only on how many critical questions c it holds: 1 / C(N, k) with no minimum;
    with a minimum m (m critical chosen first from the C critical ones, then k - m from the rest of
    the bank) C(c, m) / (C(C, m) C(N - m, k - m)), the number of ways the set can arise.
    """
    total_critical = sum(1 for critical, _ in items if critical)
    n = len(items)
    # state[(chosen, critical chosen)] = {points: summed probability of the sets' outcomes}; the
    # critical count only matters with a minimum, so without one it stays 0 and the state stays small.
    state: dict[tuple[int, int], Distribution] = {(0, 0): {0.0: 1.0}}
    for critical, dist in items:
        new = {key: dict(value) for key, value in state.items()}
        step = int(critical) if minimum else 0
        for (chosen, crit), sums in state.items():
            if chosen == k:
                continue
            target = new.setdefault((chosen + 1, crit + step), {})
            for total, p in sums.items():
                for score, q in dist.items():
                    key = round(total + score, 9)
                    target[key] = target.get(key, 0.0) + p * q
        state = new
    result: Distribution = {}
    for (chosen, crit), sums in state.items():
        if chosen != k or crit < minimum:
            continue
        if minimum:
            weight = math.comb(crit, minimum) / (math.comb(total_critical, minimum) * math.comb(n - minimum, k - minimum))
        else:
            weight = 1 / math.comb(n, k)
        for total, p in sums.items():
            result[total] = result.get(total, 0.0) + weight * p
    return result


def _convolve(left: Distribution, right: Distribution) -> Distribution:
    out: Distribution = {}
    for a, p in left.items():
        for b, q in right.items():
            key = round(a + b, 9)
            out[key] = out.get(key, 0.0) + p * q
    return out


def _passing(sums: Distribution, k: int, pass_mark: float) -> float:
    need = _pass_points(k, pass_mark)
    return sum(p for total, p in sums.items() if total >= need)


def _tag_groups(questions: list[dict], per_tag: dict) -> list[tuple[list[int], int]] | None:
    """(question indexes, count) per drawn tag, or None when a question carries two drawn tags (the
    draw then depends on the order of the tags, and is simulated)."""
    groups = []
    seen: set[int] = set()
    for tag, count in sorted(per_tag.items()):
        members = [i for i, q in enumerate(questions) if tag in (q.get("tags") or [])]
        if seen & set(members):
            return None
        seen.update(members)
        groups.append((members, min(count, len(members))))
    return groups


def draw_sets(questions: list[dict], settings: dict, rng: random.Random) -> list[dict]:
    """One draw, as quizzes.attempts.draw makes it (order aside): the questions of one attempt."""
    pool = list(questions)
    per_tag = settings.get("draw_per_tag") or {}
    if per_tag:
        chosen, taken = [], set()
        for tag, count in sorted(per_tag.items()):
            candidates = [i for i, q in enumerate(pool) if tag in (q.get("tags") or []) and i not in taken]
            picked = rng.sample(candidates, min(count, len(candidates)))
            taken.update(picked)
            chosen.extend(picked)
        return [pool[i] for i in chosen]
    k = draw_size(settings, len(pool))
    minimum = min(settings.get("min_critical") or 0, k)
    critical = [i for i, q in enumerate(pool) if q.get("critical")]
    first = rng.sample(critical, min(minimum, len(critical)))
    rest = rng.sample([i for i in range(len(pool)) if i not in first], k - len(first))
    return [pool[i] for i in first + rest]


def pass_probability(questions: list[dict], settings: dict, *, lang: str, guesser: str,
                     simulate: bool = False, draws: int = SIMULATED_DRAWS, seed: int = SEED) -> Guessability:
    """The chance that `guesser` passes an attempt at a quiz with this pool and these settings, in `lang`."""
    if not questions:
        return Guessability(guesser, lang, 0.0, "exact")
    pass_mark = float(settings.get("pass_mark", 80))
    items = [_item(q, lang, guesser) for q in questions]
    per_tag = settings.get("draw_per_tag") or {}
    groups = _tag_groups(questions, per_tag) if per_tag else None
    if simulate or (per_tag and groups is None):
        rng = random.Random(seed)  # noqa: S311 (a seeded simulation must repeat; nothing secret)
        index = {id(q): i for i, q in enumerate(questions)}
        results = [set_pass_probability((items[index[id(q)]] for q in draw_sets(questions, settings, rng)), pass_mark)
                   for _ in range(draws)]
        mean = sum(results) / draws
        spread = math.sqrt(sum((r - mean) ** 2 for r in results) / max(1, draws - 1) / draws)
        return Guessability(guesser, lang, mean, "simulation", spread)
    if groups is not None:
        # Disjoint tags: each tag's questions are an independent uniform draw; add up the groups.
        sums: Distribution = {0.0: 1.0}
        for members, count in groups:
            sums = _convolve(sums, _set_sums([items[i] for i in members], count))
        size = sum(count for _, count in groups)
        return Guessability(guesser, lang, _passing(sums, size, pass_mark) if size else 0.0, "exact")
    k = draw_size(settings, len(questions))
    # As the draw does: never more critical questions than the bank holds.
    minimum = min(settings.get("min_critical") or 0, k, sum(1 for critical, _ in items if critical))
    return Guessability(guesser, lang, _passing(_set_sums(items, k, minimum), k, pass_mark), "exact")


def guessability(questions: list[dict], settings: dict, languages: Iterable[str]) -> list[Guessability]:
    """Both guessers in each language."""
    return [pass_probability(questions, settings, lang=lang, guesser=guesser)
            for lang in languages for guesser in GUESSERS]


def min_critical_in_draws(questions: list[dict], settings: dict) -> int:
    """The fewest critical questions any possible draw holds.

    Exact for a number drawn; for draws per tag, the draw that takes non-critical questions first in
    each tag (exact when no question carries two of the drawn tags).
    """
    per_tag = settings.get("draw_per_tag") or {}
    critical = sum(1 for q in questions if q.get("critical"))
    if per_tag:
        # Worst case per tag in order: take non-critical candidates first.
        taken: set[int] = set()
        found = 0
        for tag, count in sorted(per_tag.items()):
            candidates = sorted((i for i, q in enumerate(questions) if tag in (q.get("tags") or []) and i not in taken),
                                key=lambda i: bool(questions[i].get("critical")))
            picked = candidates[:count]
            taken.update(picked)
            found += sum(1 for i in picked if questions[i].get("critical"))
        return found
    k = draw_size(settings, len(questions))
    by_chance = max(0, k - (len(questions) - critical))  # the draw cannot avoid them all
    return max(by_chance, min(settings.get("min_critical") or 0, critical, k))
