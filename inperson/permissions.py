"""Who may plan, record and read in-person sessions (plain functions for views and templates).

- Admins: every session. Trainers (not tied to a mission) plan sessions in any mission, then read
  and record only the sessions they planned or are named trainers of: a session's attendance and
  scores are its mission's people's records, not every trainer's.
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
    """Missions all of whose sessions `user` may read; None means every mission. (A trainer also
    reads the sessions they ran, wherever: see `ran`.)"""
    if user.has_role(Role.ADMIN.value, Role.HQ.value):
        return None
    return user.trainer_mission_ids() | user.lead_mission_ids()


def ran(user: User, session: TrainingSession) -> bool:
    """`user` planned the session or is one of its trainers."""
    return session.created_by_id == user.id or any(trainer.id == user.id for trainer in session.trainers)


def can_run_in(user: User, mission: Mission | int) -> bool:
    mission_id = mission if isinstance(mission, int) else mission.id
    allowed = runnable_mission_ids(user)
    return allowed is None or mission_id in allowed


def can_record(user: User, session: TrainingSession) -> bool:
    if user.has_role(Role.ADMIN.value) or session.mission_id in user.trainer_mission_ids():
        return True
    return user.has_role(Role.TRAINER.value) and ran(user, session)


def can_read(user: User, session: TrainingSession) -> bool:
    allowed = readable_mission_ids(user)
    return allowed is None or session.mission_id in allowed or (runs_sessions(user) and ran(user, session))
