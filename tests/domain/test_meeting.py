import pytest

from phonghop.domain.meeting import (
    Attendance,
    MeetingAction,
    MeetingState,
    allowed_actions,
    check_attendance,
    transition,
)
from phonghop.errors import InvalidInput, InvalidTransition

LEGAL = [
    (MeetingState.DRAFT, MeetingAction.SCHEDULE, MeetingState.SCHEDULED),
    (MeetingState.SCHEDULED, MeetingAction.UNSCHEDULE, MeetingState.DRAFT),
    (MeetingState.SCHEDULED, MeetingAction.START, MeetingState.IN_PROGRESS),
    (MeetingState.IN_PROGRESS, MeetingAction.PAUSE, MeetingState.PAUSED),
    (MeetingState.PAUSED, MeetingAction.RESUME, MeetingState.IN_PROGRESS),
    (MeetingState.IN_PROGRESS, MeetingAction.CLOSE, MeetingState.CLOSED),
    (MeetingState.PAUSED, MeetingAction.CLOSE, MeetingState.CLOSED),
    (MeetingState.DRAFT, MeetingAction.CANCEL, MeetingState.CANCELLED),
    (MeetingState.SCHEDULED, MeetingAction.CANCEL, MeetingState.CANCELLED),
]


@pytest.mark.parametrize(("state", "action", "after"), LEGAL)
def test_legal_transitions(state: MeetingState, action: MeetingAction, after: MeetingState) -> None:
    assert transition(state, action) is after


def test_every_other_transition_is_refused_with_both_states_named() -> None:
    legal = {(s, a) for s, a, _ in LEGAL}
    refused = 0
    for state in MeetingState:
        for action in MeetingAction:
            if (state, action) in legal:
                continue
            with pytest.raises(InvalidTransition) as info:
                transition(state, action)
            assert info.value.code == "meeting_transition_invalid"
            assert info.value.params == {"state": state.value, "action": action.value}
            refused += 1
    assert refused == len(MeetingState) * len(MeetingAction) - len(LEGAL)


def test_closed_and_cancelled_meetings_are_final() -> None:
    assert allowed_actions(MeetingState.CLOSED) == []
    assert allowed_actions(MeetingState.CANCELLED) == []


def test_absence_reason_only_for_absence() -> None:
    assert check_attendance(Attendance.ABSENT, "  Đi  công tác ") == "Đi công tác"
    assert check_attendance(Attendance.PRESENT, "") == ""
    with pytest.raises(InvalidInput):
        check_attendance(Attendance.PRESENT_ONLINE, "ốm")
    assert Attendance.PRESENT_ONLINE.is_present and not Attendance.ABSENT.is_present
