"""The edXML package of an issued notice (issue #20, "Files other systems can take"): what a
document system (QLVB) reads from it, checked against the schema kept in the repository,
and what is refused (a draft, secret content, a body without its agency code)."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from starlette.testclient import TestClient

from phonghop.notices import verify_pdf_signature
from phonghop.notices.edxml import NAMESPACE, check_package
from phonghop.storage.db import Database
from phonghop.storage.models import IssuingBody
from tests.factories import World, companion, login
from tests.notices_service.conftest import (
    PARTY_SETTINGS,
    PASSPHRASE,
    error_of,
    hold_meeting,
    run_in_app,
)
from tests.pki import Signer

NS = {"ed": NAMESPACE}
EXCHANGE = {
    "agency_code": "000.00.00.H41",
    "recipients": [
        {"name": "Văn phòng Trung ương Đảng", "code": "000.00.00.D01"},
        {"name": "Sở Tài chính", "code": "000.12.31.H41"},
    ],
}


def texts(package: etree._Element, path: str) -> list[str]:
    return [e.text or "" for e in package.findall(path, NS)]


def text(package: etree._Element, path: str) -> str:
    (found,) = texts(package, path)
    return found


def draft_and_issue(office: TestClient, meeting_id: int, changes: dict[str, Any]) -> dict[str, Any]:
    r = office.post(f"/api/meetings/{meeting_id}/notices", json={})
    assert r.status_code == 201, r.text
    nid = r.json()["id"]
    r = office.patch(f"/api/notices/{nid}", json=changes)
    assert r.status_code == 200, r.text
    r = office.post(f"/api/notices/{nid}/issue")
    assert r.status_code == 200, r.text
    issued: dict[str, Any] = r.json()
    return issued


def test_a_signed_party_notice_as_an_edxml_package(
    base: TestClient,
    world: World,
    office: TestClient,
    admin: TestClient,
    certificate: Signer,
    certificate_file: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PHONGHOP_TEST_SIGNING_PASSPHRASE", PASSPHRASE)
    signing = {"pkcs12_path": str(certificate_file), "passphrase_env": "PHONGHOP_TEST_SIGNING_PASSPHRASE"}
    r = admin.put("/api/notice-settings", json={**PARTY_SETTINGS, "signing": signing, "exchange": EXCHANGE})
    assert r.status_code == 200, r.text
    assert r.json()["exchange"] == EXCHANGE
    held = hold_meeting(base, world, office)
    recipients = [
        "Văn phòng Trung ương Đảng (để báo cáo)",
        "Sở Tài chính (để thực hiện)",
        "Các đồng chí Tỉnh ủy viên",
    ]
    issued = draft_and_issue(
        office,
        held.id,
        {
            "summary": "kết luận của Ban Thường vụ Tỉnh ủy về kế hoạch năm 2027",
            "points": [{"text": "Về kế hoạch năm 2027", "heading": True}, {"text": "Thống nhất thông qua."}],
            "recipients": recipients,
        },
    )
    url = f"/api/notices/{issued['id']}/edxml"
    r = office.get(url)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/xml")
    assert r.headers["cache-control"] == "private, no-store"
    assert 'attachment; filename="thong-bao-01-tb-tu.edxml"' in r.headers["content-disposition"]
    assert check_package(r.content) == []
    assert office.get(url).content == r.content  # the same bytes at every download

    package = etree.fromstring(r.content)
    head = "ed:edXMLEnvelope/ed:edXMLHeader/ed:MessageHeader/"
    assert text(package, head + "ed:From/ed:OrganId") == "000.00.00.H41"
    assert text(package, head + "ed:From/ed:OrganName") == "TỈNH ỦY THỬ NGHIỆM"
    assert text(package, head + "ed:Code/ed:CodeNumber") == "1"
    assert text(package, head + "ed:Code/ed:CodeNotation") == "TB/TU"
    assert text(package, head + "ed:PromulgationInfo/ed:Place") == "Gia Lai"
    assert text(package, head + "ed:PromulgationInfo/ed:PromulgationDate") == issued["issue_date"].replace(
        "-", "/"
    )
    assert text(package, head + "ed:DocumentType/ed:TypeName") == "Thông báo"
    assert text(package, head + "ed:Subject") == "kết luận của Ban Thường vụ Tỉnh ủy về kế hoạch năm 2027"
    assert text(package, head + "ed:Content").splitlines()[-3:-1] == [
        "1. Về kế hoạch năm 2027",
        "1.1. Thống nhất thông qua.",
    ]
    assert text(package, head + "ed:SignerInfo/ed:Competence") == "T/M Ban Thường vụ"
    assert text(package, head + "ed:SignerInfo/ed:Position") == "Phó Bí thư"
    assert text(package, head + "ed:SignerInfo/ed:FullName") == "Nguyễn Văn Bình"
    assert texts(package, head + "ed:ToPlaces/ed:Place") == recipients
    # Only the agencies with a code are addressed electronically.
    assert texts(package, head + "ed:To/ed:OrganId") == ["000.00.00.D01", "000.12.31.H41"]
    assert texts(package, head + "ed:To/ed:OrganName") == ["Văn phòng Trung ương Đảng", "Sở Tài chính"]
    assert text(package, head + "ed:OtherInfo/ed:Priority") == "0"
    date_part = issued["issue_date"].replace("-", "/")
    assert text(package, head + "ed:DocumentId") == f"000.00.00.H41,{date_part},1/TB/TU"

    # The attachment is the very PDF stored at issue, signed.
    (reference,) = package.findall("ed:edXMLEnvelope/ed:edXMLBody/ed:edXMLManifest/ed:Reference", NS)
    (attachment,) = package.findall("ed:AttachmentEncoded/ed:Attachment", NS)
    assert reference.findtext("ed:ContentId", namespaces=NS) == "cid:" + attachment.findtext(
        "ed:ContentId", namespaces=NS
    )
    assert attachment.findtext("ed:AttachmentName", namespaces=NS) == "thong-bao-01-tb-tu.pdf"
    assert attachment.findtext("ed:ContentType", namespaces=NS) == "application/pdf"
    pdf = base64.b64decode(attachment.findtext("ed:ContentTransferEncoded", namespaces=NS) or "")
    assert pdf == office.get(f"/api/notices/{issued['id']}/pdf").content
    assert verify_pdf_signature(pdf, [certificate.root_pem]).ok

    # Office staff only; another body's notice is not found.
    member = companion(base)
    login(member, "member1")
    assert error_of(member.get(url), 403)["code"] == "office_required"
    other = companion(base)
    login(other, "other_office")
    assert error_of(other.get(url), 404)["code"] == "notice_not_found"


def test_a_state_notice_names_its_signer_and_symbol_the_state_way(
    base: TestClient, world: World, office: TestClient, admin: TestClient
) -> None:
    async def make_state(db: Database) -> None:
        async with db.unit() as uow:
            body = await uow.session.get(IssuingBody, world.body_id)
            assert body is not None
            body.notice_format, body.symbol = "state", "UBND"

    run_in_app(base, make_state)
    settings = {
        "header_name": "ỦY BAN NHÂN DÂN\nTỈNH GIA LAI",
        "place": "Gia Lai",
        "file_copy": "Lưu: VT, TH.",
        "recipients": ["Sở Tài chính"],
        "signature": {
            "signer_title": "Phó Chủ tịch",
            "signer_name": "Trần Văn Hải",
            "authorities": [
                {"authority": "on_behalf", "of": "Ủy ban nhân dân"},
                {"authority": "deputy", "of": "Chủ tịch"},
            ],
        },
        "exchange": EXCHANGE,
    }
    r = admin.put("/api/notice-settings", json=settings)
    assert r.status_code == 200, r.text
    held = hold_meeting(base, world, office)
    issued = draft_and_issue(office, held.id, {})
    assert issued["number_label"] == "Số: 01/TB-UBND"
    r = office.get(f"/api/notices/{issued['id']}/edxml")
    assert r.status_code == 200, r.text
    assert check_package(r.content) == []
    package = etree.fromstring(r.content)
    head = "ed:edXMLEnvelope/ed:edXMLHeader/ed:MessageHeader/"
    assert text(package, head + "ed:Code/ed:CodeNotation") == "TB-UBND"
    assert text(package, head + "ed:SignerInfo/ed:Competence") == "TM. Ủy ban nhân dân, KT. Chủ tịch"
    assert text(package, head + "ed:Subject") == issued["summary"]
    assert texts(package, head + "ed:To/ed:OrganId") == ["000.12.31.H41"]
    assert text(package, head + "ed:DocumentId").endswith(",1/TB-UBND")


def test_what_has_no_package(base: TestClient, world: World, office: TestClient, admin: TestClient) -> None:
    assert admin.put("/api/notice-settings", json=PARTY_SETTINGS).status_code == 200
    held = hold_meeting(base, world, office)
    r = office.post(f"/api/meetings/{held.id}/notices", json={})
    draft_url = f"/api/notices/{r.json()['id']}/edxml"
    assert error_of(office.get(draft_url), 409)["code"] == "notice_not_issued"

    # Issued, but the body has not set its agency code.
    issued = draft_and_issue(office, held.id, {})
    url = f"/api/notices/{issued['id']}/edxml"
    assert error_of(office.get(url), 409)["code"] == "notice_edxml_code_missing"
    assert admin.put("/api/notice-settings", json={**PARTY_SETTINGS, "exchange": EXCHANGE}).status_code == 200
    assert office.get(url).status_code == 200

    # Secret content never goes over the exchange.
    r = office.post(f"/api/meetings/{held.id}/notices", json={"secret": True})
    assert r.status_code == 201, r.text
    secret = office.post(f"/api/notices/{r.json()['id']}/issue").json()
    assert error_of(office.get(f"/api/notices/{secret['id']}/edxml"), 409)["code"] == "notice_edxml_secret"
    english = office.get(f"/api/notices/{secret['id']}/edxml", headers={"Accept-Language": "en"})
    assert "secret" in error_of(english, 409)["message"]


@pytest.mark.parametrize(
    ("exchange", "field"),
    [
        ({"agency_code": "H41"}, "exchange.agency_code"),
        ({"agency_code": "000.00.00.h41"}, "exchange.agency_code"),
        ({"recipients": [{"name": "Sở Tài chính", "code": ""}]}, "exchange.recipients[0].code"),
        ({"recipients": [{"name": " ", "code": "000.12.31.H41"}]}, "exchange.recipients[0].name"),
    ],
)
def test_agency_codes_are_checked(admin: TestClient, exchange: dict[str, Any], field: str) -> None:
    err = error_of(admin.put("/api/notice-settings", json={**PARTY_SETTINGS, "exchange": exchange}), 422)
    assert (err["code"], err["params"]) == ("notice_setting_invalid", {"field": field})


@pytest.mark.parametrize(
    "exchange", [{"recipients": [{"name": "Sở Tài chính"}]}, {"code": "000.00.00.H41"}, {"agency_code": 41}]
)
def test_the_exchange_settings_have_one_shape(admin: TestClient, exchange: dict[str, Any]) -> None:
    err = error_of(admin.put("/api/notice-settings", json={**PARTY_SETTINGS, "exchange": exchange}), 422)
    assert err["code"] == "invalid_input" and err["params"]["field"].startswith("exchange")
