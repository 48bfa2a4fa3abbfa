"""A sample Gia Lai meeting and its two issuers, for the tests, the benchmark and the demo.

The Party issuer is the Tỉnh ủy (its standing committee meets: "Ban Thường vụ Tỉnh ủy"),
the State issuer the provincial people's committee. :func:`sample_record` gives a meeting
of any number of agenda items, each with two conclusions (one plain, one with a lead unit,
cooperating units and a deadline), in either flavour. The names are invented.
"""

from __future__ import annotations

from datetime import date

from phonghop.domain.notice import (
    Absentee,
    AgendaItem,
    Attendance,
    Authority,
    AuthorityLine,
    ConclusionPoint,
    IssuingBody,
    MeetingRecord,
    Person,
    RecordedVote,
    SignatureBlock,
    VoteOption,
)

__all__ = ["PARTY_BODY", "PASSED_VOTE", "STATE_BODY", "sample_record"]

PARTY_BODY = IssuingBody(
    name="TỈNH ỦY GIA LAI",
    symbol="TU",
    place="Gia Lai",
    sentence_name="Ban Thường vụ Tỉnh ủy",
    file_copy="Lưu Văn phòng Tỉnh ủy",
    term_start=date(2025, 10, 16),
    default_recipients=(
        "Ban Bí thư (để báo cáo)",
        "Các đồng chí Tỉnh ủy viên",
        "Các sở, ban, ngành liên quan",
    ),
    default_signature=SignatureBlock(
        signer_title="Phó Bí thư",
        signer_name="Nguyễn Văn Bình",
        authorities=(AuthorityLine(Authority.ON_BEHALF, "Ban Thường vụ"),),
    ),
)

STATE_BODY = IssuingBody(
    name="ỦY BAN NHÂN DÂN\nTỈNH GIA LAI",
    symbol="UBND",
    place="Gia Lai",
    sentence_name="Ủy ban nhân dân tỉnh",
    file_copy="Lưu: VT, TH.",
    default_recipients=("Thường trực Tỉnh ủy (b/c)", "Chủ tịch, các PCT UBND tỉnh", "Sở Tài chính"),
    default_signature=SignatureBlock(
        signer_title="Phó Chủ tịch",
        signer_name="Trần Thị Hoa",
        authorities=(
            AuthorityLine(Authority.ON_BEHALF, "Ủy ban nhân dân"),
            AuthorityLine(Authority.DEPUTY, "Chủ tịch"),
        ),
    ),
)

#: A vote that passed: 13 of the 15 members approve, against "more than half of all members".
PASSED_VOTE = RecordedVote(
    subject="về Đề án số 1",
    options=(VoteOption("Tán thành", 13), VoteOption("Không tán thành", 2)),
    base_count=15,
    rule="quá nửa tổng số thành viên tán thành",
    passed=True,
)


def sample_record(
    items: int = 2, *, votes: tuple[RecordedVote, ...] = (), state: bool = False
) -> MeetingRecord:
    """A meeting of 5 July 2025 with ``items`` agenda items of two conclusions each.

    13 of 15 members present, two absent with their reasons; the Party flavour is a
    meeting of the Ban Thường vụ chaired by the Bí thư, the State flavour (``state=True``)
    one of the UBND chaired by its Chủ tịch.
    """
    agenda = tuple(
        AgendaItem(
            title=f"Đề án số {i} về phát triển kinh tế - xã hội",
            points=(
                ConclusionPoint(f"Thống nhất thông qua Đề án số {i}"),
                ConclusionPoint(
                    f"Hoàn thiện hồ sơ Đề án số {i} theo ý kiến góp ý",
                    chu_tri="Sở Tài chính",
                    phoi_hop=("Sở Nội vụ", "Văn phòng UBND tỉnh"),
                    deadline=date(2025, 7, 15),
                ),
            ),
        )
        for i in range(1, items + 1)
    )
    if state:
        chair = Person("Nguyễn Văn Hùng", "Chủ tịch UBND tỉnh")
        body, members, groups = "Ủy ban nhân dân tỉnh", "thành viên UBND tỉnh", ("lãnh đạo các sở, ngành",)
    else:
        chair = Person("Hồ Văn Niên", "Bí thư Tỉnh ủy")
        body, members, groups = (
            "Ban Thường vụ Tỉnh ủy",
            "Ủy viên Ban Thường vụ Tỉnh ủy",
            ("lãnh đạo các ban đảng Tỉnh ủy",),
        )
    return MeetingRecord(
        meeting_date=date(2025, 7, 5),
        chair=chair,
        body=body,
        location="Hội trường Tỉnh ủy",
        subject="về tình hình kinh tế - xã hội 6 tháng đầu năm",
        attendance=Attendance(
            present=13,
            total=15,
            member_label=members,
            groups=groups,
            absentees=(Absentee("Lê Văn Tâm", "đi công tác"), Absentee("Phạm Thị Lan", "nghỉ ốm")),
        ),
        heard=("Ban Tổ chức Tỉnh ủy", "Sở Tài chính"),
        agenda_items=agenda,
        votes=votes,
    )
