"""Units (đơn vị) of a body, kept by its administrators, and the tasks that name them:
matched by name or short name whatever the case and tone-mark placement."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from phonghop.domain.permissions import Actor, UserRole
from phonghop.errors import InvalidInput
from phonghop.services import followup
from phonghop.services.accounts import Passwords, create_user
from phonghop.storage.db import Database
from tests.factories import PASSWORD, World, companion, login
from tests.followup.conftest import issue_meeting
from tests.notices_service.conftest import error_of, run_in_app

pytestmark = pytest.mark.usefixtures("configured")


def new_unit(admin: TestClient, name: str, short_name: str = "") -> dict[str, Any]:
    r = admin.post("/api/units", json={"name": name, "short_name": short_name})
    assert r.status_code == 201, r.text
    result: dict[str, Any] = r.json()
    return result


def units_of(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {u["unit"]: u for u in report["units"]}


def test_administrators_keep_the_units(admin: TestClient, office: TestClient) -> None:
    finance = new_unit(admin, "  Sở  Tài chính ", "STC")
    assert finance == {"id": finance["id"], "name": "Sở Tài chính", "short_name": "STC"}
    new_unit(admin, "Ban Tổ chức Tỉnh ủy")
    # the same name, in another case and tone-mark placement
    error = error_of(admin.post("/api/units", json={"name": "SỞ TÀI CHÍNH"}), 409)
    assert error["code"] == "unit_name_taken"
    assert error_of(admin.post("/api/units", json={"name": "   "}), 422)["code"] == "invalid_input"
    assert error_of(admin.post("/api/units", json={"name": "x" * 301}), 422)["code"] == "invalid_input"
    listed = office.get("/api/units").json()["units"]
    assert [u["name"] for u in listed] == ["Ban Tổ chức Tỉnh ủy", "Sở Tài chính"]

    r = admin.patch(f"/api/units/{finance['id']}", json={"name": "Sở Tài chính tỉnh Gia Lai"})
    assert r.status_code == 200, r.text
    assert r.json() == {"id": finance["id"], "name": "Sở Tài chính tỉnh Gia Lai", "short_name": "STC"}
    error = error_of(admin.patch(f"/api/units/{finance['id']}", json={"name": "ban tổ chức tỉnh uỷ"}), 409)
    assert error["code"] == "unit_name_taken"
    # renaming a unit to its own name in another spelling is not a clash
    r = admin.patch(f"/api/units/{finance['id']}", json={"name": "SỞ TÀI CHÍNH TỈNH GIA LAI"})
    assert r.status_code == 200, r.text
    assert admin.delete(f"/api/units/{finance['id']}").json() == {"ok": True}
    assert [u["name"] for u in office.get("/api/units").json()["units"]] == ["Ban Tổ chức Tỉnh ủy"]
    assert error_of(admin.delete(f"/api/units/{finance['id']}"), 404)["code"] == "unit_not_found"

    # office staff read them, only administrators change them
    assert error_of(office.post("/api/units", json={"name": "Sở Nội vụ"}), 403)["code"] == "admin_required"
    unit_id = listed[0]["id"]
    assert (
        error_of(office.patch(f"/api/units/{unit_id}", json={"name": "X"}), 403)["code"] == "admin_required"
    )
    assert error_of(office.delete(f"/api/units/{unit_id}"), 403)["code"] == "admin_required"


def test_units_belong_to_one_body(base: TestClient, world: World, admin: TestClient) -> None:
    unit = new_unit(admin, "Sở Tài chính")

    async def other_admin(db: Database) -> None:
        async with db.unit() as uow:
            await create_user(
                uow,
                Passwords(1, 8192),
                body_id=world.other_body_id,
                username="other_admin",
                full_name="Quản trị tỉnh khác",
                role=UserRole.ADMIN,
                password=PASSWORD,
            )

    run_in_app(base, other_admin)
    stranger = companion(base)
    login(stranger, "other_admin")
    assert stranger.get("/api/units").json() == {"units": []}
    assert (
        error_of(stranger.patch(f"/api/units/{unit['id']}", json={"name": "X"}), 404)["code"]
        == "unit_not_found"
    )
    assert error_of(stranger.delete(f"/api/units/{unit['id']}"), 404)["code"] == "unit_not_found"
    # the same name is free in another body
    r = stranger.post("/api/units", json={"name": "Sở Tài chính"})
    assert r.status_code == 201, r.text

    member = companion(base)
    login(member, "member1")
    assert error_of(member.get("/api/units"), 403)["code"] == "office_required"


def test_service_checks_the_fields(base: TestClient, world: World) -> None:
    admin = Actor(body_id=world.body_id, user_id=world.users["admin"], user_role=UserRole.ADMIN)

    async def check(db: Database) -> None:
        for name, short, field in [(" \u00a0 ", "", "name"), ("Sở Y tế", "x" * 101, "short_name")]:
            with pytest.raises(InvalidInput) as refused:
                async with db.unit() as uow:
                    await followup.create_unit(uow, admin, name=name, short_name=short)
            assert refused.value.code == "unit_invalid" and refused.value.params == {"field": field}

    run_in_app(base, check)


def test_tasks_name_their_unit(base: TestClient, world: World, office: TestClient, admin: TestClient) -> None:
    office_unit = new_unit(admin, "VĂN PHÒNG TỈNH UỶ", "VPTU")  # before the notice
    issued = issue_meeting(base, world, office)
    tasks = office.get("/api/tasks").json()["tasks"]
    linked = {t["lead_unit"]: t["unit_id"] for t in tasks}
    assert linked == {
        "Sở Tài chính": None,
        "Văn phòng Tỉnh ủy": office_unit["id"],
        "văn phòng tỉnh uỷ": office_unit["id"],
        "Sở Nội vụ": None,
    }
    # a unit added later is found by its short name
    home = new_unit(admin, "Sở Nội vụ tỉnh Gia Lai", "sở nội vụ")
    listing = office.get("/api/tasks", params={"unit_id": home["id"]}).json()
    assert [t["text"] for t in listing["tasks"]] == ["Sắp xếp bộ máy các phòng chuyên môn"]
    report = units_of(office.get("/api/tasks/report").json())
    assert set(report) == {"Sở Nội vụ tỉnh Gia Lai", "Sở Tài chính", "VĂN PHÒNG TỈNH UỶ"}
    assert report["VĂN PHÒNG TỈNH UỶ"]["unit_id"] == office_unit["id"]
    assert report["VĂN PHÒNG TỈNH UỶ"]["total"] == 2
    assert report["Sở Nội vụ tỉnh Gia Lai"]["late"] == 1
    assert report["Sở Tài chính"]["unit_id"] is None

    # an ambiguous short name names no unit
    new_unit(admin, "Sở Nội vụ (cơ sở 2)", "Sở Nội vụ")
    assert office.get("/api/tasks", params={"unit_id": home["id"]}).json()["total"] == 0

    # renamed away from the written name, then removed: the tasks keep their lead unit
    r = admin.patch(
        f"/api/units/{office_unit['id']}", json={"name": "Văn phòng Tỉnh ủy Gia Lai", "short_name": ""}
    )
    assert r.status_code == 200, r.text
    assert office.get("/api/tasks", params={"unit_id": office_unit["id"]}).json()["total"] == 0
    r = admin.patch(f"/api/units/{office_unit['id']}", json={"short_name": "văn phòng tỉnh ủy"})
    assert office.get("/api/tasks", params={"unit_id": office_unit["id"]}).json()["total"] == 2
    assert admin.delete(f"/api/units/{office_unit['id']}").status_code == 200
    tasks = office.get("/api/tasks", params={"meeting_id": issued.meeting_id}).json()["tasks"]
    assert {t["unit_id"] for t in tasks} == {None}
    assert {t["lead_unit"] for t in tasks} >= {"Văn phòng Tỉnh ủy", "văn phòng tỉnh uỷ"}
    report = units_of(office.get("/api/tasks/report").json())
    assert report["Văn phòng Tỉnh ủy"]["total"] == 2 and report["Văn phòng Tỉnh ủy"]["unit_id"] is None
