"""PDF intake edge cases (issue #18): a file encrypted with an owner password only is
accepted, marked restricted, and rendered, watermarked and annotated like any other."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
from pypdf import PdfReader, PdfWriter
from starlette.testclient import TestClient

from phonghop.app import create_app
from phonghop.config import Settings
from tests.factories import blank_pdf, seed_world, upload_document
from tests.realtime.helpers import Room


@pytest.fixture
def room(settings: Settings) -> Iterator[Room]:
    world = seed_world(settings)
    with TestClient(create_app(settings)) as base:
        r = Room(base, world)
        try:
            yield r
        finally:
            r.close()


def owner_only(pdf: bytes, algorithm: str) -> bytes:
    """Encrypted as other agencies send it: an owner password, an empty user password,
    printing and copying not allowed."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.encrypt(user_password="", owner_password="văn-phòng-khác", algorithm=algorithm, permissions_flag=0)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize("algorithm", ["RC4-40", "AES-256"])
def test_an_owner_password_only_pdf_is_accepted_rendered_and_watermarked(room: Room, algorithm: str) -> None:
    data = owner_only(blank_pdf(2), algorithm)
    assert PdfReader(io.BytesIO(data)).is_encrypted
    reader_id = room.meeting["participants"][2]["id"]
    document = upload_document(
        room.office,
        room.id,
        data,
        title="Công văn của sở",
        classification="confidential",
        access="named",
        participant_ids=reader_id,
    )
    version = document["version"]
    assert version["restricted"] is True and version["page_count"] == 2
    plain = upload_document(room.office, room.id, blank_pdf(1), title="Tờ trình")["version"]
    assert plain["restricted"] is False
    tablet = room.tablet_client(2)
    page = tablet.get(f"/api/versions/{version['id']}/pages/2")
    assert page.status_code == 200 and page.headers["content-type"].startswith("image/"), page.text
    assert len(page.content) > 1000
    annotated = tablet.get(f"/api/versions/{version['id']}/annotated.pdf")
    if annotated.status_code == 200:
        assert len(PdfReader(io.BytesIO(annotated.content)).pages) == 2
    else:  # not downloadable for this reader: refused in the usual shape, not broken
        assert annotated.status_code in (403, 404) and "error" in annotated.json()


def test_pypdf_warnings_reach_our_log_a_few_times_not_ten_thousand(caplog: pytest.LogCaptureFixture) -> None:
    """What pypdf says while repairing a damaged file goes through ``phonghop.documents.pdf``
    (the structured log), at most a few lines however many objects are damaged."""
    from pypdf._utils import logger_warning

    import phonghop.documents  # noqa: F401  (installs the routing)

    with caplog.at_level(logging.WARNING):
        for _ in range(10_006):
            logger_warning(
                "Xref table not zero-indexed. ID numbers for objects will be corrected.",
                source="pypdf._reader",
            )
    ours = [r for r in caplog.records if r.name == "phonghop.documents.pdf"]
    assert 1 <= len(ours) <= 4, len(ours)
    assert "Xref table not zero-indexed" in ours[0].getMessage()
    assert logging.getLogger("pypdf").propagate is False  # only our lines reach the log's handlers


@pytest.mark.anyio
async def test_a_client_hanging_up_mid_upload_is_logged_as_such(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """Half a PDF, then the connection closes: no ``internal_error``, no stack trace, a
    ``client_disconnected`` count and one info line; the server keeps serving."""
    import asyncio
    import time

    import httpx2 as httpx

    from phonghop import metrics
    from tests.factories import PASSWORD
    from tests.realtime.test_fanout import Server

    await asyncio.to_thread(seed_world, settings)
    server = Server(settings)
    task = asyncio.create_task(server.server.serve())
    while not server.server.started:
        await asyncio.sleep(0.02)
    before = dict(metrics.errors)
    try:
        async with httpx.AsyncClient(base_url=server.url) as http:
            r = await http.post("/api/session", json={"username": "office", "password": PASSWORD})
            csrf = r.json()["csrf_token"]
            cookie = "phonghop_session=" + r.cookies["phonghop_session"]
            headers = {"Cookie": cookie, "X-CSRF-Token": csrf}
            meeting = await http.post(
                "/api/meetings",
                headers=headers,
                json={"title": "Họp", "starts_at": "2026-12-01T08:00:00+07:00"},
            )
            mid = meeting.json()["id"]
            with caplog.at_level(logging.INFO):
                _reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
                head = (
                    f"POST /api/meetings/{mid}/documents?title=x HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    f"Content-Type: application/pdf\r\nContent-Length: 5000000\r\n"
                    f"Cookie: {cookie}\r\nX-CSRF-Token: {csrf}\r\n\r\n"
                )
                writer.write(head.encode() + b"%PDF-1.7\n" + bytes(200_000))
                await writer.drain()
                writer.close()
                deadline = time.monotonic() + 20
                while metrics.errors[("client_disconnected", "http")] <= before.get(
                    ("client_disconnected", "http"), 0
                ):
                    assert time.monotonic() < deadline, dict(metrics.errors)
                    await asyncio.sleep(0.02)
            assert metrics.errors[("internal_error", "http")] == before.get(("internal_error", "http"), 0)
            assert any("hung up" in r.getMessage() for r in caplog.records)
            assert not [r for r in caplog.records if r.exc_info]
            assert (await http.get("/healthz")).status_code == 200
    finally:
        server.server.should_exit = True
        await task
