"""People, missions, units, deployments, role grants and sign-in sessions."""

from __future__ import annotations

import enum
from datetime import date, datetime
from functools import cache

from flask_login import UserMixin
from sqlalchemy import (
    DDL,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    bindparam,
    event,
    func,
    or_,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, object_session, relationship
from sqlalchemy.orm.attributes import set_committed_value

from core.reads import labelled, read, tracked_from
from core.roles import ROLES, Role
from database import TimestampMixin, utcnow
from extensions import db


class MissionKind(enum.StrEnum):
    PEACEKEEPING = "peacekeeping"
    POLITICAL = "political"
    PEACEBUILDING = "peacebuilding"


class Category(enum.StrEnum):
    MILITARY = "military"
    POLICE = "police"
    CIVILIAN = "civilian"


MISSION_KINDS = tuple(k.value for k in MissionKind)
CATEGORIES = tuple(c.value for c in Category)
# Roles granted for one mission at a time (RoleGrant.mission_id is set exactly for these).
MISSION_SCOPED_ROLES = (Role.MISSION_LEAD.value, Role.MISSION_TRAINER.value)


class Mission(TimestampMixin, db.Model):
    __tablename__ = "missions"
    __table_args__ = (CheckConstraint(f"kind IN {MISSION_KINDS}", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    country: Mapped[str] = mapped_column(String(100))
    languages: Mapped[str] = mapped_column(String(40), default="en")  # comma-separated codes
    is_active: Mapped[bool] = mapped_column(default=True)

    units: Mapped[list[Unit]] = relationship(back_populates="mission", order_by="Unit.code")

    @property
    def language_list(self) -> list[str]:
        return [code for code in self.languages.split(",") if code]

    def __repr__(self) -> str:
        return f"<Mission {self.code}>"


class Unit(TimestampMixin, db.Model):
    __tablename__ = "units"
    __table_args__ = (UniqueConstraint("mission_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_id: Mapped[int] = mapped_column(ForeignKey("missions.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))

    mission: Mapped[Mission] = relationship(back_populates="units")

    def __repr__(self) -> str:
        return f"<Unit {self.code}>"


class User(UserMixin, TimestampMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(f"category IN {CATEGORIES}", name="category"),
        # No CHECK on preferred_language: the languages are a setting (core.languages), not schema,
        # so a fourth one must work without a migration. Every write checks the code against the
        # app's languages (accounts.services, activation, roster); a stored code that is no longer
        # configured is harmless (pages and PDFs fall back to the default language).
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    service_number: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))  # as printed on certificates, Latin script
    name_arabic: Mapped[str | None] = mapped_column(String(200))  # optional, for Arabic certificates
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    category: Mapped[str] = mapped_column(String(20))
    rank: Mapped[str] = mapped_column(String(60), default="")
    preferred_language: Mapped[str] = mapped_column(String(5), default="en")  # a code from core.languages
    password_hash: Mapped[str | None] = mapped_column(String(255))
    must_change_password: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)  # read by Flask-Login
    deactivated_at: Mapped[datetime | None]

    deployments: Mapped[list[Deployment]] = relationship(
        back_populates="user", order_by=lambda: (Deployment.arrival_on.desc(), Deployment.id.desc())
    )
    role_grants: Mapped[list[RoleGrant]] = relationship(
        back_populates="user", cascade="all, delete-orphan", foreign_keys="RoleGrant.user_id"
    )

    # Flask-Login stores get_id() in the session and remember cookie. It is the sign-in
    # session's token, not the user id, so ending that session makes every copy of the
    # cookie worthless. accounts.sessions sets it on load and on sign-in.
    session_token = None  # str | None, set per request; not a column

    # The sign-in lookup (accounts.sessions) reads the person's grants as (role, mission id) pairs
    # in its one statement, instead of loading RoleGrant objects on every request. They answer
    # the role questions below until role_grants itself is loaded (an admin page, a grant added
    # or removed: see _forget_read_grants), which then answers instead.
    read_grants = None  # tuple[tuple[str, int | None], ...] | None; not a column

    def get_id(self) -> str | None:
        return self.session_token

    @property
    def is_authenticated(self) -> bool:
        # Flask-Login's UserMixin reads is_active, a column. A commit expires every object, and the
        # security headers ask after the view: reading the column again loaded the person anew in
        # a second transaction (on SQLite a second write lock) on every form post. The value as
        # last loaded answers; the session lookup lets only active people in.
        return bool(self.__dict__.get("is_active", True))

    def _grant_pairs(self):
        if self.read_grants is not None and "role_grants" not in self.__dict__:
            return self.read_grants
        return [(grant.role, grant.mission_id) for grant in self.role_grants]

    def roles(self) -> set[str]:
        return {Role.LEARNER.value} | {role for role, _ in self._grant_pairs()}

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles() & set(roles))

    def lead_mission_ids(self) -> set[int]:
        return {mission for role, mission in self._grant_pairs() if role == Role.MISSION_LEAD.value and mission}

    def trainer_mission_ids(self) -> set[int]:
        return {mission for role, mission in self._grant_pairs() if role == Role.MISSION_TRAINER.value and mission}

    def current_deployment(self, on: date | None = None) -> Deployment | None:
        on = on or date.today()
        for deployment in self._deployments():  # newest arrival first
            if deployment.is_current(on):
                return deployment
        return None

    def _deployments(self) -> list[Deployment]:
        session = object_session(self)
        if "deployments" not in self.__dict__ and session is db.session() and not (session.new or session.dirty):
            # My training, the course page and home ask for the current deployment on every
            # visit: the person's few deployments and their missions come as plain rows made
            # tracked objects (core.reads.tracked), the same list the relationship would load,
            # at a third of the cost. With changes pending, the relationship loads as usual.
            set_committed_value(self, "deployments", _deployments_of(self.id))
        return self.deployments

    def __repr__(self) -> str:
        return f"<User {self.service_number}>"


