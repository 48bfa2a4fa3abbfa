"""The minutes of a meeting through the API: pre-filled from what the meeting recorded
live, saved with a version check, read and saved only by those who run the meeting,
exported, and read by the notice drafter."""

from __future__ import annotations

import io
import re
from typing import Any

import docx
import pytest
from pypdf import PdfReader
from starlette.testclient import TestClient

from tests.factories import World, companion, join_tablet, login
from tests.notices_service.conftest import HeldMeeting, error_of, hold_meeting, vote
from tests.realtime.helpers import Peer


def url(held: HeldMeeting, tail: str = "") -> str:
    return f"/api/meetings/{held.id}/minutes{tail}"


def texts(view: dict[str, Any]) -> dict[str, str]:
    return {s["key"]: s["text"] for s in view["sections"]}


def read(client: TestClient, held: HeldMeeting) -> dict[str, Any]:
    r = client.get(url(held))
    assert r.status_code == 200, r.text
    view: dict[str, Any] = r.json()
    return view


def save(client: TestClient, held: HeldMeeting, version: int, **sections: str) -> Any:
    return client.put(url(held), json={"version": version, "sections": sections})


def speakers_and_vote(base: TestClient, world: World) -> Any:
    """While the meeting runs: two delegates speak on the first item, one on the second, and
    the first item's poll is closed."""

    def during(held: HeldMeeting) -> None:
        console = Peer(held.secretary, held.id)
        try:
            console.hello()
            for command, fields in [
                ("agenda.open_item", {"item_id": held.items[0]}),
                ("speaker.grant", {"participant_id": held.participants[2]}),
                ("speaker.grant", {"participant_id": held.participants[3]}),
                ("speaker.grant", {"participant_id": held.participants[2]}),
                ("agenda.open_item", {"item_id": held.items[1]}),
                ("speaker.grant", {"participant_id": held.participants[3]}),
            ]:
                reply = console.call(command, **fields)
                assert reply["ok"], reply
        finally:
            console.close()
        vote(
            base,
            world,
            held,
            "Tờ trình kế hoạch năm 2027",
            {"chair": "approve", "member1": "approve", "member2": "reject"},
            item=held.items[0],
        )

    return during


def test_every_section_is_pre_filled_from_what_the_meeting_recorded(
    base: TestClient, world: World, office: TestClient, configured: dict[str, Any]
) -> None:
    held = hold_meeting(base, world, office, during=speakers_and_vote(base, world), close=False)
    view = read(held.secretary, held)
    first, second = held.items
    assert view["version"] == 0 and view["updated_by"] is None
    assert [s["key"] for s in view["sections"]] == [
        "opening",
        f"item:{first}:record",
        f"item:{first}:conclusion",
        f"item:{second}:record",
        f"item:{second}:conclusion",
        "closing",
    ]
    assert [(s["number"], s["title"]) for s in view["sections"]][1:3] == [
        ("1", "Tờ trình kế hoạch năm 2027")
    ] * 2
    assert not any(s["saved"] for s in view["sections"])
    text = texts(view)
    opening = text["opening"].split("\n")
    assert re.fullmatch(r"Thời gian: bắt đầu lúc \d\d giờ \d\d phút, ngày \d\d/\d\d/\d{4}\.", opening[0])
    assert opening[1:] == [
        "Chủ trì: đồng chí Hồ Văn Niên, Bí thư Tỉnh ủy.",
        "Thư ký: đồng chí Trần Thị Bình, Chánh Văn phòng Tỉnh ủy.",
        "Thành phần: có mặt 4/5 đồng chí được triệu tập; vắng mặt: đồng chí Đỗ Văn Minh (đi công tác).",
    ]
    record = text[f"item:{first}:record"].split("\n")
    assert record[:2] == [
        "Văn phòng Tỉnh ủy trình bày.",
        "Ý kiến phát biểu: đồng chí Lê Văn Cường, đồng chí Phạm Thị Lan.",
    ]
    assert record[2].startswith("Kết quả biểu quyết về Tờ trình kế hoạch năm 2027: 2/4 đồng chí tán thành")
    assert len(record) == 3
    assert (
        text[f"item:{second}:record"] == "Sở Tài chính trình bày.\nÝ kiến phát biểu: đồng chí Phạm Thị Lan."
    )
    assert text[f"item:{first}:conclusion"] == (
        "Thống nhất thông qua Tờ trình kế hoạch năm 2027.\n"
        "Hoàn thiện Tờ trình theo ý kiến góp ý. Giao Văn phòng Tỉnh ủy chủ trì, phối hợp với "
        "Sở Tài chính, Sở Nội vụ thực hiện; hoàn thành trước ngày 15/12/2026."
    )
    assert text[f"item:{second}:conclusion"].startswith("Ghi nhận báo cáo giải ngân vốn đầu tư công.\n")
    assert text["closing"] == ""  # the meeting still runs

    assert held.secretary.post(f"/api/meetings/{held.id}/actions/close").status_code == 200
    closing = texts(read(held.secretary, held))["closing"]
    assert re.fullmatch(r"Cuộc họp kết thúc lúc \d\d giờ \d\d phút, ngày \d\d/\d\d/\d{4}\.", closing)


