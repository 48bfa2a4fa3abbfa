"""PAdES signature of an issued notice with a throwaway CA, verified offline."""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest
from cryptography.hazmat.primitives import serialization
from pypdf import PdfReader, PdfWriter
from reportlab.pdfgen import canvas

from phonghop.domain.notice import IssuingBody, NoticeDraft, NoticeSettings
from phonghop.errors import InvalidInput
from phonghop.notices import build_document, sign_pdf, verify_pdf_signature, write_pdf
from tests.pki import root_ca, signer

PASSPHRASE = "mật khẩu thử"


@dataclass(frozen=True)
class Keys:
    pkcs12: bytes
    root_pem: bytes
    other_root_pem: bytes


@pytest.fixture(scope="module")
def keys() -> Keys:
    """A throwaway root CA and a signer certificate issued by it, as PKCS#12, and another
    root that did not issue it."""
    made = signer(PASSPHRASE, root_name="Phòng thử nghiệm CA gốc")
    _, other_cert = root_ca("CA không tin cậy")
    return Keys(made.pkcs12, made.root_pem, other_cert.public_bytes(serialization.Encoding.PEM))


@pytest.fixture
def notice_pdf(party_draft: NoticeDraft, party_body: IssuingBody, party_settings: NoticeSettings) -> bytes:
    return write_pdf(build_document(party_draft, party_body, party_settings))


@pytest.fixture
def signed(notice_pdf: bytes, keys: Keys) -> bytes:
    return sign_pdf(
        notice_pdf, keys.pkcs12, PASSPHRASE, reason="Ban hành thông báo kết luận", location="Gia Lai"
    )


def test_signed_notice_is_valid_intact_and_trusted(signed: bytes, notice_pdf: bytes, keys: Keys) -> None:
    check = verify_pdf_signature(signed, [keys.root_pem])
    assert check.ok and check.intact and check.valid and check.trusted and check.covers_whole_file
    assert "Văn phòng Tỉnh ủy Gia Lai" in check.signer
    assert check.signature_count == 1 and check.signed_at is not None
    assert signed.startswith(notice_pdf)  # an incremental update: the issued bytes are untouched


def test_signature_is_pades_with_reason_and_location(signed: bytes) -> None:
    fields = PdfReader(io.BytesIO(signed)).get_fields() or {}
    (value,) = [f["/V"].get_object() for f in fields.values() if f.get("/FT") == "/Sig"]
    assert value["/SubFilter"] == "/ETSI.CAdES.detached"
    assert value["/Reason"] == "Ban hành thông báo kết luận" and value["/Location"] == "Gia Lai"


def test_a_changed_byte_breaks_the_signature(signed: bytes, keys: Keys) -> None:
    tampered = signed.replace(b"/Creator", b"/Creatos", 1)  # inside the signed byte range
    assert tampered != signed
    check = verify_pdf_signature(tampered, [keys.root_pem])
    assert not check.ok and not check.intact


def test_content_added_after_signing_is_caught(signed: bytes, keys: Keys) -> None:
    overlay = io.BytesIO()
    sheet = canvas.Canvas(overlay)
    sheet.drawString(100, 100, "13/15 -> 15/15")
    sheet.save()
    writer = PdfWriter(io.BytesIO(signed), incremental=True)
    writer.pages[0].merge_page(PdfReader(io.BytesIO(overlay.getvalue())).pages[0])
    out = io.BytesIO()
    writer.write(out)
    check = verify_pdf_signature(out.getvalue(), [keys.root_pem])
    assert check.intact  # the signed revision itself is untouched ...
    assert not check.covers_whole_file and not check.ok  # ... but the file was changed after it


def test_a_certificate_from_another_root_is_not_trusted(signed: bytes, keys: Keys) -> None:
    check = verify_pdf_signature(signed, [keys.other_root_pem])
    assert check.intact and not check.trusted and not check.ok


def test_wrong_passphrase_or_not_pkcs12_is_refused(notice_pdf: bytes, keys: Keys) -> None:
    for p12, secret in ((keys.pkcs12, "sai mật khẩu"), (b"not a pkcs12 file", PASSPHRASE)):
        with pytest.raises(InvalidInput) as err:
            sign_pdf(notice_pdf, p12, secret, reason="x", location="y")
        assert err.value.code == "notice_signing_key_invalid"


def test_unsigned_and_unreadable_pdfs(notice_pdf: bytes, keys: Keys) -> None:
    with pytest.raises(InvalidInput) as err:
        verify_pdf_signature(notice_pdf, [keys.root_pem])
    assert err.value.code == "notice_pdf_unsigned"
    with pytest.raises(InvalidInput) as err:
        verify_pdf_signature(b"%PDF-1.7 nothing here", [keys.root_pem])
    assert err.value.code == "notice_pdf_invalid"
    with pytest.raises(InvalidInput) as err:
        sign_pdf(b"not a pdf", keys.pkcs12, PASSPHRASE, reason="x", location="y")
    assert err.value.code == "notice_pdf_invalid"


def test_bad_trust_root_is_refused(signed: bytes) -> None:
    with pytest.raises(InvalidInput) as err:
        verify_pdf_signature(signed, [b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"])
    assert err.value.code == "notice_trust_root_invalid"
