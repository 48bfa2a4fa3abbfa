"""A meeting of the test body with a draft resolution (the sample "Dự thảo Nghị quyết",
articles Điều 1-9 on three pages) whose drafting unit has a signed-in user, another unit
with one too, and helpers for consultations on the draft and for a delegate's tablet."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update
from starlette.testclient import TestClient

from phonghop.demo.documents import sample_documents
from phonghop.storage.db import Database
from phonghop.storage.models import Document
from tests.factories import PASSWORD, World, companion, join_tablet, login, prepared_meeting, upload_document
from tests.notices_service.conftest import run_in_app
from tests.opinions import conftest as opinions_conftest
from tests.realtime.helpers import Peer

base = opinions_conftest.base
office = opinions_conftest.office
admin = opinions_conftest.admin
settings = opinions_conftest.settings
member1 = opinions_conftest.member1
chair = opinions_conftest.chair
signed_in = opinions_conftest.signed_in

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def draft_pdf() -> bytes:
    """The sample draft resolution: Điều 1 on page 1, Điều 2-5 on page 2, Điều 6-9 on page 3."""
    return next(d.pdf_bytes for d in sample_documents() if d.title.startswith("Dự thảo Nghị quyết"))


@dataclass
class Draft:
    meeting: dict[str, Any]
    document_id: int
    version_id: int
    unit_id: int
    other_unit_id: int
    #: A signed-in user of the drafting unit, and one of another unit.
    drafter: TestClient
    outsider: TestClient

    def participant(self, username_index: int) -> int:
        pid: int = self.meeting["participants"][username_index]["id"]
        return pid


def _unit_user(admin: TestClient, base: TestClient, username: str, unit_id: int) -> TestClient:
    r = admin.post(
        "/api/users",
        json={
            "username": username,
            "full_name": f"Chuyên viên {username}",
            "title": "Chuyên viên",
            "role": "member",
            "password": PASSWORD,
            "unit_id": unit_id,
        },
    )
    assert r.status_code == 201, r.text
    client = companion(base)
    login(client, username)
    return client


@pytest.fixture
def draft(base: TestClient, world: World, office: TestClient, admin: TestClient) -> Draft:
    units = []
    for name in ("Sở Khoa học và Công nghệ", "Sở Tài chính"):
        r = admin.post("/api/units", json={"name": name})
        assert r.status_code == 201, r.text
        units.append(r.json()["id"])
    meeting = prepared_meeting(office, world)
    document = upload_document(office, meeting["id"], draft_pdf(), title="Dự thảo Nghị quyết chuyển đổi số")

    # The drafting unit as the document preparation names it (Document.unit_id).
    async def name_unit(db: Database) -> None:
        async with db.unit() as uow:
            await uow.session.execute(
                update(Document).where(Document.id == document["id"]).values(unit_id=units[0])
            )

    run_in_app(base, name_unit)
    return Draft(
        meeting=meeting,
        document_id=document["id"],
        version_id=document["version"]["id"],
        unit_id=units[0],
        other_unit_id=units[1],
        drafter=_unit_user(admin, base, "khcn", units[0]),
        outsider=_unit_user(admin, base, "taichinh", units[1]),
    )


def send_on_draft(office: TestClient, world: World, draft: Draft, **fields: Any) -> dict[str, Any]:
    """A consultation on the draft, sent to the chair, member1 and member2, due in three days."""
    body = {
        "title": "Lấy ý kiến dự thảo Nghị quyết chuyển đổi số",
        "question": "Đề nghị các đồng chí cho ý kiến vào dự thảo Nghị quyết.",
        "deadline": (datetime.now(UTC) + timedelta(days=3)).isoformat(),
        "members": [world.users["chair"], world.users["member1"], world.users["member2"]],
        "document_id": draft.document_id,
        **fields,
    }
    r = office.post("/api/consultations", json=body)
    assert r.status_code == 201, r.text
    result: dict[str, Any] = r.json()
    return result


def put_answer(client: TestClient, cid: int, choice: str, text: str = "", **place: Any) -> Any:
    return client.put(f"/api/consultations/{cid}/answer", json={"choice": choice, "text": text, **place})


@dataclass
class Tablet:
    client: TestClient
    peer: Peer

    def save(self, client_id: str, version_id: int, page: int, kind: str, data: dict[str, Any]) -> int:
        reply = self.peer.call(
            "annotation.save",
            client_id=client_id,
            document_version_id=version_id,
            updated_at=(T0 + timedelta(seconds=len(client_id))).isoformat(),
            page=page,
            kind=kind,
            data=data,
        )
        assert reply["ok"], reply
        annotation_id: int = reply["result"]["annotation"]["id"]
        return annotation_id

    def mark(self, annotation_id: int, feedback: bool = True, text: str = "") -> Any:
        return self.client.put(
            f"/api/annotations/{annotation_id}/feedback", json={"feedback": feedback, "text": text}
        )


@pytest.fixture
def tablets(base: TestClient, draft: Draft, office: TestClient) -> Iterator[dict[str, Tablet]]:
    """Tablets joined to the draft's meeting as member1 and member2 (participants 2 and 3)."""
    meeting_id = draft.meeting["id"]
    secretary = companion(base)
    login(secretary, "secretary")
    assert secretary.post(f"/api/meetings/{meeting_id}/actions/start").status_code == 200
    out: dict[str, Tablet] = {}
    for name, index in (("member1", 2), ("member2", 3)):
        client = companion(base)
        join_tablet(client, office, meeting_id, draft.participant(index))
        peer = Peer(client, meeting_id)
        peer.hello()
        out[name] = Tablet(client, peer)
    try:
        yield out
    finally:
        for tablet in out.values():
            tablet.peer.close()
