"""Building blocks for tests: a body, staff accounts, a meeting, logged-in clients."""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pypdf import PdfWriter
from starlette.testclient import TestClient

from phonghop.config import Settings
from phonghop.domain.permissions import UserRole
from phonghop.services.accounts import Passwords, create_user
from phonghop.services.bodies import create_body
from phonghop.storage.db import Database

PASSWORD = "mat-khau-2026"


@dataclass
class World:
    body_id: int
    other_body_id: int
    users: dict[str, int]


def seed_world(settings: Settings) -> World:
    """Two bodies; in the first an admin, an office clerk, a secretary, a chair and
    members; in the second an office clerk (to test that bodies do not see each other)."""

    async def run() -> World:
        db = Database(settings.database_url)
        pw = Passwords(1, 8192)
        users: dict[str, int] = {}
        try:
            async with db.unit() as uow:
                body = await create_body(
                    uow,
                    name="TỈNH ỦY THỬ NGHIỆM",
                    short_name="Ban Thường vụ Tỉnh ủy",
                    symbol="TU",
                    notice_format="party",
                    place="Thử Nghiệm",
                )
                other = await create_body(
                    uow, name="ỦY BAN NHÂN DÂN TỈNH KHÁC", symbol="UBND", notice_format="state"
                )
                for username, role, with_password in [
                    ("admin", UserRole.ADMIN, True),
                    ("office", UserRole.OFFICE, True),
                    ("secretary", UserRole.MEMBER, True),
                    ("chair", UserRole.MEMBER, True),
                    ("member1", UserRole.MEMBER, True),
                    ("member2", UserRole.MEMBER, False),
                    ("member3", UserRole.MEMBER, False),
                ]:
                    user = await create_user(
                        uow,
                        pw,
                        body_id=body.id,
                        username=username,
                        full_name=f"Đồng chí {username.title()}",
                        role=role,
                        password=PASSWORD if with_password else None,
                    )
                    users[username] = user.id
                stranger = await create_user(
                    uow,
                    pw,
                    body_id=other.id,
                    username="other_office",
                    full_name="Cán bộ tỉnh khác",
                    role=UserRole.OFFICE,
                    password=PASSWORD,
                )
                users["other_office"] = stranger.id
                return World(body.id, other.id, users)
        finally:
            await db.dispose()

    return asyncio.run(run())


def login(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Sign ``client`` in; returns the CSRF token and sets it as a default header."""
    r = client.post("/api/session", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    token: str = r.json()["csrf_token"]
    client.headers["X-CSRF-Token"] = token
    return token


def new_meeting(client: TestClient, **fields: Any) -> dict[str, Any]:
    start = datetime.now(UTC) + timedelta(days=2)
    body = {"title": "Hội nghị Ban Thường vụ Tỉnh ủy", "starts_at": start.isoformat(), **fields}
    r = client.post("/api/meetings", json=body)
    assert r.status_code == 201, r.text
    result: dict[str, Any] = r.json()
    return result


def prepared_meeting(client: TestClient, world: World) -> dict[str, Any]:
    """A scheduled meeting with a chair, a secretary, three delegates and two items."""
    meeting = new_meeting(client, members_total=4)
    mid = meeting["id"]
    for username, role in [
        ("chair", "chair"),
        ("secretary", "secretary"),
        ("member1", "delegate"),
        ("member2", "delegate"),
        ("member3", "delegate"),
    ]:
        r = client.post(
            f"/api/meetings/{mid}/participants", json={"user_id": world.users[username], "role": role}
        )
        assert r.status_code == 201, r.text
    for title in ["Tờ trình kế hoạch năm 2027", "Báo cáo giải ngân vốn đầu tư công"]:
        r = client.post(f"/api/meetings/{mid}/agenda", json={"title": title})
        assert r.status_code == 201, r.text
    r = client.post(f"/api/meetings/{mid}/actions/schedule")
    assert r.status_code == 200, r.text
    result: dict[str, Any] = r.json()
    return result


def personal_code(staff: TestClient, meeting_id: int, participant_id: int) -> str:
    """The personal code the office prints on this participant's invitation."""
    r = staff.get(f"/api/meetings/{meeting_id}/personal-codes")
    assert r.status_code == 200, r.text
    code: str = next(
        p["personal_code"] for p in r.json()["participants"] if p["participant_id"] == participant_id
    )
    return code


def join_tablet(
    tablet: TestClient, staff: TestClient, meeting_id: int, participant_id: int
) -> dict[str, Any]:
    """``tablet`` joins the meeting as the participant with the code from their invitation
    (fetched by ``staff``, the office or a controller), or with their account for a chair or
    secretary who has one; sets the CSRF header; the session."""
    detail = staff.get(f"/api/meetings/{meeting_id}").json()
    body: dict[str, Any] = {"code": detail["join_code"], "participant_id": participant_id}
    codes = staff.get(f"/api/meetings/{meeting_id}/personal-codes").json()["participants"]
    if next(c["sign_in"] for c in codes if c["participant_id"] == participant_id) == "account":
        # a chair or secretary with an account signs in with it (the test world's password)
        user_id = next(p["user_id"] for p in detail["participants"] if p["id"] == participant_id)
        users = staff.get("/api/users").json()["users"]
        body.update(username=next(u["username"] for u in users if u["id"] == user_id), password=PASSWORD)
    else:
        body["personal_code"] = personal_code(staff, meeting_id, participant_id)
    r = tablet.post("/api/join", json=body)
    assert r.status_code == 200, r.text
    tablet.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    result: dict[str, Any] = r.json()
    return result


def companion(base: TestClient) -> TestClient:
    """Another browser (its own cookies) talking to the same running app as ``base``.

    Entering a TestClient starts the app's lifespan again, i.e. a second app instance
    with its own hub. A companion shares ``base``'s event loop and lifespan state
    instead, as a second tablet on the same server would.
    """
    other = TestClient(base.app, base_url=str(base.base_url))
    other.portal = base.portal
    other.app_state.update(base.app_state)
    return other


def blank_pdf(pages: int, *, width: float = 595.0, height: float = 842.0) -> bytes:
    """A valid PDF of ``pages`` empty A4 pages."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width, height)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def upload_document(client: TestClient, meeting_id: int, pdf: bytes, **params: Any) -> dict[str, Any]:
    """Upload ``pdf`` to the meeting as the signed-in client; the created document."""
    r = client.post(
        f"/api/meetings/{meeting_id}/documents",
        params={k: str(v) for k, v in params.items()},
        content=pdf,
        headers={"Content-Type": "application/pdf"},
    )
    assert r.status_code == 201, r.text
    result: dict[str, Any] = r.json()
    return result


def wait_for(condition: Callable[[], object], what: str, deadline_s: float = 60.0) -> None:
    """Poll ``condition`` until true; fail after a generous deadline (never a bare sleep)."""
    give_up = time.monotonic() + deadline_s
    while not condition():
        assert time.monotonic() < give_up, f"gave up waiting for {what}"
        time.sleep(0.02)
