"""A meeting held from start to close through the API, the notice settings of its body,
and a throwaway signing certificate: what the notice service tests draft from."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest
from starlette.testclient import TestClient

from phonghop.app import create_app
from phonghop.config import Settings
from phonghop.domain.permissions import Actor, UserRole
from phonghop.services import polls
from phonghop.services.polls import PollFields
from phonghop.storage.db import Database
from tests.factories import World, companion, join_tablet, login, prepared_meeting
from tests.pki import Signer, signer
from tests.realtime.helpers import Peer
from tests.softhsm import softhsm_token

T = TypeVar("T")

#: The Party settings of the test body ("TỈNH ỦY THỬ NGHIỆM", symbol TU).
PARTY_SETTINGS: dict[str, Any] = {
    "header_name": "TỈNH ỦY GIA LAI",
    "place": "Gia Lai",
    "term_start": "2025-10-16",
    "file_copy": "Lưu Văn phòng Tỉnh ủy",
    "recipients": ["Ban Bí thư (để báo cáo)", "Các đồng chí Tỉnh ủy viên"],
    "signature": {
        "signer_title": "Phó Bí thư",
        "signer_name": "Nguyễn Văn Bình",
        "authorities": [{"authority": "on_behalf", "of": "Ban Thường vụ"}],
    },
    "layout": {"include_votes": True},
}

#: Names and titles given to the participants of ``prepared_meeting`` (in its order).
PEOPLE = [
    ("Hồ Văn Niên", "Bí thư Tỉnh ủy"),
    ("Trần Thị Bình", "Chánh Văn phòng Tỉnh ủy"),
    ("Lê Văn Cường", "Phó Bí thư Tỉnh ủy"),
    ("Phạm Thị Lan", "Ủy viên Ban Thường vụ Tỉnh ủy"),
    ("Đỗ Văn Minh", "Ủy viên Ban Thường vụ Tỉnh ủy"),
]

FIRST_ITEM_POINTS = [
    {"text": "Thống nhất thông qua Tờ trình kế hoạch năm 2027"},
    {
        "text": "Hoàn thiện Tờ trình theo ý kiến góp ý",
        "chu_tri": "Văn phòng Tỉnh ủy",
        "phoi_hop": ["Sở Tài chính", "Sở Nội vụ"],
        "deadline": "2026-12-15",
    },
]
SECOND_ITEM_POINTS = [
    {
        "text": "Đẩy nhanh tiến độ giải ngân vốn đầu tư công",
        "chu_tri": "Sở Tài chính",
        "deadline": "2026-12-31",
    }
]

#: The default roll call: everyone present, the second delegate online, the third absent.
ROLL_CALL = {
    0: ("present", ""),
    1: ("present", ""),
    2: ("present", ""),
    3: ("present_online", ""),
    4: ("absent", "đi công tác"),
}

PASSPHRASE = "mật khẩu ký số"


@pytest.fixture
def base(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), base_url="http://testserver") as client:
        yield client


@pytest.fixture
def office(base: TestClient, world: World) -> TestClient:
    client = companion(base)
    login(client, "office")
    return client


@pytest.fixture
def admin(base: TestClient, world: World) -> TestClient:
    client = companion(base)
    login(client, "admin")
    return client


@pytest.fixture
def configured(admin: TestClient) -> dict[str, Any]:
    """The body's notice settings set by its administrator (Party, term from 16/10/2025)."""
    r = admin.put("/api/notice-settings", json=PARTY_SETTINGS)
    assert r.status_code == 200, r.text
    result: dict[str, Any] = r.json()
    return result


def run_in_app(base: TestClient, work: Callable[[Database], Awaitable[T]]) -> T:
    """Run ``work`` with the app's own database, on the app's event loop."""
    db: Database = base.app_state["phonghop"].db
    return base.portal.call(work, db)


@dataclass
class HeldMeeting:
    """A meeting of the test body, as the tests left it."""

    id: int
    items: list[int]
    participants: list[int]
    secretary: TestClient
    detail: dict[str, Any] = field(default_factory=dict)


