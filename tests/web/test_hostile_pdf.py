"""PDF intake edge cases (issue #18): a file encrypted with an owner password only is
accepted, marked restricted, and rendered, watermarked and annotated like any other."""

from __future__ import annotations

import io
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
