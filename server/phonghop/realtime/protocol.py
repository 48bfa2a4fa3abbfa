"""The tablet/console websocket protocol: the single source of truth.

``docs/protocol.md`` documents every model here, field by field; ``tests/realtime/
test_protocol_doc.py`` fails when the two disagree. Change a model, change the document,
and bump :data:`PROTOCOL_VERSION` when an old client would misread the new messages.

Frames from the client are *commands* ``{"id", "type", ...}``, each answered by one
*result* ``{"type": "result", "id", "ok", "result" | "error"}``. Frames from the server
are results, *events* ``{"v", "seq", "type", "ts", "data"}`` (numbered per meeting,
replayed on resume), the *snapshot* and *signals* (``{"v", "type", "data"}`` without a
seq: presence and viewer counts, never replayed). Undeclared fields are refused: an
unknown field is a bug, on either side.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, Field, TypeAdapter

from phonghop.domain.meeting import Attendance
from phonghop.events import EventData, Message

PROTOCOL_VERSION = 2

#: Websocket close codes the server uses (4000-4999 are the application's own).
CLOSE_CODES: dict[int, str] = {
    1000: "normal: the server is going away or the meeting ended for this tablet",
    1008: "policy: the Origin is not allowed",
    1009: "a frame larger than the hard limit (1 MiB); reconnect",
    1013: "try again later: the server could not reach its database in time; reconnect after backoff",
    4001: "resync: the tablet fell too far behind; reconnect and send hello with last_seq",
    4401: "not authenticated: the session cookie is missing, expired or revoked; sign in again",
    4403: "not allowed: this session may not open this meeting",
    4404: "no such meeting",
    4408: "hello not received in time after connecting",
    4409: "recalled: the session was revoked by the office",
    4410: "replaced: the same participant joined on another device",
    4411: "meeting ended: a tablet that joined without an account ends with its meeting; do not reconnect",
    4412: "rights changed: reconnect to get the new ones",
}

#: A tablet that joined without an account is closed with this once its meeting has ended.
CLOSE_MEETING_ENDED = 4411

ID = Annotated[int | str, Field(union_mode="left_to_right")]


# -- commands (client -> server) ------------------------------------------------------------


class Command(Message):
    id: Annotated[int | str, Field()]


class Hello(Command):
    """First frame after connecting. ``last_seq`` is the last event the tablet applied
    (null on a first start) and ``epoch`` the log epoch it was applied in; the server
    replays what follows or sends a snapshot. ``protocol`` left out means version 1."""

    type: Literal["hello"]
    last_seq: Annotated[int, Field(ge=0)] | None = None
    epoch: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    protocol: Annotated[int, Field(ge=1)] = 1


class Ping(Command):
    """Application-level keepalive; the result carries the server's time and last seq."""

    type: Literal["ping"]


class ViewerReport(Command):
    """Which page the tablet shows and whether it follows the presenter (a signal only).
    Without an ``id`` it is a notification: the server sends no result."""

    id: Annotated[int | str, Field()] | None = None  # type: ignore[assignment]
    type: Literal["viewer.report"]
    document_id: int | None = None
    page: Annotated[int, Field(ge=1)] | None = None
    following: bool


class MeetingControl(Command):
    """Start, pause, resume or close the meeting (secretary or chair)."""

    type: Literal["meeting.control"]
    action: Literal["start", "pause", "resume", "close"]


class AgendaOpenItem(Command):
    type: Literal["agenda.open_item"]
    item_id: int


class AgendaFinishItem(Command):
    type: Literal["agenda.finish_item"]
    item_id: int


class PresenterShowPage(Command):
    """Every following tablet turns to this document and page."""

    type: Literal["presenter.show_page"]
    document_id: int
    page: Annotated[int, Field(ge=1, le=100_000)]


class PresenterClear(Command):
    type: Literal["presenter.clear"]


class AttendanceRecord(Command):
    type: Literal["attendance.record"]
    participant_id: int
    attendance: Attendance
    reason: Annotated[str, Field(max_length=500)] = ""


class SpeakerRequest(Command):
    """A delegate asks to speak (đăng ký phát biểu)."""

    type: Literal["speaker.request"]


class SpeakerWithdraw(Command):
    type: Literal["speaker.withdraw"]


class SpeakerGrant(Command):
    type: Literal["speaker.grant"]
    participant_id: int


class SpeakerFinish(Command):
    type: Literal["speaker.finish"]
    participant_id: int


class TimerStart(Command):
    type: Literal["timer.start"]
    seconds: Annotated[int, Field(ge=1, le=24 * 3600)]
    label: Annotated[str, Field(max_length=200)] = ""


