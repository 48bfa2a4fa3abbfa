"""ORM models (SQLAlchemy 2). The schema is owned by the Alembic migrations in
``storage/migrations``; a test checks that the migrations produce exactly these tables.

Everything that must run on both SQLite and PostgreSQL sticks to portable types: JSON,
timezone-aware timestamps stored as UTC, strings for enums (checked in the domain).
"""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from phonghop import clock

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return clock.now()


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
    #: The unit (đơn vị) the user works in: unit staff upload its drafts and report its tasks.
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="SET NULL"), nullable=True)
    #: Where notifications are also mailed, when an SMTP server is configured ("" for none).
    email: Mapped[str] = mapped_column(String(200), default="", server_default="")
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


def new_personal_code() -> str:
    """Eight characters read aloud without confusion (no 0/O, 1/I): 40 random bits."""
    return "".join(secrets.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(8))


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
    #: Rights a substitute may lack (services.invitations): seeing the documents, speaking.
    can_read: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    can_speak: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    #: The personal code printed on this person's invitation (giấy mời), which proves who
    #: holds a tablet (services.identity); None for a participant who must use an account.
    personal_code: Mapped[str | None] = mapped_column(String(20), nullable=True, default=new_personal_code)
    #: How many devices may be live for this person at once (the office may allow two).
    devices_allowed: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

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
    #: Who may receive it: "all" or a role/participant scope (see phonghop.events).
    audience: Mapped[str] = mapped_column(Text, default="all")
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
    #: A tablet that chose a name without proof waits here until the secretary confirms it.
    pending: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: The public name of this device in the console (the id itself is the token's hash).
    device_id: Mapped[str] = mapped_column(String(16), default="", server_default="")
    #: How the holder proved who they are: account | personal_code | confirmed | "" (staff).
    proof: Mapped[str] = mapped_column(String(20), default="", server_default="")
    address: Mapped[str] = mapped_column(String(64), default="", server_default="")


class DisplayLink(Base):
    """A room display's link (màn hình phòng họp): a projector opens the meeting read-only
    with it, without signing in. Only the token's hash is kept; the link works until it is
    revoked or the meeting ends (services.displays)."""

    __tablename__ = "display_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_by_name: Mapped[str] = mapped_column(String(200), default="")
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


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


# -- documents


class Document(Base):
    """A meeting document (tài liệu): what tablets list, with who may see it.

    The PDF itself is in :class:`DocumentVersion`; a new upload adds a version and keeps
    the old ones (annotations stay anchored to the version they were made on).
    """

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    agenda_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("agenda_items.id", ondelete="SET NULL"), nullable=True
    )
    title: Mapped[str] = mapped_column(String(500))
    #: normal | confidential | secret | top_secret (domain.meeting.Classification).
    classification: Mapped[str] = mapped_column(String(20), default="normal")
    #: {"mode": "all" | "named" | "roles", "participant_ids": [...], "roles": [...]}
    access: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    downloadable: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)
    #: The drafting unit (đơn vị soạn thảo): the unit that submitted it, or that the office
    #: named; it answers the comments on the draft.
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="SET NULL"), nullable=True)
    #: submitted | approved | returned | published (domain.review.ReviewState): a unit's
    #: draft waits for the office; only published documents reach the tablets.
    review_state: Mapped[str] = mapped_column(String(20), default="published", server_default="published")
    #: Why the office last returned the draft (kept after a resubmission, for context).
    review_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    reviewed_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    recalled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    recalled_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    versions: Mapped[list[DocumentVersion]] = relationship(
        back_populates="document", order_by="DocumentVersion.number", cascade="all, delete-orphan"
    )


