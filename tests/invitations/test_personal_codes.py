"""The personal code reaches its holder, and nobody else: on their own giấy mời (as text
and as a QR code opening the join link with it) and in their invitation e-mail."""

from __future__ import annotations

import io
from typing import Any

import segno
from PIL import Image
from pypdf import PdfReader
from starlette.testclient import TestClient

from tests.factories import World, personal_code
from tests.invitations.conftest import GUEST, on_tablet, pid, staff
from tests.invitations.test_pdf import pages
from tests.notices_service.conftest import error_of

BASE = "http://testserver"  # the TestClient's address: the QR's link starts with it


def dark(picture: Image.Image) -> list[list[bool]]:
    """Which pixels are dark: one pixel is one module of the QR code (quiet zone included)."""
    gray = picture.convert("L")
    return [[int(gray.getpixel((x, y)) or 0) < 128 for x in range(gray.width)] for y in range(gray.height)]


def images(pdf: bytes) -> list[Image.Image]:
    [page] = PdfReader(io.BytesIO(pdf)).pages
    return [i.image for i in page.images if i.image is not None]


def qr_of(link: str) -> list[list[bool]]:
    """The modules of the QR code that opens ``link``, made independently with segno."""
    out = io.BytesIO()
    segno.make(link, error="m").save(out, kind="png", scale=1, border=4)
    return dark(Image.open(io.BytesIO(out.getvalue())))


def test_the_giay_moi_of_a_delegate_carries_their_code_and_its_qr(
    office: TestClient, configured: dict[str, Any], meeting: dict[str, Any]
) -> None:
    mid, delegate = meeting["id"], pid(meeting, 3)
    code = personal_code(office, mid, delegate)
    r = office.get(f"/api/meetings/{mid}/invitations.pdf?participant_id={delegate}")
    [text] = pages(r)
    assert f"Mã cá nhân vào cuộc họp trên máy tính bảng: {code}" in text
    assert f"nhập mã tham dự {meeting['join_code']}" in text
    link = f"{BASE}/tablet/#join={meeting['join_code']}&personal={code}"
    [qr] = images(r.content)
    assert dark(qr) == qr_of(link)


def test_codes_only_for_those_who_join_with_one_and_never_on_a_list(
    office: TestClient, configured: dict[str, Any], meeting: dict[str, Any]
) -> None:
    mid = meeting["id"]
    texts = pages(office.get(f"/api/meetings/{mid}/invitations.pdf"))
    codes = [personal_code(office, mid, pid(meeting, i)) for i in range(6)]
    # the chair and the secretary sign in with their accounts: no code on their pages
    for i in (0, 1):
        assert "Mã cá nhân" not in texts[i] and codes[i] not in texts[i]
    # the delegates and the guest without an account: each page its own code, no other
    for i in (2, 3, 4, 5):
        assert codes[i] in texts[i]
        assert not any(codes[j] in texts[i] for j in range(6) if j != i)
    assert GUEST[0] in texts[5]
    # one page addressed to the whole list carries nobody's code
    r = office.get(f"/api/meetings/{mid}/invitations.pdf?list=1")
    [listed] = pages(r)
    assert "Mã cá nhân" not in listed and not any(c in listed for c in codes)
    assert images(r.content) == []  # no QR code either


def test_a_participant_downloads_only_their_own_code(
    base: TestClient, world: World, office: TestClient, configured: dict[str, Any], meeting: dict[str, Any]
) -> None:
    mid = meeting["id"]
    mine, theirs = personal_code(office, mid, pid(meeting, 2)), personal_code(office, mid, pid(meeting, 3))
    member = staff(base, "member1")  # the delegate pid(meeting, 2), signed in with the account
    [text] = pages(member.get(f"/api/meetings/{mid}/invitation.pdf"))
    assert mine in text and theirs not in text
    # nobody but the office downloads another person's page, or the office's sheet
    for path in (f"invitations.pdf?participant_id={pid(meeting, 3)}", "invitations.pdf", "personal-codes"):
        assert error_of(member.get(f"/api/meetings/{mid}/{path}"), 403)["code"] in (
            "office_required",
            "secretary_required",
        )
    tablet = on_tablet(base, office, mid, pid(meeting, 4))
    [text] = pages(tablet.get(f"/api/meetings/{mid}/invitation.pdf"))
    assert personal_code(office, mid, pid(meeting, 4)) in text and theirs not in text
    assert tablet.get(f"/api/meetings/{mid}/invitations.pdf").status_code == 403


def test_the_invitation_notification_gives_the_code_to_its_holder_only(
    base: TestClient, office: TestClient, meeting: dict[str, Any]
) -> None:
    mid = meeting["id"]
    assert office.post(f"/api/meetings/{mid}/invitations/send").status_code == 200
    code = personal_code(office, mid, pid(meeting, 2))
    [note] = staff(base, "member1").get("/api/notifications").json()["notifications"]
    assert note["kind"] == "invitation_with_code"
    assert code in note["text"] and meeting["join_code"] in note["text"]
    # the chair signs in with the account: the ordinary invitation, no code
    [chair_note] = staff(base, "chair").get("/api/notifications").json()["notifications"]
    assert chair_note["kind"] == "invitation" and "Mã cá nhân" not in chair_note["text"]
    # the office's own notifications do not carry anyone's code
    assert not any(code in n["text"] for n in office.get("/api/notifications").json()["notifications"])
