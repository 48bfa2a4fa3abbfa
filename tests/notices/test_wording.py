"""The wording a clerk would sign as is, held as golden sentences in the draft, the PDF
and the DOCX (DOMAIN.md, "Conclusion notice").

Two meetings: a UBND meeting chaired by the Chủ tịch (State format: the chair concludes,
the date in words, attendees listed by group, "đồng chí <name> - <title>" in the trích
yếu, a vote and an election reported) and a Ban Thường vụ meeting (Party format: the
body concludes, the members counted, the trích yếu names the subject of the only agenda
item although none was typed). Neither body lists recipients, and presenters were typed
"Đồng chí …" with a capital.
"""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import date

import docx
import pytest
from pypdf import PdfReader

from phonghop.demo.notices import PARTY_BODY, STATE_BODY
from phonghop.domain.notice import (
    Absentee,
    AgendaItem,
    Attendance,
    Concluder,
    ConclusionPoint,
    IssuingBody,
    MeetingRecord,
    NoticeDraft,
    NoticeFormat,
    NoticeSettings,
    OpeningPattern,
    Person,
    RecordedVote,
    VoteOption,
    draft_notice,
    heading_subject,
    issue_notice,
)
from phonghop.notices import build_document, write_docx, write_pdf

STATE_BODY_NO_RECIPIENTS = replace(STATE_BODY, default_recipients=())
PARTY_BODY_NO_RECIPIENTS = replace(PARTY_BODY, default_recipients=())
STATE_WITH_VOTES = replace(NoticeSettings.defaults(NoticeFormat.STATE), include_votes=True)
PARTY = NoticeSettings.defaults(NoticeFormat.PARTY)

UBND_MEETING = MeetingRecord(
    meeting_date=date(2026, 6, 19),
    chair=Person("Nguyễn Văn Hùng", "Chủ tịch UBND tỉnh"),
    body="Ủy ban nhân dân tỉnh",
    location="Phòng họp số 1, UBND tỉnh",
    attendance=Attendance(
        present=9,
        total=10,
        member_label="thành viên UBND tỉnh",
        groups=("đại diện lãnh đạo các Sở: Tài chính, Xây dựng, Nông nghiệp và Môi trường",),
        absentees=(Absentee("Phạm Văn Đức", "đi công tác"),),
        members=(
            Person("Trần Thị Hoa", "Phó Chủ tịch UBND tỉnh"),
            Person("Lê Quang Minh", "Phó Chủ tịch UBND tỉnh"),
        ),
    ),
    heard=("Đồng chí Giám đốc Sở Tài chính", "Sở Xây dựng"),
    agenda_items=(
        AgendaItem(
            "Tờ trình về chủ trương đầu tư dự án đường tỉnh 670",
            (
                ConclusionPoint("Thống nhất chủ trương đầu tư dự án đường tỉnh 670"),
                ConclusionPoint(
                    "Hoàn thiện hồ sơ trình Hội đồng nhân dân tỉnh",
                    chu_tri="Sở Tài chính",
                    phoi_hop=("Sở Xây dựng",),
                    deadline=date(2026, 7, 10),
                ),
            ),
        ),
        AgendaItem(
            "Báo cáo tình hình giải ngân vốn đầu tư công 5 tháng năm 2026",
            (ConclusionPoint("Đẩy nhanh tiến độ giải ngân", chu_tri="Đồng chí Giám đốc Sở Tài chính"),),
        ),
    ),
    votes=(
        RecordedVote(
            "về chủ trương đầu tư dự án đường tỉnh 670",
            (VoteOption("Đồng ý", 9), VoteOption("Không đồng ý", 0), VoteOption("Phiếu trắng", 0)),
            10,
            "quá nửa tổng số thành viên đồng ý",
            True,
        ),
        RecordedVote(
            "Phó Chủ tịch UBND tỉnh",
            (VoteOption("Lê Quang Minh", 8), VoteOption("Võ Thành Nam", 1)),
            9,
            "trúng cử khi được quá nửa số thành viên có mặt bầu",
            True,
            base_label="số có mặt",
            unit="phiếu",
            election=True,
            elected=("Lê Quang Minh",),
        ),
    ),
)

