"""The giấy mời (invitation) to a meeting as a printable PDF, in the issuing body's format.

The header is the notices' own (:func:`~phonghop.notices.model.header_columns`: Party
"ĐẢNG CỘNG SẢN VIỆT NAM" on the right, the body on the left; State the national motto),
with the invitation's number line ("Số     -GM/TU", "Số:     /GM-UBND", the number left
blank for the clerk); then "GIẤY MỜI", the meeting's title, "Kính gửi: …", the time
("vào lúc 08 giờ 00 phút, thứ Hai, ngày 30/11/2026"), the place, the agenda, a note
asking to confirm, the personal code of an invitee who needs one to join the meeting on
a tablet (as text and as a QR code opening the join link with it), and the signature
block of the body's notice settings.

:func:`build_invitation` lays out one page; :func:`write_invitations` writes one page per
invitee (each a document of its own, so nothing flows from one page to the next) into a
single PDF. Sizes and margins are the body's notice settings.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from pypdf import PdfReader, PdfWriter

from phonghop.domain.notice import (
    NUMBER_GAP,
    IssuingBody,
    NoticeFormat,
    NoticeSettings,
    SignatureBlock,
    format_place_date,
    format_short_date,
)
from phonghop.notices.model import (
    Align,
    Block,
    Cell,
    Columns,
    NoticeDocument,
    Qr,
    Row,
    Rule,
    Space,
    Span,
    Text,
    a4_page,
    header_columns,
)
from phonghop.notices.pdf import write_pdf

__all__ = ["Invitee", "MeetingFacts", "build_invitation", "format_start", "number_line", "write_invitations"]

TITLE = "GIẤY MỜI"
WEEKDAYS = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")
RECIPIENTS_HEADING = "Nơi nhận:"

_GAP_BEFORE_TITLE_PT = 18.0
_GAP_AFTER_TITLE_PT = 12.0
_GAP_BEFORE_FOOTER_PT = 12.0
#: The QR code's side, its quiet zone included: a phone or tablet reads it from arm's length.
QR_MM = 26.0
_GAP_AFTER_QR_MM = 4.0


@dataclass(frozen=True)
class Invitee:
    """Whom one invitation is addressed to (a participant)."""

    full_name: str
    title: str = ""
    #: The code that proves who holds the tablet (only for whoever signs in with one;
    #: never on a page addressed to several people), and the join link its QR code opens.
    personal_code: str = ""
    personal_link: str = ""

    @property
    def addressed(self) -> str:
        """ "Đồng chí Nguyễn Văn An, Bí thư Tỉnh ủy" (no second "Đồng chí")."""
        name = self.full_name.strip()
        if not name.casefold().startswith("đồng chí"):
            name = f"Đồng chí {name}"
        return f"{name}, {self.title.strip()}" if self.title.strip() else name


@dataclass(frozen=True)
class MeetingFacts:
    """What the invitation says about the meeting; ``starts_at`` is local time."""

    title: str
    starts_at: datetime
    location: str
    agenda: tuple[str, ...]
    issue_date: date
    join_code: str = ""


def format_start(value: datetime) -> str:
    """ "vào lúc 08 giờ 00 phút, thứ Hai, ngày 30/11/2026" (``value`` in local time)."""
    day = WEEKDAYS[value.weekday()]
    return (
        f"vào lúc {value.hour:02d} giờ {value.minute:02d} phút, {day}, ngày {format_short_date(value.date())}"
    )


def number_line(fmt: NoticeFormat, symbol: str, kind: str = "GM") -> str:
    """The number line with the number left blank: Party "Số     -GM/TU" (no colon),
    State "Số:     /GM-UBND"; ``kind`` is the document type's abbreviation (GM giấy mời,
    BB biên bản)."""
    if fmt is NoticeFormat.PARTY:
        return f"Số{NUMBER_GAP}-{kind}/{symbol}"
    return f"Số:{NUMBER_GAP}/{kind}-{symbol}"


def _para(
    spans: Sequence[Span], s: NoticeSettings, *, indent: bool = True, align: Align = Align.JUSTIFY
) -> Text:
    return Text(
        tuple(spans),
        s.size_body,
        align=align,
        first_line_indent_mm=s.first_line_indent_mm if indent else 0.0,
        space_after_pt=s.paragraph_spacing_pt,
        line_spacing=s.line_spacing,
        role="body",
    )


def _addressee(invitees: Sequence[Invitee], s: NoticeSettings) -> list[Block]:
    if len(invitees) == 1:
        return [
            Text(
                (Span("Kính gửi: "), Span(invitees[0].addressed, bold=True)),
                s.size_body,
                align=Align.CENTER,
                space_after_pt=s.paragraph_spacing_pt,
                role="addressee",
            )
        ]
    blocks: list[Block] = [
        Text((Span("Kính gửi: Các đồng chí có tên sau:"),), s.size_body, align=Align.CENTER, role="addressee")
    ]
    for i, person in enumerate(invitees):
        end = "." if i == len(invitees) - 1 else ";"
        blocks.append(_para([Span(f"- {person.addressed}{end}")], s))
    return blocks


def _personal_code(invitee: Invitee, meeting: MeetingFacts, s: NoticeSettings) -> Columns:
    """The QR code, and beside it the codes in words and how to use them."""
    lines = [
        Text(
            (Span("Mã cá nhân vào cuộc họp trên máy tính bảng: "), Span(invitee.personal_code, bold=True)),
            s.size_body,
            align=Align.LEFT,
            role="personal_code",
        ),
        Text(
            (
                Span(
                    "Quét mã QR bằng máy tính bảng; hoặc nhập mã tham dự "
                    f"{meeting.join_code}, chọn tên của đồng chí rồi nhập mã cá nhân. "
                    "Mã cá nhân chỉ dành riêng cho đồng chí, đề nghị không chuyển cho người khác.",
                    italic=True,
                ),
            ),
            s.size_recipients,
            align=Align.LEFT,
            role="personal_code_hint",
        ),
    ]
    return Columns(
        rows=(Row((Qr(invitee.personal_link, QR_MM, role="personal_qr"),), tuple(lines)),),
        left_width_mm=QR_MM + _GAP_AFTER_QR_MM,
        space_before_pt=s.paragraph_spacing_pt,
        role="personal_code",
    )


def _footer(
    fmt: NoticeFormat, body: IssuingBody, signature: SignatureBlock | None, s: NoticeSettings
) -> Columns:
    party = fmt is NoticeFormat.PARTY
    left: list[Cell] = [
        Text(
            (Span(RECIPIENTS_HEADING, bold=not party, italic=not party, underline=party),),
            s.size_recipients_heading,
            align=Align.LEFT,
            role="recipients_heading",
        ),
        Text(
            (Span(f"- Như trên{s.recipients_line_end}"),),
            s.size_recipients,
            align=Align.LEFT,
            role="recipient",
        ),
        Text(
            (Span(f"- {body.file_copy.rstrip(' ;,.')}."),),
            s.size_recipients,
            align=Align.LEFT,
            role="recipient",
        ),
    ]
    right: list[Cell] = []
    if signature is not None:
        right += [
            Text((Span(line, bold=True),), s.size_signature, upper=True, role="signature")
            for line in signature.lines(fmt)
        ]
        right.append(Space(s.signature_space_mm))
        right.append(Text((Span(signature.signer_name, bold=True),), s.size_signer_name, role="signer"))
    return Columns(
        rows=(Row(tuple(left), tuple(right) or (Space(1.0),)),),
        left_width_mm=s.footer_left_width_mm,
        space_before_pt=_GAP_BEFORE_FOOTER_PT,
        role="footer",
    )


def build_invitation(
    body: IssuingBody,
    settings: NoticeSettings,
    signature: SignatureBlock | None,
    meeting: MeetingFacts,
    invitees: Sequence[Invitee],
) -> NoticeDocument:
    """One giấy mời addressed to ``invitees`` (one person, or a list of them)."""
    s = settings
    fmt = s.format
    blocks: list[Block] = [
        header_columns(
            fmt,
            body,
            s,
            number_line=number_line(fmt, body.symbol),
            date_line=format_place_date(body.place, meeting.issue_date),
        ),
        Text(
            (Span(TITLE, bold=True),),
            s.size_title,
            space_before_pt=_GAP_BEFORE_TITLE_PT,
            keep_with_next=True,
            role="title",
        ),
        Text(
            (Span(meeting.title, bold=True),),
            s.size_summary,
            rule=Rule(s.summary_rule_fraction) if fmt is NoticeFormat.STATE else None,
            space_after_pt=_GAP_AFTER_TITLE_PT,
            role="summary",
        ),
        *_addressee(invitees, s),
        _para([Span(f"{body.sentence_name} trân trọng kính mời đồng chí dự {meeting.title}.")], s),
        _para([Span("Thời gian: ", bold=True), Span(format_start(meeting.starts_at) + ".")], s),
    ]
    if meeting.location.strip():
        blocks.append(_para([Span("Địa điểm: ", bold=True), Span(meeting.location.strip() + ".")], s))
    if meeting.agenda:
        blocks.append(_para([Span("Nội dung:", bold=True)], s))
        blocks += [_para([Span(f"{i}. {item}")], s) for i, item in enumerate(meeting.agenda, 1)]
    blocks.append(
        _para(
            [
                Span("Đề nghị đồng chí xác nhận tham dự ", italic=True),
                Span(f"trước ngày {format_short_date(meeting.starts_at.date())}", italic=True),
                Span(
                    " (trả lời trên hệ thống phòng họp không giấy hoặc báo Văn phòng); trường hợp vắng mặt"
                    " đề nghị nêu lý do hoặc cử người dự thay.",
                    italic=True,
                ),
            ],
            s,
        )
    )
    if len(invitees) == 1 and invitees[0].personal_code and invitees[0].personal_link:
        blocks.append(_personal_code(invitees[0], meeting, s))
    blocks.append(_footer(fmt, body, signature, s))
    return NoticeDocument(
        page=a4_page(s),
        blocks=tuple(blocks),
        title=f"{TITLE} {meeting.title}",
        first_numbered_page=None,
        page_number_size=s.size_page_number,
    )


def write_invitations(docs: Sequence[NoticeDocument]) -> bytes:
    """The invitations in one PDF, each starting on a new page."""
    if len(docs) == 1:
        return write_pdf(docs[0])
    writer = PdfWriter()
    for doc in docs:
        writer.append(PdfReader(io.BytesIO(write_pdf(doc))))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
