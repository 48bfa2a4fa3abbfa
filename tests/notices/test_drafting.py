"""From a meeting record to the editable draft: wording, numbering, signature, JSON."""

from __future__ import annotations

import json
import time
import unicodedata
from collections.abc import Callable
from dataclasses import replace
from datetime import date

import pytest

from phonghop.domain.notice import (
    AgendaItem,
    Authority,
    AuthorityLine,
    ConclusionPoint,
    IssuingBody,
    MeetingRecord,
    NoticeDraft,
    NoticeFormat,
    NoticeSettings,
    OpeningPattern,
    Person,
    RecordedVote,
    SignatureBlock,
    Submission,
    VoteOption,
    draft_notice,
    format_point,
    issue_notice,
    numbering_sequence,
)
from phonghop.errors import InvalidInput
from phonghop.notices import build_document, write_docx, write_pdf

ISSUED = date(2026, 2, 20)
PARTY = NoticeSettings.defaults(NoticeFormat.PARTY)
STATE = NoticeSettings.defaults(NoticeFormat.STATE)
WITH_VOTES = replace(PARTY, include_votes=True)


def test_party_summary_starts_lower_case_and_names_the_body(
    make_record: Callable[..., MeetingRecord], party_body: IssuingBody
) -> None:
    draft = draft_notice(make_record(), party_body, PARTY, ISSUED)
    assert draft.summary == (
        "kết luận của Ban Thường vụ Tỉnh ủy tại cuộc họp ngày 05/7/2025"
        " về tình hình kinh tế - xã hội 6 tháng đầu năm"
    )


def test_state_summary_starts_upper_case_and_names_who_presided(
    make_record: Callable[..., MeetingRecord], state_body: IssuingBody
) -> None:
    draft = draft_notice(make_record(state=True), state_body, STATE, ISSUED)
    assert draft.summary.startswith(
        "Kết luận của đồng chí Nguyễn Văn Hùng - Chủ tịch UBND tỉnh tại cuộc họp ngày 05/7/2025"
    )


def test_meeting_opening_pattern(make_record: Callable[..., MeetingRecord], party_body: IssuingBody) -> None:
    opening = draft_notice(make_record(), party_body, PARTY, ISSUED).opening
    assert opening.startswith(
        "Ngày 05/7/2025, Ban Thường vụ Tỉnh ủy tổ chức họp về tình hình kinh tế - xã hội 6 tháng đầu năm"
        " tại Hội trường Tỉnh ủy dưới sự chủ trì của đồng chí Hồ Văn Niên, Bí thư Tỉnh ủy."
    )
    assert (
        "Tham dự có 13/15 đồng chí Ủy viên Ban Thường vụ Tỉnh ủy (vắng: đồng chí Lê Văn Tâm, đi công tác;"
        " đồng chí Phạm Thị Lan, nghỉ ốm); lãnh đạo các ban đảng Tỉnh ủy." in opening
    )
    assert opening.endswith(
        "Sau khi nghe Ban Tổ chức Tỉnh ủy và Sở Tài chính báo cáo và ý kiến thảo luận"
        " của các đồng chí dự họp, Ban Thường vụ Tỉnh ủy thống nhất kết luận như sau:"
    )


def test_session_opening_pattern_cites_the_submissions(
    make_record: Callable[..., MeetingRecord], party_body: IssuingBody
) -> None:
    record = replace(
        make_record(),
        submissions=(Submission("Ban Tổ chức Tỉnh ủy", "Tờ trình số 15-TTr/BTCTU", date(2025, 7, 1)),),
    )
    settings = replace(PARTY, opening_pattern=OpeningPattern.SESSION)
    assert draft_notice(record, party_body, settings, ISSUED).opening == (
        "Tại phiên họp ngày 05/7/2025, xem xét đề nghị của Ban Tổ chức Tỉnh ủy (Tờ trình số 15-TTr/BTCTU,"
        " ngày 01/7/2025), Ban Thường vụ Tỉnh ủy kết luận như sau:"
    )