STANDING_COMMITTEE_MEETING = MeetingRecord(
    meeting_date=date(2026, 12, 7),
    chair=Person("Hồ Văn Niên", "Bí thư Tỉnh ủy"),
    body="Ban Thường vụ Tỉnh ủy",
    attendance=Attendance(
        present=13,
        total=15,
        member_label="Ủy viên Ban Thường vụ Tỉnh ủy",
        groups=("Các đồng chí lãnh đạo các ban đảng Tỉnh ủy",),
        absentees=(Absentee("Lê Văn Tâm", "đi công tác"),),
    ),
    heard=("Đồng chí Võ Thị Minh Nguyệt",),
    agenda_items=(
        AgendaItem(
            "Tờ trình về kế hoạch phát triển kinh tế - xã hội năm 2027",
            (ConclusionPoint("Thống nhất thông qua kế hoạch", chu_tri="Ban Kinh tế - Xã hội Tỉnh ủy"),),
        ),
    ),
)

STATE_SUMMARY = (
    "Kết luận của đồng chí Nguyễn Văn Hùng - Chủ tịch UBND tỉnh tại cuộc họp ngày 19/6/2026 "
    "về chủ trương đầu tư dự án đường tỉnh 670 và tình hình giải ngân vốn đầu tư công 5 tháng năm 2026"
)
STATE_OPENING = (
    "Ngày 19 tháng 6 năm 2026, Ủy ban nhân dân tỉnh tổ chức họp tại Phòng họp số 1, UBND tỉnh "
    "dưới sự chủ trì của đồng chí Nguyễn Văn Hùng - Chủ tịch UBND tỉnh. "
    "Dự họp có đồng chí Trần Thị Hoa - Phó Chủ tịch UBND tỉnh; đồng chí Lê Quang Minh - Phó Chủ tịch "
    "UBND tỉnh; đại diện lãnh đạo các Sở: Tài chính, Xây dựng, Nông nghiệp và Môi trường. "
    "Vắng mặt: đồng chí Phạm Văn Đức (đi công tác). "
    "Sau khi nghe đồng chí Giám đốc Sở Tài chính và Sở Xây dựng báo cáo, ý kiến phát biểu của các "
    "đại biểu dự họp, đồng chí Nguyễn Văn Hùng - Chủ tịch UBND tỉnh kết luận:"
)
STATE_POINTS = [
    ("1.", "Về chủ trương đầu tư dự án đường tỉnh 670"),
    ("1.1.", "Thống nhất chủ trương đầu tư dự án đường tỉnh 670."),
    (
        "1.2.",
        "Hoàn thiện hồ sơ trình Hội đồng nhân dân tỉnh. Giao Sở Tài chính chủ trì, phối hợp với "
        "Sở Xây dựng thực hiện; hoàn thành trước ngày 10/7/2026.",
    ),
    ("2.", "Về tình hình giải ngân vốn đầu tư công 5 tháng năm 2026"),
    ("2.1.", "Đẩy nhanh tiến độ giải ngân. Giao đồng chí Giám đốc Sở Tài chính chủ trì thực hiện."),
]
STATE_VOTES = [
    "Kết quả biểu quyết về chủ trương đầu tư dự án đường tỉnh 670: 9/10 đồng chí đồng ý "
    "(90% tổng số). Đối chiếu quy định (quá nửa tổng số thành viên đồng ý), nội dung được thông qua.",
    "Kết quả bầu Phó Chủ tịch UBND tỉnh: đồng chí Lê Quang Minh 8/9 phiếu (88,89% số có mặt), "
    "đồng chí Võ Thành Nam 1/9 phiếu (11,11% số có mặt). Đối chiếu quy định (trúng cử khi được "
    "quá nửa số thành viên có mặt bầu), đồng chí Lê Quang Minh trúng cử.",
]
STATE_RECIPIENTS = [
    "Các đồng chí thành viên UBND tỉnh",
    "Sở Tài chính",
    "Sở Xây dựng",
    "Đồng chí Giám đốc Sở Tài chính",
]

