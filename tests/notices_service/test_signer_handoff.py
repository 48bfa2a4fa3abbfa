"""The signer signs in their own session, then the office numbers and issues (Nghị định
30/2020/NĐ-CP: the leader signs, the văn thư gives the number and date and applies the
body's seal): the office hands a draft to its signer, who returns it with a reason or
signs it without a number (a certification signature permitting form filling); the
office's issue then fills in the number and date as an incremental update and adds the
body's signature. Both signatures are checked with pyHanko, not mocked."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest
from pypdf import PdfReader
from sqlalchemy import select, update
from starlette.testclient import TestClient

from phonghop.notices._pyhanko import PdfFileReader, ValidationContext, load_certs_from_pemder_data
from phonghop.notices._pyhanko import validate_pdf_signature as pyhanko_validate
from phonghop.storage.db import Database
from phonghop.storage.models import AuditEntry, NoticeCounter, User
from tests.factories import World, companion, login
from tests.notices_service.conftest import PARTY_SETTINGS, PASSPHRASE, error_of, hold_meeting, run_in_app
from tests.notices_service.test_signature_images import SEAL, SIGNATURE, upload
from tests.pki import Signer
from tests.softhsm import PIN, token_settings

pytestmark = pytest.mark.usefixtures("configured")

SIGNER = "Nguyễn Văn Bình"  # the signature block's signer in PARTY_SETTINGS
MM = 72 / 25.4


@pytest.fixture
def chair(base: TestClient, world: World) -> TestClient:
    """The chair's own session; the chair's account is the signature block's signer."""

    async def rename(db: Database) -> None:
        async with db.unit() as uow:
            await uow.session.execute(
                update(User).where(User.id == world.users["chair"]).values(full_name=SIGNER)
            )

    run_in_app(base, rename)
    client = companion(base)
    login(client, "chair")
    return client


