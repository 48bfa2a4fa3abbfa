"""Editing a draft, issuing it (number, files, signature, event, audit), and what an
issued notice refuses; listing and searching a body's notices."""

from __future__ import annotations

import hashlib
import io
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from docx import Document
from pypdf import PdfReader
from sqlalchemy import select
from starlette.testclient import TestClient

from phonghop.notices import verify_pdf_signature
from phonghop.storage.db import Database
from phonghop.storage.models import AuditEntry, NoticeCounter
from tests.factories import World, companion, login
from tests.notices_service.conftest import (
    PARTY_SETTINGS,
    PASSPHRASE,
    HeldMeeting,
    error_of,
    hold_meeting,
    run_in_app,
)
from tests.pki import Signer
from tests.realtime.helpers import Peer

pytestmark = pytest.mark.usefixtures("configured")


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def new_draft(office: TestClient, held: HeldMeeting) -> dict[str, Any]:
    r = office.post(f"/api/meetings/{held.id}/notices", json={})
    assert r.status_code == 201, r.text
    result: dict[str, Any] = r.json()
    return result


def today() -> str:
    return datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date().isoformat()


def test_edit_preview_and_issue(base: TestClient, world: World, office: TestClient) -> None:
    held = hold_meeting(base, world, office)
    # a delegate who follows the closed meeting with their account (a tablet joined with a
    # personal code ended with the meeting)
    delegate_session = companion(base)
    login(delegate_session, "member1")
    notice = new_draft(office, held)
    nid = notice["id"]
    url = f"/api/notices/{nid}"
    r = office.patch(
        url,
        json={
            "summary": "kết luận của Ban Thường vụ Tỉnh ủy về kế hoạch năm 2027",
            "points": [
                {"text": "Về kế hoạch năm 2027", "heading": True},
                {"text": "Thống nhất thông qua kế hoạch."},
                {"text": "Giao Văn phòng Tỉnh ủy theo dõi."},
                {"text": "Về giải ngân", "heading": True},
                {"text": "Đẩy nhanh giải ngân."},
            ],
            "vote_sentences": [],
            "recipients": ["Ban Bí thư (để báo cáo)", "Các sở, ban, ngành"],
            "signature": {
                "signer_title": "Bí thư",
                "signer_name": "Hồ Văn Niên",
                "authorities": [{"authority": "on_behalf", "of": "Ban Thường vụ"}],
            },
        },
    )
    assert r.status_code == 200, r.text
    d = r.json()["draft"]
    assert [p["label"] for p in d["points"]] == ["1.", "1.1.", "1.2.", "2.", "2.1."]
    assert d["summary"] == "kết luận của Ban Thường vụ Tỉnh ủy về kế hoạch năm 2027"
    assert d["recipients"] == ["Ban Bí thư (để báo cáo)", "Các sở, ban, ngành"]
    assert d["signature"]["signer_name"] == "Hồ Văn Niên"
    r = office.patch(url, json={"points": [{"text": "Một"}, {"text": "Hai"}]})
    assert [p["label"] for p in r.json()["draft"]["points"]] == ["1.", "2."]

    preview = office.get(f"{url}/pdf")
    assert preview.status_code == 200 and preview.headers["content-type"] == "application/pdf"
    assert preview.headers["cache-control"] == "private, no-store"
    assert f'filename="du-thao-thong-bao-{nid}.pdf"' in preview.headers["content-disposition"]
    text = pdf_text(preview.content)
    assert "-TB/TU" in text and "01-TB/TU" not in text and "Hồ Văn Niên" in text

    before = office.get(f"/api/meetings/{held.id}").json()["last_seq"]
    r = office.post(f"{url}/issue")
    assert r.status_code == 200, r.text
    issued = r.json()
    assert (issued["state"], issued["number"], issued["number_label"]) == ("issued", 1, "Số 01-TB/TU")
    assert issued["issue_date"] == today() and issued["draft"]["issue_date"] == today()
    assert issued["draft"]["number"] == 1 and issued["signed"] is False
    assert issued["sequence_key"] == "party:TB/TU:term:2025-10-16"
    assert issued["issued_by"] == world.users["office"]

    pdf = office.get(f"{url}/pdf")
    assert pdf.content == office.get(f"{url}/pdf").content  # the stored bytes, every time
    assert hashlib.sha256(pdf.content).hexdigest() == issued["files"]["pdf"]["sha256"]
    assert len(pdf.content) == issued["files"]["pdf"]["size"]
    assert 'filename="thong-bao-01-tb-tu.pdf"' in pdf.headers["content-disposition"]
    text = pdf_text(pdf.content)
    assert "Số 01-TB/TU" in text and "ĐẢNG CỘNG SẢN VIỆT NAM" in text
    docx = office.get(f"{url}/docx")
    assert docx.headers["content-type"].endswith("wordprocessingml.document")
    assert hashlib.sha256(docx.content).hexdigest() == issued["files"]["docx"]["sha256"]
    paragraphs = [p.text for p in Document(io.BytesIO(docx.content)).paragraphs]
    tables = Document(io.BytesIO(docx.content)).tables
    cells = [p.text for t in tables for row in t.rows for c in row.cells for p in c.paragraphs]
    assert "Số 01-TB/TU" in cells and any("Một" in p for p in paragraphs)

    # The meeting's log says so, to controllers only.
    console = Peer(held.secretary, held.id)
    delegate = Peer(delegate_session, held.id)
    try:
        for peer in (console, delegate):
            peer.applied = before
            peer.hello(before)
            peer.sync()
        (event,) = console.events
        assert event["type"] == "notice.issued"
        assert event["data"] == {
            "notice_id": nid,
            "number": 1,
            "number_label": "Số 01-TB/TU",
            "summary": "kết luận của Ban Thường vụ Tỉnh ủy về kế hoạch năm 2027",
            "issue_date": today(),
        }
        assert [e["type"] for e in delegate.events] == ["event.withheld"]
    finally:
        console.close()
        delegate.close()

    async def audit(db: Database) -> list[AuditEntry]:
        async with db.unit(write=False) as uow:
            return list(
                await uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "notice.issued"))
            )

    (entry,) = run_in_app(base, audit)
    assert entry.target_id == str(nid) and entry.actor_user_id == world.users["office"]
    assert entry.detail["number"] == 1 and entry.detail["pdf_sha256"] == issued["files"]["pdf"]["sha256"]


