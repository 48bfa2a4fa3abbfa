"""The meeting events: the contract between the services that write them and the
realtime layer that delivers them. Each event type's ``data`` model (the single source of
truth; ``docs/protocol.md`` documents each, and ``tests/realtime/test_protocol_doc.py``
checks they agree), who may receive an event (its audience), and the one form an event
takes in memory, on the bus and in replay (:func:`event_dict`).

``services`` and ``realtime`` both import this module; it imports neither.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, ConfigDict

from phonghop.storage.models import MeetingEvent


class Message(BaseModel):
    """Every frame's model: undeclared fields are refused, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# -- events (server -> client, numbered, replayed) ----------------------------------------------


class EventData(Message):
    """The ``data`` of one event type."""


class MeetingCreated(EventData):
    title: str


class MeetingUpdated(EventData):
    title: str | None = None
    location: str | None = None
    starts_at: str | None = None
    ends_at: str | None = None
    classification: str | None = None
    members_total: int | None = None


class MeetingStateChanged(EventData):
    """Data of meeting.scheduled/unscheduled/started/paused/resumed/closed/cancelled."""

    state: str


class ParticipantData(EventData):
    """Data of participant.added and participant.updated."""

    id: int
    user_id: int | None
    full_name: str
    title: str
    role: str
    voting_member: bool
    position: int
    attendance: str
    absence_reason: str
    can_read: bool = True
    can_speak: bool = True


class ParticipantRemoved(EventData):
    participant_id: int


class AttendanceRecorded(EventData):
    participant_id: int
    attendance: str
    reason: str


class AgendaItemData(EventData):
    """Data of agenda.item_added and agenda.item_updated."""

    id: int
    parent_id: int | None
    position: int
    title: str
    presenter: str
    planned_minutes: int | None
    state: str


class AgendaItemRemoved(EventData):
    item_id: int


class AgendaReordered(EventData):
    parent_id: int | None
    order: list[int]


class AgendaItemOpened(EventData):
    item_id: int
    previous_item_id: int | None


class AgendaItemFinished(EventData):
    item_id: int


class PresenterPageChanged(EventData):
    document_id: int
    page: int


class PresenterCleared(EventData):
    pass


class SpeakerChanged(EventData):
    """Data of speaker.requested/withdrawn/granted/finished: who, and the whole queue after."""

    participant_id: int
    queue: list[dict[str, Any]]


class TimerStarted(EventData):
    label: str
    seconds: int
    ends_at: str


class TimerStopped(EventData):
    pass


class AnnouncementMade(EventData):
    text: str


class DocumentData(EventData):
    """Data of document.published/updated: the document as the recipient's listing shows it;
    of document.submitted/reviewed/draft_updated (a unit's draft, to controllers only): the
    document as the console's listing with drafts shows it."""

    document: dict[str, Any]


class DocumentRecalled(EventData):
    document_id: int


class ConclusionRecorded(EventData):
    """Data of agenda.conclusion_recorded: the item's conclusion as it now stands."""

    item_id: int
    summary: str
    points: list[dict[str, Any]]


class NoticeIssued(EventData):
    """A conclusion notice drafted from this meeting was issued (to controllers)."""

    notice_id: int
    number: int
    number_label: str
    summary: str
    issue_date: str


class PollData(EventData):
    """Data of poll.created/updated/opened/closed/cancelled: the poll as everyone sees it."""

    poll: dict[str, Any]


class PollDeleted(EventData):
    poll_id: int


class PollBallotCounted(EventData):
    """How many have voted, never what: sent at most a few times a second while voting."""

    poll_id: int
    ballots_cast: int
    eligible: int


class PollVoted(EventData):
    """These participants have voted (to them, on all their devices, and to controllers)."""

    poll_id: int
    participant_ids: list[int]


class PollBallotsRecorded(EventData):
    """To controllers, open (named) polls only: the ballots cast or changed since the last
    such event, and the counts so far."""

    poll_id: int
    ballots: list[dict[str, Any]]
    counts: dict[str, int]


class SessionsRevoked(EventData):
    participant_id: int


class DeviceWaiting(EventData):
    """A device chose a name without proof and waits for a controller's confirmation."""

    device_id: str
    participant_id: int
    full_name: str
    user_agent: str


class DeviceChanged(EventData):
    """A participant's devices changed (confirmed, revoked, device limit, new personal code)."""

    participant_id: int


class AnnotationSaved(EventData):
    """An annotation was created or changed. ``annotation`` is there only while others
    may see it (shared or shown); a private one's owner fetches it (see protocol.md)."""

    annotation_id: int
    owner_id: int
    document_version_id: int
    revision: int
    annotation: dict[str, Any] | None


class AnnotationDeleted(EventData):
    annotation_id: int
    owner_id: int
    document_version_id: int
    revision: int


