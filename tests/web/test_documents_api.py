"""Meeting documents through the API and the websocket: upload, access, pages, recall, search."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest
from PIL import Image
from pypdf import PdfReader
from starlette.testclient import TestClient

from phonghop.app import create_app
from phonghop.config import Settings
from phonghop.storage.db import Database
from tests.documents.conftest import make_pdf
from tests.factories import World, blank_pdf, companion, join_tablet, login, upload_document
from tests.realtime.helpers import Room

PDF = {"Content-Type": "application/pdf"}


@pytest.fixture
def room(settings: Settings, world: World) -> Iterator[Room]:
    with TestClient(create_app(settings)) as base:
        r = Room(base, world)
        try:
            yield r
        finally:
            r.close()


def blobs(settings: Settings) -> list[Path]:
    return [p for p in settings.blob_dir.rglob("*") if p.is_file()]


def participant(room: Room, index: int) -> int:
    pid: int = room.meeting["participants"][index]["id"]
    return pid


def page(client: TestClient, version_id: int, n: int = 1, **params: str) -> httpx.Response:
    return client.get(f"/api/versions/{version_id}/pages/{n}", params=params or {"w": "320"})


def test_upload_lists_and_serves_cacheable_pages(room: Room) -> None:
    doc = upload_document(room.office, room.id, make_pdf(), filename="to-trinh.pdf")
    assert doc["title"] == "Tài liệu thử nghiệm"  # from the PDF's own title
    assert doc["version"]["number"] == 1 and doc["version"]["page_count"] == 3
    assert doc["version"]["pages"][0] == {"width": 595.28, "height": 841.89}
    assert doc["access"] == {"mode": "all", "participant_ids": [], "roles": []}

    tablet = room.tablet_client()
    listed = tablet.get(f"/api/meetings/{room.id}/documents").json()["documents"]
    assert [d["id"] for d in listed] == [doc["id"]]
    assert "access" not in listed[0]  # only controllers see the list of readers

    r = page(tablet, doc["version"]["id"], 2)
    assert r.status_code == 200 and r.headers["content-type"] == "image/webp"
    assert "immutable" in r.headers["cache-control"]
    assert Image.open(io.BytesIO(r.content)).width == 320
    again = tablet.get(
        f"/api/versions/{doc['version']['id']}/pages/2",
        params={"w": "320"},
        headers={"If-None-Match": r.headers["etag"]},
    )
    assert again.status_code == 304

    missing = page(tablet, doc["version"]["id"], 4)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "document_page_not_found"
    wrong_width = page(tablet, doc["version"]["id"], 1, w="333")
    assert wrong_width.json()["error"]["code"] == "document_render_width_invalid"


def test_refused_uploads_leave_nothing(room: Room, settings: Settings) -> None:
    url = f"/api/meetings/{room.id}/documents"
    cases = [
        (b"hello, not a pdf" * 100, PDF, 415, "document_not_pdf"),
        (make_pdf(), {"Content-Type": "text/plain"}, 415, "document_not_pdf"),
        (make_pdf()[:-300], PDF, 422, None),  # truncated
        (b"%PDF-1.7\n" + b"1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n" * 3, PDF, 422, None),
    ]
    for body, headers, status, code in cases:
        r = room.office.post(url, content=body, headers=headers)
        assert r.status_code == status, r.text
        if code:
            assert r.json()["error"]["code"] == code
        assert r.json()["error"]["message"]
    assert blobs(settings) == []
    assert room.office.get(url).json()["documents"] == []


def test_oversized_upload_is_refused(settings: Settings, world: World) -> None:
    small = Settings(**{**settings.__dict__, "max_upload_mb": 1})
    with TestClient(create_app(small)) as base:
        room = Room(base, world)
        big = blank_pdf(1) + b"%" + b"x" * (2 << 20)
        r = room.office.post(f"/api/meetings/{room.id}/documents", content=big, headers=PDF)
        assert r.status_code == 413 and r.json()["error"]["code"] == "document_too_large"

        def chunks() -> Iterator[bytes]:  # no Content-Length: the stream is cut off
            yield big[: 1 << 20]
            yield big[1 << 20 :]

        r = room.office.post(f"/api/meetings/{room.id}/documents", content=chunks(), headers=PDF)
        assert r.status_code == 413
        assert blobs(small) == []


def test_only_controllers_upload_and_recall(room: Room) -> None:
    tablet = room.tablet_client()
    r = tablet.post(f"/api/meetings/{room.id}/documents", content=make_pdf(), headers=PDF)
    assert r.status_code in (403, 401)
    doc = upload_document(room.secretary_client, room.id, make_pdf())  # the secretary may
    r = tablet.post(f"/api/documents/{doc['id']}/recall")
    assert r.status_code in (401, 403)
    stranger = companion(room.base)
    login(stranger, "other_office")
    assert stranger.get(f"/api/documents/{doc['id']}").status_code == 404
    assert page(stranger, doc["version"]["id"]).status_code == 404


def test_named_access_is_enforced_everywhere(room: Room) -> None:
    reader, outsider = participant(room, 2), participant(room, 3)
    delegate_doc = upload_document(
        room.office, room.id, make_pdf(), title="Đề án nhân sự", access="named", participant_ids=str(reader)
    )
    version = delegate_doc["version"]["id"]
    a, b = room.tablet_client(2), room.tablet_client(3)
    assert [d["id"] for d in a.get(f"/api/meetings/{room.id}/documents").json()["documents"]] == [
        delegate_doc["id"]
    ]
    assert b.get(f"/api/meetings/{room.id}/documents").json()["documents"] == []
    assert page(a, version).status_code == 200
    refused = page(b, version)
    assert refused.status_code == 404 and refused.json()["error"]["code"] == "document_not_found"
    assert b.get(f"/api/meetings/{room.id}/documents/search", params={"q": "dang uy"}).json()["hits"] == []
    assert a.get(f"/api/meetings/{room.id}/documents/search", params={"q": "dang uy"}).json()["hits"]

    # The presenter shows it: the outsider's tablet is told the page, not the document.
    console = room.peer(room.secretary_client)
    console.hello()
    peer_b = room.peer(b)
    peer_b.hello()
    peer_b.sync()
    r = room.office.patch(f"/api/documents/{delegate_doc['id']}", json={"title": "Đề án nhân sự (sửa)"})
    assert r.status_code == 200
    peer_b.sync()
    assert peer_b.events[-1]["type"] == "event.withheld" and peer_b.events[-1]["data"] == {}
    assert "Đề án" not in str(peer_b.events)

    # Widening the list lets the outsider in; narrowing it again recalls the copy from them.
    r = room.office.patch(
        f"/api/documents/{delegate_doc['id']}",
        json={"access": {"mode": "named", "participant_ids": [reader, outsider]}},
    )
    assert r.status_code == 200
    assert page(b, version).status_code == 200
    room.office.patch(
        f"/api/documents/{delegate_doc['id']}",
        json={"access": {"mode": "named", "participant_ids": [reader]}},
    )
    peer_b.sync()
    assert peer_b.events[-1]["type"] == "document.recalled"
    assert peer_b.events[-1]["data"] == {"document_id": delegate_doc["id"]}
    assert page(b, version).status_code == 404  # the decision made a moment ago is not reused

    bad = room.office.patch(
        f"/api/documents/{delegate_doc['id']}",
        json={"access": {"mode": "named", "participant_ids": [999999]}},
    )
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "document_access_invalid"


def test_guests_never_see_classified_documents(room: Room) -> None:
    guest = room.office.post(
        f"/api/meetings/{room.id}/participants", json={"full_name": "Khách mời", "role": "guest"}
    ).json()
    doc = upload_document(room.office, room.id, make_pdf(), classification="confidential")
    client = companion(room.base)
    join_tablet(client, room.office, room.id, guest["id"])
    assert client.get(f"/api/meetings/{room.id}/documents").json()["documents"] == []
    assert page(client, doc["version"]["id"]).status_code == 404
    # even when the office names the guest on the list
    room.office.patch(
        f"/api/documents/{doc['id']}", json={"access": {"mode": "named", "participant_ids": [guest["id"]]}}
    )
    assert page(client, doc["version"]["id"]).status_code == 404


def test_classified_pages_are_watermarked_per_delegate_and_audited(room: Room) -> None:
    doc = upload_document(room.office, room.id, blank_pdf(2), title="Báo cáo mật", classification="secret")
    a, b = room.tablet_client(2), room.tablet_client(3)
    ra, rb = page(a, doc["version"]["id"], w="800"), page(b, doc["version"]["id"], w="800")
    for r in (ra, rb):
        assert r.status_code == 200
        assert r.headers["cache-control"] == "private, no-store"
        assert r.headers["content-type"] == "image/jpeg"
    img_a = Image.open(io.BytesIO(ra.content)).convert("L")
    # A blank page came back with ink on it: the watermark, different for each delegate.
    assert img_a.getextrema()[0] < 250
    assert ra.content != rb.content
    audit = room.office.get(f"/api/documents/{doc['id']}/audit").json()["entries"]
    served = [e for e in audit if e["action"] == "document.page_served"]
    assert {e["participant_id"] for e in served} == {participant(room, 2), participant(room, 3)}
    assert a.get(f"/api/documents/{doc['id']}/audit").status_code == 403


def test_download_only_when_granted_and_stamped_with_the_recipient(room: Room) -> None:
    doc = upload_document(room.office, room.id, make_pdf())
    tablet = room.tablet_client(2)
    url = f"/api/versions/{doc['version']['id']}/download"
    r = tablet.get(url)
    assert r.status_code == 403 and r.json()["error"]["code"] == "document_download_not_allowed"
    room.office.patch(f"/api/documents/{doc['id']}", json={"downloadable": True})
    r = tablet.get(url)
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    text = PdfReader(io.BytesIO(r.content)).pages[0].extract_text()
    assert room.meeting["participants"][2]["full_name"] in text
    assert "Trang một" in text  # the document itself is intact


def test_recall_refuses_access_and_tells_tablets(room: Room) -> None:
    doc = upload_document(room.office, room.id, make_pdf())
    tablet_client = room.tablet_client()
    assert page(tablet_client, doc["version"]["id"]).status_code == 200
    tablet = room.peer(tablet_client)
    tablet.hello()
    console = room.peer(room.secretary_client)
    console.hello()
    assert console.call("presenter.show_page", document_id=doc["id"], page=2)["ok"]
    r = room.secretary_client.post(f"/api/meetings/{room.id}/documents/recall")
    assert r.json() == {"recalled": [doc["id"]]}
    tablet.sync()
    types = [e["type"] for e in tablet.events]
    assert types[-2:] == ["presenter.cleared", "document.recalled"]
    gone = page(tablet_client, doc["version"]["id"])
    assert gone.status_code == 409 and gone.json()["error"]["code"] == "document_recalled"
    assert tablet_client.get(f"/api/meetings/{room.id}/documents").json()["documents"] == []
    shown = console.call("presenter.show_page", document_id=doc["id"], page=1)
    assert shown["ok"] is False and shown["error"]["code"] == "document_recalled"
    # the office keeps it in its archive, marked recalled
    archived = room.office.get(f"/api/meetings/{room.id}/documents").json()["documents"]
    assert archived[0]["recalled"] is True


def test_presenter_shows_only_pages_that_exist(room: Room) -> None:
    doc = upload_document(room.office, room.id, make_pdf())
    console = room.peer(room.secretary_client)
    console.hello()
    assert console.call("presenter.show_page", document_id=doc["id"], page=4)["error"]["code"] == (
        "document_page_not_found"
    )
    assert console.call("presenter.show_page", document_id=doc["id"] + 100, page=1)["error"]["code"] == (
        "document_not_found"
    )


def test_new_version_keeps_the_old_one(room: Room) -> None:
    doc = upload_document(room.office, room.id, make_pdf())
    r = room.office.post(f"/api/documents/{doc['id']}/versions", content=blank_pdf(5), headers=PDF)
    assert r.status_code == 201, r.text
    new = r.json()
    assert new["version"]["number"] == 2 and new["version"]["page_count"] == 5
    assert [v["number"] for v in new["versions"]] == [1, 2]
    tablet = room.tablet_client()
    assert page(tablet, doc["version"]["id"], 3).status_code == 200
    # search looks at the current version only
    hits = tablet.get(f"/api/meetings/{room.id}/documents/search", params={"q": "Trang một"}).json()["hits"]
    assert hits == []


def test_search_without_diacritics_finds_them(room: Room) -> None:
    doc = upload_document(room.office, room.id, make_pdf())
    tablet = room.tablet_client()
    hits = tablet.get(f"/api/meetings/{room.id}/documents/search", params={"q": "giai ngan von"}).json()[
        "hits"
    ]
    assert [(h["document_id"], h["page"]) for h in hits] == [(doc["id"], 2)]
    assert "giải ngân vốn" in hits[0]["snippet"]
    too_long = tablet.get(f"/api/meetings/{room.id}/documents/search", params={"q": "x" * 201})
    assert too_long.status_code == 422 and too_long.json()["error"]["code"] == "search_query_too_long"


def test_closed_meeting_takes_no_new_documents(room: Room) -> None:
    room.secretary_client.post(f"/api/meetings/{room.id}/actions/close")
    r = room.office.post(f"/api/meetings/{room.id}/documents", content=make_pdf(), headers=PDF)
    assert r.status_code == 409 and r.json()["error"]["code"] == "meeting_documents_closed"


def test_database_rows_match_what_was_stored(room: Room, settings: Settings) -> None:
    """Text of every page is kept for search; the blob is stored once per content."""
    import asyncio

    from sqlalchemy import func, select

    from phonghop.storage.models import DocumentPage

    upload_document(room.office, room.id, make_pdf())
    upload_document(room.office, room.id, make_pdf(), title="Bản sao")

    async def count() -> int:
        db = Database(settings.database_url)
        try:
            async with db.unit(write=False) as uow:
                return int(await uow.session.scalar(select(func.count()).select_from(DocumentPage)) or 0)
        finally:
            await db.dispose()

    assert asyncio.run(count()) == 6
    assert len(blobs(settings)) == 1


def test_pages_a_tablet_shows_are_in_the_audit_log(room: Room) -> None:
    import time

    doc = upload_document(room.office, room.id, make_pdf())
    tablet = room.peer(room.tablet_client(2))
    tablet.hello()
    for n in (1, 2, 2, 3):  # reporting the same page again is not a new view
        assert tablet.call("viewer.report", document_id=doc["id"], page=n, following=False)["ok"]
    deadline = time.monotonic() + 5
    while True:
        entries = room.office.get(f"/api/documents/{doc['id']}/audit").json()["entries"]
        viewed = [e for e in entries if e["action"] == "document.page_viewed"]
        if len(viewed) >= 3 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert [e["detail"]["page"] for e in viewed] == [1, 2, 3]
    assert {e["participant_id"] for e in viewed} == {participant(room, 2)}