def test_an_issued_notice_never_changes(base: TestClient, world: World, office: TestClient) -> None:
    held = hold_meeting(base, world, office)
    first, second = new_draft(office, held), new_draft(office, held)
    url = f"/api/notices/{first['id']}"
    assert office.post(f"{url}/issue").status_code == 200
    frozen = office.get(url).json()
    assert error_of(office.patch(url, json={"summary": "khác"}), 409)["code"] == "notice_issued"
    assert error_of(office.delete(url), 409)["code"] == "notice_issued"
    assert error_of(office.post(f"{url}/issue"), 409)["code"] == "notice_issued"
    assert office.get(url).json() == frozen
    # The record it was drafted from is frozen too; a correction is a new notice.
    r = office.put(f"/api/meetings/{held.id}/conclusions/{held.items[0]}", json={"points": []})
    assert error_of(r, 409)["code"] == "conclusion_notice_issued"
    r = office.post(f"/api/notices/{second['id']}/issue")
    assert r.json()["number"] == 2 and r.json()["number_label"] == "Số 02-TB/TU"
    # A draft may be discarded.
    third = new_draft(office, held)
    assert office.delete(f"/api/notices/{third['id']}").json() == {"ok": True}
    assert error_of(office.get(f"/api/notices/{third['id']}"), 404)["code"] == "notice_not_found"


