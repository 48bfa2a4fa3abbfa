"""A scheduled meeting at a known time (Monday 29/11/2027, 08:00 in Hà Nội), the notice
service's app fixtures, and small helpers shared by the invitation tests."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.factories import World, companion, join_tablet, login, new_meeting
from tests.notices_service import conftest as notices_conftest

base = notices_conftest.base
office = notices_conftest.office
admin = notices_conftest.admin
configured = notices_conftest.configured

#: 08:00 on Monday 29 November 2027 in Asia/Ho_Chi_Minh (the default time zone).
STARTS_AT = "2027-11-29T01:00:00Z"

#: (user, role, full name, title) of the participants, in list order.
PEOPLE = [
    ("chair", "chair", "Hồ Văn Niên", "Bí thư Tỉnh ủy"),
    ("secretary", "secretary", "Trần Thị Bình", "Chánh Văn phòng Tỉnh ủy"),
    ("member1", "delegate", "Lê Văn Cường", "Phó Bí thư Tỉnh ủy"),
    ("member2", "delegate", "Phạm Thị Lan", "Ủy viên Ban Thường vụ"),
    ("member3", "delegate", "Đỗ Văn Minh", "Ủy viên Ban Thường vụ"),
]
GUEST = ("Nguyễn Thị Khách", "Giám đốc Sở Tư pháp")


def scheduled_meeting(office: TestClient, world: World, *, guest: bool = True) -> dict[str, Any]:
    """The meeting with :data:`PEOPLE` (staff accounts) and a guest without an account,
    two agenda items, scheduled."""
    meeting = new_meeting(
        office,
        title="Hội nghị Ban Thường vụ Tỉnh ủy tháng 11",
        starts_at=STARTS_AT,
        location="Phòng họp số 1, Tỉnh ủy",
        members_total=4,
    )
    mid = meeting["id"]
    for username, role, name, title in PEOPLE:
        r = office.post(
            f"/api/meetings/{mid}/participants",
            json={"user_id": world.users[username], "role": role, "full_name": name, "title": title},
        )
        assert r.status_code == 201, r.text
    if guest:
        r = office.post(
            f"/api/meetings/{mid}/participants",
            json={"full_name": GUEST[0], "title": GUEST[1], "role": "guest"},
        )
        assert r.status_code == 201, r.text
    for title in ["Tờ trình kế hoạch năm 2028", "Báo cáo giải ngân vốn đầu tư công"]:
        assert office.post(f"/api/meetings/{mid}/agenda", json={"title": title}).status_code == 201
    r = office.post(f"/api/meetings/{mid}/actions/schedule")
    assert r.status_code == 200, r.text
    result: dict[str, Any] = r.json()
    return result


@pytest.fixture
def meeting(office: TestClient, world: World) -> dict[str, Any]:
    return scheduled_meeting(office, world)


def pid(meeting: dict[str, Any], index: int) -> int:
    result: int = meeting["participants"][index]["id"]
    return result


def staff(base: TestClient, username: str) -> TestClient:
    client = companion(base)
    login(client, username)
    return client


def on_tablet(base: TestClient, office: TestClient, meeting_id: int, participant_id: int) -> TestClient:
    client = companion(base)
    join_tablet(client, office, meeting_id, participant_id)
    return client


def lines(office: TestClient, meeting_id: int) -> dict[int, dict[str, Any]]:
    r = office.get(f"/api/meetings/{meeting_id}/invitations")
    assert r.status_code == 200, r.text
    return {line["participant_id"]: line for line in r.json()["invitations"]}


def notifications(client: TestClient) -> list[dict[str, Any]]:
    r = client.get("/api/notifications")
    assert r.status_code == 200, r.text
    result: list[dict[str, Any]] = r.json()["notifications"]
    return result
