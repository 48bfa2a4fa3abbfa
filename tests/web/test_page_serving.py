"""Page images under load: cached access decisions, how stale they may be, and overload.

A tablet's page request does not take a database connection of its own once its access
is known (``services.page_grants``); what changes access drops the cached decision at
once, and without the event the decision lives ``PHONGHOP_PAGE_GRANT_SECONDS`` at most
(the documented bound). With every pooled connection busy, a page or any other request is
answered quickly with 503 and ``Retry-After``, never 500 after a long wait.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import httpx2 as httpx
import pytest
from sqlalchemy import event, update
from starlette.testclient import TestClient

from phonghop.app import create_app
from phonghop.config import Settings
from phonghop.services.page_grants import PageGrants
from phonghop.storage.db import Database
from phonghop.storage.models import AuthSession, utcnow
from tests.conftest import make_settings
from tests.factories import World, blank_pdf, companion, login, seed_world, upload_document, wait_for
from tests.realtime.helpers import Room

TTL = 60.0


class Clock:
    """The page-grant cache's clock, moved by the test."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def page(client: TestClient, version_id: int, n: int = 1) -> httpx.Response:
    return client.get(f"/api/versions/{version_id}/pages/{n}", params={"w": "320"})


def grants_of(base: TestClient) -> PageGrants:
    grants: PageGrants = base.app_state["phonghop"].grants
    return grants


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def room(settings: Settings, world: World, clock: Clock) -> Iterator[Room]:
    with TestClient(create_app(settings)) as base:
        grants_of(base).clock = clock
        r = Room(base, world)
        try:
            yield r
        finally:
            r.close()


def participant(room: Room, index: int) -> int:
    pid: int = room.meeting["participants"][index]["id"]
    return pid


def revoke_without_event(settings: Settings, participant_id: int) -> None:
    """End a participant's sessions behind the server's back: as if the event telling
    this instance had been lost (a Redis outage seen from another instance)."""

    async def run() -> None:
        db = Database(settings.database_url)
        try:
            async with db.unit() as uow:
                await uow.session.execute(
                    update(AuthSession)
                    .where(AuthSession.participant_id == participant_id)
                    .values(revoked_at=utcnow())
                )
        finally:
            await db.dispose()

    asyncio.run(run())


def test_a_decision_missed_by_the_bus_lives_no_longer_than_the_bound(
    room: Room, settings: Settings, clock: Clock
) -> None:
    doc = upload_document(room.office, room.id, blank_pdf(3), title="Tờ trình")
    version = doc["version"]["id"]
    tablet = room.tablet_client(2)
    assert page(tablet, version).status_code == 200
    revoke_without_event(settings, participant(room, 2))
    clock.now += TTL - 1
    assert page(tablet, version, 2).status_code == 200  # within the documented bound
    clock.now += 1
    gone = page(tablet, version, 3)
    assert gone.status_code == 401 and gone.json()["error"]["code"] == "session_expired"


def test_revoked_sessions_and_recalls_apply_at_once(room: Room) -> None:
    doc = upload_document(room.office, room.id, blank_pdf(2), title="Tờ trình")
    other = upload_document(room.office, room.id, blank_pdf(2), title="Tài liệu khác")
    version, other_version = doc["version"]["id"], other["version"]["id"]
    a, b = room.tablet_client(2), room.tablet_client(3)
    for tablet in (a, b):
        assert page(tablet, version).status_code == 200
        assert page(tablet, other_version).status_code == 200

    r = room.secretary_client.post(
        f"/api/meetings/{room.id}/participants/{participant(room, 2)}/sessions/revoke"
    )
    assert r.status_code == 200, r.text
    assert page(a, version, 2).status_code == 401  # the clock has not moved: the event did it

    r = room.secretary_client.post(f"/api/documents/{doc['id']}/recall")
    assert r.status_code == 200, r.text
    recalled = page(b, version, 2)
    assert recalled.status_code == 409 and recalled.json()["error"]["code"] == "document_recalled"
    assert page(b, other_version, 2).status_code == 200


