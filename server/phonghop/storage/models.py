"""ORM models (SQLAlchemy 2). The schema is owned by the Alembic migrations in
``storage/migrations``; a test checks that the migrations produce exactly these tables.

Everything that must run on both SQLite and PostgreSQL sticks to portable types: JSON,
timezone-aware timestamps stored as UTC, strings for enums (checked in the domain).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on SQLite (which keeps no zone) too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class IssuingBody(Base):
    """An office that holds meetings and issues notices (Tỉnh ủy, UBND tỉnh, a Sở...)."""

    __tablename__ = "issuing_bodies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    #: How the body is named inside sentences: "Ban Thường vụ Tỉnh ủy".
    short_name: Mapped[str] = mapped_column(String(300), default="")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("issuing_bodies.id"), nullable=True)
    symbol: Mapped[str] = mapped_column(String(40))
    notice_format: Mapped[str] = mapped_column(String(10))  # "party" | "state"
    place: Mapped[str] = mapped_column(String(120), default="")
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("issuing_bodies.id"))
    username: Mapped[str] = mapped_column(String(80), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    #: Position as printed in lists and notices: "Phó Bí thư Thường trực Tỉnh ủy".
    title: Mapped[str] = mapped_column(String(200), default="")
    #: admin | office | member (see domain.permissions.UserRole).
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str | None] = mapped_column(String(200), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    language: Mapped[str] = mapped_column(String(5), default="vi")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Meeting(Base):
    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("issuing_bodies.id"), index=True)
    title: Mapped[str] = mapped_column(String(500))
    location: Mapped[str] = mapped_column(String(300), default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: draft | scheduled | in_progress | paused | closed | cancelled (domain.meeting).
    state: Mapped[str] = mapped_column(String(20), default="draft")
    classification: Mapped[str] = mapped_column(String(20), default="normal")
    #: Total members of the body that meets: the base of "more than half of all members".
    members_total: Mapped[int | None] = mapped_column(Integer, nullable=True)
    join_code: Mapped[str | None] = mapped_column(String(20), unique=True, nullable=True)
    #: Sequence number of the last event appended to this meeting's log.
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    #: Live state a late joiner needs (current item, presenter page, timer...). Written
    #: in the same transaction as the event that changes it; the snapshot reads it.
    live: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    participants: Mapped[list[Participant]] = relationship(
        back_populates="meeting", order_by="Participant.position", cascade="all, delete-orphan"
    )
    agenda_items: Mapped[list[AgendaItem]] = relationship(
        back_populates="meeting", order_by="AgendaItem.position", cascade="all, delete-orphan"
    )


class Participant(Base):
    """A person's place in one meeting: role, vote right, attendance."""

    __tablename__ = "participants"
    __table_args__ = (UniqueConstraint("meeting_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    full_name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(200), default="")
    #: chair | secretary | delegate | guest (domain.permissions.MeetingRole).
    role: Mapped[str] = mapped_column(String(20))
    voting_member: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Order in official lists (chair first, then deputies, then members).
    position: Mapped[int] = mapped_column(Integer, default=0)
    #: unknown | present | present_online | absent (domain.meeting.Attendance).
    attendance: Mapped[str] = mapped_column(String(20), default="unknown")
    absence_reason: Mapped[str] = mapped_column(String(500), default="")

    meeting: Mapped[Meeting] = relationship(back_populates="participants")


class AgendaItem(Base):
    __tablename__ = "agenda_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    #: One level of sub-items: a sub-item's parent is a top-level item.
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("agenda_items.id", ondelete="CASCADE"), nullable=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(500))
    presenter: Mapped[str] = mapped_column(String(300), default="")
    planned_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: pending | open | done
    state: Mapped[str] = mapped_column(String(20), default="pending")

    meeting: Mapped[Meeting] = relationship(back_populates="agenda_items")


class MeetingEvent(Base):
    """The append-only log of everything that happened in a meeting, numbered per meeting.

    A row is written in the same transaction as the change it describes; tablets resume
    from it with ``hello{last_seq}``. Rows are never updated or deleted.
    """

    __tablename__ = "meeting_events"

    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    type: Mapped[str] = mapped_column(String(60))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: Who may receive it: "all" or a role/participant scope (see realtime.protocol).
    audience: Mapped[str] = mapped_column(String(40), default="all")
    actor_user_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    actor_participant_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuthSession(Base):
    """A signed-in browser: a staff login or a tablet joined to one meeting.

    The cookie carries the session id (signed); the row makes expiry, "sign out
    everywhere" and revoking one tablet possible.
    """

    __tablename__ = "auth_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True, index=True)
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), nullable=True, index=True
    )
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    user_agent: Mapped[str] = mapped_column(String(300), default="")


class AuditEntry(Base):
    """Append-only record of who did what (admin actions, document access...)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_target", "target_type", "target_id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    body_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    actor_user_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    actor_participant_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    action: Mapped[str] = mapped_column(String(60))
    target_type: Mapped[str] = mapped_column(String(40), default="")
    target_id: Mapped[str] = mapped_column(String(60), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    remote_addr: Mapped[str] = mapped_column(String(64), default="")
    note: Mapped[str] = mapped_column(Text, default="")
