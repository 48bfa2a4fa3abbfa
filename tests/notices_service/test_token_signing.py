"""Signing with a USB token (PKCS#11), against SoftHSM2 (installed by scripts/test): the
signer's token is configured in the settings, the PIN is asked at issue time and never
kept; a wrong PIN, a missing PIN and a token that is not plugged in are refused with a
clear code before a number is taken; the right PIN gives a signature that validates."""

from __future__ import annotations

import io
import json

import pytest
from pypdf import PdfReader
from sqlalchemy import select
from starlette.testclient import TestClient

from phonghop.notices import verify_pdf_signature
from phonghop.storage.db import Database
from phonghop.storage.models import AuditEntry, IssuingBody, Notice, NoticeCounter
from tests.factories import World
from tests.notices_service.conftest import PARTY_SETTINGS, error_of, hold_meeting, run_in_app
from tests.pki import Signer
from tests.softhsm import PIN, token_settings

pytestmark = pytest.mark.usefixtures("configured")


def _settings(token_label: str) -> dict[str, object]:
    return {**PARTY_SETTINGS, "signing": token_settings("Nguyễn Văn Bình", token_label)}


def _counters(base: TestClient) -> list[int]:
    async def work(db: Database) -> list[int]:
        async with db.unit(write=False) as uow:
            return list(await uow.session.scalars(select(NoticeCounter.last_number)))

    return run_in_app(base, work)


def test_a_notice_is_signed_with_the_signers_token_and_the_pin_is_never_kept(
    base: TestClient, world: World, office: TestClient, admin: TestClient, token: str, certificate: Signer
) -> None:
    r = admin.put("/api/notice-settings", json=_settings(token))
    assert r.status_code == 200, r.text
    assert r.json()["signing"]["tokens"][0]["token_label"] == token
    held = hold_meeting(base, world, office)
    notice = office.post(f"/api/meetings/{held.id}/notices", json={}).json()
    url = f"/api/notices/{notice['id']}/issue"

    err = error_of(office.post(url, json={}), 422)
    assert (err["code"], err["params"]) == ("notice_token_pin_required", {"signer": "Nguyễn Văn Bình"})
    assert error_of(office.post(url, json={"pin": "000000"}), 422)["code"] == "notice_token_pin_invalid"
    # The token is not plugged in (no token of that label).
    assert admin.put("/api/notice-settings", json=_settings("the-khong-cam")).status_code == 200
    err = error_of(office.post(url, json={"pin": PIN}), 503)
    assert (err["code"], err["params"]) == ("notice_token_unavailable", {"reason": "token_missing"})
    # None of the refusals took a number or changed the draft.
    assert office.get(f"/api/notices/{notice['id']}").json()["state"] == "draft"
    assert _counters(base) in ([], [0])

    assert admin.put("/api/notice-settings", json=_settings(token)).status_code == 200
    issued = office.post(url, json={"pin": PIN})
    assert issued.status_code == 200, issued.text
    assert issued.json()["signed"] is True and issued.json()["number"] == 1
    pdf = office.get(f"/api/notices/{notice['id']}/pdf").content
    check = verify_pdf_signature(pdf, [certificate.root_pem])
    assert check.ok and check.intact and check.trusted and check.covers_whole_file
    assert "Văn phòng Tỉnh ủy Gia Lai" in check.signer
    assert "Số 01-TB/TU" in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()

    async def everything_stored(db: Database) -> str:
        async with db.unit(write=False) as uow:
            audit = [(a.action, a.detail) for a in await uow.session.scalars(select(AuditEntry))]
            bodies = [b.settings for b in await uow.session.scalars(select(IssuingBody))]
            drafts = [n.draft for n in await uow.session.scalars(select(Notice))]
            return json.dumps([audit, bodies, drafts], ensure_ascii=False, default=str)

    assert PIN not in run_in_app(base, everything_stored)