def test_an_account_signed_out_everywhere_reads_no_cached_page(room: Room) -> None:
    """Ending access (sign out everywhere, a reset, a deactivation) reaches the cached
    decisions at once, not after the cache's bound."""
    doc = upload_document(room.office, room.id, blank_pdf(2), title="Tờ trình")
    version = doc["version"]["id"]
    assert page(room.secretary_client, version).status_code == 200
    elsewhere = companion(room.base)
    login(elsewhere, "secretary")
    assert elsewhere.delete("/api/sessions").status_code == 200
    gone = page(room.secretary_client, version, 2)  # the clock has not moved
    assert gone.status_code == 401, gone.text


def test_access_changes_and_new_versions_apply_at_once(room: Room) -> None:
    doc = upload_document(
        room.office,
        room.id,
        blank_pdf(2),
        title="Tờ trình",
        access="named",
        participant_ids=participant(room, 3),
    )
    tablet = room.tablet_client(2)
    controllers_only = page(tablet, doc["version"]["id"])
    assert controllers_only.status_code == 404
    r = room.office.patch(f"/api/documents/{doc['id']}", json={"access": {"mode": "all"}})
    assert r.status_code == 200
    assert page(tablet, doc["version"]["id"]).status_code == 200  # a refusal is never cached
    r = room.office.post(
        f"/api/documents/{doc['id']}/versions",
        content=blank_pdf(4),
        headers={"Content-Type": "application/pdf"},
    )
    assert r.status_code == 201, r.text
    assert page(tablet, r.json()["version"]["id"], 4).status_code == 200


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Both databases: the pool and its timeout behave alike."""
    url: str = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "migrated_postgres_url")
    return url


@contextmanager
def one_connection_room(tmp_path: Any, database_url: str, pool_timeout: float) -> Iterator[tuple[Room, int]]:
    """A served meeting whose database pool has one connection; (room, a 2-page version)."""
    settings = make_settings(
        tmp_path / "data", database_url, db_pool_size=1, db_max_overflow=0, db_pool_timeout=pool_timeout
    )
    world = seed_world(settings)
    with TestClient(create_app(settings)) as base:
        room = Room(base, world)
        try:
            doc = upload_document(room.office, room.id, blank_pdf(2), title="Tờ trình")
            yield room, doc["version"]["id"]
        finally:
            room.close()


def test_first_pages_asked_together_share_one_connection(tmp_path: Any, database_url: str) -> None:
    """Tablets asking for their first page while the database is busy are answered from
    one unit of work once a connection frees up, not one connection each."""
    with one_connection_room(tmp_path, database_url, pool_timeout=60) as (room, version):
        base = room.base
        tablets = [room.tablet_client(i) for i in range(2, len(room.meeting["participants"]))]
        grants, db = grants_of(base), base.app_state["phonghop"].db
        checkouts: list[int] = []
        event.listen(db.sync_engine.pool, "checkout", lambda *_: checkouts.append(1))
        held = base.portal.call(db.engine.connect)  # type: ignore[union-attr]
        with ThreadPoolExecutor(len(tablets)) as pool:
            answers = [pool.submit(page, tablet, version) for tablet in tablets]
            wait_for(lambda: grants.waiting == len(tablets), "every tablet's request to queue")
            checkouts.clear()
            base.portal.call(held.close)  # type: ignore[union-attr]
            assert [a.result().status_code for a in answers] == [200] * len(tablets)
        assert len(checkouts) == 1


def test_overload_is_answered_503_with_retry_after(tmp_path: Any, database_url: str) -> None:
    with one_connection_room(tmp_path, database_url, pool_timeout=0.2) as (room, version):
        tablet = room.tablet_client(2)
        db: Database = room.base.app_state["phonghop"].db
        held = room.base.portal.call(db.engine.connect)  # type: ignore[union-attr]
        try:
            busy = page(tablet, version)
            assert busy.status_code == 503
            assert busy.headers["retry-after"] == "2"
            assert busy.json()["error"]["code"] == "server_busy"
            listing = tablet.get(f"/api/meetings/{room.id}/documents", headers={"Accept-Language": "en"})
            assert listing.status_code == 503 and listing.headers["retry-after"] == "2"
            assert "busy" in listing.json()["error"]["message"]
        finally:
            room.base.portal.call(held.close)  # type: ignore[union-attr]
        assert page(tablet, version).status_code == 200  # the tablet's retry is served
