"""Scoring rules. Pure: no Flask, no database; the registry's types and the grader call these.

Every item scores a fraction in [0, 1]. An attempt's score is the mean of its items, in percent.
A critical item that does not score 1 fails the attempt whatever the total.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

EPSILON = 1e-9


def clamp(value: float) -> float:
    return max(0.0, min(1.0, value))


def is_full_marks(score: float) -> bool:
    return score >= 1.0 - EPSILON


def single_choice_score(weights: Mapping[str, float], response: list[str]) -> float:
    """The weight of the one option chosen (1 for the right one; GIFT `~%50%` gives partial credit)."""
    if len(response) != 1:
        return 0.0
    return clamp(float(weights.get(response[0], 0.0)))


def multiple_response_score(weights: Mapping[str, float], response: list[str]) -> float:
    """Sum of the weights of the options chosen, clamped to [0, 1].

    Right options carry positive weights that add up to 1; wrong ones carry zero or negative
    weights, so ticking every box does not earn full marks.
    """
    chosen = set(response)
    return clamp(sum(float(weights.get(option, 0.0)) for option in chosen))


def true_false_score(value: bool, response: list[str]) -> float:
    if len(response) != 1 or response[0] not in {"true", "false"}:
        return 0.0
    return 1.0 if (response[0] == "true") == bool(value) else 0.0


@dataclass(frozen=True)
class ItemScore:
    question_id: int
    score: float
    is_critical: bool

    @property
    def is_right(self) -> bool:
        return is_full_marks(self.score)


@dataclass(frozen=True)
class Grade:
    points: float
    max_points: int
    percent: float
    passed: bool
    critical_failed: bool
    critical_missed: tuple[int, ...]  # ids of the critical questions answered wrong


def grade(items: Iterable[ItemScore], pass_mark: float) -> Grade:
    items = list(items)
    points = sum(clamp(item.score) for item in items)
    percent = round(100.0 * points / len(items), 4) if items else 0.0
    missed = tuple(item.question_id for item in items if item.is_critical and not item.is_right)
    passed = bool(items) and percent + EPSILON >= pass_mark and not missed
    return Grade(points=points, max_points=len(items), percent=percent, passed=passed,
                 critical_failed=bool(missed), critical_missed=missed)
