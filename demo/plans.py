"""How far a made-up peacekeeper got with a course: the one recipe behind the demo's history and
the benchmark's generated data, so both look like the field (pure, no Flask, no database).

People study in their first weeks, many before they arrive; most finish before the due date,
some stall half-way, some never start; a few hold a certificate from an earlier tour, which may
have expired; a fifth fail a module's quiz once before passing it.
"""

from __future__ import annotations

import calendar
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

VALIDITY_DAYS = 36 * 30 + 15  # about 36 months, only to place old certificates either side of expiry
RENEWAL_WINDOW_DAYS = 60


@dataclass
class ModuleStep:
    index: int                      # position of the module in the course (0-based)
    passed_at: datetime | None      # None: studied (some lessons), quiz not passed yet
    failed_at: list[datetime] = field(default_factory=list)  # failed attempts before (or without) a pass
    lessons_seen: float = 1.0       # share of the module's lessons viewed


@dataclass
class Plan:
    steps: list[ModuleStep]
    old_certificate_at: datetime | None = None  # issued on an earlier tour (cycle 0)

    def completed(self) -> list[ModuleStep]:
        return [s for s in self.steps if s.passed_at is not None]

    def finished_at(self, modules: int) -> datetime | None:
        done = self.completed()
        return max(s.passed_at for s in done) if len(done) == modules else None


def add_months(moment: datetime, months: int) -> datetime:
    """Same calendar rule as certificates.services.add_months (kept here so this module stays pure)."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


def _moment(rng: random.Random, day: date, now: datetime) -> datetime:
    moment = datetime.combine(day, time(8), timezone.utc) + timedelta(minutes=rng.randint(0, 600))
    return min(moment, now - timedelta(minutes=1))


def plan_progress(rng: random.Random, arrival: date, due_days: int, modules: int, now: datetime) -> Plan:
    """A believable course history for someone who arrived on `arrival`."""
    today = now.date()
    plan = Plan(steps=[])
    if rng.random() < 0.07:  # a certificate from an earlier tour: some still valid, some expired
        plan.old_certificate_at = _moment(rng, today - timedelta(days=rng.randint(VALIDITY_DAYS - 240,
                                                                                  VALIDITY_DAYS + 300)), now)
        renewal_opens = add_months(plan.old_certificate_at, 36) - timedelta(days=RENEWAL_WINDOW_DAYS)
        if renewal_opens > now:
            return plan  # still covered: nothing to redo yet
    start = arrival - timedelta(days=rng.randint(0, 25))  # pre-deployment training at home
    if plan.old_certificate_at is not None:  # renewing: a course finished before its window opens renews nothing
        start = max(start, renewal_opens.date() + timedelta(days=1))
    if start >= today:
        return plan
    days_in = (today - arrival).days
    # The longer someone has been in the mission, the likelier they finished; never everyone.
    finished = rng.random() < min(0.82, max(0.05, (days_in + 15) / (due_days + 45)))
    done = modules if finished else rng.choice([0, 0, 0, 1, 2, 3, 4, 5, 6, 7][:modules])
    last_day = min(today, arrival + timedelta(days=max(1, due_days + rng.randint(-25, 10))))
    span = max(0, (last_day - start).days)
    days = sorted(start + timedelta(days=rng.randint(0, span)) for _ in range(done))
    for index, day in enumerate(days):
        passed_at = _moment(rng, day, now)
        failed = [passed_at - timedelta(minutes=rng.randint(20, 600))] if rng.random() < 0.2 else []
        plan.steps.append(ModuleStep(index, passed_at, failed))
    if done < modules and rng.random() < 0.6:  # studying the next module, maybe failed its quiz
        day = start + timedelta(days=rng.randint(0, span))
        failed = [_moment(rng, day, now)] if rng.random() < 0.35 else []
        plan.steps.append(ModuleStep(done, None, failed, lessons_seen=rng.choice([0.34, 0.5, 0.67, 1.0])))
    return plan
