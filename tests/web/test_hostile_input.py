"""What a careless or hostile client sends cannot break the room (issue #18): broken
Unicode and control characters at any depth, numbers out of range, deep JSON, on SQLite
and on PostgreSQL; and text stored before these rules never breaks an event or an export."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select, update
from starlette.testclient import TestClient

from phonghop.app import create_app
from phonghop.exports.tables import Column, Table, write_docx, write_xlsx
from phonghop.storage.db import Database
from phonghop.storage.models import MeetingEvent
from tests.conftest import make_settings
from tests.factories import blank_pdf, seed_world, upload_document
from tests.realtime.helpers import Peer, Room

SURROGATE = "\ud800"


def error_of(response: Any) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "params"}, body
    error: dict[str, Any] = body["error"]
    return error


def raw_frame(peer: Peer, text: str) -> dict[str, Any]:
    """Send ``text`` as it is and return the next result frame (events are kept)."""
    peer.ws.send_text(text)
    while True:
        message = peer.ws.receive_json()
        if message.get("type") == "result":
            return message
        peer._take(message)


def post_json(client: TestClient, path: str, body: Any) -> Any:
    """POST ``body`` as JSON with every non-ASCII character escaped, as a client may."""
    return client.post(path, content=json.dumps(body), headers={"Content-Type": "application/json"})


def run_db(url: str, work: Any) -> Any:
    async def go() -> Any:
        db = Database(url)
        try:
            async with db.unit() as uow:
                return await work(uow.session)
        finally:
            await db.dispose()

    return asyncio.run(go())


def test_a_lone_surrogate_in_annotation_data_is_refused_and_resuming_still_works(room: Room) -> None:
    version = upload_document(room.office, room.id, blank_pdf(1), title="Tờ trình")["version"]["id"]
    client = room.tablet_client(2)
    tablet = room.peer(client)
    tablet.hello()
    before = tablet.applied
    reply = tablet.call(
        "annotation.save",
        client_id="offline-0001",
        document_version_id=version,
        page=1,
        kind="comment",
        shared=True,
        data={"x": 0.5, "y": 0.5, "text": "ý kiến " + SURROGATE},
        updated_at="2026-11-23T08:00:00Z",
    )
    assert not reply["ok"] and reply["error"]["code"] == "text_invalid", reply
    assert reply["error"]["params"] == {"field": "data.text", "problem": "lone_surrogate"}
    # Nothing was stored: listings answer, and a tablet resuming across the moment gets
    # a clean replay with the next event.
    assert client.get(f"/api/meetings/{room.id}/annotations", params={"since": 0}).status_code == 200
    assert client.get(f"/api/versions/{version}/annotations").json() == {"annotations": []}
    console = room.peer(room.secretary_client)
    console.hello()
    assert console.call("announcement.make", text="Nghỉ giải lao")["ok"]
    again = room.peer(client)  # the same tablet, back after a Wi-Fi drop
    again.applied = before
    assert again.hello(last_seq=before)["result"]["mode"] == "replay"
    again.sync()
    assert [e["type"] for e in again.events][-1] == "announcement.made"
    # The same text, decomposed (NFD), is stored NFC.
    saved = again.call(
        "annotation.save",
        client_id="offline-0002",
        document_version_id=version,
        page=1,
        kind="comment",
        data={"x": 0.5, "y": 0.5, "text": "Hoa\u0300"},
        updated_at="2026-11-23T08:00:01Z",
    )
    assert saved["ok"] and saved["result"]["annotation"]["data"]["text"] == "Ho\u00e0", saved


@pytest.mark.parametrize("text", ["A\u0001B", "A\u0000B", "A\u0008B", "A\ufffeB", "A" + SURROGATE])
def test_control_characters_and_broken_unicode_are_refused_over_http(room: Room, text: str) -> None:
    r = post_json(room.office, f"/api/meetings/{room.id}/agenda", {"title": text})
    assert r.status_code == 422, r.text
    assert error_of(r)["code"] == "text_invalid"
    nested = post_json(
        room.office, f"/api/meetings/{room.id}/agenda", {"title": "Họp", "extra": {"a": [[text]]}}
    )
    assert nested.status_code == 422 and error_of(nested)["params"]["field"] == "extra.a.0.0"
    fine = room.office.post(f"/api/meetings/{room.id}/agenda", json={"title": "Dòng 1\r\nDòng\t2"})
    assert fine.status_code == 201 and fine.json()["title"] == "Dòng 1 Dòng 2", fine.text


def test_a_bad_string_in_a_query_is_refused(room: Room) -> None:
    r = room.office.get("/api/notices", params={"q": "A\u0001"})
    assert r.status_code == 422 and error_of(r)["code"] == "text_invalid"


def test_stored_bad_text_never_breaks_an_event_or_an_export(room: Room, database_url: str) -> None:
    """Rows written before the rules (a lone surrogate in an event's JSON, a control
    character in a title): the event is still delivered, replayed, and the comment
    table's DOCX/XLSX are still written."""
    console = room.peer(room.secretary_client)
    console.hello()
    console.sync()
    seq = console.applied

    async def plant(session: Any) -> None:
        await session.execute(
            insert(MeetingEvent).values(
                meeting_id=room.id,
                seq=seq + 1,
                type="announcement.made",
                data={"text": "hỏng " + SURROGATE + "\u0001"},
                audience="all",
                created_at=datetime(2026, 11, 23, 8, 0, tzinfo=UTC),
            )
        )
        from phonghop.storage.models import Meeting

        await session.execute(update(Meeting).where(Meeting.id == room.id).values(last_seq=seq + 1))

    run_db(database_url, plant)
    later = room.peer(room.tablet_client(2))
    later.applied = seq
    assert later.hello(last_seq=seq)["result"]["mode"] == "replay"
    later.sync()
    assert later.events[-1]["seq"] == seq + 1
    assert later.events[-1]["data"]["text"].startswith("hỏng ")
    table = Table(
        title="BẢNG TỔNG HỢP Ý KIẾN\u0001",
        body_name="TỈNH ỦY",
        columns=(Column("Ý kiến"),),
        rows=(("dòng " + SURROGATE + "\u0000",),),
    )
    assert write_docx(table)[:2] == b"PK" and write_xlsx(table)[:2] == b"PK"