def test_absent_chair_the_opening_names_the_deputy_who_chaired(
    make_record: Callable[..., MeetingRecord], party_body: IssuingBody
) -> None:
    record = replace(
        make_record(),
        chair_absent=True,
        deputy_chair=Person("Rơ Châm Hơ", "Phó Bí thư Thường trực Tỉnh ủy"),
    )
    opening = draft_notice(record, party_body, PARTY, ISSUED).opening
    assert "dưới sự chủ trì của đồng chí Rơ Châm Hơ, Phó Bí thư Thường trực Tỉnh ủy." in opening
    assert "Hồ Văn Niên" not in opening


def test_absent_chair_needs_a_deputy(make_record: Callable[..., MeetingRecord]) -> None:
    with pytest.raises(InvalidInput) as err:
        replace(make_record(), chair_absent=True)
    assert (err.value.code, err.value.params) == ("notice_record_invalid", {"field": "deputy_chair"})


def test_point_wording_names_lead_cooperation_and_deadline() -> None:
    full = ConclusionPoint(
        "Hoàn thiện Đề án",
        chu_tri="Sở Tài chính",
        phoi_hop=("Sở Nội vụ", "Sở Tư pháp"),
        deadline=date(2025, 7, 15),
    )
    assert format_point(full) == (
        "Hoàn thiện Đề án. Giao Sở Tài chính chủ trì, phối hợp với Sở Nội vụ, Sở Tư pháp thực hiện;"
        " hoàn thành trước ngày 15/7/2025."
    )
    assert format_point(ConclusionPoint("Rà soát quy hoạch", chu_tri="Sở Xây dựng")) == (
        "Rà soát quy hoạch. Giao Sở Xây dựng chủ trì thực hiện."
    )
    assert format_point(ConclusionPoint("Báo cáo kết quả", deadline=date(2026, 1, 9))) == (
        "Báo cáo kết quả. Hoàn thành trước ngày 09/01/2026."
    )
    assert format_point(ConclusionPoint("Thống nhất chủ trương.")) == "Thống nhất chủ trương."


def test_cooperation_without_a_lead_unit_is_refused() -> None:
    with pytest.raises(InvalidInput) as err:
        ConclusionPoint("x", phoi_hop=("Sở Nội vụ",))
    assert err.value.params == {"field": "points.phoi_hop"}


def test_one_agenda_item_numbers_its_conclusions_directly(
    make_record: Callable[..., MeetingRecord], party_body: IssuingBody
) -> None:
    record = replace(make_record(), agenda_items=(make_record(1).agenda_items[0],))
    points = draft_notice(record, party_body, PARTY, ISSUED).points
    assert [p.label for p in points] == ["1.", "2."]
    assert not any(p.heading for p in points)


def test_several_agenda_items_get_headings_and_sub_numbers(
    make_record: Callable[..., MeetingRecord], party_body: IssuingBody
) -> None:
    points = draft_notice(make_record(2), party_body, PARTY, ISSUED).points
    assert [p.label for p in points] == ["1.", "1.1.", "1.2.", "2.", "2.1.", "2.2."]
    assert points[0].heading and points[0].text == "Về Đề án số 1 về phát triển kinh tế - xã hội"
    assert points[2].text.endswith("hoàn thành trước ngày 15/7/2025.")


def test_twenty_agenda_items_stay_in_order_and_generate_quickly(
    capsys: pytest.CaptureFixture[str], make_record: Callable[..., MeetingRecord], party_body: IssuingBody
) -> None:
    start = time.perf_counter()
    record = make_record(20)
    draft = issue_notice(draft_notice(record, party_body, PARTY, ISSUED), 127, ISSUED)
    doc = build_document(draft, party_body, PARTY)
    pdf, docx = write_pdf(doc), write_docx(doc)
    elapsed = time.perf_counter() - start
    headings = [p for p in draft.points if p.heading]
    assert [p.label for p in headings] == [f"{i}." for i in range(1, 21)]
    assert [p.text for p in headings] == [
        f"Về Đề án số {i} về phát triển kinh tế - xã hội" for i in range(1, 21)
    ]
    assert len(draft.points) == 60
    assert pdf.startswith(b"%PDF") and docx.startswith(b"PK")
    with capsys.disabled():
        print(f"\n20 agenda items: draft + layout + PDF + DOCX in {elapsed * 1000:.0f} ms")


