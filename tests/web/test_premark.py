"""Classified pages marked in advance for every entitled reader, served as they are,
dropped on recall or a new version; the console reads the progress."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from starlette.testclient import TestClient

from phonghop import metrics
from phonghop.app import create_app
from phonghop.config import Settings
from phonghop.documents import premark
from tests.conftest import make_settings
from tests.factories import blank_pdf, seed_world, upload_document, wait_for
from tests.realtime.helpers import Room

WIDTH = 320


@pytest.fixture
def settings(tmp_path: Path, sqlite_url: str) -> Settings:
    return make_settings(tmp_path / "data", sqlite_url, premark_widths=(WIDTH,))


@pytest.fixture
def room(settings: Settings) -> Iterator[Room]:
    world = seed_world(settings)
    with TestClient(create_app(settings)) as base:
        r = Room(base, world)
        try:
            yield r
        finally:
            r.close()


def progress(room: Room, document_id: int) -> dict[str, Any]:
    r = room.secretary_client.get(f"/api/documents/{document_id}/premark")
    assert r.status_code == 200, r.text
    result: dict[str, Any] = r.json()
    return result


def all_marked(room: Room, document_id: int) -> bool:
    now = progress(room, document_id)
    return bool(now["total"] > 0 and now["done"] == now["total"])


def marked_files(settings: Settings, document_id: int) -> list[Path]:
    return sorted((settings.cache_dir / "marked" / str(document_id)).rglob(f"*.{premark.SUFFIX}"))


def test_classified_pages_are_marked_in_advance_for_each_reader(room: Room, settings: Settings) -> None:
    doc = upload_document(room.office, room.id, blank_pdf(2), title="Báo cáo mật", classification="secret")
    readers = [p for p in room.meeting["participants"] if p["role"] != "guest"]
    expected = len(readers) * 2
    wait_for(lambda: progress(room, doc["id"])["done"] == expected, "every page marked", deadline_s=180)
    assert progress(room, doc["id"])["total"] == expected
    assert len(marked_files(settings, doc["id"])) == expected

    a, b = room.tablet_client(2), room.tablet_client(3)
    before = metrics.pages["premarked"]
    url = f"/api/versions/{doc['version']['id']}/pages/1"
    ra, rb = a.get(url, params={"w": str(WIDTH)}), b.get(url, params={"w": str(WIDTH)})
    assert metrics.pages["premarked"] == before + 2  # files read, no marking at the turn
    for r in (ra, rb):
        assert r.status_code == 200 and r.headers["cache-control"] == "private, no-store"
        # WebP like an ordinary page: fewer bytes to send to every tablet at the turn
        assert r.headers["content-type"] == "image/webp"
        image = Image.open(io.BytesIO(r.content))
        assert image.format == "WEBP"
        assert image.convert("L").getextrema()[0] < 250  # ink: the mark
    assert ra.content != rb.content  # each delegate's own name
    audit = room.office.get(f"/api/documents/{doc['id']}/audit").json()["entries"]
    assert len([e for e in audit if e["action"] == "document.page_served"]) == 2

    # a tablet never asks the console's progress
    assert a.get(f"/api/documents/{doc['id']}/premark").status_code in (403, 404)


def test_marks_are_dropped_on_a_new_version_and_on_recall(room: Room, settings: Settings) -> None:
    doc = upload_document(room.office, room.id, blank_pdf(1), title="Báo cáo mật", classification="secret")
    first = doc["version"]["id"]
    wait_for(
        lambda: progress(room, doc["id"])["done"] == progress(room, doc["id"])["total"] > 0,
        "marks",
        deadline_s=180,
    )
    r = room.office.post(
        f"/api/documents/{doc['id']}/versions",
        content=blank_pdf(2),
        headers={"Content-Type": "application/pdf"},
    )
    assert r.status_code == 201, r.text
    second = r.json()["version"]["id"]
    assert not (settings.cache_dir / "marked" / str(doc["id"]) / str(first)).exists()
    wait_for(
        lambda: progress(room, doc["id"])["done"] == progress(room, doc["id"])["total"] > 0,
        "new marks",
        deadline_s=180,
    )
    assert progress(room, doc["id"])["version_id"] == second

    assert room.secretary_client.post(f"/api/documents/{doc['id']}/recall").status_code == 200
    assert marked_files(settings, doc["id"]) == []
    gone = room.tablet_client(2).get(f"/api/versions/{second}/pages/1", params={"w": str(WIDTH)})
    assert gone.status_code == 409


def test_ordinary_documents_are_not_marked(room: Room, settings: Settings) -> None:
    doc = upload_document(room.office, room.id, blank_pdf(1), title="Tờ trình")
    assert progress(room, doc["id"]) == {
        "document_id": doc["id"],
        "version_id": doc["version"]["id"],
        "total": 0,
        "done": 0,
        "running": False,
    }
    assert marked_files(settings, doc["id"]) == []