class TimerStop(Command):
    type: Literal["timer.stop"]


class AnnouncementMake(Command):
    type: Literal["announcement.make"]
    text: Annotated[str, Field(min_length=1, max_length=1000)]


# polls (biểu quyết)

BallotKey = Annotated[str, Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
OptionId = Annotated[str, Field(min_length=1, max_length=64)]


class PollOpen(Command):
    """Open a draft poll: tablets show the ballot (secretary or chair)."""

    type: Literal["poll.open"]
    poll_id: int


class PollClose(Command):
    """Close an open poll: the count is made, stored and sent to everyone."""

    type: Literal["poll.close"]
    poll_id: int


class PollCancel(Command):
    """Cancel a draft or open poll; nothing is counted."""

    type: Literal["poll.cancel"]
    poll_id: int


class PollCastBallot(Command):
    """A delegate's ballot. ``ballot_key`` is generated by the tablet, once per ballot:
    sending the same key again (after a dropped connection) is acknowledged again and
    never counted twice."""

    type: Literal["poll.cast_ballot"]
    poll_id: int
    ballot_key: BallotKey
    choices: Annotated[list[OptionId], Field(max_length=100)]


# annotations (ghi chú)

ClientId = Annotated[str, Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]


class AnnotationSave(Command):
    """Create or update one of the sender's annotations, found by the tablet's
    ``client_id``; the last write wins by the tablet's ``updated_at``."""

    type: Literal["annotation.save"]
    client_id: ClientId
    document_version_id: int
    page: Annotated[int, Field(ge=1, le=100_000)]
    kind: Literal["ink", "highlight", "note", "comment"]
    data: dict[str, Any]
    shared: bool | None = None
    updated_at: AwareDatetime


class AnnotationDelete(Command):
    type: Literal["annotation.delete"]
    client_id: ClientId
    updated_at: AwareDatetime


class AnnotationShare(Command):
    """The owner shares an annotation with the meeting, or takes it back."""

    type: Literal["annotation.share"]
    client_id: ClientId
    shared: bool


class AnnotationShow(Command):
    """The secretary or chair shows an annotation (shared, or their own) to everyone."""

    type: Literal["annotation.show"]
    annotation_id: int
    shown: bool


class ConclusionPointIn(Message):
    """One conclusion of an agenda item: what is decided, who leads (chủ trì), who
    cooperates (phối hợp), by when."""

    text: Annotated[str, Field(min_length=1, max_length=2000)]
    chu_tri: Annotated[str, Field(max_length=300)] = ""
    phoi_hop: Annotated[tuple[Annotated[str, Field(max_length=300)], ...], Field(max_length=20)] = ()
    deadline: date | None = None


class AgendaRecordConclusion(Command):
    """The secretary or chair records an agenda item's conclusion; its points are replaced."""

    type: Literal["agenda.record_conclusion"]
    item_id: int
    points: Annotated[list[ConclusionPointIn], Field(max_length=50)]
    summary: Annotated[str, Field(max_length=5000)] | None = None


ClientCommand = Annotated[
    Hello
    | Ping
    | ViewerReport
    | MeetingControl
    | AgendaOpenItem
    | AgendaFinishItem
    | AgendaRecordConclusion
    | PresenterShowPage
    | PresenterClear
    | AttendanceRecord
    | SpeakerRequest
    | SpeakerWithdraw
    | SpeakerGrant
    | SpeakerFinish
    | TimerStart
    | TimerStop
    | AnnouncementMake
    | PollOpen
    | PollClose
    | PollCancel
    | PollCastBallot
    | AnnotationSave
    | AnnotationDelete
    | AnnotationShare
    | AnnotationShow,
    Field(discriminator="type"),
]
COMMAND_ADAPTER: TypeAdapter[Any] = TypeAdapter(ClientCommand)
COMMAND_MODELS: dict[str, type[Command]] = {
    m.model_fields["type"].annotation.__args__[0]: m  # type: ignore[union-attr]
    for m in Command.__subclasses__()
}


# -- signals (server -> client, not numbered, not replayed) -------------------------------------


class PresenceChanged(EventData):
    """To the secretary/chair: participants connected right now (tablets per participant)."""

    online: dict[str, int]


class ViewerSummary(EventData):
    """To the secretary/chair: how tablets follow the presenter."""

    connected: int
    following: int
    on_presenter_page: int


SIGNAL_MODELS: dict[str, type[EventData]] = {
    "presence.changed": PresenceChanged,
    "viewer.summary": ViewerSummary,
}
