"""The meeting lifecycle and attendance, as pure rules.

    draft ──schedule──▶ scheduled ──start──▶ in_progress ◀──resume── paused
      ▲                    │                      │  └────pause────▶ ▲ │
      └────unschedule──────┘                      └──close──▶ closed ◀─┘
    draft / scheduled ──cancel──▶ cancelled

A refused transition raises :class:`~phonghop.errors.InvalidTransition` with the code
``meeting_transition_invalid``; the message names both states so the office knows why.
"""

from __future__ import annotations

from enum import StrEnum

from phonghop.errors import InvalidInput, InvalidTransition


class MeetingState(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    PAUSED = "paused"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class MeetingAction(StrEnum):
    SCHEDULE = "schedule"
    UNSCHEDULE = "unschedule"
    START = "start"
    PAUSE = "pause"
    RESUME = "resume"
    CLOSE = "close"
    CANCEL = "cancel"


_TRANSITIONS: dict[tuple[MeetingState, MeetingAction], MeetingState] = {
    (MeetingState.DRAFT, MeetingAction.SCHEDULE): MeetingState.SCHEDULED,
    (MeetingState.SCHEDULED, MeetingAction.UNSCHEDULE): MeetingState.DRAFT,
    (MeetingState.SCHEDULED, MeetingAction.START): MeetingState.IN_PROGRESS,
    (MeetingState.IN_PROGRESS, MeetingAction.PAUSE): MeetingState.PAUSED,
    (MeetingState.PAUSED, MeetingAction.RESUME): MeetingState.IN_PROGRESS,
    (MeetingState.IN_PROGRESS, MeetingAction.CLOSE): MeetingState.CLOSED,
    (MeetingState.PAUSED, MeetingAction.CLOSE): MeetingState.CLOSED,
    (MeetingState.DRAFT, MeetingAction.CANCEL): MeetingState.CANCELLED,
    (MeetingState.SCHEDULED, MeetingAction.CANCEL): MeetingState.CANCELLED,
}

#: Events written to the meeting log for each transition.
EVENT_FOR_ACTION: dict[MeetingAction, str] = {
    MeetingAction.SCHEDULE: "meeting.scheduled",
    MeetingAction.UNSCHEDULE: "meeting.unscheduled",
    MeetingAction.START: "meeting.started",
    MeetingAction.PAUSE: "meeting.paused",
    MeetingAction.RESUME: "meeting.resumed",
    MeetingAction.CLOSE: "meeting.closed",
    MeetingAction.CANCEL: "meeting.cancelled",
}


def transition(state: MeetingState, action: MeetingAction) -> MeetingState:
    """The state after ``action``, or :class:`InvalidTransition` when it is not allowed."""
    try:
        return _TRANSITIONS[(state, action)]
    except KeyError:
        raise InvalidTransition(
            "meeting_transition_invalid", state=state.value, action=action.value
        ) from None


def allowed_actions(state: MeetingState) -> list[MeetingAction]:
    return [action for (src, action) in _TRANSITIONS if src is state]


def is_editable(state: MeetingState) -> bool:
    """Whether the office may still edit the meeting's details and participants."""
    return state in (
        MeetingState.DRAFT,
        MeetingState.SCHEDULED,
        MeetingState.IN_PROGRESS,
        MeetingState.PAUSED,
    )


def is_live(state: MeetingState) -> bool:
    return state in (MeetingState.IN_PROGRESS, MeetingState.PAUSED)


class Attendance(StrEnum):
    """Roll call states: có mặt trực tiếp / có mặt trực tuyến / vắng mặt (lý do)."""

    UNKNOWN = "unknown"
    PRESENT = "present"
    PRESENT_ONLINE = "present_online"
    ABSENT = "absent"

    @property
    def is_present(self) -> bool:
        return self in (Attendance.PRESENT, Attendance.PRESENT_ONLINE)


def check_attendance(state: Attendance, reason: str) -> str:
    """The reason to store: required words for an absence, nothing for anything else."""
    reason = " ".join(reason.split())
    if state is Attendance.ABSENT:
        return reason
    if reason:
        raise InvalidInput("absence_reason_without_absence")
    return ""


class Classification(StrEnum):
    """Mức độ mật: Thường / Mật / Tối mật / Tuyệt mật."""

    NORMAL = "normal"
    CONFIDENTIAL = "confidential"  # Mật
    SECRET = "secret"  # Tối mật
    TOP_SECRET = "top_secret"  # Tuyệt mật

    @property
    def is_classified(self) -> bool:
        return self is not Classification.NORMAL