@pytest.fixture
def signing(admin: TestClient, certificate_file: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The body signs with its PKCS#12 (the signer has no token): the signer's step and
    the body's seal signature both use it."""
    monkeypatch.setenv("PHONGHOP_TEST_SIGNING_PASSPHRASE", PASSPHRASE)
    config = {"pkcs12_path": str(certificate_file), "passphrase_env": "PHONGHOP_TEST_SIGNING_PASSPHRASE"}
    r = admin.put("/api/notice-settings", json={**PARTY_SETTINGS, "signing": config})
    assert r.status_code == 200, r.text
    return config


def _draft(base: TestClient, world: World, office: TestClient) -> int:
    held = hold_meeting(base, world, office)
    r = office.post(f"/api/meetings/{held.id}/notices", json={})
    assert r.status_code == 201, r.text
    notice_id: int = r.json()["id"]
    return notice_id


def _request(office: TestClient, notice_id: int, user_id: int) -> Any:
    return office.post(
        f"/api/notices/{notice_id}/actions/request_signature", json={"signer_user_id": user_id}
    )


def _hand_over(office: TestClient, notice_id: int, user_id: int) -> dict[str, Any]:
    r = _request(office, notice_id, user_id)
    assert r.status_code == 200, r.text
    detail: dict[str, Any] = r.json()
    return detail


def _counters(base: TestClient) -> list[int]:
    async def work(db: Database) -> list[int]:
        async with db.unit(write=False) as uow:
            return list(await uow.session.scalars(select(NoticeCounter.last_number)))

    return run_in_app(base, work)


def _statuses(pdf: bytes, root_pem: bytes) -> dict[str, Any]:
    context = ValidationContext(
        trust_roots=list(load_certs_from_pemder_data(root_pem)),
        allow_fetching=False,
        revocation_mode="soft-fail",
    )
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    return {sig.field_name: pyhanko_validate(sig, context) for sig in reader.embedded_signatures}


def _shown_text(pdf: bytes) -> str:
    """The text a reader sees, form fields included: pdfium flattens the fields'
    appearances into the page and extracts its text."""
    document = pdfium.PdfDocument(pdf)
    document.init_forms()
    try:
        page = document[0]
        page.flatten()
        page = document[0]  # reload after flattening
        return str(page.get_textpage().get_text_bounded())
    finally:
        document.close()


def test_the_signer_signs_then_the_office_numbers_and_seals(
    base: TestClient,
    world: World,
    office: TestClient,
    admin: TestClient,
    chair: TestClient,
    signing: dict[str, Any],
    certificate: Signer,
) -> None:
    assert upload(admin, "seal", SEAL).status_code == 200
    assert upload(admin, "signature", SIGNATURE, signer=SIGNER).status_code == 200
    nid = _draft(base, world, office)
    detail = office.get(f"/api/notices/{nid}").json()
    assert [c["id"] for c in detail["signer_candidates"]] == [world.users["chair"]]

    handed = _hand_over(office, nid, world.users["chair"])
    assert handed["state"] == "awaiting_signature" and handed["signer_user_id"] == world.users["chair"]
    # Frozen while in the signer's hands: no edit, no issue, no deletion.
    err = error_of(office.patch(f"/api/notices/{nid}", json={"closing": "Khác."}), 409)
    assert err["code"] == "notice_awaiting_signature"
    assert error_of(office.post(f"/api/notices/{nid}/issue"), 409)["code"] == "notice_awaiting_signature"
    assert error_of(office.delete(f"/api/notices/{nid}"), 409)["code"] == "notice_awaiting_signature"

    # The chair sees it waiting, reads the preview, and signs: no number is taken.
    waiting = chair.get("/api/notices/signature-requests").json()["notices"]
    assert [n["id"] for n in waiting] == [nid]
    preview = chair.get(f"/api/notices/{nid}/pdf")
    assert preview.status_code == 200 and preview.content.startswith(b"%PDF")
    signed = chair.post(f"/api/notices/{nid}/actions/sign", json={})
    assert signed.status_code == 200, signed.text
    assert signed.json()["state"] == "signer_signed" and signed.json()["number"] is None
    assert _counters(base) in ([], [0])
    assert chair.get("/api/notices/signature-requests").json()["notices"] == []
    by_signer = office.get(f"/api/notices/{nid}/pdf").content
    fields = PdfReader(io.BytesIO(by_signer)).get_fields() or {}
    assert fields["SoKyHieu"].get("/V") in (None, "") and fields["NgayBanHanh"].get("/V") in (None, "")
    (status,) = _statuses(by_signer, certificate.root_pem).values()
    assert status.bottom_line and status.docmdp_ok

    # The office numbers and issues: the number and date filled in, the body's seal
    # signature added; both signatures valid and intact, the signer's modified by form
    # filling only.
    issued = office.post(f"/api/notices/{nid}/issue")
    assert issued.status_code == 200, issued.text
    body = issued.json()
    assert body["state"] == "issued" and body["number"] == 1 and body["signed"] is True
    pdf = office.get(f"/api/notices/{nid}/pdf").content
    assert pdf.startswith(by_signer)  # incremental: the signer's bytes untouched
    statuses = _statuses(pdf, certificate.root_pem)
    assert list(statuses) == ["ChuKySo", "ConDau"]
    for status in statuses.values():
        assert status.bottom_line and status.intact and status.valid and status.trusted
    signer_status = statuses["ChuKySo"]
    assert signer_status.docmdp_ok
    assert signer_status.modification_level is not None
    assert signer_status.modification_level.name == "FORM_FILLING"
    assert statuses["ConDau"].coverage.name == "ENTIRE_FILE"
    reader = PdfReader(io.BytesIO(pdf))
    fields = reader.get_fields() or {}
    number_line, date_line = fields["SoKyHieu"]["/V"], fields["NgayBanHanh"]["/V"]
    # The body's signature is visible: the seal's box over the left of the signature image.
    (seal,) = [a.get_object() for a in reader.pages[-1]["/Annots"] if a.get_object().get("/T") == "ConDau"]
    left, bottom, right, top = (float(v) for v in seal["/Rect"])
    assert right - left > 36 * MM and top - bottom >= 36 * MM  # a 38 mm seal, whole
    assert "/N" in seal["/AP"]
    assert number_line == "Số 01-TB/TU" and date_line.startswith("Gia Lai, ngày ")
    shown = _shown_text(pdf)
    assert "Số 01-TB/TU" in shown and date_line in shown
    docx = office.get(f"/api/notices/{nid}/docx")
    assert docx.status_code == 200

    async def actions(db: Database) -> list[str]:
        async with db.unit(write=False) as uow:
            rows = await uow.session.scalars(
                select(AuditEntry.action).where(AuditEntry.target_type == "notice")
            )
            return list(rows)

    assert [a for a in run_in_app(base, actions) if a.startswith("notice.")] == [
        "notice.drafted",
        "notice.signature_requested",
        "notice.signed_by_signer",
        "notice.issued",
    ]


def test_only_the_named_signer_signs_or_returns_and_the_reason_reaches_the_office(
    base: TestClient, world: World, office: TestClient, chair: TestClient, signing: dict[str, Any]
) -> None:
    nid = _draft(base, world, office)
    # The signature block names the signer: another user cannot be handed the notice.
    err = error_of(_request(office, nid, world.users["member1"]), 422)
    assert (err["code"], err["params"]) == ("notice_signer_mismatch", {"signer": SIGNER})
    err = error_of(
        office.post(
            f"/api/notices/{nid}/actions/request_signature",
            json={"signer_user_id": world.users["other_office"]},
        ),
        422,
    )
    assert err["code"] == "notice_signer_invalid"
    # Before it is handed over, the chair cannot sign it.
    assert (
        error_of(chair.post(f"/api/notices/{nid}/actions/sign", json={}), 403)["code"] == "notice_signer_only"
    )
    _hand_over(office, nid, world.users["chair"])

    member = companion(base)
    login(member, "member1")
    for client in (member, office):
        assert (
            error_of(client.post(f"/api/notices/{nid}/actions/sign", json={}), 403)["code"]
            == "notice_signer_only"
        )
        err = error_of(client.post(f"/api/notices/{nid}/actions/return", json={"reason": "Không"}), 403)
        assert err["code"] == "notice_signer_only"
    assert error_of(member.get(f"/api/notices/{nid}"), 403)["code"] == "office_required"
    assert member.get("/api/notices/signature-requests").json()["notices"] == []

    returned = chair.post(f"/api/notices/{nid}/actions/return", json={"reason": "Sửa lại đoạn mở đầu"})
    assert returned.status_code == 200, returned.text
    detail = office.get(f"/api/notices/{nid}").json()
    assert detail["state"] == "draft" and detail["return_reason"] == "Sửa lại đoạn mở đầu"
    # Back in the office's hands: it edits, and the chair no longer sees it.
    assert office.patch(f"/api/notices/{nid}", json={"closing": "Thông báo để biết."}).status_code == 200
    assert chair.get("/api/notices/signature-requests").json()["notices"] == []
    assert error_of(chair.get(f"/api/notices/{nid}"), 403)["code"] == "office_required"

    # Handed over again, the reason is cleared; the office may withdraw it, signed or not.
    assert _hand_over(office, nid, world.users["chair"])["return_reason"] == ""
    assert chair.post(f"/api/notices/{nid}/actions/sign", json={}).status_code == 200
    assert (
        error_of(office.patch(f"/api/notices/{nid}", json={"closing": "X."}), 409)["code"]
        == "notice_signer_signed"
    )
    withdrawn = office.post(f"/api/notices/{nid}/actions/withdraw_signature_request")
    assert withdrawn.status_code == 200 and withdrawn.json()["state"] == "draft"
    assert "signed" not in withdrawn.json()["files"]
    err = error_of(office.post(f"/api/notices/{nid}/actions/withdraw_signature_request"), 409)
    assert err["code"] == "notice_not_with_signer"
    # A draft not handed over is issued directly, as before.
    assert office.post(f"/api/notices/{nid}/issue").json()["number"] == 1


def test_a_body_that_does_not_sign_cannot_hand_a_notice_to_its_signer(
    base: TestClient, world: World, office: TestClient, chair: TestClient
) -> None:
    nid = _draft(base, world, office)
    err = error_of(_request(office, nid, world.users["chair"]), 503)
    assert (err["code"], err["params"]) == ("notice_signing_unavailable", {"reason": "not_configured"})


def test_the_signer_signs_with_their_token_and_a_wrong_pin_changes_nothing(
    base: TestClient,
    world: World,
    office: TestClient,
    admin: TestClient,
    chair: TestClient,
    token: str,
    certificate: Signer,
) -> None:
    r = admin.put("/api/notice-settings", json={**PARTY_SETTINGS, "signing": token_settings(SIGNER, token)})
    assert r.status_code == 200, r.text
    nid = _draft(base, world, office)
    _hand_over(office, nid, world.users["chair"])
    url = f"/api/notices/{nid}/actions/sign"
    assert error_of(chair.post(url, json={}), 422)["code"] == "notice_token_pin_required"
    assert error_of(chair.post(url, json={"pin": "000000"}), 422)["code"] == "notice_token_pin_invalid"
    detail = office.get(f"/api/notices/{nid}").json()
    assert detail["state"] == "awaiting_signature" and "signed" not in detail["files"]
    assert _counters(base) in ([], [0])

    assert chair.post(url, json={"pin": PIN}).status_code == 200
    # The body has no PKCS#12: the office fills in the number and date, with no seal signature.
    issued = office.post(f"/api/notices/{nid}/issue", json={})
    assert issued.status_code == 200, issued.text
    pdf = office.get(f"/api/notices/{nid}/pdf").content
    statuses = _statuses(pdf, certificate.root_pem)
    assert list(statuses) == ["ChuKySo"]
    status = statuses["ChuKySo"]
    assert status.bottom_line and status.modification_level.name == "FORM_FILLING"
    assert "Số 01-TB/TU" in _shown_text(pdf)
