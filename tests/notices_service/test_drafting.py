"""Drafting the conclusion notice from what a closed meeting recorded: chair, attendance,
what was heard, the conclusions, the votes; and what drafting refuses."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from starlette.testclient import TestClient

from phonghop.domain.notice import format_short_date
from tests.factories import World, companion, login
from tests.notices_service.conftest import HeldMeeting, error_of, hold_meeting, vote

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


def meeting_day(held: HeldMeeting) -> str:
    starts = datetime.fromisoformat(held.detail["starts_at"].replace("Z", "+00:00"))
    return format_short_date(starts.astimezone(ZONE).date())


def draft(office: TestClient, held: HeldMeeting, **body: Any) -> dict[str, Any]:
    r = office.post(f"/api/meetings/{held.id}/notices", json=body)
    assert r.status_code == 201, r.text
    result: dict[str, Any] = r.json()
    return result


@pytest.mark.usefixtures("configured")
def test_the_draft_says_what_the_meeting_recorded(base: TestClient, world: World, office: TestClient) -> None:
    def polls(held: HeldMeeting) -> None:
        ballots = {"chair": "approve", "member1": "approve", "member2": "approve"}
        vote(base, world, held, "Tờ trình kế hoạch năm 2027", ballots, item=held.items[0])

    held = hold_meeting(base, world, office, during=polls)
    notice = draft(office, held, subject="về kế hoạch năm 2027")
    assert notice["state"] == "draft" and notice["number"] is None and notice["number_label"] == ""
    assert notice["meeting"]["id"] == held.id and notice["secret"] is False
    assert notice["warnings"] == [] and notice["files"] == {}
    d = notice["draft"]
    day = meeting_day(held)
    assert (d["format"], d["symbol"], d["place"], d["number"]) == ("party", "TU", "Gia Lai", None)
    assert d["summary"] == f"kết luận của Ban Thường vụ Tỉnh ủy tại cuộc họp ngày {day} về kế hoạch năm 2027"
    assert notice["summary"] == d["summary"]
    assert d["opening"] == (
        f"Ngày {day}, Ban Thường vụ Tỉnh ủy tổ chức họp về kế hoạch năm 2027 dưới sự chủ trì của "
        "đồng chí Hồ Văn Niên, Bí thư Tỉnh ủy. Tham dự có 3/4 đồng chí Ủy viên Ban Thường vụ Tỉnh ủy "
        "(vắng: đồng chí Đỗ Văn Minh, đi công tác); đồng chí Trần Thị Bình, Chánh Văn phòng Tỉnh ủy. "
        "Sau khi nghe Văn phòng Tỉnh ủy và Sở Tài chính báo cáo và ý kiến thảo luận của các đồng chí "
        "dự họp, Ban Thường vụ Tỉnh ủy thống nhất kết luận như sau:"
    )
    assert [(p["label"], p["text"], p["heading"]) for p in d["points"]] == [
        ("1.", "Về kế hoạch năm 2027", True),
        ("1.1.", "Thống nhất thông qua Tờ trình kế hoạch năm 2027.", False),
        (
            "1.2.",
            "Hoàn thiện Tờ trình theo ý kiến góp ý. Giao Văn phòng Tỉnh ủy chủ trì, phối hợp với "
            "Sở Tài chính, Sở Nội vụ thực hiện; hoàn thành trước ngày 15/12/2026.",
            False,
        ),
        ("2.", "Về giải ngân vốn đầu tư công", True),
        ("2.1.", "Ghi nhận báo cáo giải ngân vốn đầu tư công.", False),
        (
            "2.2.",
            "Đẩy nhanh tiến độ giải ngân vốn đầu tư công. Giao Sở Tài chính chủ trì thực hiện; "
            "hoàn thành trước ngày 31/12/2026.",
            False,
        ),
    ]
    assert d["vote_sentences"] == [
        "Kết quả biểu quyết về Tờ trình kế hoạch năm 2027: 3/4 đồng chí tán thành (75% tổng số). "
        "Đối chiếu quy định (quá nửa tổng số thành viên tán thành), nội dung được thông qua."
    ]
    assert d["recipients"] == ["Ban Bí thư (để báo cáo)", "Các đồng chí Tỉnh ủy viên"]
    assert d["file_copy"] == "Lưu Văn phòng Tỉnh ủy"
    assert d["signature"] == {
        "signer_title": "Phó Bí thư",
        "signer_name": "Nguyễn Văn Bình",
        "authorities": [{"authority": "on_behalf", "of": "Ban Thường vụ"}],
    }
    assert office.get(f"/api/notices/{notice['id']}").json() == notice


@pytest.mark.usefixtures("configured")
def test_a_failed_vote_and_a_meeting_without_votes(
    base: TestClient, world: World, office: TestClient
) -> None:
    def polls(held: HeldMeeting) -> None:
        ballots = {"chair": "approve", "member1": "reject", "member2": "reject"}
        vote(base, world, held, "Đề án sáp nhập", ballots, item=held.items[1])

    failed = draft(office, hold_meeting(base, world, office, during=polls))
    (sentence,) = failed["draft"]["vote_sentences"]
    assert sentence.startswith("Kết quả biểu quyết về Đề án sáp nhập: 1/4 đồng chí tán thành (25% tổng số)")
    assert sentence.endswith("nội dung không được thông qua.")
    assert draft(office, hold_meeting(base, world, office))["draft"]["vote_sentences"] == []


@pytest.mark.usefixtures("configured")
def test_votes_are_printed_only_when_the_settings_ask(
    base: TestClient, world: World, office: TestClient, admin: TestClient, configured: dict[str, Any]
) -> None:
    r = admin.put(
        "/api/notice-settings", json={"term_start": "2025-10-16", "signature": configured["signature"]}
    )
    assert r.status_code == 200 and r.json()["layout"]["include_votes"] is False

    def polls(held: HeldMeeting) -> None:
        vote(base, world, held, "Đề án", {"chair": "approve"}, item=held.items[0])

    assert draft(office, hold_meeting(base, world, office, during=polls))["draft"]["vote_sentences"] == []


@pytest.mark.usefixtures("configured")
def test_an_absent_chair_a_deputy_presides(base: TestClient, world: World, office: TestClient) -> None:
    marks = {
        0: ("absent", "đi học tập trung"),
        1: ("present", ""),
        2: ("present", ""),
        3: ("present", ""),
        4: ("present", ""),
    }
    held = hold_meeting(base, world, office, attendance=marks)
    url = f"/api/meetings/{held.id}/notices"
    err = error_of(office.post(url, json={}), 409)
    assert err["code"] == "notice_presiding_required" and err["params"] == {"name": "Hồ Văn Niên"}
    err = error_of(office.post(url, json={"presiding_participant_id": 999_999}), 404)
    assert err["code"] == "participant_not_found"
    notice = draft(office, held, presiding_participant_id=held.participants[2])
    opening = notice["draft"]["opening"]
    assert "dưới sự chủ trì của đồng chí Lê Văn Cường, Phó Bí thư Tỉnh ủy." in opening
    assert (
        "Tham dự có 3/4 đồng chí Ủy viên Ban Thường vụ Tỉnh ủy (vắng: đồng chí Hồ Văn Niên, đi học tập trung)"
        in (opening)
    )
    assert "Hồ Văn Niên" not in notice["draft"]["summary"]

    present_chair = hold_meeting(base, world, office)
    err = error_of(
        office.post(
            f"/api/meetings/{present_chair.id}/notices",
            json={"presiding_participant_id": present_chair.participants[2]},
        ),
        409,
    )
    assert err["code"] == "notice_chair_present" and err["params"] == {"name": "Hồ Văn Niên"}
    absent_deputy = hold_meeting(base, world, office, attendance={**marks, 2: ("absent", "ốm")})
    err = error_of(
        office.post(
            f"/api/meetings/{absent_deputy.id}/notices",
            json={"presiding_participant_id": absent_deputy.participants[2]},
        ),
        409,
    )
    assert err["code"] == "notice_presiding_absent"


@pytest.mark.usefixtures("configured")
def test_what_drafting_could_not_use_is_reported(base: TestClient, world: World, office: TestClient) -> None:
    def untitle_chair(held: HeldMeeting) -> None:
        r = office.patch(f"/api/meetings/{held.id}/participants/{held.participants[0]}", json={"title": ""})
        assert r.status_code == 200, r.text

    held = hold_meeting(base, world, office, attendance={}, conclusions=False, during=untitle_chair)
    notice = draft(office, held)
    assert [w["code"] for w in notice["warnings"]] == [
        "title_missing",
        "attendance_not_recorded",
        "conclusions_missing",
    ]
    assert notice["warnings"][0]["params"] == {"name": "Hồ Văn Niên"}
    assert all(w["message"] and not w["message"].startswith("notice.") for w in notice["warnings"])
    english = office.get(f"/api/notices/{notice['id']}", headers={"Accept-Language": "en"}).json()
    assert english["warnings"][1]["message"].startswith("No roll call was recorded")
    assert "Tham dự" not in notice["draft"]["opening"] and notice["draft"]["points"] == []


@pytest.mark.usefixtures("configured")
def test_other_attendees_as_the_office_writes_them(
    base: TestClient, world: World, office: TestClient
) -> None:
    held = hold_meeting(base, world, office)
    notice = draft(office, held, attendance_groups=["lãnh đạo các ban đảng Tỉnh ủy", "  "], secret=True)
    assert (
        "(vắng: đồng chí Đỗ Văn Minh, đi công tác); lãnh đạo các ban đảng Tỉnh ủy. Sau khi nghe"
        in (notice["draft"]["opening"])
    )
    assert notice["secret"] is True


def test_who_may_draft_and_when(
    base: TestClient, world: World, office: TestClient, admin: TestClient
) -> None:
    running = hold_meeting(base, world, office, close=False)
    err = error_of(office.post(f"/api/meetings/{running.id}/notices", json={}), 409)
    assert err["code"] == "notice_meeting_not_closed" and err["params"] == {"state": "in_progress"}
    assert running.secretary.post(f"/api/meetings/{running.id}/actions/close").status_code == 200
    url = f"/api/meetings/{running.id}/notices"
    assert error_of(running.secretary.post(url, json={}), 403)["code"] == "office_required"
    stranger = companion(base)
    login(stranger, "other_office")
    assert error_of(stranger.post(url, json={}), 404)["code"] == "meeting_not_found"
    assert error_of(office.post("/api/meetings/999999/notices", json={}), 404)["code"] == "meeting_not_found"
    assert error_of(office.post(url, json={"subject": 3}), 422)["code"] == "invalid_input"
    # No signer in the body's settings yet: the office must ask the administrator.
    assert error_of(office.post(url, json={}), 422)["code"] == "notice_signature_missing"
    signer = {"signer_title": "Bí thư", "signer_name": "Hồ Văn Niên", "authorities": []}
    assert admin.put("/api/notice-settings", json={"signature": signer}).status_code == 200
    assert office.post(url, json={}).status_code == 201


@pytest.mark.usefixtures("configured")
def test_a_meeting_of_twenty_items(
    base: TestClient, world: World, office: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    def twenty(held: HeldMeeting) -> None:
        from tests.realtime.helpers import Peer

        items = list(held.items)
        for i in range(3, 21):
            r = held.secretary.post(
                f"/api/meetings/{held.id}/agenda", json={"title": f"Đề án số {i}", "presenter": f"Sở số {i}"}
            )
            assert r.status_code == 201, r.text
            items.append(r.json()["id"])
        console = Peer(held.secretary, held.id)
        try:
            console.hello()
            for n, item in enumerate(items, 1):
                points = [
                    {"text": f"Thống nhất nội dung {n}"},
                    {"text": f"Triển khai nội dung {n}", "chu_tri": "Sở Nội vụ"},
                ]
                assert console.call("agenda.record_conclusion", item_id=item, points=points)["ok"]
        finally:
            console.close()

    held = hold_meeting(base, world, office, conclusions=False, during=twenty)
    start = time.perf_counter()
    notice = draft(office, held)
    drafted = time.perf_counter() - start
    points = notice["draft"]["points"]
    assert sum(p["heading"] for p in points) == 20 and len(points) == 60
    assert points[-1]["label"] == "20.2." and points[-1]["text"].startswith("Triển khai nội dung 20.")
    start = time.perf_counter()
    r = office.post(f"/api/notices/{notice['id']}/issue")
    issued = time.perf_counter() - start
    assert r.status_code == 200, r.text
    pdf = office.get(f"/api/notices/{notice['id']}/pdf").content
    assert pdf.startswith(b"%PDF")
    with capsys.disabled():
        print(
            f"\n20 agenda items: draft {drafted * 1000:.0f} ms, "
            f"issue (number, PDF, DOCX) {issued * 1000:.0f} ms"
        )


@pytest.mark.usefixtures("configured")
def test_attendance_that_does_not_add_up_is_left_out(
    base: TestClient, world: World, office: TestClient
) -> None:
    def shrink(held: HeldMeeting) -> None:
        r = office.patch(f"/api/meetings/{held.id}", json={"members_total": 2})
        assert r.status_code == 200, r.text

    notice = draft(office, hold_meeting(base, world, office, during=shrink))
    assert notice["warnings"] == [
        {
            "code": "attendance_inconsistent",
            "params": {"present": 3, "total": 2},
            "message": "Số có mặt (3) không khớp tổng số thành viên (2): "
            "dự thảo không nêu thành phần tham dự.",
        }
    ]
    assert "Tham dự" not in notice["draft"]["opening"]
