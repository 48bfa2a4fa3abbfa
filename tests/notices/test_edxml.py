"""The edXML writer on its own: same input, same bytes; text in NFC; and the schema kept in
the repository refuses what a document system could not register."""

from __future__ import annotations

import unicodedata
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import pytest
from lxml import etree

from phonghop.notices.edxml import NAMESPACE, EdxmlNotice, Recipient, check_package, write_package

VN = timezone(timedelta(hours=7))
NOTICE = EdxmlNotice(
    agency_code="000.00.00.H41",
    agency_name="Ủy ban nhân dân tỉnh Gia Lai",
    agency_in_charge="",
    number=12,
    code_notation="TB-UBND",
    place="Gia Lai",
    issue_date=date(2026, 6, 19),
    issued_at=datetime(2026, 6, 19, 9, 15, 0, tzinfo=VN),
    subject="Kết luận của đồng chí Nguyễn Văn Hùng - Chủ tịch UBND tỉnh tại cuộc họp ngày 18/6/2026",
    content="Ngày 18 tháng 6 năm 2026, ...\n1. Về chủ trương đầu tư",
    signer_competence="KT. Chủ tịch",
    signer_position="Phó Chủ tịch",
    signer_name="Trần Văn Hải",
    places=("Sở Tài chính", "Sở Xây dựng"),
    recipients=(Recipient("000.12.31.H41", "Sở Tài chính"),),
    pdf=b"%PDF-1.7\n...",
    pdf_name="thong-bao-12-tb-ubnd.pdf",
    page_count=2,
)


def test_the_same_notice_gives_the_same_bytes_and_a_valid_package() -> None:
    package = write_package(NOTICE)
    assert package == write_package(NOTICE)
    assert package.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    assert check_package(package) == []
    root = etree.fromstring(package)
    ns = {"ed": NAMESPACE}
    stamp = root.findtext(
        "ed:edXMLEnvelope/ed:edXMLHeader/ed:TraceHeaderList/ed:TraceHeader/ed:Timestamp", namespaces=ns
    )
    assert stamp == "2026/06/19 09:15:00"
    assert write_package(replace(NOTICE, pdf=b"%PDF-1.7\nkhac")) != package


def test_decomposed_text_comes_out_composed() -> None:
    nfd = unicodedata.normalize("NFD", NOTICE.subject)
    assert nfd != NOTICE.subject
    package = write_package(replace(NOTICE, subject=nfd)).decode("utf-8")
    assert NOTICE.subject in package and nfd not in package


@pytest.mark.parametrize(
    "change",
    [
        {"agency_code": "H41"},  # not a mã định danh
        {"recipients": (Recipient("000.12.31.h41", "Sở Tài chính"),)},
        {"subject": ""},
        {"signer_name": ""},
        {"priority": 5},  # 0 (thường) .. 4 (hỏa tốc hẹn giờ)
        {"pdf": b""},
        {"page_count": 0},
    ],
)
def test_the_schema_refuses_what_a_document_system_could_not_register(change: dict[str, object]) -> None:
    assert check_package(write_package(replace(NOTICE, **change))) != []  # type: ignore[arg-type]


def test_the_schema_refuses_a_package_without_its_attachment() -> None:
    root = etree.fromstring(write_package(NOTICE))
    attachments = root.find(f"{{{NAMESPACE}}}AttachmentEncoded")
    assert attachments is not None
    root.remove(attachments)
    problems = check_package(etree.tostring(root))
    assert problems and "AttachmentEncoded" in problems[0]
    assert check_package(b"<edXML") != []
