"""Demo meeting documents: a standing-committee meeting of a fictitious provincial committee.

The demo (``scripts/demo``), the tablet app's development mode and the tests need PDFs
that look and read like the real thing — Vietnamese administrative prose, the Party and
State header layouts, tables, numbered articles, page numbers from page 2 — without
shipping anyone's real documents. "Tỉnh ủy Sông Lam" and every person, number and
project in these documents are invented; the texts are in ``document_texts``.

The layout follows DOMAIN.md (Hướng dẫn 36-HD/VPTW for Party documents, Nghị định
30/2020 for State ones): A4, margins 20/20/30/15 mm, Liberation Serif (metric-compatible
with Times New Roman, embedded), 14 pt justified body with a 1.27 cm first-line indent.
Output is deterministic: reportlab's ``invariant`` mode fixes dates and ids, so the same
bytes come out on every call, and tests can compare them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from io import BytesIO
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm, mm
from reportlab.pdfbase.pdfmetrics import registerFontFamily, stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    HRFlowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from phonghop.demo.document_texts import SPECS, DocumentSpec, Header, TableBlock
from phonghop.documents import _fonts

PAGE_WIDTH, PAGE_HEIGHT = A4
LEFT, RIGHT, TOP, BOTTOM = 30 * mm, 15 * mm, 20 * mm, 20 * mm
TEXT_WIDTH = PAGE_WIDTH - LEFT - RIGHT
BODY_SIZE = 14
LEADING = 18.5


@dataclass(frozen=True)
class SampleDocument:
    title: str
    filename: str
    pdf_bytes: bytes


def sample_documents() -> list[SampleDocument]:
    """The demo meeting's documents, generated once per process (about 0.3 s)."""
    return list(_all_documents())


@cache
def _all_documents() -> tuple[SampleDocument, ...]:
    return tuple(
        SampleDocument(title=spec.title, filename=spec.filename, pdf_bytes=_render(spec)) for spec in SPECS
    )


# --- fonts and styles -------------------------------------------------------------------


@dataclass(frozen=True)
class _Fonts:
    regular: str
    bold: str
    italic: str
    bold_italic: str


@cache
def _serif() -> _Fonts:
    fonts = _Fonts(
        regular=_fonts.reportlab_font(_fonts.SERIF),
        bold=_fonts.reportlab_font(_fonts.SERIF_BOLD),
        italic=_fonts.reportlab_font(_fonts.SERIF_ITALIC),
        bold_italic=_fonts.reportlab_font(_fonts.SERIF_BOLD_ITALIC),
    )
    # Lets <b> and <i> inside a paragraph pick the right face.
    registerFontFamily(
        fonts.regular,
        normal=fonts.regular,
        bold=fonts.bold,
        italic=fonts.italic,
        boldItalic=fonts.bold_italic,
    )
    return fonts


def _style(name: str, **overrides: object) -> ParagraphStyle:
    base: dict[str, object] = {
        "fontName": _serif().regular,
        "fontSize": BODY_SIZE,
        "leading": LEADING,
        "alignment": TA_JUSTIFY,
        "firstLineIndent": 1.27 * cm,
        "spaceAfter": 6,
    }
    base.update(overrides)
    return ParagraphStyle(name, **base)


@cache
def _styles() -> dict[str, ParagraphStyle]:
    fonts = _serif()
    centred = {"alignment": TA_CENTER, "firstLineIndent": 0, "spaceAfter": 0}
    return {
        "body": _style("body"),
        "h1": _style("h1", fontName=fonts.bold, keepWithNext=1),
        "h2": _style("h2", fontName=fonts.bold, keepWithNext=1),
        "h3": _style("h3", fontName=fonts.italic, keepWithNext=1),
        "italic": _style("italic", fontName=fonts.italic),
        "centre": _style("centre", **{**centred, "spaceAfter": 6}),
        "centre_bold": _style("centre_bold", fontName=fonts.bold, **{**centred, "spaceAfter": 2}),
        "kind": _style("kind", fontName=fonts.bold, fontSize=15, leading=19, **centred),
        "summary": _style("summary", fontName=fonts.bold, **centred),
        "cell": _style("cell", fontSize=12, leading=14.5, alignment=TA_LEFT, firstLineIndent=0, spaceAfter=0),
        "cell_num": _style(
            "cell_num", fontSize=12, leading=14.5, alignment=TA_RIGHT, firstLineIndent=0, spaceAfter=0
        ),
        "cell_head": _style("cell_head", fontName=fonts.bold, fontSize=12, leading=14.5, **centred),
        "recipients_head": _style(
            "recipients_head",
            fontName=fonts.bold_italic,
            fontSize=12,
            leading=14,
            alignment=TA_LEFT,
            firstLineIndent=0,
            spaceAfter=0,
        ),
        "recipients": _style(
            "recipients", fontSize=11, leading=13, alignment=TA_LEFT, firstLineIndent=0, spaceAfter=0
        ),
        "sign": _style("sign", fontName=fonts.bold, **centred),
    }