def test_numbers_out_of_range_are_4xx(room: Room) -> None:
    for path in (
        "/api/meetings/2147483648",
        "/api/meetings/9223372036854775808",
        "/api/meetings/99999999999999999999999",
    ):
        r = room.office.get(path)
        assert r.status_code == 404, (path, r.text)
        error_of(r)
    for query in ("offset=1e30", "offset=1000000000000000000000000000000", "limit=1e30"):
        r = room.office.get("/api/meetings?" + query)
        assert r.status_code in (200, 422), (query, r.text)
        if r.status_code == 422:
            error_of(r)
    r = room.office.post(
        f"/api/meetings/{room.id}/documents?agenda_item_id=1e30",
        content=blank_pdf(1),
        headers={"Content-Type": "application/pdf"},
    )
    assert r.status_code == 422 and error_of(r)["code"] == "invalid_query"
    r = room.office.post(
        f"/api/meetings/{room.id}/documents?agenda_item_id=2147483648",
        content=blank_pdf(1),
        headers={"Content-Type": "application/pdf"},
    )
    assert r.status_code == 422 and error_of(r)["code"] == "invalid_query"
    r = room.office.post(f"/api/meetings/{room.id}/participants", json={"user_id": 2**40, "role": "delegate"})
    assert 400 <= r.status_code < 500, r.text
    error_of(r)
    r = room.office.post(f"/api/meetings/{room.id}/participants", json={"user_id": 2**70, "role": "delegate"})
    assert r.status_code == 422 and error_of(r)["code"] == "number_out_of_range"
    r = room.office.get("/api/meetings/1/annotations?since=99999999999999999999")
    assert r.status_code == 422