def hold_meeting(
    base: TestClient,
    world: World,
    office: TestClient,
    *,
    attendance: dict[int, tuple[str, str]] | None = None,
    conclusions: bool = True,
    during: Callable[[HeldMeeting], None] | None = None,
    close: bool = True,
) -> HeldMeeting:
    """A meeting prepared by the office (``prepared_meeting``: chair, secretary, three
    delegates, two items, 4 members), with real names and titles and presenters, started
    by the secretary, its roll call taken (``attendance``: participant index -> state and
    reason; by default everyone present but the third delegate, absent "đi công tác", and
    the second delegate online; ``{}`` for no roll call), its conclusions recorded over the
    websocket, ``during`` run, and closed."""
    meeting = prepared_meeting(office, world)
    mid = meeting["id"]
    pids = [p["id"] for p in meeting["participants"]]
    items = [i["id"] for i in meeting["agenda"]]
    for pid, (name, title) in zip(pids, PEOPLE, strict=True):
        r = office.patch(f"/api/meetings/{mid}/participants/{pid}", json={"full_name": name, "title": title})
        assert r.status_code == 200, r.text
    for item, presenter in zip(items, ["Văn phòng Tỉnh ủy", "Sở Tài chính"], strict=True):
        r = office.patch(f"/api/meetings/{mid}/agenda/{item}", json={"presenter": presenter})
        assert r.status_code == 200, r.text
    secretary = companion(base)
    login(secretary, "secretary")
    assert secretary.post(f"/api/meetings/{mid}/actions/start").status_code == 200
    marks = ROLL_CALL if attendance is None else attendance
    for index, (state, reason) in marks.items():
        r = secretary.put(
            f"/api/meetings/{mid}/participants/{pids[index]}/attendance",
            json={"attendance": state, "reason": reason},
        )
        assert r.status_code == 200, r.text
    held = HeldMeeting(mid, items, pids, secretary)
    if conclusions:
        console = Peer(secretary, mid)
        try:
            console.hello()
            reply = console.call("agenda.record_conclusion", item_id=items[0], points=FIRST_ITEM_POINTS)
            assert reply["ok"], reply
            reply = console.call(
                "agenda.record_conclusion",
                item_id=items[1],
                points=SECOND_ITEM_POINTS,
                summary="Ghi nhận báo cáo giải ngân vốn đầu tư công",
            )
            assert reply["ok"], reply
        finally:
            console.close()
    if during is not None:
        during(held)
    if close:
        assert secretary.post(f"/api/meetings/{mid}/actions/close").status_code == 200
    held.detail = office.get(f"/api/meetings/{mid}").json()
    return held


def vote(
    base: TestClient,
    world: World,
    held: HeldMeeting,
    title: str,
    ballots: dict[str, str],
    *,
    item: int | None = None,
    spec: dict[str, Any] | None = None,
) -> None:
    """A poll of the running meeting, opened, cast by ``ballots`` (username -> option id)
    and closed, through the poll service (the secretary runs it, members vote)."""

    def actor(username: str, role: UserRole) -> Actor:
        return Actor(body_id=world.body_id, user_id=world.users[username], user_role=role)

    async def work(db: Database) -> None:
        secretary = actor("secretary", UserRole.MEMBER)
        async with db.unit() as uow:
            poll = await polls.create_poll(
                uow,
                secretary,
                held.id,
                PollFields(title=title, agenda_item_id=item, spec=spec or {"kind": "open"}),
            )
            poll_id = poll.id
        async with db.unit() as uow:
            await polls.open_poll(uow, secretary, held.id, poll_id)
        for username, choice in ballots.items():
            async with db.unit() as uow:
                member = actor(username, UserRole.MEMBER)
                await polls.cast_ballot(uow, member, held.id, poll_id, f"key-{username}-{poll_id}", [choice])
        async with db.unit() as uow:
            await polls.close_poll(uow, secretary, held.id, poll_id)

    run_in_app(base, work)


# -- a signing certificate ----------------------------------------------------------------------


@pytest.fixture(scope="session")
def certificate() -> Signer:
    """A throwaway root CA and the office's signing certificate issued by it (PKCS#12,
    protected by :data:`PASSPHRASE`)."""
    return signer(PASSPHRASE)


@pytest.fixture(scope="session")
def token(tmp_path_factory: pytest.TempPathFactory, certificate: Signer) -> Iterator[str]:
    """A SoftHSM2 token holding the office's key and certificate (those of the test
    PKCS#12), one for the whole session: SoftHSM2 lists its tokens once per process, so
    a token made after the first signing would not be seen."""
    with softhsm_token(tmp_path_factory.mktemp("softhsm"), certificate.pkcs12, PASSPHRASE) as label:
        yield label


@pytest.fixture
def certificate_file(tmp_path: Path, certificate: Signer) -> Path:
    path = tmp_path / "ky-so.p12"
    path.write_bytes(certificate.pkcs12)
    return path


def error_of(response: Any, status: int) -> dict[str, Any]:
    """The error of a refused request, checked for the one error shape and a real message."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "params"}, body
    assert body["error"]["message"] and not body["error"]["message"].startswith("error."), body
    error: dict[str, Any] = body["error"]
    return error


def tablet(base: TestClient, held: HeldMeeting, index: int) -> TestClient:
    """A tablet joined to the meeting as its ``index``-th participant."""
    client = companion(base)
    csrf = client.headers.get("X-CSRF-Token")
    join_tablet(client, held.secretary, held.id, held.participants[index])
    if csrf is None:
        del client.headers["X-CSRF-Token"]  # as before: callers set it when they need it
    return client