def test_a_save_keeps_the_text_and_a_stale_save_changes_nothing(
    base: TestClient, world: World, office: TestClient, configured: dict[str, Any]
) -> None:
    held = hold_meeting(base, world, office, close=False)
    secretary = held.secretary
    chair = companion(base)
    login(chair, "chair")
    first, second = held.items

    r = save(
        secretary,
        held,
        0,
        opening="Khai mạc  lúc 8 giờ.\n\n  Có mặt đủ.  ",
        **{f"item:{first}:record": "Thảo luận sôi nổi."},
    )
    assert r.status_code == 200, r.text
    saved = r.json()
    assert saved["version"] == 1
    assert saved["updated_by"] == secretary.get("/api/session").json()["user"]["full_name"]
    text = texts(saved)
    assert text["opening"] == "Khai mạc lúc 8 giờ.\nCó mặt đủ."
    assert text[f"item:{first}:record"] == "Thảo luận sôi nổi."
    assert {s["key"] for s in saved["sections"] if s["saved"]} == {"opening", f"item:{first}:record"}

    # The chair typed on version 0 too: refused, with who saved before, and nothing changed.
    stale = error_of(save(chair, held, 0, opening="Bản của chủ trì"), 409)
    assert stale["code"] == "minutes_stale"
    assert stale["params"]["version"] == 1 and stale["params"]["by"] == saved["updated_by"]
    assert re.fullmatch(r"\d\d:\d\d", stale["params"]["at"])
    assert saved["updated_by"] in stale["message"]
    after = read(chair, held)
    assert after["version"] == 1 and texts(after)["opening"] == "Khai mạc lúc 8 giờ.\nCó mặt đủ."
    # A version from the future is stale as well.
    assert error_of(save(chair, held, 7, opening="x"), 409)["code"] == "minutes_stale"

    # On top of the version read, the chair's save goes through and keeps the other sections.
    r = save(chair, held, 1, closing="Bế mạc.")
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 2
    assert texts(r.json())["opening"] == "Khai mạc lúc 8 giờ.\nCó mặt đủ."

    # A section nobody saved still follows the meeting: a vote closed now reaches it.
    vote(base, world, held, "Báo cáo giải ngân", {"chair": "approve", "member1": "approve"}, item=second)
    text = texts(read(secretary, held))
    assert "Kết quả biểu quyết về Báo cáo giải ngân" in text[f"item:{second}:record"]
    assert text[f"item:{first}:record"] == "Thảo luận sôi nổi."


def test_only_the_secretary_the_chair_and_the_office_see_and_save_the_minutes(
    base: TestClient, world: World, office: TestClient, configured: dict[str, Any]
) -> None:
    held = hold_meeting(base, world, office, close=False)
    delegate_tablet = companion(base)
    join_tablet(delegate_tablet, held.secretary, held.id, held.participants[2])  # with its CSRF token
    delegate_account = companion(base)
    login(delegate_account, "member1")
    for client in (delegate_tablet, delegate_account):
        assert error_of(client.get(url(held)), 403)["code"] == "secretary_required"
        assert error_of(save(client, held, 0, opening="x"), 403)["code"] == "secretary_required"
        assert error_of(client.get(url(held, "/docx")), 403)["code"] == "secretary_required"
    assert read(office, held)["version"] == 0
    r = save(office, held, 0, opening="Văn phòng ghi.")
    assert r.status_code == 200, r.text
    invalid = error_of(save(office, held, 1, **{"item:999999:record": "x"}), 422)
    assert (invalid["code"], invalid["params"]) == ("minutes_invalid", {"field": "item:999999:record"})
    assert error_of(save(office, held, 1, opening="x" * 20_001), 422)["code"] == "invalid_input"
    assert read(office, held)["version"] == 1
    assert error_of(office.get("/api/meetings/999999/minutes"), 404)["code"] == "meeting_not_found"


