"""A meeting held and closed through the API, its conclusions corrected by the office with
deadlines around the office's today, and a notice issued from it: what follow-up starts from.

The office's time zone is chosen so that its date is never the UTC date at the moment the
tests run: a server reading "today" in UTC would get every boundary wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from starlette.testclient import TestClient

from phonghop.config import Settings
from tests.conftest import make_settings
from tests.factories import World
from tests.notices_service import conftest as notices_conftest
from tests.notices_service.conftest import hold_meeting

# The notice service's fixtures: a running app, the seeded bodies, signed-in office staff
# and administrator, the body's notice settings.
base = notices_conftest.base
office = notices_conftest.office
admin = notices_conftest.admin
configured = notices_conftest.configured


def office_zone() -> str:
    """UTC+14 from 10:00 UTC (its date is the next day), UTC-11 before (the previous day)."""
    return "Pacific/Kiritimati" if datetime.now(UTC).hour >= 10 else "Pacific/Pago_Pago"


def office_today() -> date:
    return datetime.now(ZoneInfo(office_zone())).date()


@pytest.fixture
def settings(tmp_path: Path, sqlite_url: str) -> Settings:
    return make_settings(tmp_path / "data", sqlite_url, timezone=office_zone())


@dataclass
class Issued:
    meeting_id: int
    items: list[int]
    notice: dict[str, Any]
    today: date


def points(today: date) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The two items' points: one without a lead unit (no task), a late one, one due
    today, one without a deadline (the lead unit spelt in lower case, "uỷ"), and one long late."""
    yesterday = (today - timedelta(days=1)).isoformat()
    first = [
        {"text": "Thống nhất thông qua Tờ trình kế hoạch năm 2027"},
        {
            "text": "Rà soát nguồn vốn đối ứng",
            "chu_tri": "Sở Tài chính",
            "phoi_hop": ["Sở Nội vụ"],
            "deadline": yesterday,
        },
        {"text": "Hoàn thiện Tờ trình", "chu_tri": "Văn phòng Tỉnh ủy", "deadline": today.isoformat()},
    ]
    second = [
        {"text": "Theo dõi tiến độ giải ngân hằng tháng", "chu_tri": "văn phòng tỉnh uỷ"},
        {
            "text": "Sắp xếp bộ máy các phòng chuyên môn",
            "chu_tri": "Sở Nội vụ",
            "deadline": (today - timedelta(days=10)).isoformat(),
        },
    ]
    return first, second


def issue_meeting(base: TestClient, world: World, office: TestClient) -> Issued:
    """Hold and close a meeting, correct its conclusions (:func:`points`), draft and issue
    its notice."""
    held = hold_meeting(base, world, office)
    today = office_today()
    for item, pts in zip(held.items, points(today), strict=True):
        r = office.put(f"/api/meetings/{held.id}/conclusions/{item}", json={"summary": "", "points": pts})
        assert r.status_code == 200, r.text
    notice = issue_notice(office, held.id)
    return Issued(held.id, held.items, notice, today)


def issue_notice(office: TestClient, meeting_id: int) -> dict[str, Any]:
    r = office.post(f"/api/meetings/{meeting_id}/notices", json={})
    assert r.status_code == 201, r.text
    r = office.post(f"/api/notices/{r.json()['id']}/issue")
    assert r.status_code == 200, r.text
    result: dict[str, Any] = r.json()
    return result