class DocumentVersion(Base):
    """One uploaded PDF of a document, stored by content hash in the blob store."""

    __tablename__ = "document_versions"
    __table_args__ = (UniqueConstraint("document_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    page_count: Mapped[int] = mapped_column(Integer)
    #: [[width, height], ...] in PDF points, rotation applied, one per page.
    pages: Mapped[list[Any]] = mapped_column(JSON)
    filename: Mapped[str] = mapped_column(String(300), default="")
    #: The uploaded file was encrypted with an owner password only (opened with the empty
    #: password): its author restricted printing or copying. Downloads give it as it was.
    restricted: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    document: Mapped[Document] = relationship(back_populates="versions")


class LoginThrottle(Base):
    """Failed sign-ins per account and per address, and the lockout they lead to."""

    __tablename__ = "login_throttles"

    #: "user:<username>" or "addr:<ip>"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_started: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: Lockouts so far: each one lasts twice as long as the one before.
    strikes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class DocumentPage(Base):
    """The text of one page, extracted at upload, for search within a meeting."""

    __tablename__ = "document_pages"

    version_id: Mapped[int] = mapped_column(
        ForeignKey("document_versions.id", ondelete="CASCADE"), primary_key=True
    )
    page: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(Text, default="")


# -- conclusions and notices


class Conclusion(Base):
    """What the meeting concluded on one agenda item (kết luận): the points and a free summary.

    Recorded by the secretary while the meeting runs, corrected by the office afterwards;
    the conclusion notice is drafted from these rows. ``points`` are
    ``[{"text", "chu_tri", "phoi_hop": [...], "deadline": "YYYY-MM-DD" | null}, ...]``.
    """

    __tablename__ = "conclusions"

    agenda_item_id: Mapped[int] = mapped_column(
        ForeignKey("agenda_items.id", ondelete="CASCADE"), primary_key=True
    )
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    summary: Mapped[str] = mapped_column(Text, default="")
    points: Mapped[list[Any]] = mapped_column(JSON, default=list)
    updated_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Notice(Base):
    """A conclusion notice (thông báo kết luận) of an issuing body, drafted from a meeting.

    ``draft`` is the editable :class:`phonghop.domain.notice.NoticeDraft` as JSON. Once
    ``state`` is ``issued`` the row never changes again: it has its number in its
    sequence, and its PDF and DOCX are kept in :class:`NoticeFile`. The unique constraint
    on (body, sequence, number) backs up the numbering counter: a number is never given twice.
    """

    __tablename__ = "notices"
    __table_args__ = (UniqueConstraint("body_id", "sequence_key", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("issuing_bodies.id"), index=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    #: draft | awaiting_signature | signer_signed | issued (see domain.notice_edits)
    state: Mapped[str] = mapped_column(String(20), default="draft")
    #: Who signs in their own session (a draft handed to its signer), until it is issued.
    signer_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True, index=True)
    signer_signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: Why the signer returned the draft to the office ("" when not returned).
    return_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    #: Secret content: a State body numbers it in its own sequence.
    secret: Mapped[bool] = mapped_column(Boolean, default=False)
    draft: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: The trích yếu and the number line, copied from the draft for listing and search.
    summary: Mapped[str] = mapped_column(Text, default="")
    number_label: Mapped[str] = mapped_column(String(120), default="")
    #: What drafting could not put in the notice (e.g. a vote without a base), for the office.
    warnings: Mapped[list[Any]] = mapped_column(JSON, default=list)
    number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    sequence_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    issue_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    issued_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    signed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class NoticeFile(Base):
    """The issued PDF (signed where the body signs) and DOCX of a notice, byte for byte:
    a download months later gives the very file that was issued."""

    __tablename__ = "notice_files"

    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"), primary_key=True)
    #: pdf | docx
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)


class NoticeCounter(Base):
    """The last number given in one sequence of a body ("party:TB/TU:term:2025-10-16",
    "state:TB-UBND:2026"), locked with ``SELECT ... FOR UPDATE`` while a notice is issued."""

    __tablename__ = "notice_counters"

    body_id: Mapped[int] = mapped_column(ForeignKey("issuing_bodies.id"), primary_key=True)
    sequence_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class NoticeImage(Base):
    """An image shown on the body's signed notices, uploaded once: the body's seal
    (``kind`` "seal", ``signer_name`` empty) or a signer's handwritten signature
    (``kind`` "signature", the name as the signature block writes it)."""

    __tablename__ = "notice_images"
    __table_args__ = (UniqueConstraint("body_id", "kind", "signer_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("issuing_bodies.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    signer_name: Mapped[str] = mapped_column(String(200), default="")
    #: The real width the image is drawn at (the seal's real size).
    width_mm: Mapped[float] = mapped_column(Float)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# -- polls and ballots


class Poll(Base):
    """A vote (biểu quyết) of a meeting, usually on one agenda item.

    ``spec`` is the :class:`phonghop.domain.poll.PollSpec` as JSON (see
    ``services.polls.spec_to_json``); ``state`` follows :class:`~phonghop.domain.poll.PollState`.
    ``ballots_cast`` is the live count of voters who have voted; a secret poll also keeps
    here how many of its ballots chose nothing (``blank_ballots``), its per-option counts
    being in :class:`PollTally`. ``members_total`` and ``present_total`` are fixed when the
    poll closes, with the ``result`` they gave.

    How ballots are stored, and why a secret ballot cannot be traced back to its voter
    even by someone reading the database: see ``services/polls.py``.
    """

    __tablename__ = "polls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    agenda_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("agenda_items.id", ondelete="SET NULL"), nullable=True
    )
    title: Mapped[str] = mapped_column(String(500))
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: draft | open | closed | cancelled (domain.poll.PollState).
    state: Mapped[str] = mapped_column(String(20), default="draft")
    ballots_cast: Mapped[int] = mapped_column(Integer, default=0)
    blank_ballots: Mapped[int] = mapped_column(Integer, default=0)
    members_total: Mapped[int | None] = mapped_column(Integer, nullable=True)
    present_total: Mapped[int | None] = mapped_column(Integer, nullable=True)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class PollVoter(Base):
    """The voter roll: who has voted in a poll, open or secret, and nothing about how.

    The primary key is the database's guarantee of one ballot per voter. ``ballot_key``
    is the client's idempotency key of the ballot (a retry with it is acknowledged again,
    not counted again). ``announced``: the ``poll.voted`` event has been sent for it. No
    timestamp, no choice.
    """

    __tablename__ = "poll_voters"

    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"), primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), primary_key=True
    )
    ballot_key: Mapped[str] = mapped_column(String(64))
    announced: Mapped[bool] = mapped_column(Boolean, default=False)


class PollTally(Base):
    """A secret poll's count for one option: the only trace its ballots leave.

    Every ballot updates every row of its poll (adding 1 where chosen, 0 elsewhere), so
    the row versions say nothing about which option a given transaction chose.
    """

    __tablename__ = "poll_tallies"

    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"), primary_key=True)
    option_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    votes: Mapped[int] = mapped_column(Integer, default=0)


class PollBallot(Base):
    """A ballot of an open (named) poll, with its voter: a show of hands is on record.

    ``choices`` are the option ids in the poll's order. ``announced``: the console has been
    sent this ballot (``poll.ballots_recorded``); a changed ballot is sent again.
    """

    __tablename__ = "poll_ballots"

    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"), primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), primary_key=True
    )
    choices: Mapped[list[Any]] = mapped_column(JSON)
    ballot_key: Mapped[str] = mapped_column(String(64))
    cast_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    announced: Mapped[bool] = mapped_column(Boolean, default=False)


# -- annotations


class Annotation(Base):
    """A delegate's mark on one page of one document version (ghi chú): ink, highlight,
    a note written on the page or a comment pinned to it.

    ``client_id`` is made by the tablet, so a save sent again (offline, after a dropped
    connection) updates the same row; the last write wins by the tablet's ``client_updated_at``.
    ``data`` holds page-relative coordinates (0..1 from the top left of the page as
    displayed), colours and text (``services.annotations.clean_data``). ``revision`` is the
    owner's counter (:class:`AnnotationClock`) at the last change: a device syncs with
    "what changed since revision N". A deleted annotation stays as a tombstone so that
    other devices learn of the deletion.
    """

    __tablename__ = "annotations"
    __table_args__ = (
        UniqueConstraint("owner_id", "client_id"),
        Index("ix_annotations_owner_revision", "owner_id", "revision"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64))
    owner_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"))
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    document_version_id: Mapped[int] = mapped_column(
        ForeignKey("document_versions.id", ondelete="CASCADE"), index=True
    )
    page: Mapped[int] = mapped_column(Integer)
    #: ink | highlight | note | comment
    kind: Mapped[str] = mapped_column(String(20))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    shared: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The secretary shows it to everyone who may read the document.
    shown: Mapped[bool] = mapped_column(Boolean, default=False)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The owner marked it as a comment (góp ý) on the draft: it goes, with their name, into
    #: the document's comment table (services.comments) while it stays private otherwise.
    #: ``feedback_text`` is the comment's text when the annotation has none (a highlight).
    feedback: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    feedback_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    feedback_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revision: Mapped[int] = mapped_column(BigInteger)
    client_updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AnnotationClock(Base):
    """The last annotation revision given to a participant (one counter per owner)."""

    __tablename__ = "annotation_clocks"

    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), primary_key=True
    )
    last_revision: Mapped[int] = mapped_column(BigInteger, default=0)


