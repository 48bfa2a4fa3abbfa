"""Sending invitations, the live confirmation table, reminders (the office's button and the
automatic one a day before), and the notices to the office about absences and substitutes."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from starlette.testclient import TestClient

from phonghop.services import invitations
from phonghop.services.reminders import run_reminders
from phonghop.storage.db import Database
from phonghop.storage.models import MeetingEvent, Notification
from tests.factories import World, new_meeting
from tests.invitations.conftest import lines, notifications, on_tablet, pid, staff
from tests.notices_service.conftest import error_of, run_in_app

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def test_sending_notifies_everyone_with_an_account_once(
    base: TestClient, world: World, office: TestClient, meeting: dict[str, Any]
) -> None:
    mid = meeting["id"]
    guest = pid(meeting, 5)
    r = office.post(f"/api/meetings/{mid}/invitations/send")
    assert r.status_code == 200, r.text
    assert r.json()["sent"] == 5 and r.json()["without_account"] == [guest]

    member = staff(base, "member1")
    [note] = [n for n in notifications(member) if n["kind"] == "invitation_with_code"]  # a delegate
    assert note["link"] == f"/console/#/invitation/{mid}"
    assert "Hội nghị Ban Thường vụ Tỉnh ủy tháng 11" in note["text"]
    assert "08:00 29/11/2027" in note["text"]  # the office's time, not UTC
    table = lines(office, mid)
    assert all(table[pid(meeting, i)]["sent_at"] for i in range(5))
    assert table[guest]["sent_at"] is None and table[guest]["has_account"] is False
    assert table[pid(meeting, 2)]["state"] == "invited"

    # again: nobody new; with ?all=1 everyone once more
    assert office.post(f"/api/meetings/{mid}/invitations/send").json()["sent"] == 0
    assert len([n for n in notifications(member) if n["kind"] == "invitation_with_code"]) == 1
    assert office.post(f"/api/meetings/{mid}/invitations/send?all=1").json()["sent"] == 5
    assert len([n for n in notifications(member) if n["kind"] == "invitation_with_code"]) == 2

    # members do not send; another body's office does not see the meeting
    assert error_of(member.post(f"/api/meetings/{mid}/invitations/send"), 403)["code"] == "office_required"
    stranger = staff(base, "other_office")
    error = error_of(stranger.post(f"/api/meetings/{mid}/invitations/send"), 404)
    assert error["code"] == "meeting_not_found"
    # a draft meeting is not sent
    draft = new_meeting(office)
    error = error_of(office.post(f"/api/meetings/{draft['id']}/invitations/send"), 409)
    assert error["code"] == "invitation_not_scheduled" and error["params"] == {"state": "draft"}


def test_answers_go_to_the_controllers_and_absences_to_the_office(
    base: TestClient, world: World, office: TestClient, meeting: dict[str, Any]
) -> None:
    mid = meeting["id"]
    url = f"/api/meetings/{mid}/invitation"
    member = staff(base, "member1")
    assert member.put(url, json={"state": "confirmed"}).status_code == 200
    absent = on_tablet(base, office, mid, pid(meeting, 3))
    assert absent.put(url, json={"state": "absent", "reason": "Đi công tác Hà Nội"}).status_code == 200
    named = on_tablet(base, office, mid, pid(meeting, 4))
    body = {"state": "substitute", "substitute_name": "Nguyễn Văn Thế", "substitute_title": "Phó Giám đốc"}
    assert named.put(url, json=body).status_code == 200
    r = office.post(f"/api/meetings/{mid}/invitations/{pid(meeting, 4)}/decision", json={"accept": False})
    assert r.status_code == 200, r.text

    async def events(db: Database) -> list[tuple[str, str, dict[str, Any]]]:
        async with db.unit(write=False) as uow:
            rows = await uow.session.scalars(
                select(MeetingEvent)
                .where(MeetingEvent.meeting_id == mid, MeetingEvent.type.like("invitation.%"))
                .order_by(MeetingEvent.seq)
            )
            return [(e.type, e.audience, e.data) for e in rows]

    log = run_in_app(base, events)
    assert [(t, a) for t, a, _ in log] == [
        ("invitation.answered", "controllers"),
        ("invitation.answered", "controllers"),
        ("invitation.answered", "controllers"),
        ("invitation.substitute_decided", "controllers"),
    ]
    assert log[1][2]["reason"] == "Đi công tác Hà Nội" and log[1][2]["state"] == "absent"
    assert log[3][2]["substitute"]["state"] == "refused"

    texts = {n["kind"]: n["text"] for n in notifications(office)}
    assert "Phạm Thị Lan" in texts["invitation_absent"] and "Đi công tác Hà Nội" in texts["invitation_absent"]
    assert "Nguyễn Văn Thế" in texts["invitation_substitute"]
    assert "invitation_confirmed" not in texts


def test_the_office_reminds_those_who_have_not_answered(
    base: TestClient, world: World, office: TestClient, meeting: dict[str, Any]
) -> None:
    mid = meeting["id"]
    member = staff(base, "member1")
    assert member.put(f"/api/meetings/{mid}/invitation", json={"state": "confirmed"}).status_code == 200
    r = office.post(f"/api/meetings/{mid}/invitations/remind")
    assert r.status_code == 200, r.text
    # chair, secretary, member2, member3; not member1 (answered), not the guest (no account)
    assert r.json()["reminded"] == 4
    assert not [n for n in notifications(member) if n["kind"] == "invitation_reminder"]
    chair = staff(base, "chair")
    [note] = [n for n in notifications(chair) if n["kind"] == "invitation_reminder"]
    assert "chưa trả lời" in note["text"]
    table = lines(office, mid)
    assert table[pid(meeting, 0)]["reminded_at"] and table[pid(meeting, 2)]["reminded_at"] is None
    assert error_of(member.post(f"/api/meetings/{mid}/invitations/remind"), 403)["code"] == "office_required"


def test_the_automatic_reminder_goes_once_a_day_before(
    base: TestClient, world: World, office: TestClient, meeting: dict[str, Any]
) -> None:
    mid = meeting["id"]
    starts = datetime.fromisoformat("2027-11-29T01:00:00+00:00")
    member = staff(base, "member1")
    assert member.put(f"/api/meetings/{mid}/invitation", json={"state": "confirmed"}).status_code == 200

    async def due(db: Database, now: datetime) -> list[str]:
        async with db.unit(write=False) as uow:
            return [r.key for r in await invitations.due_reminders(uow, now, TZ)]

    assert run_in_app(base, lambda db: due(db, starts - timedelta(days=2))) == []
    keys = run_in_app(base, lambda db: due(db, starts - timedelta(hours=20)))
    assert keys == [f"invitation:{mid}:{pid(meeting, i)}:before" for i in (0, 1, 3, 4)]

    async def run(db: Database) -> int:
        return len(
            [r for r in await run_reminders(db, starts - timedelta(hours=20), TZ) if r.key.startswith("inv")]
        )

    assert run_in_app(base, run) == 4
    assert run_in_app(base, run) == 0  # claimed: never twice

    async def reminders_of(db: Database) -> int:
        async with db.unit(write=False) as uow:
            rows = await uow.session.scalars(
                select(Notification).where(
                    Notification.user_id == world.users["chair"], Notification.kind == "invitation_reminder"
                )
            )
            return len(rows.all())

    assert run_in_app(base, reminders_of) == 1


def test_the_office_records_an_answer_given_by_telephone(
    base: TestClient, world: World, office: TestClient, meeting: dict[str, Any]
) -> None:
    """The guest has no account: the office records that they will not come, and why. The
    table and the event log show it like any answer; nobody else may do this."""
    mid = meeting["id"]
    guest = pid(meeting, 5)
    put = f"/api/meetings/{mid}/invitations/{guest}"
    r = office.put(put, json={"state": "absent", "reason": "Ốm, đã báo qua điện thoại"})
    assert r.status_code == 200, r.text
    line = lines(office, mid)[guest]
    assert (line["state"], line["reason"]) == ("absent", "Ốm, đã báo qua điện thoại")

    async def last_event(db: Database) -> tuple[str, str, int]:
        async with db.unit(write=False) as uow:
            row = await uow.session.scalar(
                select(MeetingEvent).where(MeetingEvent.meeting_id == mid).order_by(MeetingEvent.seq.desc())
            )
            assert row is not None
            return row.type, row.audience, row.data["participant_id"]

    assert run_in_app(base, last_event) == ("invitation.answered", "controllers", guest)
    assert not [n for n in notifications(office) if n["kind"] == "invitation_absent"]  # it knows

    # the rules of an answer hold: a reason for an absence, a name for a substitute
    assert error_of(office.put(put, json={"state": "absent"}), 422)["code"] == "invitation_answer_invalid"
    member = staff(base, "member1")
    assert error_of(member.put(put, json={"state": "confirmed"}), 403)["code"] == "office_required"
    assert (
        error_of(office.put(f"/api/meetings/{mid}/invitations/999999", json={"state": "confirmed"}), 404)[
            "code"
        ]
        == "participant_not_found"
    )
    other = staff(base, "other_office")
    assert error_of(other.put(put, json={"state": "confirmed"}), 404)["code"] == "meeting_not_found"