PARTY_SUMMARY = (
    "kết luận của Ban Thường vụ Tỉnh ủy tại cuộc họp ngày 07/12/2026 "
    "về kế hoạch phát triển kinh tế - xã hội năm 2027"
)
PARTY_OPENING = (
    "Ngày 07/12/2026, Ban Thường vụ Tỉnh ủy tổ chức họp dưới sự chủ trì của đồng chí Hồ Văn Niên, "
    "Bí thư Tỉnh ủy. Tham dự có 13/15 đồng chí Ủy viên Ban Thường vụ Tỉnh ủy (vắng: đồng chí Lê Văn "
    "Tâm, đi công tác); các đồng chí lãnh đạo các ban đảng Tỉnh ủy. Sau khi nghe đồng chí Võ Thị Minh "
    "Nguyệt báo cáo và ý kiến thảo luận của các đồng chí dự họp, Ban Thường vụ Tỉnh ủy thống nhất "
    "kết luận như sau:"
)
PARTY_RECIPIENTS = ["Các đồng chí Ủy viên Ban Thường vụ Tỉnh ủy", "Ban Kinh tế - Xã hội Tỉnh ủy"]


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _pdf_text(draft: NoticeDraft, settings: NoticeSettings, body: IssuingBody) -> str:
    doc = build_document(draft, body, settings)
    return _flat(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(write_pdf(doc))).pages))


def _docx_text(draft: NoticeDraft, settings: NoticeSettings, body: IssuingBody) -> str:
    document = docx.Document(io.BytesIO(write_docx(build_document(draft, body, settings))))
    texts = [p.text for p in document.paragraphs]
    for table in document.tables:
        texts.extend(p.text for row in table.rows for cell in row.cells for p in cell.paragraphs)
    return _flat(" ".join(texts))


@pytest.fixture(scope="module")
def state_draft() -> NoticeDraft:
    return draft_notice(UBND_MEETING, STATE_BODY_NO_RECIPIENTS, STATE_WITH_VOTES, date(2026, 6, 22))


@pytest.fixture(scope="module")
def party_draft() -> NoticeDraft:
    return draft_notice(STANDING_COMMITTEE_MEETING, PARTY_BODY_NO_RECIPIENTS, PARTY, date(2026, 12, 9))


def test_a_state_notice_of_the_chairs_conclusion(state_draft: NoticeDraft) -> None:
    assert state_draft.summary == STATE_SUMMARY
    assert state_draft.opening == STATE_OPENING
    assert [(p.label, p.text) for p in state_draft.points] == STATE_POINTS
    assert list(state_draft.vote_sentences) == STATE_VOTES
    assert list(state_draft.recipients) == STATE_RECIPIENTS


def test_a_party_notice_of_the_standing_committee(party_draft: NoticeDraft) -> None:
    assert party_draft.summary == PARTY_SUMMARY
    assert party_draft.opening == PARTY_OPENING
    assert [(p.label, p.text) for p in party_draft.points] == [
        ("1.", "Thống nhất thông qua kế hoạch. Giao Ban Kinh tế - Xã hội Tỉnh ủy chủ trì thực hiện.")
    ]
    assert list(party_draft.recipients) == PARTY_RECIPIENTS


@pytest.mark.parametrize("kind", ["pdf", "docx"])
def test_the_golden_sentences_are_in_both_files(
    kind: str, state_draft: NoticeDraft, party_draft: NoticeDraft
) -> None:
    read = _pdf_text if kind == "pdf" else _docx_text
    state = read(issue_notice(state_draft, 5, date(2026, 6, 22)), STATE_WITH_VOTES, STATE_BODY_NO_RECIPIENTS)
    for sentence in [STATE_SUMMARY, STATE_OPENING, *(f"{n} {t}" for n, t in STATE_POINTS), *STATE_VOTES]:
        assert sentence in state, sentence
    for recipient in STATE_RECIPIENTS:
        assert f"- {recipient};" in state
    party = read(issue_notice(party_draft, 12, date(2026, 12, 9)), PARTY, PARTY_BODY_NO_RECIPIENTS)
    for sentence in [PARTY_SUMMARY, PARTY_OPENING]:
        assert sentence in party, sentence
    for recipient in PARTY_RECIPIENTS:
        assert f"- {recipient};" in party
    for text in (state, party):
        assert re.search(r"[^\W\d_] Đồng chí", text) is None  # no capital mid-sentence
        assert "Về Tờ trình" not in text and "Về Báo cáo" not in text