# -- follow-up and invitations


class Unit(Base):
    """A unit (đơn vị) of an issuing body: a department, an agency, a commune's committee.

    ``name_key`` is ``compare_key(name)``, unique in the body: "Sở Tài chính" and "sở tài
    chính" are one unit. Tasks name their lead unit as the conclusion wrote it and point to
    the unit whose name (or short name) it matches.
    """

    __tablename__ = "units"
    __table_args__ = (UniqueConstraint("body_id", "name_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("issuing_bodies.id"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    short_name: Mapped[str] = mapped_column(String(100), default="")
    name_key: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Task(Base):
    """A conclusion point to follow up (theo dõi, đôn đốc): made when a notice is issued,
    one per point of the meeting's conclusions that names a lead unit (chủ trì).

    ``agenda_item_id`` and ``point_no`` (1-based in that item's points) name the point;
    the unique constraint makes a second notice of the same meeting (a correction) add no
    second task for it. ``notice_id`` is the notice whose issuing made the task. The text,
    units and deadline are copied: conclusions are frozen once a notice is issued.
    ``state`` follows :data:`phonghop.domain.tasks.TRANSITIONS`; ``done_on`` is the
    office's date when it was last marked done.
    """

    __tablename__ = "tasks"
    __table_args__ = (
        UniqueConstraint("meeting_id", "agenda_item_id", "point_no"),
        Index("ix_tasks_body_state", "body_id", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("issuing_bodies.id"))
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id"), index=True)
    agenda_item_id: Mapped[int] = mapped_column(Integer)
    point_no: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    lead_unit: Mapped[str] = mapped_column(String(300))
    #: The body's unit the lead unit's name matches, if any (accent- and case-insensitive).
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="SET NULL"), nullable=True)
    cooperating_units: Mapped[list[Any]] = mapped_column(JSON, default=list)
    deadline: Mapped[date | None] = mapped_column(Date, nullable=True)
    #: open | in_progress | done | cancelled
    state: Mapped[str] = mapped_column(String(20), default="open")
    done_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    #: When and by whom the office accepted the report of completion (None: not accepted;
    #: a done task not accepted yet is "awaiting acceptance").
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    accepted_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TaskUpdate(Base):
    """Append-only history of a task: who changed its state (or only wrote a progress
    note), when, from which state to which, and the note."""

    __tablename__ = "task_updates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_user_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    from_state: Mapped[str | None] = mapped_column(String(20), nullable=True)
    to_state: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    #: update (the office's change or note) | progress (a unit's report) | reported_done |
    #: accepted | reopened
    kind: Mapped[str] = mapped_column(String(20), default="update", server_default="update")


class Invitation(Base):
    """A participant's answer to the invitation (giấy mời) to a meeting.

    No row: invited, not answered yet. ``state``: invited | confirmed | absent (with
    ``reason``) | substitute (someone attends instead: ``substitute_name`` and title). The
    office decides on a substitute (``substitute_state`` pending → accepted | refused);
    accepting adds the substitute as a participant (``substitute_participant_id``), with the
    vote right the office gave (``substitute_vote``).
    """

    __tablename__ = "invitations"

    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), primary_key=True
    )
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(20), default="invited")
    reason: Mapped[str] = mapped_column(String(500), default="")
    substitute_name: Mapped[str] = mapped_column(String(200), default="")
    substitute_title: Mapped[str] = mapped_column(String(200), default="")
    #: none | pending | accepted | refused
    substitute_state: Mapped[str] = mapped_column(String(20), default="none")
    substitute_vote: Mapped[bool] = mapped_column(Boolean, default=False)
    substitute_participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="SET NULL"), nullable=True
    )
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    answered_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decided_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: When the invitation was sent (notification) and the office's last reminder.
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