def test_deep_json_is_a_400_over_http_and_an_error_frame_on_the_socket(room: Room) -> None:
    deep = "[" * 3000 + "]" * 3000
    r = room.office.post(
        f"/api/meetings/{room.id}/agenda",
        content='{"title": "x", "extra": ' + deep + "}",
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 400 and error_of(r)["code"] == "json_too_deep", r.text
    r = room.office.post(
        f"/api/meetings/{room.id}/agenda",
        content='{"title": "x", "extra": ' + "[" * 40 + "]" * 40 + "}",
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 400 and error_of(r)["code"] == "json_too_deep", r.text
    tablet = room.peer(room.tablet_client(2))
    tablet.hello()
    reply = raw_frame(tablet, '{"id": 7, "type": "ping", "x": ' + deep + "}")
    assert reply["error"]["code"] == "json_too_deep"
    reply = raw_frame(tablet, '{"id": 8, "type": "ping", "x": ' + "[" * 40 + "]" * 40 + "}")
    assert reply["id"] == 8 and reply["error"]["code"] == "json_too_deep"
    # A lone surrogate in the command's id: answered, the id echoed repaired, still open.
    reply = raw_frame(tablet, '{"id": "a\\ud800", "type": "ping"}')
    assert reply["id"] == "a\ufffd" and reply["error"]["code"] == "text_invalid"
    assert tablet.call("ping")["ok"]
    json.dumps(reply)


def test_a_deep_frame_from_a_tablet_over_its_command_budget_is_answered(
    tmp_path: Path, sqlite_url: str
) -> None:
    """Found by the fuzz through a real socket: a refused flood reads the command's id from
    frames under 4 KiB, and 1,900 levels of "[" fit in them (they closed the socket)."""
    settings = make_settings(tmp_path / "data", sqlite_url, command_rate=0.001, command_burst=1)
    world = seed_world(settings)
    with TestClient(create_app(settings)) as base:
        room = Room(base, world)
        try:
            tablet = room.peer(room.tablet_client(2))
            tablet.hello()
            assert tablet.call("ping")["ok"]  # the whole budget
            frame = '{"id": 9, "type": "ping", "x": ' + "[" * 1900 + "]" * 1900 + "}"
            assert len(frame) < 4096
            reply = raw_frame(tablet, frame)
            assert reply["id"] is None and reply["error"]["code"] == "command_rate_limited"
            reply = raw_frame(tablet, '{"id": 10, "type": "ping"}')
            assert reply["id"] == 10 and reply["error"]["code"] == "command_rate_limited"
        finally:
            room.close()


def test_the_migration_repairs_rows_stored_before_the_rules(tmp_path: Path, database_url: str) -> None:
    """Back to 0011, plant bad text in a JSON column and (SQLite) a text column, then 0014."""
    from phonghop.storage import migrate
    from phonghop.storage.models import Meeting

    settings = make_settings(tmp_path / "data", database_url)
    world = seed_world(settings)
    asyncio.run(migrate.downgrade(database_url, "0011"))

    async def plant(session: Any) -> int:
        title = "Họp\u0001 lần 1" if database_url.startswith("sqlite") else "Ho\u0323p lần 1"
        meeting_id: int = await session.scalar(
            insert(Meeting)
            .values(
                body_id=world.body_id,
                title=title,
                state="draft",
                starts_at=datetime(2026, 11, 23, 8, 0, tzinfo=UTC),
                live={"announcement": {"text": "a" + SURROGATE + "\u0000b\r\nc"}},
                last_seq=0,
            )
            .returning(Meeting.id)
        )
        return meeting_id

    meeting_id = run_db(database_url, plant)
    asyncio.run(migrate.upgrade(database_url))

    async def read(session: Any) -> tuple[str, dict[str, Any]]:
        row = (
            await session.execute(select(Meeting.title, Meeting.live).where(Meeting.id == meeting_id))
        ).one()
        return row[0], row[1]

    title, live = run_db(database_url, read)
    assert title in ("Họp lần 1", "Họp lần 1")
    assert live == {"announcement": {"text": "a\ufffdb\nc"}}