# Sign-in (accounts.services.find_user_for_sign_in), reset links, single sign-on and the roster
# import find people by e-mail whatever its case, as lower(email): without an index on that
# expression every sign-in read the whole table (SQLite's plan said SCAN users; 0.4 ms at 3,400
# people, growing with them). With it, the service-number-or-e-mail lookup is two index searches.
Index("ix_users_email_lower", func.lower(User.email))


def _deployments_of(user_id: int) -> list[Deployment]:
    deployments = []
    for row in read(_deployments_statement(), {"user_id": user_id}):
        deployment = tracked_from(Deployment, row._mapping, "deployment_")
        if "mission" not in deployment.__dict__:  # as the relationship's joined load gives it
            set_committed_value(deployment, "mission", tracked_from(Mission, row._mapping, "mission_"))
        deployments.append(deployment)
    return deployments


@cache
def _deployments_statement():
    # What User.deployments loads (with Deployment.mission joined), in the relationship's order.
    return (select(*labelled(Deployment, "deployment_"), *labelled(Mission, "mission_"))
            .join(Mission, Mission.id == Deployment.mission_id)
            .where(Deployment.user_id == bindparam("user_id"))
            .order_by(Deployment.arrival_on.desc(), Deployment.id.desc()))


@event.listens_for(User.role_grants, "append")
@event.listens_for(User.role_grants, "remove")
@event.listens_for(User.role_grants, "bulk_replace")
def _forget_read_grants(user: User, *_args) -> None:
    # A grant added or taken away in this request: the pairs read at sign-in check are stale.
    user.read_grants = None