def test_votes_are_left_out_unless_the_settings_ask(
    make_record: Callable[..., MeetingRecord], party_body: IssuingBody, passed_vote: RecordedVote
) -> None:
    record = make_record(votes=(passed_vote,))
    assert draft_notice(record, party_body, PARTY, ISSUED).vote_sentences == ()
    sentences = draft_notice(record, party_body, WITH_VOTES, ISSUED).vote_sentences
    assert len(sentences) == 1 and "13/15 đồng chí tán thành (86,67% tổng số)" in sentences[0]


def test_drafting_with_no_votes_recorded(
    make_record: Callable[..., MeetingRecord], party_body: IssuingBody
) -> None:
    draft = draft_notice(make_record(votes=()), party_body, WITH_VOTES, ISSUED)
    assert draft.vote_sentences == ()
    assert "biểu quyết" not in " ".join(p.text for p in draft.points)


def test_failed_vote_is_reported_as_not_passed(
    make_record: Callable[..., MeetingRecord], party_body: IssuingBody
) -> None:
    failed = RecordedVote(
        subject="về việc điều chỉnh quy hoạch",
        options=(
            VoteOption("Tán thành", 7),
            VoteOption("Không tán thành", 6),
            VoteOption("Không biểu quyết", 0),
        ),
        base_count=15,
        rule="quá nửa tổng số thành viên tán thành",
        passed=False,
    )
    (sentence,) = draft_notice(make_record(votes=(failed,)), party_body, WITH_VOTES, ISSUED).vote_sentences
    assert "7/15 đồng chí tán thành (46,67% tổng số)" in sentence
    assert "không biểu quyết" not in sentence  # nobody abstained: no "0/15 …"
    assert sentence.endswith("không được thông qua.")


def test_signature_lines_use_each_formats_spelling(
    make_record: Callable[..., MeetingRecord], party_body: IssuingBody, state_body: IssuingBody
) -> None:
    party = draft_notice(make_record(), party_body, PARTY, ISSUED)
    assert party.signature.lines(NoticeFormat.PARTY) == ("T/M BAN THƯỜNG VỤ", "PHÓ BÍ THƯ")
    state = draft_notice(make_record(state=True), state_body, STATE, ISSUED)
    assert state.signature.lines(NoticeFormat.STATE) == (
        "TM. ỦY BAN NHÂN DÂN",
        "KT. CHỦ TỊCH",
        "PHÓ CHỦ TỊCH",
    )
    by_order = SignatureBlock(
        "Chánh Văn phòng", "Lê A", (AuthorityLine(Authority.BY_ORDER, "Ban Thường vụ"),)
    ).lines(NoticeFormat.PARTY)
    assert by_order[0] == "T/L BAN THƯỜNG VỤ"


def test_delegated_signature_exists_only_in_the_state_format(
    make_record: Callable[..., MeetingRecord], party_body: IssuingBody
) -> None:
    delegated = SignatureBlock(
        "Phó Chánh Văn phòng", "Lê A", (AuthorityLine(Authority.DELEGATED, "Chủ tịch"),)
    )
    assert delegated.lines(NoticeFormat.STATE)[0] == "TUQ. CHỦ TỊCH"
    with pytest.raises(InvalidInput) as err:
        draft_notice(make_record(), party_body, PARTY, ISSUED, signature=delegated)
    assert err.value.code == "notice_authority_invalid"


def test_a_signer_is_required(make_record: Callable[..., MeetingRecord], party_body: IssuingBody) -> None:
    body = replace(party_body, default_signature=None)
    with pytest.raises(InvalidInput) as err:
        draft_notice(make_record(), body, PARTY, ISSUED)
    assert err.value.code == "notice_signature_missing"


def test_recipients_default_to_the_bodys_and_can_be_given(
    make_record: Callable[..., MeetingRecord], party_body: IssuingBody
) -> None:
    assert draft_notice(make_record(), party_body, PARTY, ISSUED).recipients == party_body.default_recipients
    given = draft_notice(make_record(), party_body, PARTY, ISSUED, recipients=("Sở Y tế",))
    assert given.recipients == ("Sở Y tế",) and given.file_copy == "Lưu Văn phòng Tỉnh ủy"