def test_who_concluded_decides_the_last_clause_and_the_summary() -> None:
    collective = draft_notice(
        replace(UBND_MEETING, concluded_by=Concluder.COLLECTIVE),
        STATE_BODY_NO_RECIPIENTS,
        STATE_WITH_VOTES,
        date(2026, 6, 22),
    )
    assert collective.summary.startswith("Kết luận của Ủy ban nhân dân tỉnh tại cuộc họp ngày 19/6/2026 về")
    assert collective.opening.endswith(
        "Sau khi nghe đồng chí Giám đốc Sở Tài chính và Sở Xây dựng báo cáo và ý kiến thảo luận của các "
        "đồng chí dự họp, Ủy ban nhân dân tỉnh thống nhất kết luận như sau:"
    )
    by_secretary = draft_notice(
        replace(STANDING_COMMITTEE_MEETING, concluded_by=Concluder.PRESIDING),
        PARTY_BODY,
        PARTY,
        date(2026, 12, 9),
    )
    assert by_secretary.summary == (
        "kết luận của đồng chí Hồ Văn Niên - Bí thư Tỉnh ủy tại cuộc họp ngày 07/12/2026 "
        "về kế hoạch phát triển kinh tế - xã hội năm 2027"
    )
    assert by_secretary.opening.endswith(
        "Sau khi nghe đồng chí Võ Thị Minh Nguyệt báo cáo, ý kiến phát biểu của các đại biểu dự họp, "
        "đồng chí Hồ Văn Niên - Bí thư Tỉnh ủy kết luận:"
    )


def test_a_state_session_opening_gives_the_date_in_words() -> None:
    session = replace(STATE_WITH_VOTES, opening_pattern=OpeningPattern.SESSION)
    draft = draft_notice(UBND_MEETING, STATE_BODY_NO_RECIPIENTS, session, date(2026, 6, 22))
    assert draft.opening == (
        "Tại phiên họp ngày 19 tháng 6 năm 2026, xem xét đề nghị của đồng chí Giám đốc Sở Tài chính và "
        "Sở Xây dựng, đồng chí Nguyễn Văn Hùng - Chủ tịch UBND tỉnh kết luận:"
    )


@pytest.mark.parametrize(
    ("title", "heading"),
    [
        ("Tờ trình về chủ trương đầu tư dự án đường tỉnh 670", "chủ trương đầu tư dự án đường tỉnh 670"),
        ("Báo cáo tình hình giải ngân vốn đầu tư công", "tình hình giải ngân vốn đầu tư công"),
        (
            "Tờ trình số 15-TTr/SXD ngày 10/7/2026 của Sở Xây dựng về điều chỉnh quy hoạch chung",
            "điều chỉnh quy hoạch chung",
        ),
        ("Báo cáo công tác xây dựng Đảng năm 2026", "công tác xây dựng Đảng năm 2026"),
        ("Dự thảo Nghị quyết về chuyển đổi số", "dự thảo Nghị quyết về chuyển đổi số"),
        ("Về việc bổ nhiệm cán bộ", "việc bổ nhiệm cán bộ"),
        ("Đề án số 1 về phát triển du lịch", "Đề án số 1 về phát triển du lịch"),
    ],
)
def test_a_heading_names_the_subject_not_the_paper(title: str, heading: str) -> None:
    assert heading_subject(title) == heading


def test_a_vote_nobody_took_part_in_says_so_and_an_election_names_a_tie() -> None:
    empty = RecordedVote(
        "về đề án",
        (VoteOption("Tán thành", 0), VoteOption("Không tán thành", 0)),
        15,
        "quá nửa tổng số thành viên tán thành",
        False,
    )
    tie = RecordedVote(
        "Ủy viên Ban Thường vụ",
        (VoteOption("Nguyễn Văn A", 7), VoteOption("Trần Văn B", 7)),
        15,
        "trúng cử khi được quá nửa tổng số thành viên bầu",
        False,
        unit="phiếu",
        election=True,
        tied=("Nguyễn Văn A", "Trần Văn B"),
    )
    record = replace(STANDING_COMMITTEE_MEETING, votes=(empty, tie))
    sentences = draft_notice(
        record, PARTY_BODY, replace(PARTY, include_votes=True), date(2026, 12, 9)
    ).vote_sentences
    assert sentences == (
        "Kết quả biểu quyết về đề án: không có phiếu biểu quyết. Đối chiếu quy định (quá nửa tổng số "
        "thành viên tán thành), nội dung không được thông qua.",
        "Kết quả bầu Ủy viên Ban Thường vụ: đồng chí Nguyễn Văn A 7/15 phiếu (46,67% tổng số), đồng chí "
        "Trần Văn B 7/15 phiếu (46,67% tổng số). Đối chiếu quy định (trúng cử khi được quá nửa tổng số "
        "thành viên bầu), không có đồng chí nào trúng cử; đồng chí Nguyễn Văn A và đồng chí Trần Văn B "
        "có số phiếu bằng nhau, phải bầu lại.",
    )