class Deployment(TimestampMixin, db.Model):
    """A person's stay in a mission. Rotation adds a row and closes the old one; none is deleted."""

    __tablename__ = "deployments"
    __table_args__ = (
        CheckConstraint("departure_on IS NULL OR departure_on >= arrival_on", name="dates_in_order"),
        Index("ix_deployments_mission_current", "mission_id", "departure_on", "arrival_on"),
        # Reports (readiness.report_sql): a mission's people in user order, and "has this person
        # a later open deployment?", both answered from the index alone.
        Index("ix_deployments_mission_user", "mission_id", "user_id", "departure_on", "arrival_on", "unit_id"),
        Index("ix_deployments_user_open", "user_id", "departure_on", "arrival_on", "mission_id", "unit_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    mission_id: Mapped[int] = mapped_column(ForeignKey("missions.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    arrival_on: Mapped[date]
    departure_on: Mapped[date | None]

    user: Mapped[User] = relationship(back_populates="deployments")
    # Joined: whoever reads a person's deployment reads its mission (My training, the course page).
    mission: Mapped[Mission] = relationship(lazy="joined", innerjoin=True)
    unit: Mapped[Unit | None] = relationship()

    def is_current(self, on: date) -> bool:
        return self.departure_on is None or self.departure_on >= on

    @staticmethod
    def current_clause(on: date):
        """SQL condition for 'this deployment is the one a person counts in on `on`'."""
        return or_(Deployment.departure_on.is_(None), Deployment.departure_on >= on)


# PostgreSQL keeps no statistics for an expression, so it guessed that a third of the deployments
# are open on a given day (readiness.report_sql.is_open) when nine in ten are: the HQ view was
# planned for 40,000 people instead of 96,000, with 96,000 index lookups where one hash join does.
# Statistics on the expression itself (PostgreSQL 14+) fix the estimate; ANALYZE (autovacuum) keeps
# them current. Created with the table here and by migration speeddash_a; no other engine has them.
DEPLOYMENTS_OPEN_UNTIL_STATISTICS = (
    "CREATE STATISTICS IF NOT EXISTS deployments_open_until "
    "ON (COALESCE(departure_on, DATE '9999-12-31')) FROM deployments")
event.listen(Deployment.__table__, "after_create",
             DDL(DEPLOYMENTS_OPEN_UNTIL_STATISTICS).execute_if(dialect="postgresql"))


class RoleGrant(TimestampMixin, db.Model):
    __tablename__ = "role_grants"
    __table_args__ = (
        UniqueConstraint("user_id", "role", "mission_id"),
        CheckConstraint(f"role IN {ROLES}", name="role"),
        CheckConstraint(f"(role IN {MISSION_SCOPED_ROLES}) = (mission_id IS NOT NULL)", name="scope_only_for_mission_roles"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    mission_id: Mapped[int | None] = mapped_column(ForeignKey("missions.id"))
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    user: Mapped[User] = relationship(back_populates="role_grants", foreign_keys=[user_id])
    mission: Mapped[Mission | None] = relationship()


class SignInSession(db.Model):
    """A signed-in browser. Signing out, changing the password or deactivation ends it for good."""

    __tablename__ = "sign_in_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    address: Mapped[str] = mapped_column(String(64), default="")


class PasswordReset(db.Model):
    """A one-time link sent by e-mail. Only the token's hash is kept; it dies after an hour, once
    used, or when the person signs in or their password changes (accounts.reset.void_links)."""

    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    voided_at: Mapped[datetime | None]
    address: Mapped[str] = mapped_column(String(64), default="")


class ExternalIdentity(TimestampMixin, db.Model):
    """A person's identity at an OpenID provider (issuer x subject), linked only to someone
    already on the roster (accounts.sso). One identity per person and provider."""

    __tablename__ = "external_identities"
    __table_args__ = (
        UniqueConstraint("provider", "subject"),
        UniqueConstraint("user_id", "provider"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))  # indexed by the (user_id, provider) key
    provider: Mapped[str] = mapped_column(String(255))  # the issuer URL
    subject: Mapped[str] = mapped_column(String(255))
    last_used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class ActivationCode(db.Model):
    """A one-time code that lets a person on the roster choose their password (accounts.activation).

    Only a keyed hash of the code is kept. Issuing a new code voids the person's live one; the
    partial unique index makes two concurrent issues for one person fail instead of leaving two.
    """

    __tablename__ = "activation_codes"
    __table_args__ = (
        Index("uq_activation_codes_one_live", "user_id", unique=True,
              sqlite_where=db.text("used_at IS NULL AND voided_at IS NULL"),
              postgresql_where=db.text("used_at IS NULL AND voided_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    voided_at: Mapped[datetime | None]
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
