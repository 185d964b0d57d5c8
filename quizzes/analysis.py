"""Item analysis of a quiz version, computed with SQL aggregates.

- facility index: the mean item score (share of full marks), 0..1;
- discrimination index: the correlation between the item score and the rest of the attempt
  (the attempt's points without this item), so an item is not correlated with itself;
- option counts: how often each option was chosen.

Items are flagged when the facility is below 0.2 (nearly everyone fails: a wrong key or an
unclear text?) or above 0.95 (it tells nothing apart), or when the discrimination is negative
(stronger learners get it wrong more often than weaker ones).
"""

from __future__ import annotations

import math

from sqlalchemy import and_, case, func, select, true

from extensions import db
from quizzes import quality
from quizzes.models import Answer, Attempt, QuizVersion
from quizzes.registry import get_type
from quizzes.review import localized

LOW_FACILITY, HIGH_FACILITY = 0.2, 0.95


def pearson(n: int, sx: float, sy: float, sxx: float, syy: float, sxy: float) -> float | None:
    """Correlation from sums; None when either side does not vary."""
    if n < 2:
        return None
    denominator = (n * sxx - sx * sx) * (n * syy - sy * sy)
    if denominator <= 1e-12:
        return None
    return (n * sxy - sx * sy) / math.sqrt(denominator)


def _option_counts(version: QuizVersion, submitted) -> dict[int, dict[str, int]]:
    if db.session.get_bind().dialect.name == "postgresql":
        chosen = func.json_array_elements_text(Answer.response).table_valued("value").render_derived()
    else:
        chosen = func.json_each(Answer.response).table_valued("value")  # json_each names its column "value"
    rows = db.session.execute(
        select(Answer.question_id, chosen.c.value, func.count())
        .select_from(Answer).join(Attempt, Attempt.id == Answer.attempt_id).join(chosen, true())
        .where(submitted).group_by(Answer.question_id, chosen.c.value))
    counts: dict[int, dict[str, int]] = {}
    for question_id, option_id, count in rows:
        counts.setdefault(question_id, {})[str(option_id)] = count
    return counts


def analyse(version: QuizVersion, lang: str = "en") -> dict:
    submitted = and_(Attempt.quiz_version_id == version.id, Attempt.submitted_at.is_not(None))
    attempts, passed, mean = db.session.execute(
        select(func.count(Attempt.id), func.coalesce(func.sum(case((Attempt.is_passed.is_(True), 1), else_=0)), 0),
               func.avg(Attempt.score)).where(submitted)).one()
    x = func.coalesce(Answer.score, 0.0)
    y = Attempt.points - x  # the rest of the attempt
    rows = db.session.execute(
        select(Answer.question_id, func.count(Answer.id), func.sum(x), func.sum(y), func.sum(x * x), func.sum(y * y),
               func.sum(x * y))
        .join(Attempt, Attempt.id == Answer.attempt_id).where(submitted).group_by(Answer.question_id)).all()
    sums = {row[0]: row[1:] for row in rows}
    counts = _option_counts(version, submitted)
    items = []
    for question in version.questions:
        qtype = get_type(question["type"])
        n, sx, sy, sxx, syy, sxy = sums.get(question["id"], (0, 0, 0, 0, 0, 0))
        facility = (sx / n) if n else None
        discrimination = pearson(n, float(sx), float(sy), float(sxx), float(syy), float(sxy)) if n else None
        flags = []
        if facility is not None and facility < LOW_FACILITY:
            flags.append("hard")
        if facility is not None and facility > HIGH_FACILITY:
            flags.append("easy")
        if discrimination is not None and discrimination < 0:
            flags.append("negative")
        content = localized(question, lang)
        view = qtype.view(content)
        right = qtype.right_ids(question["answer"])
        chosen = counts.get(question["id"], {})
        options = [{"id": option_id, "text": view.get("options", {}).get(option_id) or option_id, "count": chosen.get(option_id, 0),
                    "is_right": option_id in right}
                   for option_id in qtype.option_ids(question["content"], question["answer"])]
        items.append({"id": question["id"], "key": question["key"], "type": qtype, "critical": question["critical"],
                      "text": qtype.listing(content), "answers": n, "facility": facility, "discrimination": discrimination,
                      "options": options, "flags": flags, "warnings": quality.question_warnings(question)})
    return {"attempts": attempts, "passed": passed, "pass_rate": (passed / attempts) if attempts else None,
            "mean_score": float(mean) if mean is not None else None, "items": items}