# -- written opinions


class Consultation(Base):
    """A written consultation (lấy ý kiến bằng văn bản): the office sends a question on a
    draft to some of the body's users, who answer by ``deadline``.

    It is closed when ``closed_at`` is set (the office closed it) or, when read, once the
    deadline has passed: no background job. ``closed_at``/``closed_by`` stay empty for one
    that closed by its deadline. ``allow_change``: members may change their answer until
    then.
    """

    __tablename__ = "consultations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("issuing_bodies.id"), index=True)
    meeting_id: Mapped[int | None] = mapped_column(
        ForeignKey("meetings.id", ondelete="SET NULL"), nullable=True
    )
    #: The draft the members comment on (its current version's pages are readable through
    #: the consultation while it is open); answers with text go into its comment table.
    document_id: Mapped[int | None] = mapped_column(
        ForeignKey("documents.id", ondelete="SET NULL"), nullable=True, index=True
    )
    title: Mapped[str] = mapped_column(String(300))
    question: Mapped[str] = mapped_column(Text)
    deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    allow_change: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_by: Mapped[int | None] = mapped_column(Integer, nullable=True)


class ConsultationMember(Base):
    """A user the consultation was sent to, with their answer (``choice`` empty: none yet).

    The primary key (consultation, user) makes one answer per member.
    ``choice``: agree | disagree | other (``text`` required for other).
    """

    __tablename__ = "consultation_members"

    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    choice: Mapped[str] = mapped_column(String(20), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: Where in the draft the answer points (optional): a page of the version that was
    #: current when answering, and a section as the member wrote it ("Điều 5, khoản 2").
    page: Mapped[int | None] = mapped_column(Integer, nullable=True)
    section: Mapped[str] = mapped_column(String(200), default="", server_default="")
    document_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("document_versions.id", ondelete="SET NULL"), nullable=True
    )


