"""Invitations to a scheduled meeting: answers from the participant's own session, the
office's decision on substitutes and their vote, the confirmation table, the .ics file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient

from phonghop.domain.permissions import Actor, MeetingRole, UserRole
from phonghop.errors import PermissionDenied
from phonghop.services import polls
from phonghop.services.invitations import escape_text, fold_line
from phonghop.services.polls import PollFields
from phonghop.storage.db import Database
from tests.factories import World, companion, join_tablet, login, new_meeting, prepared_meeting
from tests.notices_service.conftest import error_of, run_in_app


@pytest.fixture
def meeting(office: TestClient, world: World) -> dict[str, Any]:
    return prepared_meeting(office, world)


def pid_of(meeting: dict[str, Any], index: int) -> int:
    result: int = meeting["participants"][index]["id"]
    return result


def on_tablet(
    base: TestClient, office: TestClient, meeting: dict[str, Any], participant_id: int
) -> TestClient:
    client = companion(base)
    join_tablet(client, office, meeting["id"], participant_id)
    return client


def table(office: TestClient, meeting_id: int) -> dict[str, Any]:
    r = office.get(f"/api/meetings/{meeting_id}/invitations")
    assert r.status_code == 200, r.text
    result: dict[str, Any] = r.json()
    return result


def test_participants_answer_from_their_session(
    base: TestClient, world: World, office: TestClient, meeting: dict[str, Any]
) -> None:
    mid = meeting["id"]
    url = f"/api/meetings/{mid}/invitation"
    first = table(office, mid)
    assert first["counts"] == {"invited": 5, "confirmed": 0, "absent": 0, "substitute": 0}
    assert [line["state"] for line in first["invitations"]] == ["invited"] * 5

    member = companion(base)
    login(member, "member1")  # a staff login that is a participant
    assert member.get(url).json()["state"] == "invited"
    r = member.put(url, json={"state": "confirmed"})
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "confirmed" and r.json()["answered_at"]

    absent = on_tablet(base, office, meeting, pid_of(meeting, 3))  # member2 on a tablet
    error = error_of(absent.put(url, json={"state": "absent"}), 422)
    assert error["code"] == "invitation_answer_invalid" and error["params"]["field"] == "reason"
    r = absent.put(url, json={"state": "absent", "reason": "Đi công tác Hà Nội"})
    assert r.status_code == 200, r.text
    # changed their mind
    assert absent.put(url, json={"state": "confirmed"}).json()["state"] == "confirmed"
    assert absent.put(url, json={"state": "absent", "reason": "Ốm"}).json()["reason"] == "Ốm"

    for bad, field in [
        ({"state": "maybe"}, "state"),
        ({"state": "substitute"}, "substitute_name"),
        ({"state": "confirmed", "substitute_name": "Ai đó"}, "substitute_name"),
    ]:
        error = error_of(member.put(url, json=bad), 422)
        assert error["code"] == "invitation_answer_invalid" and error["params"]["field"] == field
    assert error_of(member.put(url, json={"state": "confirmed", "x": 1}), 422)["code"] == "invalid_input"

    after = table(office, mid)
    assert after["counts"] == {"invited": 3, "confirmed": 1, "absent": 1, "substitute": 0}
    lines = {line["participant_id"]: line for line in after["invitations"]}
    assert lines[pid_of(meeting, 3)]["reason"] == "Ốm"

    # the office is not invited; another body does not see the meeting; members see no table
    assert error_of(office.put(url, json={"state": "confirmed"}), 409)["code"] == "invitation_not_participant"
    stranger = companion(base)
    login(stranger, "other_office")
    assert error_of(stranger.get(f"/api/meetings/{mid}/invitations"), 404)["code"] == "meeting_not_found"
    assert error_of(stranger.get(f"/api/meetings/{mid}/invitation.ics"), 404)["code"] == "meeting_not_found"
    assert error_of(member.get(f"/api/meetings/{mid}/invitations"), 403)["code"] == "office_required"

    # once the meeting has begun the invitation is closed
    secretary = companion(base)
    login(secretary, "secretary")
    assert secretary.post(f"/api/meetings/{mid}/actions/start").status_code == 200
    error = error_of(member.put(url, json={"state": "absent", "reason": "Bận"}), 409)
    assert error["code"] == "invitation_closed" and error["params"] == {"state": "in_progress"}


def test_a_substitute_accepted_without_a_vote_cannot_vote(
    base: TestClient, world: World, office: TestClient, meeting: dict[str, Any]
) -> None:
    mid = meeting["id"]
    original = pid_of(meeting, 4)  # member3, a voting delegate
    device = on_tablet(base, office, meeting, original)
    r = device.put(
        f"/api/meetings/{mid}/invitation",
        json={
            "state": "substitute",
            "substitute_name": "Nguyễn Văn Thế",
            "substitute_title": "Phó Giám đốc Sở",
        },
    )
    assert r.status_code == 200, r.text
    assert r.json()["substitute"]["state"] == "pending"
    decide = f"/api/meetings/{mid}/invitations/{original}/substitute"

    member = companion(base)
    login(member, "member1")
    assert error_of(member.post(decide, json={"accept": True}), 403)["code"] == "office_required"
    r = office.post(decide, json={"accept": True, "vote": False})
    assert r.status_code == 200, r.text
    sub = r.json()["substitute"]
    assert sub["state"] == "accepted" and sub["vote"] is False and sub["participant_id"]
    assert (
        error_of(office.post(decide, json={"accept": False}), 409)["code"]
        == "invitation_no_pending_substitute"
    )
    error = error_of(device.put(f"/api/meetings/{mid}/invitation", json={"state": "confirmed"}), 409)
    assert error["code"] == "invitation_substitute_accepted"

    lines = {line["participant_id"]: line for line in table(office, mid)["invitations"]}
    assert lines[sub["participant_id"]]["full_name"] == "Nguyễn Văn Thế"
    assert lines[sub["participant_id"]]["substitute_for"] == original
    people = {p["id"]: p for p in office.get(f"/api/meetings/{mid}").json()["participants"]}
    assert people[sub["participant_id"]]["voting_member"] is False
    assert people[sub["participant_id"]]["role"] == "delegate"

    secretary = companion(base)
    login(secretary, "secretary")
    assert secretary.post(f"/api/meetings/{mid}/actions/start").status_code == 200
    r = secretary.put(
        f"/api/meetings/{mid}/participants/{sub['participant_id']}/attendance", json={"attendance": "present"}
    )
    assert r.status_code == 200, r.text
    as_secretary = Actor(body_id=world.body_id, user_id=world.users["secretary"], user_role=UserRole.MEMBER)
    substitute = Actor(
        body_id=world.body_id,
        participant_id=sub["participant_id"],
        meeting_id=mid,
        meeting_role=MeetingRole.DELEGATE,
    )

    async def try_to_vote(db: Database) -> None:
        async with db.unit() as uow:
            poll = await polls.create_poll(
                uow, as_secretary, mid, PollFields(title="Tờ trình", spec={"kind": "open"})
            )
            poll_id = poll.id
        async with db.unit() as uow:
            await polls.open_poll(uow, as_secretary, mid, poll_id)
        with pytest.raises(PermissionDenied) as refused:
            async with db.unit() as uow:
                await polls.cast_ballot(uow, substitute, mid, poll_id, "sub-key-1", ["approve"])
        assert refused.value.code == "poll_not_eligible"
        assert refused.value.params == {"reason": "not_voting_member"}

    run_in_app(base, try_to_vote)


def test_the_office_gives_or_refuses_the_vote(
    base: TestClient, world: World, office: TestClient, meeting: dict[str, Any]
) -> None:
    mid = meeting["id"]
    body = {"state": "substitute", "substitute_name": "Trần Văn An"}
    for index in (1, 2, 3):  # secretary (no vote), member1, member2
        client = on_tablet(base, office, meeting, pid_of(meeting, index))
        assert client.put(f"/api/meetings/{mid}/invitation", json=body).status_code == 200

    def decide(index: int, **decision: Any) -> Any:
        return office.post(
            f"/api/meetings/{mid}/invitations/{pid_of(meeting, index)}/substitute", json=decision
        )

    # the secretary has no vote: neither has their substitute
    assert error_of(decide(1, accept=True, vote=True), 422)["code"] == "invitation_substitute_cannot_vote"
    r = decide(2, accept=True, vote=True)
    assert r.status_code == 200, r.text
    voter = r.json()["substitute"]["participant_id"]
    people = {p["id"]: p for p in office.get(f"/api/meetings/{mid}").json()["participants"]}
    assert people[voter]["voting_member"] is True
    refused = decide(3, accept=False).json()["substitute"]
    assert refused["state"] == "refused" and refused["participant_id"] is None
    # a refused substitute: the participant answers again
    client = on_tablet(base, office, meeting, pid_of(meeting, 3))
    assert client.put(f"/api/meetings/{mid}/invitation", json={"state": "confirmed"}).status_code == 200
    error = error_of(
        office.post(f"/api/meetings/{mid}/invitations/999999/substitute", json={"accept": False}), 404
    )
    assert error["code"] == "participant_not_found"


def unfold(text: str) -> list[str]:
    return text.replace("\r\n ", "").split("\r\n")


def test_the_calendar_file(base: TestClient, world: World, office: TestClient) -> None:
    start = datetime(2026, 12, 3, 1, 30, tzinfo=UTC)
    title = (
        "Hội nghị Ban Thường vụ Tỉnh ủy, phiên thứ 12; bàn về kế hoạch phát triển kinh tế - xã hội năm 2027"
    )
    meeting = new_meeting(
        office,
        title=title,
        location="Phòng họp số 1; Tỉnh ủy, tầng 3 \\ nhà A",
        starts_at=(start.astimezone()).isoformat(),
        ends_at=(start + timedelta(hours=3, minutes=30)).isoformat(),
    )
    mid = meeting["id"]
    for item in ["Tờ trình kế hoạch năm 2027", "Báo cáo giải ngân, vốn đầu tư công"]:
        assert office.post(f"/api/meetings/{mid}/agenda", json={"title": item}).status_code == 201
    r = office.get(f"/api/meetings/{mid}/invitation.ics")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "text/calendar; charset=utf-8"
    assert r.headers["content-disposition"] == f'attachment; filename="cuoc-hop-{mid}.ics"'
    raw = r.content
    assert raw.endswith(b"\r\n") and b"\n" not in raw.replace(b"\r\n", b"")
    physical = raw.split(b"\r\n")[:-1]
    assert all(len(line) <= 75 for line in physical)
    assert any(line.startswith(b" ") for line in physical)  # the long title was folded
    for line in physical:
        line.decode("utf-8")  # never folded inside a character
    lines = unfold(raw.decode("utf-8"))[:-1]
    assert lines[:6] == [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//phonghop//phonghop//VI",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
    ]
    assert lines[-2:] == ["END:VEVENT", "END:VCALENDAR"]
    fields = dict(line.split(":", 1) for line in lines)
    assert fields["DTSTART"] == "20261203T013000Z"
    assert fields["DTEND"] == "20261203T050000Z"
    assert fields["SUMMARY"] == title.replace(",", "\\,").replace(";", "\\;")
    assert fields["LOCATION"] == "Phòng họp số 1\\; Tỉnh ủy\\, tầng 3 \\\\ nhà A"
    assert fields["DESCRIPTION"] == "1. Tờ trình kế hoạch năm 2027\\n2. Báo cáo giải ngân\\, vốn đầu tư công"
    assert fields["UID"].startswith(f"meeting-{mid}-") and fields["UID"].endswith("@testserver")
    assert fields["STATUS"] == "CONFIRMED"
    assert fields["DTSTAMP"].endswith("Z") and len(fields["DTSTAMP"]) == 16

    # participants may download it; cancelled meetings say so
    member = companion(base)
    login(member, "member1")
    assert error_of(member.get(f"/api/meetings/{mid}/invitation.ics"), 404)["code"] == "meeting_not_found"
    r = office.post(
        f"/api/meetings/{mid}/participants", json={"user_id": world.users["member1"], "role": "delegate"}
    )
    assert r.status_code == 201, r.text
    assert member.get(f"/api/meetings/{mid}/invitation.ics").status_code == 200
    assert office.post(f"/api/meetings/{mid}/actions/cancel").status_code == 200
    assert "STATUS:CANCELLED\r\n" in office.get(f"/api/meetings/{mid}/invitation.ics").text


def test_escaping_and_folding() -> None:
    assert escape_text("a\\b;c,d\ne\r\nf") == "a\\\\b\\;c\\,d\\ne\\nf"
    line = "SUMMARY:" + "ệ" * 60  # 3 octets each: a character is never cut
    folded = fold_line(line)
    assert [len(p.encode()) for p in folded.split("\r\n")] == [74, 73, 43]
    assert folded.replace("\r\n ", "") == line
    ascii_line = "X" * 200  # 75 octets a line, the leading space included
    assert [len(p) for p in fold_line(ascii_line).split("\r\n")] == [75, 75, 52]
    assert fold_line("SHORT:x") == "SHORT:x"
