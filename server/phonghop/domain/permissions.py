"""Who may do what. The services layer calls these before every change; routes only
authenticate. Pure functions over small value objects, so the rules are tested alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from phonghop.errors import NotFound, PermissionDenied


class UserRole(StrEnum):
    """A staff account's role across the whole issuing body."""

    ADMIN = "admin"  # users, body settings
    OFFICE = "office"  # Văn phòng: prepares meetings, issues notices
    MEMBER = "member"  # takes part in meetings (chair, secretary, delegate)


class MeetingRole(StrEnum):
    CHAIR = "chair"
    SECRETARY = "secretary"
    DELEGATE = "delegate"
    GUEST = "guest"


@dataclass(frozen=True)
class Actor:
    """Who is asking: a staff user, a participant on a tablet, or both at once.

    ``participant_id`` and ``meeting_role`` are set when the actor acts inside a meeting
    (a tablet session, or a staff user who is a participant of that meeting).
    """

    body_id: int
    user_id: int | None = None
    user_role: UserRole | None = None
    participant_id: int | None = None
    meeting_id: int | None = None
    meeting_role: MeetingRole | None = None
    name: str = ""
    #: The unit (đơn vị) a staff user works in, if any: unit staff upload its drafts and
    #: report on its tasks.
    unit_id: int | None = None
    #: False for a participant the office denied the documents (a substitute, see
    #: services.invitations).
    can_read: bool = True
    #: A room display opened with its link (services.displays): not a person; it reads
    #: what every participant may read, minus classified documents, and changes nothing.
    display: bool = False

    @property
    def is_staff(self) -> bool:
        return self.user_role in (UserRole.ADMIN, UserRole.OFFICE)

    def in_meeting(
        self, meeting_id: int, role: MeetingRole | None, participant_id: int | None, *, can_read: bool = True
    ) -> Actor:
        return Actor(
            body_id=self.body_id,
            user_id=self.user_id,
            user_role=self.user_role,
            participant_id=participant_id,
            meeting_id=meeting_id,
            meeting_role=role,
            name=self.name,
            unit_id=self.unit_id,
            can_read=can_read,
        )


def require_same_body(actor: Actor, body_id: int, what: str = "meeting") -> None:
    """Another body's objects do not exist for this actor: 404, not 403."""
    if actor.body_id != body_id:
        raise NotFound(f"{what}_not_found")


def require_admin(actor: Actor) -> None:
    if actor.user_role is not UserRole.ADMIN:
        raise PermissionDenied("admin_required")


def require_office(actor: Actor) -> None:
    """Preparing meetings (create, edit, agenda, participants) is the office's work."""
    if actor.user_role not in (UserRole.ADMIN, UserRole.OFFICE):
        raise PermissionDenied("office_required")


def can_run_meeting(actor: Actor) -> bool:
    """Secretary and chair drive the meeting; the office may step in for them."""
    return actor.meeting_role in (MeetingRole.CHAIR, MeetingRole.SECRETARY) or actor.is_staff


def require_meeting_controller(actor: Actor) -> None:
    if not can_run_meeting(actor):
        raise PermissionDenied("secretary_required")


def require_participant(actor: Actor, meeting_id: int) -> None:
    """Seeing a meeting: its participants, and the body's office staff."""
    if actor.is_staff:
        return
    if actor.meeting_id != meeting_id or actor.participant_id is None:
        raise NotFound("meeting_not_found")