class InvitationLine(EventData):
    """Data of invitation.answered and invitation.substitute_decided (to controllers): the
    participant's line of the confirmation table as it now stands."""

    participant_id: int
    full_name: str
    title: str
    role: str
    has_account: bool
    state: str
    reason: str
    answered_at: str | None
    sent_at: str | None
    reminded_at: str | None
    substitute: dict[str, Any] | None


class EventWithheld(EventData):
    """Stands in for an event this session may not see, so that ``seq`` has no holes."""


EVENT_MODELS: dict[str, type[EventData]] = {
    "meeting.created": MeetingCreated,
    "meeting.updated": MeetingUpdated,
    "meeting.scheduled": MeetingStateChanged,
    "meeting.unscheduled": MeetingStateChanged,
    "meeting.started": MeetingStateChanged,
    "meeting.paused": MeetingStateChanged,
    "meeting.resumed": MeetingStateChanged,
    "meeting.closed": MeetingStateChanged,
    "meeting.cancelled": MeetingStateChanged,
    "participant.added": ParticipantData,
    "participant.updated": ParticipantData,
    "participant.removed": ParticipantRemoved,
    "attendance.recorded": AttendanceRecorded,
    "agenda.item_added": AgendaItemData,
    "agenda.item_updated": AgendaItemData,
    "agenda.item_removed": AgendaItemRemoved,
    "agenda.reordered": AgendaReordered,
    "agenda.item_opened": AgendaItemOpened,
    "agenda.item_finished": AgendaItemFinished,
    "agenda.conclusion_recorded": ConclusionRecorded,
    "notice.issued": NoticeIssued,
    "presenter.page_changed": PresenterPageChanged,
    "presenter.cleared": PresenterCleared,
    "speaker.requested": SpeakerChanged,
    "speaker.withdrawn": SpeakerChanged,
    "speaker.granted": SpeakerChanged,
    "speaker.finished": SpeakerChanged,
    "timer.started": TimerStarted,
    "timer.stopped": TimerStopped,
    "announcement.made": AnnouncementMade,
    "document.published": DocumentData,
    "document.updated": DocumentData,
    "document.recalled": DocumentRecalled,
    "document.submitted": DocumentData,
    "document.reviewed": DocumentData,
    "document.draft_updated": DocumentData,
    "poll.created": PollData,
    "poll.updated": PollData,
    "poll.deleted": PollDeleted,
    "poll.opened": PollData,
    "poll.ballot_counted": PollBallotCounted,
    "poll.voted": PollVoted,
    "poll.ballots_recorded": PollBallotsRecorded,
    "poll.closed": PollData,
    "poll.cancelled": PollData,
    "annotation.saved": AnnotationSaved,
    "annotation.deleted": AnnotationDeleted,
    "participant.sessions_revoked": SessionsRevoked,
    "device.waiting": DeviceWaiting,
    "device.changed": DeviceChanged,
    "invitation.answered": InvitationLine,
    "invitation.substitute_decided": InvitationLine,
    "event.withheld": EventWithheld,
}


# -- audiences: who receives an event ------------------------------------------------------

AUDIENCE_ALL = "all"
AUDIENCE_CONTROLLERS = "controllers"


def audience_of(participant_ids: Iterable[int]) -> str:
    """The audience "these participants, and the controllers": ``p:3,7,12``."""
    return "p:" + ",".join(str(i) for i in sorted(set(participant_ids)))


@lru_cache(maxsize=1024)
def audience_members(audience: str) -> frozenset[int] | None:
    """None when everyone may see the event; else the participants who may (controllers
    always may: chair, secretary and office staff)."""
    if audience == AUDIENCE_ALL:
        return None
    if audience.startswith("p:"):
        return frozenset(int(x) for x in audience[2:].split(",") if x)
    if audience == AUDIENCE_CONTROLLERS:
        return frozenset()
    raise ValueError(f"unknown event audience {audience!r}")


def may_see(audience: str, participant_id: int | None, controller: bool) -> bool:
    members = audience_members(audience)
    return members is None or controller or (participant_id is not None and participant_id in members)


def validate_event(type_: str, data: dict[str, Any]) -> dict[str, Any]:
    """The event's data, checked against its model; an unknown type is a programming error."""
    model = EVENT_MODELS.get(type_)
    if model is None:
        raise ValueError(f"event type {type_!r} is not declared in phonghop.events")
    return model.model_validate(data).model_dump(mode="json", exclude_unset=True)


def event_dict(row: MeetingEvent) -> dict[str, Any]:
    """The event as the hub delivers it, the bus carries it and replay reads it back."""
    return {
        "meeting_id": row.meeting_id,
        "seq": row.seq,
        "type": row.type,
        "ts": row.created_at.isoformat().replace("+00:00", "Z"),
        "data": row.data,
        "audience": row.audience,
    }
