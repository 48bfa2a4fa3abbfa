"""Document preparation: a unit submits a draft for an agenda item, the office returns it
with a reason, the unit sends a corrected version, the office publishes it during the
meeting and the tablets receive it then, and not before.

Everything goes through the HTTP API and real websocket connections of one running app.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx2 as httpx
import pytest
from starlette.testclient import TestClient

from phonghop.app import create_app
from phonghop.config import Settings
from phonghop.domain.permissions import UserRole
from phonghop.services.accounts import Passwords, create_user
from phonghop.storage.db import Database
from phonghop.storage.models import Unit
from tests.documents.conftest import make_pdf
from tests.factories import PASSWORD, World, blank_pdf, companion, login
from tests.realtime.helpers import Peer, Room

PDF = {"Content-Type": "application/pdf"}


class Prep:
    """A running meeting (the Room) and the people of document preparation: the finance
    department's clerk, the home-affairs department's clerk, a unit clerk of the other
    body, an administrator."""

    def __init__(self, base: TestClient, world: World) -> None:
        self.room = Room(base, world)
        self.base = base
        self.admin = companion(base)
        login(self.admin, "admin")
        self.finance_unit = self._unit("Sở Tài chính")
        self.home_unit = self._unit("Sở Nội vụ")
        self.finance = self._unit_user("tai_chinh", self.finance_unit)
        self.home = self._unit_user("noi_vu", self.home_unit)
        self.stranger = self._stranger(world)
        self.items = [i["id"] for i in self.room.meeting["agenda"]]

    def _unit(self, name: str) -> int:
        r = self.admin.post("/api/units", json={"name": name})
        assert r.status_code == 201, r.text
        unit_id: int = r.json()["id"]
        return unit_id

    def _unit_user(self, username: str, unit_id: int) -> TestClient:
        r = self.admin.post(
            "/api/users",
            json={
                "username": username,
                "full_name": f"Chuyên viên {username}",
                "role": "member",
                "password": PASSWORD,
                "unit_id": unit_id,
            },
        )
        assert r.status_code == 201, r.text
        client = companion(self.base)
        login(client, username)
        return client

    def _stranger(self, world: World) -> TestClient:
        async def work(db: Database) -> None:
            async with db.unit() as uow:
                unit = Unit(
                    body_id=world.other_body_id, name="Sở Tài chính", short_name="", name_key="so tai chinh"
                )
                uow.session.add(unit)
                await uow.session.flush()
                await create_user(
                    uow,
                    Passwords(1, 8192),
                    body_id=world.other_body_id,
                    username="other_unit",
                    full_name="Chuyên viên tỉnh khác",
                    role=UserRole.MEMBER,
                    password=PASSWORD,
                    unit_id=unit.id,
                )

        db: Database = self.base.app_state["phonghop"].db
        self.base.portal.call(work, db)
        client = companion(self.base)
        login(client, "other_unit")
        return client

    def submit(self, client: TestClient, pdf: bytes, **params: Any) -> httpx.Response:
        return client.post(
            f"/api/preparation/meetings/{self.room.id}/drafts",
            params={k: str(v) for k, v in params.items()},
            content=pdf,
            headers=PDF,
        )

    def resubmit(self, client: TestClient, document_id: int, pdf: bytes) -> httpx.Response:
        return client.post(f"/api/preparation/drafts/{document_id}/versions", content=pdf, headers=PDF)

    def close(self) -> None:
        self.room.close()


@pytest.fixture
def prep(settings: Settings, world: World) -> Iterator[Prep]:
    with TestClient(create_app(settings)) as base:
        p = Prep(base, world)
        try:
            yield p
        finally:
            p.close()


def error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()["error"]
    assert body["message"] and not body["message"].startswith("error."), body
    code: str = body["code"]
    return code


def notifications(client: TestClient) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = client.get("/api/notifications").json()["notifications"]
    return result


def listed_ids(client: TestClient, meeting_id: int, **params: str) -> list[int]:
    r = client.get(f"/api/meetings/{meeting_id}/documents", params=params)
    assert r.status_code == 200, r.text
    return [d["id"] for d in r.json()["documents"]]


def document_events(peer: Peer, document_id: int) -> list[str]:
    """The document events the peer received about ``document_id``, by type."""
    found = []
    for e in peer.events:
        doc = e["data"].get("document") or {}
        if doc.get("id") == document_id or e["data"].get("document_id") == document_id:
            found.append(e["type"])
    return found


def test_a_draft_reaches_the_tablets_only_once_published(prep: Prep) -> None:
    room = prep.room
    tablet = room.tablet_client(2)
    tablet_peer = room.peer(tablet)
    tablet_peer.hello()
    console = room.peer(room.secretary_client)
    console.hello()

    # The unit sees the meeting being prepared, its agenda titles and nothing else.
    overview = prep.finance.get("/api/preparation").json()
    assert overview["unit"]["name"] == "Sở Tài chính"
    meeting = next(m for m in overview["meetings"] if m["id"] == room.id)
    assert set(meeting) == {"id", "title", "starts_at", "state", "agenda", "drafts"}
    assert [i["title"] for i in meeting["agenda"]] == [
        "Tờ trình kế hoạch năm 2027",
        "Báo cáo giải ngân vốn đầu tư công",
    ]
    assert meeting["drafts"] == []

    r = prep.submit(prep.finance, make_pdf(), agenda_item_id=prep.items[0], filename="du-thao.pdf")
    assert r.status_code == 201, r.text
    draft = r.json()
    assert draft["review_state"] == "submitted" and draft["version"]["number"] == 1
    version_1 = draft["version"]["id"]

    # Tablets: it does not exist (listing, document, pages, search, events).
    tablet_peer.sync()
    console.sync()
    assert draft["id"] not in listed_ids(tablet, room.id)
    assert error(tablet.get(f"/api/documents/{draft['id']}"), 404) == "document_not_found"
    assert error(tablet.get(f"/api/versions/{version_1}/pages/1", params={"w": "320"}), 404) == (
        "document_not_found"
    )
    search = tablet.get(f"/api/meetings/{room.id}/documents/search", params={"q": "dang uy"}).json()
    assert search["hits"] == []
    assert document_events(tablet_peer, draft["id"]) == []
    assert "event.withheld" in [e["type"] for e in tablet_peer.events]
    # A draft is not shown to the room either.
    shown = console.call("presenter.show_page", document_id=draft["id"], page=1)
    assert not shown["ok"] and shown["error"]["code"] == "document_not_found"

    # The console: the listing with drafts shows it with its state; the plain one does not.
    assert document_events(console, draft["id"]) == ["document.submitted"]
    assert draft["id"] not in listed_ids(room.office, room.id)
    docs = room.office.get(f"/api/meetings/{room.id}/documents", params={"drafts": "true"}).json()[
        "documents"
    ]
    listed = next(d for d in docs if d["id"] == draft["id"])
    assert listed["review_state"] == "submitted" and listed["unit_name"] == "Sở Tài chính"
    assert set(listed["review_actions"]) == {"approve", "return", "publish"}
    assert room.office.get(f"/api/versions/{version_1}/pages/1", params={"w": "320"}).status_code == 200
    [told] = [n for n in notifications(room.office) if n["kind"] == "draft_submitted"]
    assert "Sở Tài chính" in told["text"] and told["link"].endswith(f"/meetings/{room.id}/documents")

    # The office returns it: a reason is required; the unit is told why.
    r = room.office.post(f"/api/documents/{draft['id']}/return", json={"reason": "   "})
    assert error(r, 422) == "review_reason_required"
    r = room.office.post(
        f"/api/documents/{draft['id']}/return", json={"reason": "Bổ sung số liệu giải ngân quý III"}
    )
    assert r.status_code == 200, r.text
    assert r.json()["review_state"] == "returned"
    [returned] = [n for n in notifications(prep.finance) if n["kind"] == "draft_returned"]
    assert "Bổ sung số liệu giải ngân quý III" in returned["text"]
    mine = next(m for m in prep.finance.get("/api/preparation").json()["meetings"] if m["id"] == room.id)
    assert [(d["review_state"], d["review_reason"]) for d in mine["drafts"]] == [
        ("returned", "Bổ sung số liệu giải ngân quý III")
    ]

    # The unit sends a corrected version: it waits for review again.
    r = prep.resubmit(prep.finance, draft["id"], blank_pdf(2))
    assert r.status_code == 201, r.text
    assert r.json()["review_state"] == "submitted" and r.json()["version"]["number"] == 2
    assert len([n for n in notifications(room.office) if n["kind"] == "draft_submitted"]) == 2

    # Approve and publish in one step, while the meeting is in progress.
    r = room.office.post(f"/api/documents/{draft['id']}/publish")
    assert r.status_code == 200, r.text
    published = r.json()
    assert published["review_state"] == "published" and published["published_at"]
    tablet_peer.sync()
    assert document_events(tablet_peer, draft["id"]) == ["document.published"]
    event = next(e for e in tablet_peer.events if e["type"] == "document.published")
    version_2 = event["data"]["document"]["version"]["id"]
    assert event["data"]["document"]["version"]["number"] == 2
    assert draft["id"] in listed_ids(tablet, room.id)
    r = tablet.get(f"/api/versions/{version_2}/pages/2", params={"w": "320"})
    assert r.status_code == 200 and r.headers["content-type"] == "image/webp"
    assert [n["kind"] for n in notifications(prep.finance)] == ["draft_published", "draft_returned"]
    console.sync()
    assert document_events(console, draft["id"]) == [
        "document.submitted",
        "document.reviewed",
        "document.submitted",
        "document.published",
    ]
    # Published: the unit cannot replace it any more.
    assert error(prep.resubmit(prep.finance, draft["id"], blank_pdf(1)), 409) == "document_draft_locked"


def test_approve_then_publish_and_the_states_that_refuse(prep: Prep) -> None:
    room = prep.room
    draft = prep.submit(prep.finance, blank_pdf(1), agenda_item_id=prep.items[1], title="Báo cáo quý").json()
    url = f"/api/documents/{draft['id']}"
    # Review is the office's: a secretary or the unit itself may not.
    assert error(room.secretary_client.post(url + "/approve"), 403) == "office_required"
    assert room.office.post(url + "/approve").json()["review_state"] == "approved"
    assert [n["kind"] for n in notifications(prep.finance)] == ["draft_approved"]
    assert error(room.office.post(url + "/approve"), 409) == "document_not_reviewable"
    assert error(prep.resubmit(prep.finance, draft["id"], blank_pdf(1)), 409) == "document_draft_locked"
    tablet = room.tablet_client(3)
    assert draft["id"] not in listed_ids(tablet, room.id)  # approved is not published
    assert room.office.post(url + "/publish").json()["review_state"] == "published"
    assert draft["id"] in listed_ids(tablet, room.id)
    assert error(room.office.post(url + "/publish"), 409) == "document_not_reviewable"
    # An office upload is published at once and has nothing to review.
    office_doc = room.office.post(
        f"/api/meetings/{room.id}/documents",
        content=blank_pdf(1),
        headers=PDF,
        params={"title": "Chương trình"},
    ).json()
    assert office_doc["review_state"] == "published"
    assert error(
        room.office.post(f"/api/documents/{office_doc['id']}/return", json={"reason": "x"}), 409
    ) == ("document_not_reviewable")


def test_units_see_only_their_own_drafts_and_bodies_stay_apart(prep: Prep) -> None:
    room = prep.room
    draft = prep.submit(prep.finance, blank_pdf(1), agenda_item_id=prep.items[0], title="Tờ trình").json()

    # Another unit of the same body: the meeting, not the finance department's draft.
    home = next(m for m in prep.home.get("/api/preparation").json()["meetings"] if m["id"] == room.id)
    assert home["drafts"] == []
    assert error(prep.resubmit(prep.home, draft["id"], blank_pdf(1)), 404) == "document_not_found"
    assert prep.home.get(f"/api/documents/{draft['id']}").status_code == 404
    assert prep.home.get(f"/api/versions/{draft['version']['id']}/pages/1").status_code == 404
    # The drafting unit reads its own draft.
    assert prep.finance.get(f"/api/documents/{draft['id']}").json()["review_state"] == "submitted"
    assert prep.finance.get(f"/api/versions/{draft['version']['id']}/download").status_code == 200

    # Another body's unit: none of this exists.
    assert [m["id"] for m in prep.stranger.get("/api/preparation").json()["meetings"]] == []
    assert error(prep.submit(prep.stranger, blank_pdf(1), agenda_item_id=prep.items[0]), 404) == (
        "meeting_not_found"
    )
    assert error(prep.resubmit(prep.stranger, draft["id"], blank_pdf(1)), 404) == "document_not_found"
    other_office = companion(prep.base)
    login(other_office, "other_office")
    assert error(other_office.post(f"/api/documents/{draft['id']}/publish"), 404) == "document_not_found"

    # A member without a unit, and the office, cannot submit drafts.
    member = companion(prep.base)
    login(member, "member1")
    assert error(prep.submit(member, blank_pdf(1), agenda_item_id=prep.items[0]), 403) == "unit_required"
    assert error(member.get("/api/preparation"), 403) == "unit_required"
    assert error(prep.submit(room.office, blank_pdf(1), agenda_item_id=prep.items[0]), 403) == "unit_required"
    # A draft names its agenda item, one of this meeting's.
    assert error(prep.submit(prep.finance, blank_pdf(1)), 422) == "draft_agenda_item_required"
    assert error(prep.submit(prep.finance, blank_pdf(1), agenda_item_id=999_999), 404) == (
        "agenda_item_not_found"
    )


def test_no_drafts_once_the_meeting_is_closed(prep: Prep) -> None:
    room = prep.room
    draft = prep.submit(prep.finance, blank_pdf(1), agenda_item_id=prep.items[0], title="Tờ trình").json()
    r = room.secretary_client.post(f"/api/meetings/{room.id}/actions/close")
    assert r.status_code == 200, r.text
    assert room.id not in [m["id"] for m in prep.finance.get("/api/preparation").json()["meetings"]]
    r = prep.submit(prep.finance, blank_pdf(1), agenda_item_id=prep.items[0])
    assert error(r, 409) == "meeting_documents_closed"
    assert error(prep.resubmit(prep.finance, draft["id"], blank_pdf(1)), 409) == "meeting_documents_closed"
    assert error(room.office.post(f"/api/documents/{draft['id']}/publish"), 409) == "meeting_documents_closed"