# -- notifications and reminders


class Notification(Base):
    """A message to one user in the app (and by e-mail when SMTP is configured and the user
    has an address): an invitation, a reminder, a returned draft...

    ``kind`` names the translated text (``notification.<kind>`` in the client's
    translations), filled with ``params``; ``link`` is the console or tablet address it
    opens. ``mail_state``: none (not to be mailed) | pending | sent | failed; an instance
    claims a pending row by moving it to ``sending`` in one UPDATE, so two instances never
    mail it twice.
    """

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("issuing_bodies.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(60))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    link: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    mail_state: Mapped[str] = mapped_column(String(10), default="none", index=True)
    mailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ReminderClaim(Base):
    """A reminder that has been sent: its key (e.g. ``task:12:before``) is inserted once,
    by whichever instance gets there first, in the transaction that writes the
    notifications. Neither a second instance nor a restart sends it again."""

    __tablename__ = "reminder_claims"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# -- follow-up reporting


class TaskAttachment(Base):
    """A file a unit (or the office) attached to a task's progress report: stored in the
    documents' blob store under ``attachments/`` by its SHA-256. ``update_id`` is the
    report (history row) it was sent with; None while uploaded but not yet sent."""

    __tablename__ = "task_attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    update_id: Mapped[int | None] = mapped_column(
        ForeignKey("task_updates.id", ondelete="SET NULL"), nullable=True
    )
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    #: pdf | docx | xlsx | jpeg | png (from the file's first bytes, not its name)
    kind: Mapped[str] = mapped_column(String(10))
    filename: Mapped[str] = mapped_column(String(300), default="")
    uploaded_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# -- the comment table


class CommentTable(Base):
    """A draft's comment table (bảng tổng hợp ý kiến) once it has been closed: ``snapshot``
    holds the consolidated comments and answers as they were then (services.comments), so
    the table no longer changes. No row (or ``closed_at`` empty after a reopening): the
    table is open and worked out when read."""

    __tablename__ = "comment_tables"

    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    snapshot: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)


class CommentAnswer(Base):
    """The drafting unit's answer to one comment on a draft: ``kind`` accepted (tiếp thu) |
    explained (giải trình) | rejected (không tiếp thu), with a text. ``comment_key`` names the
    comment: ``o<consultation>-<user>`` (a written opinion) or ``a<annotation>`` (feedback)."""

    __tablename__ = "comment_answers"

    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True)
    comment_key: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text, default="")
    answered_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Installation(Base):
    """One row (``id`` 1): what belongs to this installation and never to a backup.

    ``log_epoch`` names the meetings' event logs as this installation holds them. It is
    made when the database is created and made anew by every restore (and by ``phonghop
    epoch renew`` after anything else that rewinds the logs): a tablet whose ``hello``
    names another epoch saw events this log does not have, so it gets a snapshot.
    """

    __tablename__ = "installation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    log_epoch: Mapped[str] = mapped_column(String(32))
    epoch_since: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# -- the minutes


class Minutes(Base):
    """The minutes (biên bản) of a meeting, typed by the secretary while it runs.

    ``sections`` maps a section key to its text: ``opening``, ``closing``,
    ``item:<agenda item id>:record`` (presented, discussion, votes) and
    ``item:<id>:conclusion``. A key absent from it has not been saved yet and is read as the
    text phonghop pre-fills from the meeting (services.minutes). ``version`` counts the
    saves: a save names the version it edited and is refused when another came first.
    """

    __tablename__ = "minutes"

    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True)
    sections: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