def _fitted(text: str, font: str, size: float, width: float, *, minimum: float = 11) -> float:
    """The largest size up to ``size`` at which ``text`` fits on one line of ``width``:
    header lines must not wrap (DOMAIN.md: "one line only")."""
    while size > minimum and stringWidth(text, font, size) > width:
        size -= 0.5
    return size


def _line(text: str, font: str, size: float, width: float, *, underline: bool = False) -> Paragraph:
    size = _fitted(text, font, size, width)
    markup = escape(text)
    if underline:
        markup = f"<u>{markup}</u>"
    style = ParagraphStyle(
        "line", fontName=font, fontSize=size, leading=size * 1.25, alignment=TA_CENTER, spaceAfter=0
    )
    return Paragraph(markup, style)


def _rule(width: float, *, space_before: float = 1, space_after: float = 4) -> HRFlowable:
    return HRFlowable(
        width=width, thickness=0.6, color=colors.black, spaceBefore=space_before, spaceAfter=space_after
    )


# --- document parts ---------------------------------------------------------------------


def _header(header: Header) -> list[Flowable]:
    """The two-column block at the top: issuer and number left, national line right."""
    fonts = _serif()
    left_w, right_w = TEXT_WIDTH * 0.46, TEXT_WIDTH * 0.54
    inner_left, inner_right = left_w - 4, right_w - 4
    left: list[Flowable] = []
    right: list[Flowable] = []
    if header.state:
        for text in header.issuer:
            left.append(_line(text, fonts.bold, 13, inner_left))
        left.append(_rule(inner_left / 3))
        left.append(_line(header.number, fonts.regular, 13, inner_left))
        right.append(_line("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", fonts.bold, 12.5, inner_right))
        motto = "Độc lập - Tự do - Hạnh phúc"
        motto_size = _fitted(motto, fonts.bold, 13.5, inner_right)
        right.append(_line(motto, fonts.bold, motto_size, inner_right))
        right.append(_rule(stringWidth(motto, fonts.bold, motto_size), space_after=6))
    else:
        for index, text in enumerate(header.issuer):
            # A body under a Đảng bộ: the Đảng bộ line is not bold, the issuing body is.
            bold = index == len(header.issuer) - 1
            left.append(_line(text, fonts.bold if bold else fonts.regular, 14, inner_left))
        left.append(_line("*", fonts.regular, 14, inner_left))
        left.append(_line(header.number, fonts.regular, 14, inner_left))
        national = "ĐẢNG CỘNG SẢN VIỆT NAM"
        size = _fitted(national, fonts.bold, 15, inner_right)
        right.append(_line(national, fonts.bold, size, inner_right))
        right.append(_rule(stringWidth(national, fonts.bold, size), space_after=8))
    right.append(_line(header.place_date, fonts.italic, 14, inner_right))
    table = Table([[left, right]], colWidths=[left_w, right_w])
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), fonts.regular, BODY_SIZE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("ALIGN", (0, 0), (-1, -1), "CENTER"),  # places the rules under their text
                ("LEFTPADDING", (0, 0), (-1, -1), 2),
                ("RIGHTPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    parts: list[Flowable] = []
    if header.draft:
        stamp = Table([["DỰ THẢO"]], colWidths=[26 * mm])
        stamp.setStyle(
            TableStyle(
                [
                    ("FONT", (0, 0), (-1, -1), fonts.bold, 12),
                    ("BOX", (0, 0), (-1, -1), 0.8, colors.black),
                    ("ALIGN", (0, 0), (-1, -1), "CENTER"),
                ]
            )
        )
        stamp.hAlign = "LEFT"
        parts += [stamp, Spacer(1, 4)]
    parts += [table, Spacer(1, 14)]
    return parts


def _title(spec: DocumentSpec) -> list[Flowable]:
    styles = _styles()
    parts: list[Flowable] = [Paragraph(escape(spec.kind), styles["kind"])]
    parts += [Paragraph(escape(line), styles["summary"]) for line in spec.summary]
    if spec.header.state:
        parts.append(_rule(TEXT_WIDTH / 4, space_before=4, space_after=12))
    else:
        parts.append(Paragraph("-----", styles["centre"]))
    return parts


def _table(block: TableBlock) -> list[Flowable]:
    styles = _styles()
    total = sum(block.widths)
    widths = [TEXT_WIDTH * share / total for share in block.widths]
    rows: list[list[Paragraph]] = [[Paragraph(escape(cell), styles["cell_head"]) for cell in block.columns]]
    for row in block.rows:
        cells = []
        for index, cell in enumerate(row):
            style = styles["cell_num"] if index in block.numeric else styles["cell"]
            text = escape(cell)
            if row is block.rows[-1] and block.total_row:
                text = f"<b>{text}</b>"
            cells.append(Paragraph(text, style))
        rows.append(cells)
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), _serif().regular, 12),
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.92, 0.92, 0.92)),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    parts: list[Flowable] = []
    if block.caption:
        parts.append(Paragraph(f"<b>{escape(block.caption)}</b>", styles["centre"]))
    parts += [table, Spacer(1, 10)]
    return parts


