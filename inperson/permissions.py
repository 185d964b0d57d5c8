"""Who may plan, record and read in-person sessions (plain functions for views and templates).

- Admins and trainers: any mission (trainers write and give the courses).
- Mission trainers: the missions of their grants, and only the people deployed there.
- Mission leads: read their missions' sessions; HQ reads every mission's. Neither records.
"""

from __future__ import annotations

from accounts.models import Mission, Role, User
from inperson.models import TrainingSession


def runs_sessions(user: User) -> bool:
    """May plan sessions somewhere (the role decorator of the writing views)."""
    return user.has_role(Role.ADMIN.value, Role.TRAINER.value) or bool(user.trainer_mission_ids())


def reads_sessions(user: User) -> bool:
    return runs_sessions(user) or user.has_role(Role.HQ.value) or bool(user.lead_mission_ids())


def runnable_mission_ids(user: User) -> set[int] | None:
    """Missions where `user` may plan and record sessions; None means every mission."""
    if user.has_role(Role.ADMIN.value, Role.TRAINER.value):
        return None
    return user.trainer_mission_ids()


def readable_mission_ids(user: User) -> set[int] | None:
    """Missions whose sessions `user` may read; None means every mission."""
    if user.has_role(Role.ADMIN.value, Role.TRAINER.value, Role.HQ.value):
        return None
    return user.trainer_mission_ids() | user.lead_mission_ids()


def can_run_in(user: User, mission: Mission | int) -> bool:
    mission_id = mission if isinstance(mission, int) else mission.id
    allowed = runnable_mission_ids(user)
    return allowed is None or mission_id in allowed


def can_record(user: User, session: TrainingSession) -> bool:
    return can_run_in(user, session.mission_id)


def can_read(user: User, session: TrainingSession) -> bool:
    allowed = readable_mission_ids(user)
    return allowed is None or session.mission_id in allowed
