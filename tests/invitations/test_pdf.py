"""The printable giấy mời, read back with pypdf: the body's format (Party, State), the
addressee, the time in words, the place and the agenda, Vietnamese diacritics intact."""

from __future__ import annotations

import io
import unicodedata
from typing import Any

from pypdf import PdfReader
from sqlalchemy import update
from starlette.testclient import TestClient

from phonghop.storage.db import Database
from phonghop.storage.models import IssuingBody
from tests.factories import World, new_meeting
from tests.invitations.conftest import GUEST, PEOPLE, on_tablet, pid, staff
from tests.notices_service.conftest import error_of, run_in_app


def pages(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    return [unicodedata.normalize("NFC", " ".join((p.extract_text() or "").split())) for p in reader.pages]


def test_one_page_per_participant_in_the_party_format(
    base: TestClient, world: World, office: TestClient, configured: dict[str, Any], meeting: dict[str, Any]
) -> None:
    mid = meeting["id"]
    texts = pages(office.get(f"/api/meetings/{mid}/invitations.pdf"))
    assert len(texts) == 6  # five staff and the guest
    first = texts[0]
    for words in [
        "ĐẢNG CỘNG SẢN VIỆT NAM",
        "TỈNH ỦY GIA LAI",
        "-GM/TU",
        "GIẤY MỜI",
        "Hội nghị Ban Thường vụ Tỉnh ủy tháng 11",
        "Kính gửi: Đồng chí Hồ Văn Niên, Bí thư Tỉnh ủy",
        "vào lúc 08 giờ 00 phút, thứ Hai, ngày 29/11/2027",
        "Phòng họp số 1, Tỉnh ủy",
        "1. Tờ trình kế hoạch năm 2028",
        "2. Báo cáo giải ngân vốn đầu tư công",
        "Đề nghị đồng chí xác nhận tham dự",
        "T/M BAN THƯỜNG VỤ",
        "Nguyễn Văn Bình",
    ]:
        assert words in first, words
    assert "Số:" not in first  # the Party writes "Số" without a colon
    for text, (_user, _role, name, _title) in zip(texts, PEOPLE, strict=False):
        assert f"Đồng chí {name}" in text
    assert f"Đồng chí {GUEST[0]}, {GUEST[1]}" in texts[5]

    one = pages(office.get(f"/api/meetings/{mid}/invitations.pdf?participant_id={pid(meeting, 3)}"))
    assert len(one) == 1 and "Phạm Thị Lan" in one[0]
    listed = pages(office.get(f"/api/meetings/{mid}/invitations.pdf?list=1"))
    assert len(listed) == 1 and "Các đồng chí có tên sau" in listed[0]
    assert all(name in listed[0] for _u, _r, name, _t in PEOPLE)

    # a participant prints their own; a member cannot print everyone's
    member = staff(base, "member1")
    own = pages(member.get(f"/api/meetings/{mid}/invitation.pdf"))
    assert len(own) == 1 and "Lê Văn Cường, Phó Bí thư Tỉnh ủy" in own[0]
    tablet = on_tablet(base, office, mid, pid(meeting, 5))
    assert GUEST[0] in pages(tablet.get(f"/api/meetings/{mid}/invitation.pdf"))[0]
    assert error_of(member.get(f"/api/meetings/{mid}/invitations.pdf"), 403)["code"] == "office_required"
    stranger = staff(base, "other_office")
    assert error_of(stranger.get(f"/api/meetings/{mid}/invitations.pdf"), 404)["code"] == "meeting_not_found"
    error = error_of(office.get(f"/api/meetings/{mid}/invitations.pdf?participant_id=999999"), 404)
    assert error["code"] == "participant_not_found"


def test_the_state_format(base: TestClient, world: World) -> None:
    async def give_place(db: Database) -> None:
        async with db.unit() as uow:
            await uow.session.execute(
                update(IssuingBody).where(IssuingBody.id == world.other_body_id).values(place="Khánh Hòa")
            )

    # without a place the header cannot be written: the error names the setting
    clerk = staff(base, "other_office")  # the State body ("ỦY BAN NHÂN DÂN TỈNH KHÁC", UBND)
    meeting = new_meeting(clerk, title="Phiên họp thường kỳ tháng 12", starts_at="2027-12-03T07:30:00Z")
    mid = meeting["id"]
    r = clerk.post(
        f"/api/meetings/{mid}/participants", json={"full_name": "Võ Thị Hương", "title": "Giám đốc Sở"}
    )
    assert r.status_code == 201, r.text
    error = error_of(clerk.get(f"/api/meetings/{mid}/invitations.pdf"), 422)
    assert error["code"] == "notice_body_invalid" and error["params"] == {"field": "place"}
    run_in_app(base, give_place)
    [text] = pages(clerk.get(f"/api/meetings/{mid}/invitations.pdf"))
    for words in [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "ỦY BAN NHÂN DÂN TỈNH KHÁC",
        "Số:",
        "/GM-UBND",
        "Khánh Hòa, ngày",
        "GIẤY MỜI",
        "Kính gửi: Đồng chí Võ Thị Hương, Giám đốc Sở",
        "vào lúc 14 giờ 30 phút, thứ Sáu, ngày 03/12/2027",
    ]:
        assert words in text, words
    assert "ĐẢNG CỘNG SẢN" not in text
