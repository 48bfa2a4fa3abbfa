"""The consoles' change signals for tasks (``/ws/changes``): issuing a notice, a unit's
progress report and the office's acceptance reach the office and the task's lead and
cooperating units; another unit gets nothing."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from tests.changes import Console
from tests.factories import World
from tests.followup.conftest import issue_meeting
from tests.followup.staff import Staff, add_unit_staff

pytestmark = pytest.mark.usefixtures("configured")


@pytest.fixture
def staff(base: TestClient, admin: TestClient) -> Staff:
    return add_unit_staff(base, admin)


def test_a_task_change_reaches_the_consoles_that_see_the_task(
    base: TestClient, world: World, office: TestClient, staff: Staff
) -> None:
    consoles = {name: Console(c) for name, c in {"office": office, **staff.clients}.items()}
    try:
        issue_meeting(base, world, office)
        tasks = {t["text"]: t for t in office.get("/api/tasks").json()["tasks"]}
        # "Rà soát nguồn vốn đối ứng": Sở Tài chính leads, Sở Nội vụ cooperates.
        tid = tasks["Rà soát nguồn vốn đối ứng"]["id"]
        issued_signals = {
            name: {s["id"] for s in console.signals_until_quiet()} for name, console in consoles.items()
        }
        assert issued_signals["office"] == {t["id"] for t in tasks.values()}
        assert tid in issued_signals["taichinh"] and tid in issued_signals["noivu"]
        assert tid not in issued_signals["vanphong_tu"]

        r = staff.clients["taichinh"].post(f"/api/tasks/{tid}/reports", json={"note": "Đã rà soát 50%"})
        assert r.status_code == 200, r.text
        expected = {"type": "changed", "topic": "tasks", "id": tid, "body_id": world.body_id}
        for name in ("office", "taichinh", "noivu"):
            assert consoles[name].signal() == expected, name
        assert consoles["vanphong_tu"].signals_until_quiet() == []
    finally:
        for console in consoles.values():
            console.close()