def test_what_an_edit_refuses(base: TestClient, world: World, office: TestClient) -> None:
    held = hold_meeting(base, world, office)
    url = f"/api/notices/{new_draft(office, held)['id']}"
    cases: list[tuple[dict[str, Any], int, str, dict[str, Any] | None]] = [
        ({"summary": "   "}, 422, "notice_draft_invalid", {"field": "summary"}),
        ({"points": [{"text": "Một"}, {"text": "Về", "heading": True}]}, 422, "notice_draft_invalid", None),
        ({"points": [{"text": "Một"}, {"text": "   "}]}, 422, "invalid_input", {"field": "points.1.text"}),
        ({"recipients": ["Sở Y tế", " "]}, 422, "notice_draft_invalid", {"field": "recipients[1]"}),
        ({"place": " "}, 422, "notice_draft_invalid", {"field": "place"}),
        (
            {
                "signature": {
                    "signer_title": "Bí thư",
                    "signer_name": "A",
                    "authorities": [{"authority": "delegated", "of": "X"}],
                }
            },
            422,
            "notice_authority_invalid",
            None,
        ),
        ({"signature": {"signer_title": "Bí thư", "signer_name": ""}}, 422, "invalid_input", None),
        ({"number": 5}, 422, "invalid_input", {"field": "number"}),
        ({"secret": "maybe"}, 422, "invalid_input", None),
    ]
    unchanged = office.get(url).json()
    for body, status, code, params in cases:
        err = error_of(office.patch(url, json=body), status)
        assert err["code"] == code, (body, err)
        if params is not None:
            assert {k: err["params"][k] for k in params} == params, (body, err)
    assert office.get(url).json() == unchanged
    err = error_of(
        office.patch(url, json={"points": [{"text": "Một"}, {"text": "Về", "heading": True}]}), 422
    )
    assert err["params"]["field"] == "points[0].heading"


def test_who_may_see_and_issue(base: TestClient, world: World, office: TestClient, admin: TestClient) -> None:
    held = hold_meeting(base, world, office)
    url = f"/api/notices/{new_draft(office, held)['id']}"
    for method, path in [("get", url), ("patch", url), ("post", f"{url}/issue"), ("get", f"{url}/pdf")]:
        r = getattr(held.secretary, method)(path, **({"json": {}} if method == "patch" else {}))
        assert error_of(r, 403)["code"] == "office_required", path
        assert error_of(held.secretary.get("/api/notices"), 403)["code"] == "office_required"
    stranger = companion(base)
    login(stranger, "other_office")
    assert error_of(stranger.get(url), 404)["code"] == "notice_not_found"
    assert error_of(stranger.post(f"{url}/issue"), 404)["code"] == "notice_not_found"
    assert stranger.get("/api/notices").json() == {"notices": [], "total": 0}
    assert error_of(office.get(f"{url}/xlsx"), 404)["code"] == "notice_file_not_found"
    assert error_of(office.get("/api/notices/999999"), 404)["code"] == "notice_not_found"
    # Administrators are office staff too.
    assert admin.post(f"{url}/issue").status_code == 200
    # Without the CSRF token nothing changes.
    bare = companion(base)
    login(bare, "office")
    del bare.headers["X-CSRF-Token"]
    assert error_of(bare.patch(url, json={}), 403)["code"] == "csrf_failed"


def test_list_and_search(base: TestClient, world: World, office: TestClient) -> None:
    held = hold_meeting(base, world, office)
    other = hold_meeting(base, world, office)
    issued = new_draft(office, held)
    office.patch(f"/api/notices/{issued['id']}", json={"summary": "kết luận về công tác cán bộ Đảng ủy"})
    office.post(f"/api/notices/{issued['id']}/issue")
    draft = new_draft(office, other)
    office.patch(f"/api/notices/{draft['id']}", json={"summary": "kết luận về quy hoạch thủy lợi"})

    def ids(**params: Any) -> list[int]:
        r = office.get("/api/notices", params=params)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["total"] == len(body["notices"]) or "limit" in params
        return [n["id"] for n in body["notices"]]

    assert ids() == [draft["id"], issued["id"]]  # newest first
    listed = office.get("/api/notices").json()["notices"]
    assert listed[1]["meeting"]["id"] == held.id and listed[1]["number_label"] == "Số 01-TB/TU"
    assert "draft" not in listed[1]
    assert ids(q="dang uy") == [issued["id"]]  # no diacritics: "Đảng ủy" is found
    assert ids(q="Đảng ủy") == [issued["id"]]
    assert ids(q="thuỷ lợi") == [draft["id"]]  # the other tone-mark placement
    assert ids(q="Số 01") == [issued["id"]]
    assert ids(q="01-TB") == [issued["id"]]
    assert ids(q="ket luan") == [draft["id"], issued["id"]]
    assert ids(q="không có thông báo này") == []
    assert ids(state="issued") == [issued["id"]]
    assert ids(state="draft", q="ket luan") == [draft["id"]]
    assert ids(meeting_id=other.id) == [draft["id"]]
    assert ids(limit=1) == [draft["id"]]
    assert ids(limit=1, offset=1) == [issued["id"]]
    for params in [{"state": "sent"}, {"limit": "0"}, {"limit": "x"}, {"offset": "-1"}, {"q": "x" * 201}]:
        assert error_of(office.get("/api/notices", params=params), 422)["code"] == "invalid_query"


