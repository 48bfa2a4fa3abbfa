"""The comment table of a draft: written opinions that point at a page and a section,
annotations a delegate marks as comments, consolidation by section, the drafting unit's
answers, closing, the DOCX/XLSX export read back, and who may see what."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

from docx import Document as DocxDocument
from openpyxl import load_workbook
from sqlalchemy import select, update
from starlette.testclient import TestClient

from phonghop.storage.db import Database
from phonghop.storage.models import AuditEntry, Consultation
from tests.comments.conftest import Draft, Tablet, put_answer, send_on_draft, signed_in
from tests.factories import World, blank_pdf, prepared_meeting, upload_document
from tests.notices_service.conftest import error_of, run_in_app

COMMENT_LOW_ON_PAGE_2 = {"x": 0.5, "y": 0.9, "text": "Mức hỗ trợ trạm phát sóng cần tính theo vùng."}
NOTE_TOP_OF_PAGE_3 = {"rect": [0.1, 0.01, 0.6, 0.02], "text": "Bổ sung số hóa hồ sơ đất đai."}
HIGHLIGHT_PAGE_1 = {"rects": [[0.1, 0.75, 0.9, 0.78]]}


def table(client: TestClient, draft: Draft) -> dict[str, Any]:
    r = client.get(f"/api/documents/{draft.document_id}/comments")
    assert r.status_code == 200, r.text
    result: dict[str, Any] = r.json()
    return result


def by_key(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["key"]: {**c, "group": s["title"]} for s in view["sections"] for c in s["comments"]}


def move_deadline(base: TestClient, cid: int, deadline: datetime) -> None:
    async def work(db: Database) -> None:
        async with db.unit() as uow:
            await uow.session.execute(
                update(Consultation).where(Consultation.id == cid).values(deadline=deadline)
            )

    run_in_app(base, work)


# -- written opinions on a draft ----------------------------------------------------------------


def test_members_read_the_draft_and_answer_on_a_section(
    base: TestClient, world: World, office: TestClient, member1: TestClient, chair: TestClient, draft: Draft
) -> None:
    c = send_on_draft(office, world, draft)
    assert c["document"] == {"id": draft.document_id, "title": "Dự thảo Nghị quyết chuyển đổi số"}
    # The member reads the draft through the consultation: its pages and its sections.
    info = member1.get(f"/api/consultations/{c['id']}/document")
    assert info.status_code == 200, info.text
    assert info.json()["version"]["page_count"] == 3
    sections = [(s["page"], s["label"]) for s in info.json()["sections"]]
    assert sections[0] == (1, "Điều 1") and (2, "Điều 5") in sections and sections[-1] == (3, "Điều 9")
    page = member1.get(f"/api/consultations/{c['id']}/pages/2", params={"w": 320})
    assert page.status_code == 200 and page.headers["content-type"] == "image/webp" and page.content
    r = member1.get(f"/api/consultations/{c['id']}/pages/4", params={"w": 320})
    assert error_of(r, 404)["code"] == "document_page_not_found"

    r = put_answer(member1, c["id"], "other", "Đề nghị nâng mức hỗ trợ.", page=2, section="điều 5, khoản 1")
    assert r.status_code == 200, r.text
    assert r.json()["my_answer"]["page"] == 2 and r.json()["my_answer"]["section"] == "điều 5, khoản 1"
    # The same answer sent again changes nothing; another one is refused (no change allowed).
    again = put_answer(
        member1, c["id"], "other", "Đề nghị nâng mức hỗ trợ.", page=2, section="điều 5, khoản 1"
    )
    assert again.status_code == 200 and again.json()["changed"] is False
    r = put_answer(member1, c["id"], "other", "Đề nghị nâng mức hỗ trợ.", page=3, section="điều 5, khoản 1")
    assert error_of(r, 409)["code"] == "opinion_already_given"
    assert error_of(put_answer(chair, c["id"], "agree", page=9), 422)["code"] == "opinion_page_invalid"
    assert put_answer(chair, c["id"], "agree").status_code == 200  # agreeing without a text: no comment

    members = {
        m["user_id"]: m["answer"] for m in office.get(f"/api/consultations/{c['id']}").json()["members"]
    }
    assert members[world.users["member1"]]["section"] == "điều 5, khoản 1"

    # Past the deadline: no more answers, and the draft is no longer readable through it.
    move_deadline(base, c["id"], datetime.now(UTC) - timedelta(minutes=1))
    r = put_answer(signed_in(base, "secretary"), c["id"], "agree")
    assert error_of(r, 404)["code"] == "consultation_not_found"  # not a member of it
    assert (
        error_of(member1.get(f"/api/consultations/{c['id']}/pages/1"), 409)["code"] == "consultation_closed"
    )
    assert (
        error_of(member1.get(f"/api/consultations/{c['id']}/document"), 409)["code"] == "consultation_closed"
    )
    assert office.get(f"/api/consultations/{c['id']}/document").status_code == 200

    # The comment went into the table, under Điều 5, with the member's own words for the place.
    comments = by_key(table(office, draft))
    mine = comments[f"o{c['id']}-{world.users['member1']}"]
    assert mine["group"] == "Điều 5. Hỗ trợ phát triển hạ tầng số và dữ liệu"
    assert (mine["section"], mine["page"], mine["text"]) == ("điều 5, khoản 1", 2, "Đề nghị nâng mức hỗ trợ.")
    assert mine["author"]["name"] == "Đồng chí Member1"
    assert len(comments) == 1


def test_a_place_needs_a_draft_and_members_outside_the_consultation_read_nothing(
    base: TestClient, world: World, office: TestClient, member1: TestClient, draft: Draft
) -> None:
    plain = send_on_draft(office, world, draft, document_id=None)
    r = put_answer(member1, plain["id"], "other", "Ý kiến", page=1)
    assert error_of(r, 422)["code"] == "opinion_place_without_draft"
    assert error_of(member1.get(f"/api/consultations/{plain['id']}/document"), 404)["code"] == (
        "document_not_found"
    )
    only_chair = send_on_draft(office, world, draft, members=[world.users["chair"]])
    for path in ("document", "pages/1"):
        r = member1.get(f"/api/consultations/{only_chair['id']}/{path}")
        assert error_of(r, 404)["code"] == "consultation_not_found"


# -- annotations marked as comments -------------------------------------------------------------


def test_a_delegate_marks_annotations_as_comments_and_private_ones_stay_private(
    base: TestClient, world: World, office: TestClient, draft: Draft, tablets: dict[str, Tablet]
) -> None:
    mine, theirs = tablets["member1"], tablets["member2"]
    low = mine.save("c-low-page-2", draft.version_id, 2, "comment", COMMENT_LOW_ON_PAGE_2)
    top = mine.save("n-top-page-3", draft.version_id, 3, "note", NOTE_TOP_OF_PAGE_3)
    marked = mine.save("highlight-page-1", draft.version_id, 1, "highlight", HIGHLIGHT_PAGE_1)
    ink = mine.save("ink-mark-1", draft.version_id, 1, "ink", {"strokes": [[[0.1, 0.1], [0.2, 0.2]]]})
    secret = theirs.save(
        "private-of-member2", draft.version_id, 1, "comment", {"x": 0.1, "y": 0.1, "text": "Riêng tư"}
    )

    r = mine.mark(low)
    assert r.status_code == 200, r.text
    assert r.json()["annotation"]["feedback"] is True and r.json()["annotation"]["shared"] is False
    assert mine.mark(top).status_code == 200
    assert error_of(mine.mark(marked), 422)["code"] == "annotation_feedback_text_required"
    assert mine.mark(marked, text="Cần làm rõ đối tượng hộ kinh doanh.").status_code == 200
    assert error_of(mine.mark(ink, text="x"), 422)["code"] == "annotation_feedback_kind_invalid"
    # Another delegate's annotation does not exist for them, nor for the office.
    assert error_of(theirs.mark(low), 404)["code"] == "annotation_not_found"
    assert error_of(office.put(f"/api/annotations/{secret}/feedback", json={"feedback": True}), 404)[
        "code"
    ] == ("annotation_not_found")

    view = table(draft.drafter, draft)
    comments = by_key(view)
    assert set(comments) == {f"a{low}", f"a{top}", f"a{marked}"}
    assert "Riêng tư" not in str(view)  # the unmarked private comment never appears
    # Sections from the draft's text: low on page 2 is under Điều 5 (its heading is at about
    # 80% of the page), the top of page 3 still under Điều 5, the highlight under Điều 1.
    assert comments[f"a{low}"]["section"] == "Điều 5"
    assert comments[f"a{top}"]["section"] == "Điều 5"
    assert comments[f"a{marked}"]["section"] == "Điều 1"
    assert comments[f"a{marked}"]["text"] == "Cần làm rõ đối tượng hộ kinh doanh."
    author = comments[f"a{low}"]["author"]
    assert author["name"] == draft.meeting["participants"][2]["full_name"]
    titles = [s["title"] for s in view["sections"]]
    assert titles == [
        "Điều 1. Phạm vi điều chỉnh và đối tượng áp dụng",
        "Điều 5. Hỗ trợ phát triển hạ tầng số và dữ liệu",
    ]
    assert [c["page"] for c in view["sections"][1]["comments"]] == [2, 3]

    # The annotation itself stays private: the other delegate's tablet does not list it.
    listed = theirs.client.get(f"/api/versions/{draft.version_id}/annotations").json()["annotations"]
    assert {a["id"] for a in listed} == {secret}

    assert mine.mark(top, feedback=False).status_code == 200
    assert set(by_key(table(office, draft))) == {f"a{low}", f"a{marked}"}


# -- answers, closing ---------------------------------------------------------------------------


def test_the_drafting_unit_answers_and_others_cannot(
    base: TestClient,
    world: World,
    office: TestClient,
    member1: TestClient,
    draft: Draft,
    tablets: dict[str, Tablet],
) -> None:
    c = send_on_draft(office, world, draft, allow_change=True)
    assert (
        put_answer(member1, c["id"], "disagree", "Chưa phù hợp thực tế.", section="Điều 7").status_code == 200
    )
    key = f"o{c['id']}-{world.users['member1']}"
    note = tablets["member2"].save("note-mark-1", draft.version_id, 3, "note", NOTE_TOP_OF_PAGE_3)
    assert tablets["member2"].mark(note).status_code == 200

    url = f"/api/documents/{draft.document_id}/comments/{key}/answer"
    r = draft.drafter.put(url, json={"kind": "explained", "text": ""})
    assert error_of(r, 422)["code"] == "comment_answer_text_required"
    assert (
        error_of(draft.drafter.put(url, json={"kind": "maybe"}), 422)["code"] == "comment_answer_kind_invalid"
    )
    r = draft.drafter.put(url, json={"kind": "explained", "text": "Mức kinh phí đã được cân đối."})
    assert r.status_code == 200, r.text
    answer = by_key(r.json())[key]["answer"]
    assert answer["kind"] == "explained" and answer["by"] == "Chuyên viên khcn"
    assert answer["changed_since_answer"] is False
    assert r.json()["answered"] == 1 and r.json()["total"] == 2

    # The drafting unit and the office find the table in their lists; another unit does not.
    listed = draft.drafter.get("/api/comment-tables").json()["tables"]
    assert [(x["document_id"], x["unit_name"]) for x in listed] == [
        (draft.document_id, "Sở Khoa học và Công nghệ")
    ]
    assert [x["document_id"] for x in office.get("/api/comment-tables").json()["tables"]] == [
        draft.document_id
    ]
    assert draft.outsider.get("/api/comment-tables").json()["tables"] == []
    assert member1.get("/api/comment-tables").json()["tables"] == []

    # Another unit: the table does not exist. The office sees it but the drafting unit answers.
    assert error_of(draft.outsider.get(f"/api/documents/{draft.document_id}/comments"), 404)["code"] == (
        "document_not_found"
    )
    assert error_of(draft.outsider.put(url, json={"kind": "accepted"}), 404)["code"] == "document_not_found"
    assert error_of(member1.get(f"/api/documents/{draft.document_id}/comments"), 404)["code"] == (
        "document_not_found"
    )
    assert error_of(office.put(url, json={"kind": "accepted"}), 403)["code"] == "comment_answer_not_allowed"
    r = draft.drafter.put(
        f"/api/documents/{draft.document_id}/comments/o999-1/answer", json={"kind": "accepted"}
    )
    assert error_of(r, 404)["code"] == "comment_not_found"

    # The member changes the comment after the answer: the table says so.
    assert (
        put_answer(member1, c["id"], "disagree", "Chưa phù hợp; đề nghị giảm.", section="Điều 7").status_code
        == 200
    )
    assert by_key(table(office, draft))[key]["answer"]["changed_since_answer"] is True
    # A new answer replaces the old one.
    r = draft.drafter.put(url, json={"kind": "rejected", "text": "Giữ nguyên như dự thảo."})
    assert r.status_code == 200, r.text
    answer = by_key(r.json())[key]["answer"]
    assert (answer["kind"], answer["text"], answer["changed_since_answer"]) == (
        "rejected",
        "Giữ nguyên như dự thảo.",
        False,
    )

    # Closing keeps the table as it is: no answers, no marking or unmarking any more.
    r = draft.drafter.post(f"/api/documents/{draft.document_id}/comments/close")
    assert r.status_code == 200, r.text
    closed = r.json()
    assert closed["closed"] is True and closed["can_answer"] is False and closed["total"] == 2
    assert error_of(draft.drafter.put(url, json={"kind": "accepted"}), 409)["code"] == "comment_table_closed"
    assert error_of(tablets["member2"].mark(note, feedback=False), 409)["code"] == "comment_table_closed"
    assert tablets["member2"].peer.call(
        "annotation.delete", client_id="note-mark-1", updated_at=datetime.now(UTC).isoformat()
    )["ok"]
    assert table(office, draft)["sections"] == closed["sections"]  # the deleted note is still there
    assert error_of(draft.drafter.post(f"/api/documents/{draft.document_id}/comments/reopen"), 403)[
        "code"
    ] == ("office_required")
    reopened = office.post(f"/api/documents/{draft.document_id}/comments/reopen")
    assert reopened.status_code == 200 and reopened.json()["closed"] is False
    assert set(by_key(reopened.json())) == {key}  # worked out again: the note was deleted


def test_without_a_drafting_unit_the_office_answers(
    base: TestClient, world: World, office: TestClient, member1: TestClient, draft: Draft
) -> None:
    meeting = prepared_meeting(office, world)
    document = upload_document(office, meeting["id"], blank_pdf(2), title="Dự thảo không có đơn vị")
    c = send_on_draft(office, world, draft, document_id=document["id"])
    assert put_answer(member1, c["id"], "other", "Ý kiến chung về bố cục.").status_code == 200
    view = office.get(f"/api/documents/{document['id']}/comments").json()
    assert view["can_answer"] is True
    assert [s["title"] for s in view["sections"]] == [None]  # no page, no section: general
    key = view["sections"][0]["comments"][0]["key"]
    r = office.put(f"/api/documents/{document['id']}/comments/{key}/answer", json={"kind": "accepted"})
    assert r.status_code == 200, r.text
    assert error_of(draft.drafter.get(f"/api/documents/{document['id']}/comments"), 404)["code"] == (
        "document_not_found"
    )


# -- export -------------------------------------------------------------------------------------


def test_the_export_reads_back_in_word_and_excel(
    base: TestClient,
    world: World,
    office: TestClient,
    member1: TestClient,
    chair: TestClient,
    draft: Draft,
    tablets: dict[str, Tablet],
) -> None:
    c = send_on_draft(office, world, draft)
    assert (
        put_answer(
            member1, c["id"], "other", "Đề nghị nâng mức hỗ trợ.", page=2, section="Điều 5, khoản 1"
        ).status_code
        == 200
    )
    assert put_answer(chair, c["id"], "agree", "Thống nhất với bố cục dự thảo.").status_code == 200
    low = tablets["member1"].save("comment-low-1", draft.version_id, 2, "comment", COMMENT_LOW_ON_PAGE_2)
    assert tablets["member1"].mark(low).status_code == 200
    key = f"o{c['id']}-{world.users['member1']}"
    r = draft.drafter.put(
        f"/api/documents/{draft.document_id}/comments/{key}/answer",
        json={"kind": "accepted", "text": "Đã nâng mức hỗ trợ lên 200 triệu đồng/trạm."},
    )
    assert r.status_code == 200, r.text
    member1_name = "Đồng chí Member1"
    delegate = draft.meeting["participants"][2]["full_name"]

    r = draft.drafter.get(f"/api/documents/{draft.document_id}/comments.docx")
    assert r.status_code == 200, r.text
    assert "wordprocessingml" in r.headers["content-type"]
    doc = DocxDocument(io.BytesIO(r.content))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "BẢNG TỔNG HỢP Ý KIẾN GÓP Ý" in text and "Dự thảo Nghị quyết chuyển đổi số" in text
    grid = doc.tables[0]
    rows = [[cell.text for cell in row.cells] for row in grid.rows]
    assert rows[0] == ["STT", "Nội dung dự thảo", "Ý kiến góp ý", "Người/đơn vị góp ý", "Tiếp thu/giải trình"]
    # General comments first (a merged group row), then Điều 5 with the written opinion
    # (page 2, the member's words) and the annotation (page 2, found from the text).
    assert set(rows[1]) == {"Ý kiến chung"}
    assert rows[2][:3] == ["1", "Ý kiến chung", "Thống nhất với bố cục dự thảo."]
    assert rows[2][3].startswith("Đồng chí Chair") and rows[2][4] == ""
    assert set(rows[3]) == {"Điều 5. Hỗ trợ phát triển hạ tầng số và dữ liệu"}
    by_text = {row[2]: row for row in rows[4:]}
    opinion = by_text["Đề nghị nâng mức hỗ trợ."]
    assert opinion[1] == "Điều 5, khoản 1, trang 2" and opinion[3].startswith(member1_name)
    assert opinion[4] == "Tiếp thu: Đã nâng mức hỗ trợ lên 200 triệu đồng/trạm."
    marked = by_text[COMMENT_LOW_ON_PAGE_2["text"]]
    assert marked[1] == "Điều 5, trang 2" and marked[3].startswith(delegate) and marked[4] == ""
    assert sorted(row[0] for row in rows[4:]) == ["2", "3"]

    r = office.get(f"/api/documents/{draft.document_id}/comments.xlsx")
    assert r.status_code == 200 and "spreadsheetml" in r.headers["content-type"]
    sheet = load_workbook(io.BytesIO(r.content)).active
    assert sheet is not None
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    header = next(i for i, row in enumerate(values) if row[0] == "STT")
    assert values[header] == [
        "STT",
        "Nội dung dự thảo",
        "Ý kiến góp ý",
        "Người/đơn vị góp ý",
        "Tiếp thu/giải trình",
    ]
    assert values[header + 1][0] == "Ý kiến chung"
    assert values[header + 2][:3] == [1, "Ý kiến chung", "Thống nhất với bố cục dự thảo."]
    assert values[header + 3][0] == "Điều 5. Hỗ trợ phát triển hạ tầng số và dữ liệu"
    xlsx_rows = {row[2]: row for row in values[header + 4 : header + 6]}
    assert xlsx_rows["Đề nghị nâng mức hỗ trợ."][4] == "Tiếp thu: Đã nâng mức hỗ trợ lên 200 triệu đồng/trạm."
    assert any(isinstance(row[0], str) and "Tổng số: 3 ý kiến" in row[0] for row in values)

    english = office.get(f"/api/documents/{draft.document_id}/comments.xlsx", params={"lang": "en"})
    sheet = load_workbook(io.BytesIO(english.content)).active
    assert sheet is not None
    header_row = [
        [cell.value for cell in row] for row in sheet.iter_rows() if row[1].value == "Draft content"
    ]
    assert header_row == [["No.", "Draft content", "Comment", "Commented by", "Answer"]]
    outsider = draft.outsider.get(f"/api/documents/{draft.document_id}/comments.docx")
    assert error_of(outsider, 404)["code"] == "document_not_found"


# -- other bodies -------------------------------------------------------------------------------


def test_another_body_sees_nothing(
    base: TestClient,
    world: World,
    office: TestClient,
    member1: TestClient,
    draft: Draft,
    tablets: dict[str, Tablet],
) -> None:
    c = send_on_draft(office, world, draft)
    note = tablets["member1"].save("note-mark-1", draft.version_id, 3, "note", NOTE_TOP_OF_PAGE_3)
    stranger = signed_in(base, "other_office")
    for r in (
        stranger.get(f"/api/documents/{draft.document_id}/comments"),
        stranger.get(f"/api/documents/{draft.document_id}/comments.xlsx"),
        stranger.post(f"/api/documents/{draft.document_id}/comments/close"),
    ):
        assert error_of(r, 404)["code"] == "document_not_found"
    for r in (
        stranger.get(f"/api/consultations/{c['id']}/document"),
        stranger.get(f"/api/consultations/{c['id']}/pages/1"),
    ):
        assert error_of(r, 404)["code"] == "consultation_not_found"
    assert error_of(stranger.put(f"/api/annotations/{note}/feedback", json={"feedback": True}), 404)[
        "code"
    ] in (
        "annotation_not_found",
        "meeting_not_found",
    )
    body = {
        "title": "T",
        "question": "Q",
        "deadline": (datetime.now(UTC) + timedelta(days=1)).isoformat(),
        "members": [world.users["other_office"]],
        "document_id": draft.document_id,
    }
    assert error_of(stranger.post("/api/consultations", json=body), 404)["code"] == "document_not_found"


def test_a_classified_draft_is_watermarked_for_the_member_and_audited(
    base: TestClient, world: World, office: TestClient, member1: TestClient, draft: Draft
) -> None:
    meeting = prepared_meeting(office, world)
    secret = upload_document(
        office, meeting["id"], blank_pdf(1), title="Dự thảo mật", classification="confidential"
    )
    c = send_on_draft(office, world, draft, document_id=secret["id"])
    assert member1.get(f"/api/consultations/{c['id']}/document").json()["classification"] == "confidential"
    page = member1.get(f"/api/consultations/{c['id']}/pages/1", params={"w": 320})
    assert page.status_code == 200 and page.headers["content-type"] == "image/jpeg"
    assert page.headers["cache-control"] == "private, no-store"

    async def served(db: Database) -> list[tuple[int | None, str]]:
        async with db.unit(write=False) as uow:
            rows = await uow.session.execute(
                select(AuditEntry.actor_user_id, AuditEntry.target_id).where(
                    AuditEntry.action == "document.page_served"
                )
            )
            return [(user_id, target) for user_id, target in rows]

    assert run_in_app(base, served) == [(world.users["member1"], str(secret["id"]))]
