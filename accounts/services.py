"""Domain verbs for people, missions and access. They add and flush; views commit."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, or_, select, update

from accounts import sessions
from accounts.models import MISSION_SCOPED_ROLES, Deployment, Mission, PasswordReset, Role, RoleGrant, Unit, User
from accounts.passwords import hash_password, verify_password
from audit.services import record
from core import languages
from database import utcnow
from extensions import db


class AccountError(ValueError):
    """A request that breaks a rule; the message is safe to show."""


def find_user_for_sign_in(identifier: str) -> User | None:
    identifier = identifier.strip()
    if not identifier:
        return None
    return db.session.scalar(
        select(User).where(or_(func.lower(User.email) == identifier.lower(),
                               User.service_number == identifier.upper()))
    )


def authenticate(identifier: str, password: str) -> User | None:
    """The active user with these credentials, or None. Same cost whether or not they exist."""
    user = find_user_for_sign_in(identifier)
    ok = verify_password(user.password_hash if user else None, password)
    if user is None or not ok or not user.is_active:
        return None
    return user


def sign_in(user: User, *, remember: bool, address: str, method: str = "password") -> str:
    """Start a sign-in session (accounts.sessions), whichever way the person proved who they are."""
    token = sessions.start_session(user, remember=remember, address=address)
    void_reset_links(user)  # a person who got in no longer needs a link someone else may hold
    record("sign_in", actor=user, target=f"user:{user.id}", **({} if method == "password" else {"method": method}))
    return token


def record_failed_sign_in(identifier: str) -> None:
    record("sign_in_failed", target="", identifier=identifier[:80])


def record_mail_failure(user: User, purpose: str) -> None:
    record("mail_failed", target=f"user:{user.id}", purpose=purpose)


def sign_out(user: User) -> None:
    sessions.end_session(user.session_token)
    record("sign_out", actor=user, target=f"user:{user.id}")


def N_(message: str) -> str:
    """Marks a message for the catalogues; the view translates it when it shows it."""
    return message


def change_password(user: User, current: str, new: str) -> None:
    if not verify_password(user.password_hash, current):
        raise AccountError(N_("The current password is wrong."))
    set_password(user, new, actor=user, must_change=False)


def set_password(user: User, new: str, *, actor: User, must_change: bool) -> None:
    user.password_hash = hash_password(new)
    user.must_change_password = must_change
    void_reset_links(user)
    # Every other browser signed in as this person is signed out.
    keep = user.session_token if actor.id == user.id else None
    sessions.end_all_sessions(user, keep_token=keep)
    record("password_set" if actor.id != user.id else "password_changed", actor=actor,
           target=f"user:{user.id}", must_change=must_change)
    db.session.flush()


def void_reset_links(user: User) -> None:
    """Every reset link of this person still waiting stops working (accounts.reset)."""
    db.session.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None), PasswordReset.voided_at.is_(None))
        .values(voided_at=utcnow())
    )


def set_active(user: User, active: bool, *, actor: User) -> None:
    if user.id == actor.id and not active:
        raise AccountError("You cannot deactivate your own account.")
    user.is_active = active
    user.deactivated_at = None if active else utcnow()
    if not active:
        sessions.end_all_sessions(user)
    record("user_reactivated" if active else "user_deactivated", actor=actor, target=f"user:{user.id}")
    db.session.flush()


def grant_role(user: User, role: str, *, actor: User, mission: Mission | None = None) -> RoleGrant:
    if role not in {r.value for r in Role} or role == Role.LEARNER.value:
        raise AccountError("Unknown role.")
    if (role in MISSION_SCOPED_ROLES) != (mission is not None):
        raise AccountError("A mission lead or mission trainer needs a mission; other roles take none.")
    mission_id = mission.id if mission else None
    existing = db.session.scalar(select(RoleGrant).filter_by(user_id=user.id, role=role, mission_id=mission_id))
    if existing:
        return existing
    grant = RoleGrant(user_id=user.id, role=role, mission_id=mission_id, granted_by_id=actor.id)
    db.session.add(grant)
    user.role_grants.append(grant)
    record("role_granted", actor=actor, target=f"user:{user.id}", role=role,
           mission=mission.code if mission else None)
    db.session.flush()
    return grant


def revoke_role(grant: RoleGrant, *, actor: User) -> None:
    if grant.user_id == actor.id and grant.role == Role.ADMIN.value:
        raise AccountError("You cannot remove your own admin role.")
    record("role_revoked", actor=actor, target=f"user:{grant.user_id}", role=grant.role,
           mission=grant.mission.code if grant.mission else None)
    grant.user.role_grants.remove(grant)
    db.session.delete(grant)
    db.session.flush()


def deploy(user: User, mission: Mission, unit: Unit | None, arrival_on: date, *, actor: User | None) -> Deployment:
    """Move a person to a mission. The open deployment is closed the day before; history stays."""
    if unit is not None and unit.mission_id != mission.id:
        raise AccountError("That unit belongs to another mission.")
    current = user.current_deployment(arrival_on)
    if current and current.mission_id == mission.id and current.unit_id == (unit.id if unit else None):
        return current
    for open_deployment in [d for d in user.deployments if d.departure_on is None or d.departure_on >= arrival_on]:
        if open_deployment.arrival_on >= arrival_on:
            raise AccountError("The new arrival date must be after the current deployment's arrival.")
        open_deployment.departure_on = arrival_on - timedelta(days=1)
    deployment = Deployment(user=user, mission=mission, unit=unit, arrival_on=arrival_on)
    db.session.add(deployment)
    record("deployed", actor=actor, target=f"user:{user.id}", mission=mission.code,
           unit=unit.code if unit else None, arrival_on=arrival_on.isoformat())
    db.session.flush()
    return deployment


def update_profile(user: User, *, name: str, name_arabic: str | None, preferred_language: str,
                   email: str | None) -> list[str]:
    """The person's own details. Returns the names of the fields that changed (audited, values not logged)."""
    if preferred_language not in languages.codes():
        raise AccountError(N_("Choose one of the languages listed."))
    values = {"name": name, "name_arabic": name_arabic or None, "preferred_language": preferred_language,
              "email": email or None}
    changed = [key for key, value in values.items() if getattr(user, key) != value]
    for key in changed:
        setattr(user, key, values[key])
    if changed:
        record("profile_changed", actor=user, target=f"user:{user.id}", fields=",".join(changed))
        db.session.flush()
    return changed


def keep_language(user: User, language: str) -> None:
    """The footer switch's "keep this language": saved to the profile (certificates use it)."""
    if language in languages.codes() and user.preferred_language != language:
        user.preferred_language = language
        record("profile_changed", actor=user, target=f"user:{user.id}", fields="preferred_language")
        db.session.flush()


def current_deployments(on: date):
    """Subquery: each person's current deployment on `on` (at most one row per person)."""
    ranked = (
        select(Deployment.id, Deployment.user_id, Deployment.mission_id, Deployment.unit_id, Deployment.arrival_on,
               func.row_number().over(partition_by=Deployment.user_id,
                                      order_by=(Deployment.arrival_on.desc(), Deployment.id.desc())).label("rank"))
        .where(Deployment.current_clause(on))
        .subquery("ranked_deployments")
    )
    return select(ranked.c.id, ranked.c.user_id, ranked.c.mission_id, ranked.c.unit_id, ranked.c.arrival_on) \
        .where(ranked.c.rank == 1).subquery("current_deployments")
