"""A substitute's rights, as the office set them when accepting: without the read right no
document, without the speak right no request to speak, without the vote no ballot."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from phonghop.domain.permissions import Actor, MeetingRole, UserRole
from phonghop.errors import PermissionDenied
from phonghop.events import audience_members
from phonghop.services import live, polls
from phonghop.services.polls import PollFields
from phonghop.storage.db import Database
from phonghop.storage.models import MeetingEvent
from tests.factories import World, blank_pdf, upload_document
from tests.invitations.conftest import lines, on_tablet, pid, staff
from tests.notices_service.conftest import error_of, run_in_app


def name_substitute(base: TestClient, office: TestClient, mid: int, original: int, name: str) -> None:
    device = on_tablet(base, office, mid, original)
    r = device.put(f"/api/meetings/{mid}/invitation", json={"state": "substitute", "substitute_name": name})
    assert r.status_code == 200, r.text


def test_a_substitute_without_rights_reads_speaks_and_votes_nothing(
    base: TestClient, world: World, office: TestClient, meeting: dict[str, Any]
) -> None:
    mid = meeting["id"]
    upload_document(office, mid, blank_pdf(2), title="Tờ trình kế hoạch năm 2028")
    name_substitute(base, office, mid, pid(meeting, 4), "Nguyễn Văn Thế")  # for member3
    name_substitute(base, office, mid, pid(meeting, 3), "Trần Văn Đủ")  # for member2
    decide = f"/api/meetings/{mid}/invitations/{{}}/decision"
    r = office.post(
        decide.format(pid(meeting, 4)), json={"accept": True, "vote": False, "read": False, "speak": False}
    )
    assert r.status_code == 200, r.text
    bare = r.json()["substitute"]
    assert (bare["state"], bare["vote"], bare["read"], bare["speak"]) == ("accepted", False, False, False)
    r = office.post(decide.format(pid(meeting, 3)), json={"accept": True, "vote": True})
    assert r.status_code == 200, r.text
    full = r.json()["substitute"]
    assert (full["vote"], full["read"], full["speak"]) == (True, True, True)
    # the guest has no vote: neither would a substitute
    error = error_of(office.post(decide.format(pid(meeting, 5)), json={"accept": True}), 409)
    assert error["code"] == "invitation_no_pending_substitute"

    people = {p["id"]: p for p in office.get(f"/api/meetings/{mid}").json()["participants"]}
    assert (people[bare["participant_id"]]["can_read"], people[bare["participant_id"]]["can_speak"]) == (
        False,
        False,
    )
    assert people[full["participant_id"]]["can_read"] and people[full["participant_id"]]["can_speak"]
    # the vote passed from member2 to their substitute: still four voters for four members
    assert people[full["participant_id"]]["voting_member"] is True
    assert people[pid(meeting, 3)]["voting_member"] is False
    assert people[bare["participant_id"]]["voting_member"] is False
    assert people[pid(meeting, 4)]["voting_member"] is True  # member3 kept theirs (no vote given)
    table = office.get(f"/api/meetings/{mid}/invitations").json()
    assert table["counts"] == {
        "invited": 4,
        "confirmed": 0,
        "absent": 0,
        "substitute": 2,
    }  # not the substitutes
    assert lines(office, mid)[pid(meeting, 4)]["substitute"]["read"] is False

    secretary = staff(base, "secretary")
    assert secretary.post(f"/api/meetings/{mid}/actions/start").status_code == 200
    for who in (bare, full):
        r = secretary.put(
            f"/api/meetings/{mid}/participants/{who['participant_id']}/attendance",
            json={"attendance": "present"},
        )
        assert r.status_code == 200, r.text

    # documents: the substitute without the read right sees none, the other sees them
    no_read = on_tablet(base, office, mid, bare["participant_id"])
    reads = on_tablet(base, office, mid, full["participant_id"])
    assert no_read.get(f"/api/meetings/{mid}/documents").json()["documents"] == []
    assert len(reads.get(f"/api/meetings/{mid}/documents").json()["documents"]) == 1
    # nor hears of one published now: its event goes to the others only
    upload_document(office, mid, blank_pdf(1), title="Báo cáo bổ sung")

    async def published_audience(db: Database) -> frozenset[int] | None:
        async with db.unit(write=False) as uow:
            row = await uow.session.scalar(
                select(MeetingEvent)
                .where(MeetingEvent.meeting_id == mid, MeetingEvent.type == "document.published")
                .order_by(MeetingEvent.seq.desc())
            )
            assert row is not None and row.data["document"]["title"] == "Báo cáo bổ sung"
            return audience_members(row.audience)

    hearers = run_in_app(base, published_audience)
    assert hearers is not None and full["participant_id"] in hearers
    assert bare["participant_id"] not in hearers

    def tablet_actor(participant_id: int) -> Actor:
        return Actor(
            body_id=world.body_id,
            participant_id=participant_id,
            meeting_id=mid,
            meeting_role=MeetingRole.DELEGATE,
        )

    as_secretary = Actor(body_id=world.body_id, user_id=world.users["secretary"], user_role=UserRole.MEMBER)

    async def speak_and_vote(db: Database) -> None:
        with pytest.raises(PermissionDenied) as refused:
            async with db.unit() as uow:
                await live.request_to_speak(uow, tablet_actor(bare["participant_id"]), mid)
        assert refused.value.code == "speak_not_allowed"
        async with db.unit() as uow:
            queue = await live.request_to_speak(uow, tablet_actor(full["participant_id"]), mid)
        assert [e["participant_id"] for e in queue["queue"]] == [full["participant_id"]]

        async with db.unit() as uow:
            poll = await polls.create_poll(
                uow, as_secretary, mid, PollFields(title="Tờ trình", spec={"kind": "open"})
            )
            poll_id = poll.id
        async with db.unit() as uow:
            await polls.open_poll(uow, as_secretary, mid, poll_id)
        with pytest.raises(PermissionDenied) as not_eligible:
            async with db.unit() as uow:
                await polls.cast_ballot(
                    uow, tablet_actor(bare["participant_id"]), mid, poll_id, "k-1", ["approve"]
                )
        assert not_eligible.value.code == "poll_not_eligible"
        async with db.unit() as uow:
            await polls.cast_ballot(
                uow, tablet_actor(full["participant_id"]), mid, poll_id, "k-2", ["approve"]
            )

    run_in_app(base, speak_and_vote)
