"""The visible signature of a signed notice: the signer's signature image and the body's
seal, uploaded once (validated as transparent PNG, size-limited), drawn on every notice
issued with a digital signature — the seal at its real size over the left third of the
signature, with the body's name and the signing time in Vietnam time — and the PDF's
signature still validates."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
from PIL import Image, ImageDraw
from pypdf import PdfReader
from starlette.testclient import TestClient

from phonghop.notices import verify_pdf_signature
from tests.factories import World
from tests.notices_service.conftest import PARTY_SETTINGS, PASSPHRASE, error_of, hold_meeting
from tests.pki import Signer

pytestmark = pytest.mark.usefixtures("configured")

MM = 72 / 25.4
SEAL_MM = 38.0


def png(
    width: int, height: int, *, colour: tuple[int, int, int], mode: str = "RGBA", dpi: float = 0
) -> bytes:
    """A drawn image: a ring (the seal) or a stroke (the signature) on a transparent ground."""
    image = Image.new(mode, (width, height), (255, 255, 255, 0) if mode == "RGBA" else (255, 255, 255))
    draw = ImageDraw.Draw(image)
    if width == height:
        draw.ellipse((4, 4, width - 5, height - 5), outline=colour, width=max(2, width // 30))
    else:
        draw.line((5, height - 10, width // 2, 8, width - 5, height // 2), fill=colour, width=6)
    out = io.BytesIO()
    image.save(out, "PNG", **({"dpi": (dpi, dpi)} if dpi else {}))
    return out.getvalue()


SEAL = png(449, 449, colour=(220, 20, 20), dpi=449 / (SEAL_MM / 25.4))  # 38 mm at its stated resolution
SIGNATURE = png(400, 160, colour=(20, 40, 200))


def upload(client: TestClient, kind: str, data: bytes, **params: str) -> Any:
    return client.put(
        f"/api/notice-settings/images/{kind}",
        params=params,
        content=data,
        headers={"Content-Type": "image/png"},
    )


def test_images_are_checked_before_they_are_kept(admin: TestClient, office: TestClient) -> None:
    assert error_of(upload(office, "seal", SEAL), 403)["code"] == "admin_required"
    assert error_of(upload(admin, "seal", b"%PDF-1.7 not an image"), 422)["code"] == "notice_image_not_png"
    opaque = png(200, 200, colour=(220, 20, 20), mode="RGB")
    assert error_of(upload(admin, "seal", opaque), 422)["code"] == "notice_image_not_transparent"
    big = error_of(upload(admin, "seal", b"\x89PNG\r\n\x1a\n" + bytes(600 * 1024)), 413)
    assert big == {**big, "code": "notice_image_too_large", "params": {"limit_kb": 512}}
    err = error_of(upload(admin, "signature", SIGNATURE), 422)
    assert (err["code"], err["params"]) == ("notice_image_invalid", {"field": "signer"})
    err = error_of(upload(admin, "seal", SEAL, width_mm="120"), 422)
    assert (err["code"], err["params"]["field"]) == ("notice_image_invalid", "width_mm")
    assert admin.get("/api/notice-settings/images").json() == {"images": []}

    seal = upload(admin, "seal", SEAL)
    assert seal.status_code == 200, seal.text
    assert seal.json()["width_mm"] == pytest.approx(SEAL_MM, abs=0.1)
    assert upload(admin, "signature", SIGNATURE, signer="Nguyễn Văn Bình").status_code == 200
    listed = office.get("/api/notice-settings/images").json()["images"]
    assert [(i["kind"], i["signer"]) for i in listed] == [("seal", None), ("signature", "Nguyễn Văn Bình")]
    shown = office.get("/api/notice-settings/images/signature", params={"signer": "Nguyễn Văn Bình"})
    assert shown.headers["content-type"] == "image/png" and shown.content == SIGNATURE
    assert admin.delete("/api/notice-settings/images/seal").json() == {"ok": True}
    assert error_of(office.get("/api/notice-settings/images/seal"), 404)["code"] == "notice_image_not_found"


def _images_on_last_page(pdf: bytes) -> list[tuple[tuple[int, int], tuple[float, float, float, float]]]:
    document = pdfium.PdfDocument(pdf)
    try:
        page = document[len(document) - 1]
        return [
            (obj.get_px_size(), obj.get_bounds())
            for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE])
            if isinstance(obj, pdfium.PdfImage)
        ]
    finally:
        document.close()


def test_a_signed_notice_shows_the_signature_and_the_seal_and_still_validates(
    base: TestClient,
    world: World,
    office: TestClient,
    admin: TestClient,
    certificate: Signer,
    certificate_file: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    held = hold_meeting(base, world, office)
    unsigned = office.post(f"/api/meetings/{held.id}/notices", json={}).json()
    assert upload(admin, "seal", SEAL).status_code == 200
    assert upload(admin, "signature", SIGNATURE, signer="Nguyễn Văn Bình").status_code == 200

    # Without a digital signature there is no seal to show: the images stay off the PDF.
    assert office.post(f"/api/notices/{unsigned['id']}/issue").json()["signed"] is False
    assert _images_on_last_page(office.get(f"/api/notices/{unsigned['id']}/pdf").content) == []

    monkeypatch.setenv("PHONGHOP_TEST_SIGNING_PASSPHRASE", PASSPHRASE)
    signing = {"pkcs12_path": str(certificate_file), "passphrase_env": "PHONGHOP_TEST_SIGNING_PASSPHRASE"}
    assert admin.put("/api/notice-settings", json={**PARTY_SETTINGS, "signing": signing}).status_code == 200
    notice = office.post(f"/api/meetings/{held.id}/notices", json={}).json()
    assert office.post(f"/api/notices/{notice['id']}/issue").json()["signed"] is True
    pdf = office.get(f"/api/notices/{notice['id']}/pdf").content

    check = verify_pdf_signature(pdf, [certificate.root_pem])
    assert check.ok and check.intact and check.trusted and check.covers_whole_file

    images = dict(_images_on_last_page(pdf))
    assert set(images) == {(449, 449), (400, 160)}
    seal_left, seal_bottom, seal_right, seal_top = images[(449, 449)]
    sig_left, sig_bottom, sig_right, sig_top = images[(400, 160)]
    assert seal_right - seal_left == pytest.approx(SEAL_MM * MM, abs=0.5)  # real size
    assert seal_right == pytest.approx(sig_left + (sig_right - sig_left) / 3, abs=0.5)  # over the left third
    assert (seal_top + seal_bottom) / 2 == pytest.approx((sig_top + sig_bottom) / 2, abs=0.5)

    # The signature sits between the signer's title and name, the caption beside the seal.
    text = " ".join(PdfReader(io.BytesIO(pdf)).pages[-1].extract_text().split())
    assert re.search(
        r"PHÓ BÍ THƯ .*TỈNH ỦY GIA LAI \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00 .*Nguyễn Văn Bình", text
    )
    shown = re.search(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00)", text)
    assert shown is not None and check.signed_at is not None
    assert abs(datetime.fromisoformat(shown.group(1)) - check.signed_at) < timedelta(minutes=5)
