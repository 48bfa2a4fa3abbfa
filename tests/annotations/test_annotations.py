"""Annotations through the running app: saved over the websocket, read over HTTP, exported
as a PDF that pypdf reads back, and private ones kept from every other tablet."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pypdf import PdfReader, PdfWriter

from phonghop.errors import InvalidInput
from phonghop.services.annotations import clean_data
from tests.factories import World, blank_pdf, companion, login, upload_document
from tests.realtime.helpers import Peer, Room

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
INK = {"strokes": [[[0.1, 0.2, 0.4], [0.3, 0.25, 0.6], [0.5, 0.2, 0.5]]], "width": 0.004, "color": "#D32F2F"}


def at(seconds: float) -> str:
    return (T0 + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


def version_of(room: Room, pdf: bytes, **params: Any) -> int:
    document = upload_document(room.office, room.id, pdf, title="Tờ trình", **params)
    version_id: int = document["version"]["id"]
    return version_id


def save(peer: Peer, client_id: str, version_id: int, updated: float, **fields: Any) -> dict[str, Any]:
    body = {"page": 1, "kind": "ink", "data": INK, **fields}
    return peer.call(
        "annotation.save", client_id=client_id, document_version_id=version_id, updated_at=at(updated), **body
    )


def ok(reply: dict[str, Any]) -> dict[str, Any]:
    assert reply["ok"], reply
    result: dict[str, Any] = reply["result"]
    return result


def wait_for(peer: Peer, match: Callable[[dict[str, Any]], bool], timeout: float = 10.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        for event in peer.events:
            if match(event):
                return event
        assert time.monotonic() < deadline, [e["type"] for e in peer.events]
        time.sleep(0.02)
        peer.sync()


def test_a_save_sent_again_after_a_dropped_connection_is_one_annotation(room: Room) -> None:
    version = version_of(room, blank_pdf(3))
    client = room.tablet_client(2)
    first = room.peer(client)
    first.hello()
    created = ok(save(first, "offline-0001", version, 1, page=2))
    assert created["applied"] and created["annotation"]["revision"] == 1
    first.close()  # the tablet goes offline; its queue still holds the save and a later edit

    again = room.peer(client)
    again.hello()
    retried = ok(save(again, "offline-0001", version, 1, page=2))
    assert retried == {**created, "applied": False}
    edited = ok(save(again, "offline-0001", version, 5, page=3))
    stale = ok(save(again, "offline-0001", version, 3, page=1))  # an older write arriving late
    assert edited["applied"] and not stale["applied"] and stale["annotation"]["page"] == 3
    listed = client.get(f"/api/versions/{version}/annotations").json()["annotations"]
    assert [(a["client_id"], a["page"], a["revision"]) for a in listed] == [("offline-0001", 3, 2)]
    synced = client.get(f"/api/meetings/{room.id}/annotations", params={"since": 1}).json()
    assert synced["revision"] == 2 and [a["page"] for a in synced["annotations"]] == [3]

    deleted = ok(again.call("annotation.delete", client_id="offline-0001", updated_at=at(6)))
    assert deleted["annotation"]["deleted"] and deleted["annotation"]["revision"] == 3
    assert client.get(f"/api/versions/{version}/annotations").json() == {"annotations": []}
    tombstones = client.get(f"/api/meetings/{room.id}/annotations", params={"since": 2}).json()["annotations"]
    assert [a["deleted"] for a in tombstones] == [True]
    undone = ok(save(again, "offline-0001", version, 7, page=3))  # undo brings it back
    assert undone["applied"] and not undone["annotation"]["deleted"]


def test_private_annotations_stay_on_the_owners_devices(room: Room) -> None:
    version = version_of(room, blank_pdf(2))
    owner_client = room.tablet_client(2)
    room.allow_devices(2, 2)
    room.allow_devices(3, 2)  # the neighbour reads over HTTP from a second tablet below
    owner, owner_other_device = room.peer(owner_client), room.peer(room.tablet_client(2))
    neighbour = room.peer(room.tablet_client(3))
    chair = room.peer(room.tablet_client(0))
    console = room.peer(room.secretary_client)
    for peer in (owner, owner_other_device, neighbour, chair, console):
        peer.hello()

    note = {"rect": [0.1, 0.1, 0.5, 0.2], "text": "Ý kiến riêng: đề nghị xem lại khoản 3"}
    saved = ok(save(owner, "private-note-1", version, 1, kind="note", data=note))
    annotation_id = saved["annotation"]["id"]
    hint = wait_for(owner_other_device, lambda e: e["type"] == "annotation.saved")
    assert hint["data"] == {
        "annotation_id": annotation_id,
        "owner_id": room.meeting["participants"][2]["id"],
        "document_version_id": version,
        "revision": 1,
        "annotation": None,  # the other device syncs to get it
    }
    assert wait_for(neighbour, lambda e: e["seq"] == hint["seq"])["type"] == "event.withheld"
    for peer in (neighbour, chair, console):  # controllers receive the hint, never the text
        peer.sync()
        assert all("Ý kiến riêng" not in str(e) for e in peer.events)
    synced = owner_client.get(f"/api/meetings/{room.id}/annotations", params={"since": 0}).json()
    assert synced["annotations"][0]["data"]["text"] == note["text"]
    neighbour_client = room.tablet_client(3)
    assert neighbour_client.get(f"/api/versions/{version}/annotations").json() == {"annotations": []}
    assert room.secretary_client.get(f"/api/versions/{version}/annotations").json() == {"annotations": []}
    refused = console.call("annotation.show", annotation_id=annotation_id, shown=True)
    assert refused["error"]["code"] == "annotation_not_found"  # another's private note does not exist

    shared = ok(owner.call("annotation.share", client_id="private-note-1", shared=True))
    assert shared["annotation"]["shared"]
    seen = wait_for(neighbour, lambda e: e["type"] == "annotation.saved")
    assert seen["data"]["annotation"]["data"]["text"] == note["text"]
    assert [
        a["id"] for a in neighbour_client.get(f"/api/versions/{version}/annotations").json()["annotations"]
    ] == [annotation_id]
    ok(owner.call("annotation.share", client_id="private-note-1", shared=False))
    taken_back = wait_for(neighbour, lambda e: e["type"] == "annotation.saved" and e["seq"] > seen["seq"])
    assert taken_back["data"]["annotation"] is None  # remove it
    assert neighbour_client.get(f"/api/versions/{version}/annotations").json() == {"annotations": []}


def test_the_secretary_shows_a_shared_annotation_to_the_readers_of_the_document(room: Room) -> None:
    reader = room.meeting["participants"][2]["id"]
    version = version_of(
        room, blank_pdf(1), classification="confidential", access="named", participant_ids=reader
    )
    owner = room.peer(room.tablet_client(2))
    outsider = room.peer(room.tablet_client(3))
    console = room.peer(room.secretary_client)
    for peer in (owner, outsider, console):
        peer.hello()
    highlight = {"rects": [[0.1, 0.3, 0.6, 0.33]]}
    saved = ok(save(owner, "shared-hl-01", version, 1, kind="highlight", data=highlight, shared=True))
    event = wait_for(console, lambda e: e["type"] == "annotation.saved")
    assert event["data"]["annotation"]["kind"] == "highlight"
    assert wait_for(outsider, lambda e: e["seq"] == event["seq"])["type"] == "event.withheld"  # not a reader

    not_controller = owner.call("annotation.show", annotation_id=saved["annotation"]["id"], shown=True)
    assert not_controller["error"]["code"] == "secretary_required"
    shown = ok(console.call("annotation.show", annotation_id=saved["annotation"]["id"], shown=True))
    assert shown["annotation"]["shown"] and shown["annotation"]["revision"] == 2
    again = ok(console.call("annotation.show", annotation_id=saved["annotation"]["id"], shown=True))
    assert not again["applied"]


def test_refused_annotations(room: Room, world: World) -> None:
    version = version_of(room, blank_pdf(2))
    other = new_meeting_version(room, world)
    tablet = room.peer(room.tablet_client(2))
    tablet.hello()

    def error(reply: dict[str, Any]) -> dict[str, Any]:
        assert not reply["ok"], reply
        err: dict[str, Any] = reply["error"]
        return err

    assert error(save(tablet, "bad-page-01", version, 1, page=3)) == {
        **error(save(tablet, "bad-page-01", version, 1, page=3)),
        "code": "annotation_page_invalid",
        "params": {"page": 3, "page_count": 2},
    }
    bad = error(save(tablet, "bad-data-01", version, 1, data={"strokes": [[[1.5, 0.2]]]}))
    assert (bad["code"], bad["params"]) == ("annotation_data_invalid", {"field": "strokes"})
    extra = error(
        save(
            tablet, "bad-data-02", version, 1, kind="comment", data={"x": 0.1, "y": 0.1, "text": "a", "z": 1}
        )
    )
    assert extra["params"] == {"field": "z"}
    assert error(save(tablet, "elsewhere-1", other, 1))["code"] == "document_not_found"
    ok(save(tablet, "reused-id-01", version, 1))
    second = version_of(room, blank_pdf(1))
    assert error(save(tablet, "reused-id-01", second, 2))["code"] == "annotation_client_id_reused"
    assert error(tablet.call("annotation.delete", client_id="never-saved-1", updated_at=at(1)))["code"] == (
        "annotation_not_found"
    )
    invalid = error(
        tablet.call(
            "annotation.save",
            client_id="x",
            document_version_id=version,
            page=1,
            kind="ink",
            data=INK,
            updated_at=at(1),
        )
    )
    assert invalid["code"] == "command_invalid" and invalid["params"] == {"field": "client_id"}
    naive = error(
        tablet.call(
            "annotation.save",
            client_id="naive-time-1",
            document_version_id=version,
            page=1,
            kind="ink",
            data=INK,
            updated_at="2026-11-23T08:00:00",
        )
    )
    assert naive["params"] == {"field": "updated_at"}
    office = room.peer(room.office)
    office.hello()
    assert error(save(office, "office-note-1", version, 1))["code"] == "annotation_not_allowed"
    r = room.tablet_client(2).get(f"/api/meetings/{room.id}/annotations", params={"since": "-1"})
    assert r.status_code == 422


def new_meeting_version(room: Room, world: World) -> int:
    """A version of a document of another meeting of the same body."""
    from tests.factories import prepared_meeting

    other = prepared_meeting(room.office, world)
    document = upload_document(room.office, other["id"], blank_pdf(1), title="Khác")
    version_id: int = document["version"]["id"]
    return version_id


def test_a_new_version_offers_the_annotations_whose_page_still_exists(room: Room) -> None:
    document = upload_document(room.office, room.id, blank_pdf(3), title="Dự thảo")
    old = document["version"]["id"]
    client = room.tablet_client(2)
    tablet = room.peer(client)
    tablet.hello()
    for page in (1, 3):
        ok(save(tablet, f"draft-page-{page}", old, 1, page=page))
    r = room.office.post(
        f"/api/documents/{document['id']}/versions",
        content=blank_pdf(2),
        headers={"Content-Type": "application/pdf"},
    )
    assert r.status_code == 201, r.text
    new = r.json()["version"]["id"]
    assert [a["page"] for a in client.get(f"/api/versions/{old}/annotations").json()["annotations"]] == [1, 3]
    assert client.get(f"/api/versions/{new}/annotations").json() == {"annotations": []}  # they stay on v1
    offered = client.get(f"/api/versions/{new}/annotations/offered").json()["annotations"]
    assert [(a["client_id"], a["document_version_id"]) for a in offered] == [("draft-page-1", old)]


def rotated_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(600, 800)
    writer.add_blank_page(600, 800).rotate(90)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_my_annotated_copy_has_real_pdf_annotations(room: Room) -> None:
    version = version_of(room, rotated_pdf(), downloadable=True)
    client = room.tablet_client(2)
    tablet = room.peer(client)
    tablet.hello()
    ok(save(tablet, "copy-ink-0001", version, 1, data=INK))
    ok(save(tablet, "copy-hl-00001", version, 1, kind="highlight", data={"rects": [[0.1, 0.5, 0.6, 0.55]]}))
    ok(
        save(
            tablet,
            "copy-note-001",
            version,
            1,
            kind="note",
            data={"rect": [0.5, 0.1, 0.9, 0.2], "text": "Đồng ý"},
        )
    )
    ok(
        save(
            tablet,
            "copy-cmt-0001",
            version,
            1,
            kind="comment",
            data={"x": 0.25, "y": 0.75, "text": "Cần số liệu"},
        )
    )
    ok(
        save(
            tablet,
            "copy-rot-0001",
            version,
            1,
            page=2,
            kind="highlight",
            data={"rects": [[0.0, 0.0, 0.5, 0.25]]},
        )
    )
    ok(save(tablet, "copy-gone-001", version, 1, kind="comment", data={"x": 0.5, "y": 0.5, "text": "xoá"}))
    ok(tablet.call("annotation.delete", client_id="copy-gone-001", updated_at=at(2)))
    neighbour = room.peer(room.tablet_client(3))
    neighbour.hello()
    ok(save(neighbour, "not-mine-0001", version, 1))

    r = client.get(f"/api/versions/{version}/annotated.pdf")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(r.content))
    first = [a.get_object() for a in reader.pages[0]["/Annots"]]
    by_kind = {str(a["/Subtype"]): a for a in first}
    assert sorted(by_kind) == ["/FreeText", "/Highlight", "/Ink", "/Text"]  # not the deleted one, not theirs
    assert {str(a["/T"]) for a in first} == {"Đồng chí Member1"}

    def rect(annotation: Any) -> list[float]:
        return [round(float(v), 1) for v in annotation["/Rect"]]

    # page 1: 600 x 800, upright; (u, v) from the top left -> (600 u, 800 (1 - v))
    assert rect(by_kind["/Highlight"]) == [60.0, 360.0, 360.0, 400.0]
    assert [round(float(v), 1) for v in by_kind["/Highlight"]["/QuadPoints"]] == [
        60.0,
        400.0,
        360.0,
        400.0,
        60.0,
        360.0,
        360.0,
        360.0,
    ]
    assert rect(by_kind["/FreeText"]) == [300.0, 640.0, 540.0, 720.0]
    assert str(by_kind["/FreeText"]["/Contents"]) == "Đồng ý"
    assert rect(by_kind["/Text"]) == [150.0, 180.0, 170.0, 200.0]
    ink = [round(float(v), 1) for v in by_kind["/Ink"]["/InkList"][0]]
    assert ink == [60.0, 640.0, 180.0, 600.0, 300.0, 640.0]
    assert "/N" in by_kind["/Ink"]["/AP"]
    # page 2 is rotated 90°: displayed 800 x 600; (u, v) -> (600 v, 800 u)
    [turned] = [a.get_object() for a in reader.pages[1]["/Annots"]]
    assert str(turned["/Subtype"]) == "/Highlight" and rect(turned) == [0.0, 0.0, 150.0, 400.0]

    # Where downloading is not allowed, there is no annotated copy either.
    locked = version_of(room, blank_pdf(1))
    r = client.get(f"/api/versions/{locked}/annotated.pdf")
    assert r.status_code == 403 and r.json()["error"]["code"] == "document_download_not_allowed"
    stranger = companion(room.base)
    login(stranger, "other_office")
    assert stranger.get(f"/api/versions/{version}/annotated.pdf").status_code == 404


def test_annotation_data_is_checked_and_normalised() -> None:
    assert clean_data("ink", {"strokes": [[[0, 1]]]}) == {
        "color": "#d32f2f",
        "strokes": [[[0.0, 1.0, 0.5]]],
        "width": 0.004,
    }
    note = clean_data(
        "note", {"rect": [0, 0, 1, 0.5], "text": " Ho\u0300a "}
    )  # decomposed, as some tablets send
    assert note["font_size"] == 12 and note["text"] == "Hòa"
    for kind, data, field in [
        ("ink", {"strokes": []}, "strokes"),
        ("ink", {"strokes": [[[0.1, 0.1, 2]]]}, "strokes"),
        ("ink", {"strokes": [[[float("nan"), 0.1]]]}, "strokes"),
        ("ink", {"strokes": [[[0.1, 0.1]]], "width": 1}, "width"),
        ("highlight", {"rects": [[0.5, 0.1, 0.4, 0.2]]}, "rects"),
        ("note", {"rect": [0, 0, 1, 1], "text": "   "}, "text"),
        ("comment", {"x": 0.1, "y": True, "text": "a"}, "y"),
        ("comment", {"x": 0.1, "y": 0.1, "text": "a", "color": "red"}, "color"),
    ]:
        with pytest.raises(InvalidInput) as caught:
            clean_data(kind, data)
        assert caught.value.params == {"field": field}, (kind, data)
    with pytest.raises(InvalidInput) as kind_error:
        clean_data("scribble", {})
    assert kind_error.value.code == "annotation_kind_invalid"