def test_number_is_given_only_on_issue(
    make_record: Callable[..., MeetingRecord], party_body: IssuingBody
) -> None:
    draft = draft_notice(make_record(), party_body, PARTY, ISSUED)
    assert draft.number is None and draft.number_line == "Số     -TB/TU"
    issued = issue_notice(draft, 6, date(2026, 2, 21))
    assert issued.number_line == "Số 06-TB/TU"
    assert issued.date_line == "Gia Lai, ngày 21 tháng 02 năm 2026"
    with pytest.raises(InvalidInput):
        issue_notice(draft, 0, ISSUED)


def test_party_numbering_runs_for_the_term_state_numbering_for_the_year(
    party_body: IssuingBody, state_body: IssuingBody
) -> None:
    dec, jan = date(2025, 12, 30), date(2026, 1, 2)
    party = NoticeFormat.PARTY
    assert numbering_sequence(party, party_body, dec) == numbering_sequence(party, party_body, jan)
    assert numbering_sequence(party, party_body, jan, secret=True) == numbering_sequence(
        party, party_body, jan
    )
    new_term = replace(party_body, term_start=date(2030, 10, 20))
    assert numbering_sequence(party, new_term, date(2030, 11, 1)) != numbering_sequence(
        party, party_body, jan
    )
    with pytest.raises(InvalidInput) as err:
        numbering_sequence(party, party_body, date(2025, 10, 15))  # before the term began
    assert err.value.code == "notice_term_invalid"
    state = NoticeFormat.STATE
    assert numbering_sequence(state, state_body, dec) != numbering_sequence(state, state_body, jan)
    assert numbering_sequence(state, state_body, jan, secret=True) != numbering_sequence(
        state, state_body, jan
    )


def test_decomposed_input_comes_out_nfc(
    make_record: Callable[..., MeetingRecord], party_body: IssuingBody
) -> None:
    nfd = unicodedata.normalize("NFD", "Ban Thường vụ Đảng ủy")
    record = replace(make_record(), body=nfd)
    draft = draft_notice(record, party_body, PARTY, ISSUED)
    for text in (draft.summary, draft.opening, *(p.text for p in draft.points)):
        assert unicodedata.is_normalized("NFC", text)
    assert "Ban Thường vụ Đảng ủy" in draft.summary


def test_draft_record_and_body_round_trip_through_json(
    make_record: Callable[..., MeetingRecord], party_body: IssuingBody, passed_vote: RecordedVote
) -> None:
    record = make_record(votes=(passed_vote,))
    draft = issue_notice(draft_notice(record, party_body, WITH_VOTES, ISSUED), 12, ISSUED)
    assert NoticeDraft.from_dict(json.loads(json.dumps(draft.to_dict()))) == draft
    assert MeetingRecord.from_dict(json.loads(json.dumps(record.to_dict()))) == record
    assert IssuingBody.from_dict(json.loads(json.dumps(party_body.to_dict()))) == party_body


def test_edited_draft_with_an_unknown_field_is_refused_with_its_path(
    make_record: Callable[..., MeetingRecord], party_body: IssuingBody
) -> None:
    data = draft_notice(make_record(), party_body, PARTY, ISSUED).to_dict()
    data["points"][1]["colour"] = "red"
    with pytest.raises(InvalidInput) as err:
        NoticeDraft.from_dict(data)
    assert (err.value.code, err.value.params) == ("notice_draft_invalid", {"field": "points[1].colour"})
    data = draft_notice(make_record(), party_body, PARTY, ISSUED).to_dict()
    data["issue_date"] = "20/02/2026"
    with pytest.raises(InvalidInput) as err:
        NoticeDraft.from_dict(data)
    assert err.value.params == {"field": "issue_date"}


def test_record_validation_from_json(make_record: Callable[..., MeetingRecord]) -> None:
    data = make_record().to_dict()
    data["attendance"]["present"] = 16  # more present than members
    with pytest.raises(InvalidInput) as err:
        MeetingRecord.from_dict(data)
    assert err.value.params == {"field": "attendance.present"}


def test_an_agenda_item_without_conclusions_keeps_its_heading(
    make_record: Callable[..., MeetingRecord], party_body: IssuingBody
) -> None:
    record = replace(
        make_record(), agenda_items=(AgendaItem("Về công tác cán bộ"), *make_record(1).agenda_items)
    )
    points = draft_notice(record, party_body, PARTY, ISSUED).points
    assert [p.label for p in points] == ["1.", "2.", "2.1.", "2.2."]
    assert points[0].text == "Về công tác cán bộ"