def _docx_text(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    parts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def test_the_minutes_download_as_docx_and_pdf_in_the_body_format(
    base: TestClient, world: World, office: TestClient, configured: dict[str, Any]
) -> None:
    held = hold_meeting(base, world, office)
    first = held.items[0]
    r = save(
        held.secretary, held, 0, **{f"item:{first}:record": "Đồng chí Lê Văn Cường đề nghị bổ sung số liệu."}
    )
    assert r.status_code == 200, r.text

    docx_file = held.secretary.get(url(held, "/docx"))
    assert docx_file.status_code == 200
    assert docx_file.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert docx_file.headers["content-disposition"].startswith(f'attachment; filename="bien-ban-{held.id}-')
    pdf_file = office.get(url(held, "/pdf"))
    assert pdf_file.status_code == 200 and pdf_file.headers["content-type"] == "application/pdf"
    pdf = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf_file.content)).pages)
    for text in (_docx_text(docx_file.content), pdf):
        assert "ĐẢNG CỘNG SẢN VIỆT NAM" in text and "TỈNH ỦY GIA LAI" in text
        assert "BIÊN BẢN" in text
        assert "1. Tờ trình kế hoạch năm 2027" in text
        assert "Đồng chí Lê Văn Cường đề nghị bổ sung số liệu." in text
        assert "Kết luận: Thống nhất thông qua Tờ trình kế hoạch năm 2027." in text
        assert "Chủ trì: đồng chí Hồ Văn Niên, Bí thư Tỉnh ủy." in text
        assert "THƯ KÝ" in text and "CHỦ TRÌ" in text and "Trần Thị Bình" in text
        assert "Cuộc họp kết thúc lúc" in text
    # The same minutes, the same bytes.
    assert held.secretary.get(url(held, "/docx")).content == docx_file.content
    assert error_of(office.get(url(held, "/txt")), 404)["code"] == "minutes_file_not_found"


@pytest.mark.parametrize("recorded", [False, True])
def test_the_notice_draft_takes_the_minutes_conclusion_of_an_item_without_one(
    base: TestClient, world: World, office: TestClient, configured: dict[str, Any], recorded: bool
) -> None:
    held = hold_meeting(base, world, office, conclusions=recorded, close=False)
    first = held.items[0]
    written = "- Thống nhất chủ trương lập kế hoạch năm 2027.\n2. Giao Văn phòng Tỉnh ủy hoàn thiện hồ sơ."
    r = save(held.secretary, held, 0, **{f"item:{first}:conclusion": written})
    assert r.status_code == 200, r.text
    assert held.secretary.post(f"/api/meetings/{held.id}/actions/close").status_code == 200
    notice = office.post(f"/api/meetings/{held.id}/notices", json={})
    assert notice.status_code == 201, notice.text
    points = [(p["label"], p["text"]) for p in notice.json()["draft"]["points"]]
    warnings = [w["code"] for w in notice.json()["warnings"]]
    if recorded:  # what the meeting recorded wins over what the minutes say
        assert ("1.1.", "Thống nhất thông qua Tờ trình kế hoạch năm 2027.") in points
        assert not any("chủ trương lập kế hoạch" in text for _, text in points)
        assert "conclusion_from_minutes" not in warnings
    else:
        # One item concluded: its points are the notice's points, without the list marks typed.
        assert points == [
            ("1.", "Thống nhất chủ trương lập kế hoạch năm 2027."),
            ("2.", "Giao Văn phòng Tỉnh ủy hoàn thiện hồ sơ."),
        ]
        (warning,) = [w for w in notice.json()["warnings"] if w["code"] == "conclusion_from_minutes"]
        assert warning["params"] == {"item": "Tờ trình kế hoạch năm 2027"}
