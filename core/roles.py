"""The roles a person can hold. In core, so the role decorators (core.permissions) and packages
that know no feature (audit) can name them; accounts stores the grants."""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    LEARNER = "learner"
    TRAINER = "trainer"
    MISSION_LEAD = "mission_lead"
    MISSION_TRAINER = "mission_trainer"  # runs in-person sessions for the people of their missions
    HQ = "hq"
    ADMIN = "admin"


ROLES = tuple(r.value for r in Role)