def _body(blocks: Sequence[str | TableBlock]) -> list[Flowable]:
    """Body text from a light markup: ``# `` and ``## `` bold headings, ``### `` italic,
    ``> `` centred, ``^ `` centred bold, ``~ `` italic paragraph; anything else a justified
    paragraph."""
    styles = _styles()
    prefixes = (
        ("### ", "h3"),
        ("## ", "h2"),
        ("# ", "h1"),
        ("> ", "centre"),
        ("^ ", "centre_bold"),
        ("~ ", "italic"),
    )
    parts: list[Flowable] = []
    for block in blocks:
        if isinstance(block, TableBlock):
            parts += _table(block)
            continue
        for prefix, style in prefixes:
            if block.startswith(prefix):
                parts.append(Paragraph(escape(block[len(prefix) :]), styles[style]))
                break
        else:
            parts.append(Paragraph(escape(block), styles["body"]))
    return parts


def _closing(spec: DocumentSpec) -> list[Flowable]:
    """Recipients on the left, the signature block on the right, kept on one page."""
    styles = _styles()
    recipients: list[Flowable] = [Paragraph("<u>Nơi nhận:</u>", styles["recipients_head"])]
    recipients += [Paragraph(escape(line), styles["recipients"]) for line in spec.recipients]
    signature: list[Flowable] = [Paragraph(escape(line), styles["sign"]) for line in spec.signature]
    signature += [Spacer(1, 2.4 * cm), Paragraph(escape(spec.signer), styles["sign"])]
    table = Table([[recipients, signature]], colWidths=[TEXT_WIDTH * 0.45, TEXT_WIDTH * 0.55])
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), _serif().regular, 12),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return [Spacer(1, 8), KeepTogether([table])]


def _page_number(canvas: Canvas, doc: SimpleDocTemplate) -> None:
    """Page numbers at the top centre, from page 2 on."""
    canvas.saveState()
    canvas.setFont(_serif().regular, 13)
    canvas.drawCentredString(LEFT + TEXT_WIDTH / 2, PAGE_HEIGHT - 12 * mm, str(doc.page))
    canvas.restoreState()


def _render(spec: DocumentSpec) -> bytes:
    buffer = BytesIO()
    template = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=LEFT,
        rightMargin=RIGHT,
        topMargin=TOP,
        bottomMargin=BOTTOM,
        title=spec.title,
        author=spec.author,
        subject="Tài liệu mẫu phonghop (nội dung hư cấu)",
        creator="phonghop",
        producer="phonghop (reportlab)",
        lang="vi",
        invariant=1,
        # Otherwise every page references reportlab's default Helvetica, a font that is
        # not embedded (PDF/A checkers and some viewers complain).
        initialFontName=_serif().regular,
        initialFontSize=BODY_SIZE,
    )
    story = _header(spec.header) + _title(spec) + _body(spec.body) + _closing(spec)
    no_number: Callable[[Canvas, SimpleDocTemplate], None] = lambda canvas, doc: None  # noqa: E731
    template.build(story, onFirstPage=no_number, onLaterPages=_page_number)
    return buffer.getvalue()