# -- settings and signing --------------------------------------------------------------------------


def test_settings_are_checked(admin: TestClient, office: TestClient, configured: dict[str, Any]) -> None:
    assert office.get("/api/notice-settings").json() == configured
    assert configured["format"] == "party" and configured["symbol"] == "TU"
    assert configured["layout"]["size_body"] == 14.0 and configured["layout"]["include_votes"] is True
    assert configured["sentence_name"] == "Ban Thường vụ Tỉnh ủy"  # the body's short name
    assert configured["member_label"] == "Ủy viên Ban Thường vụ Tỉnh ủy"
    assert configured["signing"] is None and configured["signing_status"] is None
    assert error_of(office.put("/api/notice-settings", json=PARTY_SETTINGS), 403)["code"] == "admin_required"
    cases: list[tuple[dict[str, Any], int, str, str | None]] = [
        ({"layout": {"size_body": 50}}, 422, "notice_setting_invalid", "size_body"),
        ({"layout": {"format": "state"}}, 422, "notice_setting_invalid", "layout.format"),
        ({"layout": {"font": "Arial"}}, 422, "notice_setting_invalid", "font"),
        (
            {"layout": {"margin_left_mm": 40, "header_left_width_mm": 130}},
            422,
            "notice_setting_invalid",
            None,
        ),
        ({"term_start": "2025-13-01"}, 422, "invalid_input", "term_start"),
        ({"colour": "red"}, 422, "invalid_input", "colour"),
        (
            {
                "signature": {
                    "signer_title": "Bí thư",
                    "signer_name": "A",
                    "authorities": [{"authority": "delegated", "of": "X"}],
                }
            },
            422,
            "notice_authority_invalid",
            None,
        ),
        ({"signing": {"pkcs12_path": "ky-so.p12"}}, 422, "notice_setting_invalid", "signing.pkcs12_path"),
        ({"signing": {"pkcs12_path": "/nowhere/ky-so.p12"}}, 503, "notice_signing_unavailable", None),
    ]
    for body, status, code, field in cases:
        err = error_of(admin.put("/api/notice-settings", json=body), status)
        assert err["code"] == code, (body, err)
        if field is not None:
            assert err["params"]["field"] == field, (body, err)
    assert admin.get("/api/notice-settings").json() == configured  # nothing refused was saved
    header = {**PARTY_SETTINGS, "header_name": "ĐẢNG BỘ TỈNH\nTỈNH ỦY GIA LAI  "}
    assert (
        admin.put("/api/notice-settings", json=header).json()["header_name"]
        == "ĐẢNG BỘ TỈNH\nTỈNH ỦY GIA LAI"
    )


