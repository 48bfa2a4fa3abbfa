"""Request bodies of the JSON API. Unknown fields are refused: a typo must not be
silently ignored while the office believes a change was saved."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from phonghop.domain.meeting import Attendance, Classification
from phonghop.domain.permissions import MeetingRole, UserRole


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("timezone required (e.g. 2026-03-05T08:00:00+07:00)")
    return value


AwareDatetime = Annotated[datetime, AfterValidator(_aware)]
Text = Annotated[str, Field(max_length=500)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class LoginIn(Body):
    username: Annotated[str, Field(min_length=1, max_length=80)]
    password: Annotated[str, Field(min_length=1, max_length=200)]


class JoinIn(Body):
    code: Annotated[str, Field(min_length=4, max_length=20)]
    #: the name picked from the list; optional with a personal code (it names the person)
    participant_id: int | None = None
    personal_code: Annotated[str, Field(min_length=1, max_length=20)] | None = None
    username: Annotated[str, Field(min_length=1, max_length=80)] | None = None
    password: Annotated[str, Field(min_length=1, max_length=200)] | None = None


class PasswordChangeIn(Body):
    current_password: Annotated[str, Field(min_length=1, max_length=200)]
    new_password: Annotated[str, Field(min_length=1, max_length=200)]


class PasswordResetIn(Body):
    password: Annotated[str, Field(min_length=1, max_length=200)]


class DevicesAllowedIn(Body):
    devices: Annotated[int, Field(ge=1, le=3)]


class MeetingIn(Body):
    title: Text
    location: Text = ""
    starts_at: AwareDatetime
    ends_at: AwareDatetime | None = None
    classification: Classification = Classification.NORMAL
    members_total: Annotated[int, Field(ge=1, le=10000)] | None = None


class MeetingPatch(Body):
    title: Text | None = None
    location: Text | None = None
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    classification: Classification | None = None
    members_total: Annotated[int, Field(ge=1, le=10000)] | None = None


class ParticipantIn(Body):
    user_id: int | None = None
    full_name: Annotated[str, Field(max_length=200)] | None = None
    title: Annotated[str, Field(max_length=200)] | None = None
    role: MeetingRole = MeetingRole.DELEGATE
    voting_member: bool | None = None
    position: Annotated[int, Field(ge=0, le=100000)] | None = None


class ParticipantPatch(Body):
    full_name: Annotated[str, Field(max_length=200)] | None = None
    title: Annotated[str, Field(max_length=200)] | None = None
    role: MeetingRole | None = None
    voting_member: bool | None = None
    position: Annotated[int, Field(ge=0, le=100000)] | None = None


class AttendanceIn(Body):
    attendance: Attendance
    reason: Annotated[str, Field(max_length=500)] = ""


class AgendaItemIn(Body):
    title: Text
    presenter: Text = ""
    planned_minutes: Annotated[int, Field(ge=1, le=1440)] | None = None
    parent_id: int | None = None


class AgendaItemPatch(Body):
    title: Text | None = None
    presenter: Text | None = None
    planned_minutes: Annotated[int, Field(ge=1, le=1440)] | None = None


class AgendaOrderIn(Body):
    order: Annotated[list[int], Field(max_length=500)]
    parent_id: int | None = None


class UserIn(Body):
    username: Annotated[str, Field(min_length=1, max_length=80)]
    full_name: Annotated[str, Field(min_length=1, max_length=200)]
    title: Annotated[str, Field(max_length=200)] = ""
    role: UserRole = UserRole.MEMBER
    password: Annotated[str, Field(max_length=200)] | None = None
    unit_id: int | None = None
    email: Annotated[str, Field(max_length=200)] = ""


class UserPatch(Body):
    """Fields an administrator may change on an account; absent ones stay."""

    full_name: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    title: Annotated[str, Field(max_length=200)] | None = None
    role: UserRole | None = None
    active: bool | None = None
    unit_id: int | None = None
    email: Annotated[str, Field(max_length=200)] | None = None
    language: Literal["vi", "en"] | None = None


class DisplayLinkIn(Body):
    #: where the display is ("Projector, hall A"), shown in the console's list
    label: Annotated[str, Field(max_length=100)] = ""


class DisplayOpenIn(Body):
    token: Annotated[str, Field(min_length=20, max_length=100)]