def test_a_body_with_a_certificate_signs_what_it_issues(
    base: TestClient,
    world: World,
    office: TestClient,
    admin: TestClient,
    certificate: Signer,
    certificate_file: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    signing = {"pkcs12_path": str(certificate_file), "passphrase_env": "PHONGHOP_TEST_SIGNING_PASSPHRASE"}
    url = "/api/notice-settings"
    err = error_of(admin.put(url, json={**PARTY_SETTINGS, "signing": signing}), 503)
    assert err["code"] == "notice_signing_unavailable" and err["params"] == {"reason": "passphrase_env_unset"}
    monkeypatch.setenv("PHONGHOP_TEST_SIGNING_PASSPHRASE", "sai mật khẩu")
    err = error_of(admin.put(url, json={**PARTY_SETTINGS, "signing": signing}), 422)
    assert err["code"] == "notice_signing_key_invalid"
    monkeypatch.setenv("PHONGHOP_TEST_SIGNING_PASSPHRASE", PASSPHRASE)
    r = admin.put(url, json={**PARTY_SETTINGS, "signing": {**signing, "reason": "Ban hành văn bản"}})
    assert r.status_code == 200, r.text
    assert r.json()["signing_status"] == "ok"

    held = hold_meeting(base, world, office)
    notice = new_draft(office, held)
    issued = office.post(f"/api/notices/{notice['id']}/issue").json()
    assert issued["signed"] is True
    pdf = office.get(f"/api/notices/{notice['id']}/pdf").content
    assert pdf == office.get(f"/api/notices/{notice['id']}/pdf").content
    check = verify_pdf_signature(pdf, [certificate.root_pem])
    assert check.ok and check.intact and check.trusted and check.covers_whole_file
    assert "Văn phòng Tỉnh ủy Gia Lai" in check.signer
    assert "Số 01-TB/TU" in pdf_text(pdf)

    # The passphrase is gone: the next notice is not issued at all (never unsigned), and
    # its number is not used up.
    monkeypatch.delenv("PHONGHOP_TEST_SIGNING_PASSPHRASE")
    assert office.get(url).json()["signing_status"] == "notice_signing_unavailable"
    second = new_draft(office, held)
    err = error_of(office.post(f"/api/notices/{second['id']}/issue"), 503)
    assert err["code"] == "notice_signing_unavailable"
    assert office.get(f"/api/notices/{second['id']}").json()["state"] == "draft"
    monkeypatch.setenv("PHONGHOP_TEST_SIGNING_PASSPHRASE", PASSPHRASE)
    certificate_file.unlink()
    err = error_of(office.post(f"/api/notices/{second['id']}/issue"), 503)
    assert err["params"] == {"reason": "certificate_unreadable"}
    certificate_file.write_bytes(certificate.pkcs12)
    assert office.post(f"/api/notices/{second['id']}/issue").json()["number"] == 2

    # Without a certificate, notices are issued unsigned.
    assert admin.put(url, json=PARTY_SETTINGS).json()["signing_status"] is None
    third = office.post(f"/api/notices/{new_draft(office, held)['id']}/issue").json()
    assert third["signed"] is False and third["number"] == 3

    async def counters(db: Database) -> list[int]:
        async with db.unit(write=False) as uow:
            return list(await uow.session.scalars(select(NoticeCounter.last_number)))

    assert run_in_app(base, counters) == [3]


def test_a_passphrase_file(
    base: TestClient,
    world: World,
    office: TestClient,
    admin: TestClient,
    certificate: Signer,
    certificate_file: Path,
    tmp_path: Path,
) -> None:
    secret = tmp_path / "passphrase.txt"
    secret.write_text(PASSPHRASE + "\n", encoding="utf-8")
    signing = {"pkcs12_path": str(certificate_file), "passphrase_file": str(secret)}
    r = admin.put("/api/notice-settings", json={**PARTY_SETTINGS, "signing": signing})
    assert r.status_code == 200 and r.json()["signing_status"] == "ok"
    both = {**signing, "passphrase_env": "X"}
    err = error_of(admin.put("/api/notice-settings", json={**PARTY_SETTINGS, "signing": both}), 422)
    assert err["params"] == {"field": "signing.passphrase_file"}
    held = hold_meeting(base, world, office)
    notice = office.post(f"/api/notices/{new_draft(office, held)['id']}/issue").json()
    pdf = office.get(f"/api/notices/{notice['id']}/pdf").content
    assert verify_pdf_signature(pdf, [certificate.root_pem]).ok
