"""Write a :class:`~phonghop.notices.model.NoticeDocument` as a PDF (reportlab).

A4, the margins of the settings, Liberation Serif (metric-compatible with Times New
Roman, full Vietnamese coverage) embedded as a TrueType subset from the package's own
``fonts`` folder: nothing is fetched, the system runs on a closed network. Rules under
header lines are drawn as long as the text (or the set fraction of it); centred text is
broken into lines of balanced length ("ỦY BAN NHÂN DÂN / TỈNH GIA LAI", not a lone last
word); page numbers sit top centre from page 2.

This module also measures text for the DOCX writer (:func:`centred_lines`,
:func:`line_widths`), so that both files break centred lines and size rules alike.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader, simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    Image,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from phonghop.notices.model import Align, Block, Cell, Columns, NoticeDocument, Qr, Space, Span, Text
from phonghop.notices.stamp import SignatureStamp

__all__ = [
    "DATE_FIELD",
    "FONT_FAMILY",
    "NUMBER_FIELD",
    "SigningLayout",
    "balanced_width",
    "centred_lines",
    "line_widths",
    "register_fonts",
    "text_width",
    "write_field_appearance",
    "write_pdf",
    "write_seal_appearance",
    "write_signing_pdf",
]

FONT_FAMILY = "LiberationSerif"
#: The form fields a notice laid out for the signer leaves for the number and the date
#: (filled in when the office issues it).
NUMBER_FIELD = "SoKyHieu"
DATE_FIELD = "NgayBanHanh"
_FIELD_OF_ROLE = {"number": NUMBER_FIELD, "date": DATE_FIELD}
_FACES = {
    (False, False): ("LiberationSerif", "LiberationSerif-Regular.ttf"),
    (True, False): ("LiberationSerif-Bold", "LiberationSerif-Bold.ttf"),
    (False, True): ("LiberationSerif-Italic", "LiberationSerif-Italic.ttf"),
    (True, True): ("LiberationSerif-BoldItalic", "LiberationSerif-BoldItalic.ttf"),
}
_ALIGN = {Align.LEFT: TA_LEFT, Align.CENTER: TA_CENTER, Align.RIGHT: TA_RIGHT, Align.JUSTIFY: TA_JUSTIFY}
#: Below the descenders of the last line, where a rule is drawn (points).
_RULE_GAP_PT = 3.0
_DESCENT_EM = 0.216
_MULTI_SPACE = re.compile(r" {2,}")


@cache
def register_fonts() -> None:
    """Register the vendored Liberation Serif faces with reportlab, once per process.

    The files are read through ``importlib.resources`` and handed over as bytes, so
    reportlab never resolves a path (nor, on a miss, a URL) itself.
    """
    folder = resources.files("phonghop") / "fonts"
    for name, filename in _FACES.values():
        pdfmetrics.registerFont(TTFont(name, io.BytesIO((folder / filename).read_bytes())))
    pdfmetrics.registerFontFamily(
        FONT_FAMILY,
        normal=_FACES[(False, False)][0],
        bold=_FACES[(True, False)][0],
        italic=_FACES[(False, True)][0],
        boldItalic=_FACES[(True, True)][0],
    )


def text_width(text: str, size: float, *, bold: bool = False, italic: bool = False) -> float:
    """Width in points of one line of text in the document font."""
    register_fonts()
    return float(pdfmetrics.stringWidth(text, _FACES[(bold, italic)][0], size))


def _markup(spans: tuple[Span, ...]) -> str:
    """Paragraph markup for spans; runs of spaces are kept ("Số     -TB/TU")."""
    out = []
    for span in spans:
        text = escape(span.text)
        text = _MULTI_SPACE.sub(lambda m: "\u00a0" * len(m.group(0)), text).replace("\n", "<br/>")
        if span.underline:
            text = f"<u>{text}</u>"
        if span.italic:
            text = f"<i>{text}</i>"
        if span.bold:
            text = f"<b>{text}</b>"
        out.append(text)
    return "".join(out)


def _paragraph(block: Text, *, with_spacing: bool = True) -> Paragraph:
    register_fonts()
    style = ParagraphStyle(
        name=block.role or "text",
        fontName=FONT_FAMILY,
        fontSize=block.size,
        leading=block.leading_pt,
        alignment=_ALIGN[block.align],
        firstLineIndent=block.first_line_indent_mm * mm,
        spaceBefore=block.space_before_pt if with_spacing else 0.0,
        spaceAfter=block.space_after_pt if with_spacing else 0.0,
        keepWithNext=int(block.keep_with_next),
        allowWidows=0,
        allowOrphans=0,
    )
    return Paragraph(_markup(block.shown()), style)


def line_widths(block: Text, width_pt: float) -> list[float]:
    """The width of each line of ``block`` once broken at ``width_pt``."""
    para = _paragraph(block, with_spacing=False)
    para.wrap(width_pt, 10_000.0)
    return [float(w) for w in para.getActualLineWidths0()]


def centred_lines(block: Text, avail_pt: float) -> list[str] | None:
    """The lines of a one-style centred block as this writer breaks them (balanced), so
    that the DOCX can break at the same places; None for a block of several styles."""
    if len(block.spans) != 1:
        return None
    para = _paragraph(block, with_spacing=False)
    para.wrap(balanced_width(block, avail_pt), 10_000.0)
    if para.blPara.kind == 0:
        lines = [" ".join(words) for _extra, words in para.blPara.lines]
    else:
        lines = ["".join(getattr(frag, "text", "") for frag in line.words) for line in para.blPara.lines]
    return [line.replace("\u00a0", " ") for line in lines]


def balanced_width(block: Text, avail_pt: float) -> float:
    """The narrowest width that breaks ``block`` into as few lines as ``avail_pt`` does.

    Centred headings look right when their lines are of similar length; breaking at
    this width, centred in the column, gives that with the same number of lines.
    """
    lines = len(line_widths(block, avail_pt))
    if lines <= 1:
        return avail_pt
    low, high = avail_pt / lines, avail_pt
    for _ in range(14):
        mid = (low + high) / 2
        if len(line_widths(block, mid)) <= lines:
            high = mid
        else:
            low = mid
    return min(avail_pt, high + 0.5)


class _CentredText(Flowable):  # type: ignore[misc]
    """A centred or ruled paragraph: balanced breaks, and a rule centred under the text."""

    def __init__(self, block: Text) -> None:
        super().__init__()
        self.block = block
        self.para = _paragraph(block, with_spacing=False)
        self.keepWithNext = block.keep_with_next
        self._avail = 0.0
        self._inner = 0.0
        self._rule_space = 0.0

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        block = self.block
        self._avail = avail_width
        self._inner = balanced_width(block, avail_width) if block.align is Align.CENTER else avail_width
        _, height = self.para.wrap(self._inner, avail_height)
        self._rule_space = 0.0
        if block.rule is not None:
            lines = len(self.para.getActualLineWidths0())
            last_baseline = height - block.size - (lines - 1) * block.leading_pt
            rule_y = last_baseline - _DESCENT_EM * block.size - _RULE_GAP_PT
            self._rule_space = max(0.0, -rule_y) + block.rule.thickness_pt
        self.width, self.height = avail_width, height + self._rule_space
        return avail_width, self.height

    def draw(self) -> None:
        block = self.block
        x = (self._avail - self._inner) / 2
        self.para.drawOn(self.canv, x, self._rule_space)
        if block.rule is None:
            return
        widths = self.para.getActualLineWidths0()
        widest = max(widths) if widths else 0.0
        length = widest * block.rule.fraction
        centre = {
            Align.LEFT: x + widest / 2,
            Align.RIGHT: x + self._inner - widest / 2,
        }.get(block.align, self._avail / 2)
        lines = len(widths)
        last_baseline = self._rule_space + self.para.height - block.size - (lines - 1) * block.leading_pt
        y = last_baseline - _DESCENT_EM * block.size - _RULE_GAP_PT
        self.canv.setLineWidth(block.rule.thickness_pt)
        self.canv.line(centre - length / 2, y, centre + length / 2, y)

    def getSpaceBefore(self) -> float:  # reportlab's name
        return self.block.space_before_pt

    def getSpaceAfter(self) -> float:  # reportlab's name
        return self.block.space_after_pt


@dataclass(frozen=True)
class SigningLayout:
    """A notice laid out for its signer: the PDF, and where the body's seal goes (page
    index and box in points, lower left and upper right) when the body has a seal."""

    pdf: bytes
    seal_box: tuple[int, float, float, float, float] | None


def _draw_seal(canvas: Any, stamp: SignatureStamp, seal_x: float, centre_y: float, right: float) -> None:
    """The seal at its real size with its left edge at ``seal_x``, vertically centred on
    ``centre_y``, and the caption (body, signing time) beside it up to ``right``."""
    assert stamp.seal_png is not None
    seal = ImageReader(io.BytesIO(stamp.seal_png))
    px_w, px_h = seal.getSize()
    seal_w = stamp.seal_width_mm * mm
    seal_h = seal_w * px_h / px_w
    canvas.drawImage(seal, seal_x, centre_y - seal_h / 2, seal_w, seal_h, mask="auto")
    size = stamp.caption_size_pt
    text_x = seal_x + seal_w + 2
    lines = [
        part
        for line in stamp.caption
        for part in simpleSplit(line, FONT_FAMILY, size, max(right - text_x, 4 * size))
    ]
    canvas.saveState()
    canvas.setFillColorRGB(0, 0, 0)
    canvas.setFont(FONT_FAMILY, size)
    top = centre_y + len(lines) * size * 1.2 / 2 - size
    for i, line in enumerate(lines):
        canvas.drawString(text_x, top - i * size * 1.2, line)
    canvas.restoreState()


class _SignatureRoom(Flowable):  # type: ignore[misc]
    """The room for the signature with the stamp of a signed notice drawn in it: the
    signature image centred and as large as the room allows, the seal at its real size
    with its right edge a third of the way into the signature (it covers the left third),
    and the caption (body, signing time) beside the seal, small, upright, black.

    With ``seal_boxes`` (a notice laid out for its signer) the seal is not drawn: its box
    is recorded there, for the body's signature that the office adds when it issues."""

    def __init__(
        self,
        height_pt: float,
        stamp: SignatureStamp,
        seal_boxes: list[tuple[int, float, float, float, float]] | None,
    ) -> None:
        super().__init__()
        self.stamp = stamp
        self.seal_boxes = seal_boxes
        self.height = height_pt
        self.width = 0.0

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        self.width = avail_width
        return avail_width, self.height

    def draw(self) -> None:
        canvas, stamp = self.canv, self.stamp
        box_w, box_h = self.width * 0.7, self.height
        sig_w, sig_h = box_w, box_h
        if stamp.signature_png is not None:
            image = ImageReader(io.BytesIO(stamp.signature_png))
            px_w, px_h = image.getSize()
            scale = min(box_w / px_w, box_h / px_h)
            sig_w, sig_h = px_w * scale, px_h * scale
            canvas.drawImage(
                image, (self.width - sig_w) / 2, (self.height - sig_h) / 2, sig_w, sig_h, mask="auto"
            )
        if stamp.seal_png is None:
            return
        seal_x = (self.width - sig_w) / 2 + sig_w / 3 - stamp.seal_width_mm * mm
        if self.seal_boxes is None:
            _draw_seal(canvas, stamp, seal_x, self.height / 2, self.width)
            return
        # The seal may be taller than the room: the box holds it whole, centred alike.
        px_w, px_h = ImageReader(io.BytesIO(stamp.seal_png)).getSize()
        half = max(self.height, stamp.seal_width_mm * mm * px_h / px_w) / 2
        x1, y1 = canvas.absolutePosition(seal_x, self.height / 2 - half)
        x2, y2 = canvas.absolutePosition(self.width, self.height / 2 + half)
        self.seal_boxes.append((canvas.getPageNumber() - 1, x1, y1, x2, y2))


class _FieldRoom(Flowable):  # type: ignore[misc]
    """An empty text field where a line (the number, the date) is written later: as
    high as the line, as wide as its column."""

    def __init__(self, block: Text, name: str) -> None:
        super().__init__()
        self.block = block
        self.name = name
        self.width = 0.0
        self.height = block.leading_pt

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        self.width = avail_width
        return avail_width, self.height

    def draw(self) -> None:
        self.canv.acroForm.textfield(
            name=self.name,
            value="",
            x=0,
            y=0,
            width=self.width,
            height=self.height,
            borderWidth=0,
            borderColor=None,
            fillColor=None,
            fontName="Times-Roman",
            fontSize=self.block.size,
            relative=True,
        )

    def getSpaceBefore(self) -> float:  # reportlab's name
        return self.block.space_before_pt

    def getSpaceAfter(self) -> float:  # reportlab's name
        return self.block.space_after_pt


class _Room:
    """How this layout treats the places filled in later: ``form`` (laid out for the
    signer) leaves the number and date as empty fields and the seal's box in ``seal_boxes``."""

    def __init__(self, stamp: SignatureStamp | None, form: bool) -> None:
        self.stamp = stamp
        self.form = form
        self.seal_boxes: list[tuple[int, float, float, float, float]] = []


def _flowable(block: Cell, room: _Room) -> Any:
    if isinstance(block, Qr):
        side = block.size_mm * mm
        return Image(io.BytesIO(block.png()), side, side, hAlign="LEFT")
    if isinstance(block, Space):
        if block.role == "signature" and room.stamp is not None:
            boxes = room.seal_boxes if room.form else None
            return _SignatureRoom(block.height_mm * mm, room.stamp, boxes)
        return Spacer(1, block.height_mm * mm)
    if room.form and block.role in _FIELD_OF_ROLE:
        return _FieldRoom(block, _FIELD_OF_ROLE[block.role])
    if block.rule is not None or block.align is Align.CENTER:
        return _CentredText(block)
    return _paragraph(block)


def _table(columns: Columns, text_width_pt: float, room: _Room) -> Table:
    left_width = columns.left_width_mm * mm
    data = [
        [[_flowable(c, room) for c in row.left], [_flowable(c, room) for c in row.right]]
        for row in columns.rows
    ]
    table = Table(
        data,
        colWidths=[left_width, text_width_pt - left_width],
        hAlign="LEFT",
        spaceBefore=columns.space_before_pt,
    )
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("FONT", (0, 0), (-1, -1), FONT_FAMILY),  # else the table names Helvetica
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return table


def _story(blocks: tuple[Block, ...], text_width_pt: float, room: _Room) -> list[Any]:
    return [_table(b, text_width_pt, room) if isinstance(b, Columns) else _flowable(b, room) for b in blocks]


def write_pdf(doc: NoticeDocument, stamp: SignatureStamp | None = None) -> bytes:
    """The notice as PDF bytes: A4, margins of the settings, font embedded, page numbers
    top centre from ``doc.first_numbered_page``. The output is deterministic (no clock
    or random id inside), so the same draft gives the same bytes. ``stamp``: the
    signature and seal images drawn in the room for the signature (issued, signed notices)."""
    return _write(doc, _Room(stamp, form=False))


def write_signing_pdf(doc: NoticeDocument, stamp: SignatureStamp | None) -> SigningLayout:
    """The notice as its signer signs it: the number and the date are empty form fields
    (:data:`NUMBER_FIELD`, :data:`DATE_FIELD`) that the office fills in when it issues
    the notice, the signer's signature image is drawn as :func:`write_pdf` draws it, and
    the seal is left out: its box is returned, for the body's signature."""
    room = _Room(stamp, form=True)
    pdf = _write(doc, room)
    return SigningLayout(pdf, room.seal_boxes[0] if room.seal_boxes else None)


def _one_page(width_pt: float, height_pt: float, draw: Any) -> bytes:
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=(width_pt, height_pt), invariant=1, initialFontName=FONT_FAMILY)
    draw(canvas)
    canvas.save()
    return out.getvalue()


def write_field_appearance(
    text: str, width_pt: float, height_pt: float, size: float, *, italic: bool
) -> bytes:
    """A one-page PDF of the field's size with ``text`` centred in the document font:
    the appearance of a filled number or date field."""
    register_fonts()

    def draw(canvas: Any) -> None:
        canvas.setFont(_FACES[(False, italic)][0], size)
        canvas.drawCentredString(width_pt / 2, height_pt - size + _DESCENT_EM * size / 2, text)

    return _one_page(width_pt, height_pt, draw)


def write_seal_appearance(stamp: SignatureStamp, width_pt: float, height_pt: float) -> bytes:
    """A one-page PDF of the seal's box with the seal and its caption as
    :func:`write_pdf` draws them: the appearance of the body's signature."""
    register_fonts()
    return _one_page(
        width_pt, height_pt, lambda canvas: _draw_seal(canvas, stamp, 0.0, height_pt / 2, width_pt)
    )


def _write(doc: NoticeDocument, room: _Room) -> bytes:
    register_fonts()
    page = doc.page
    out = io.BytesIO()
    template = BaseDocTemplate(
        out,
        pagesize=(page.width_mm * mm, page.height_mm * mm),
        leftMargin=page.margin_left_mm * mm,
        rightMargin=page.margin_right_mm * mm,
        topMargin=page.margin_top_mm * mm,
        bottomMargin=page.margin_bottom_mm * mm,
        title=doc.title,
        creator="phonghop",
        lang=doc.language,
        invariant=1,
        initialFontName=FONT_FAMILY,  # else reportlab names Helvetica, a font not embedded
    )

    def number_page(canvas: Any, template_doc: Any) -> None:
        first = doc.first_numbered_page
        if first is None or canvas.getPageNumber() < first:
            return
        canvas.saveState()
        canvas.setFont(FONT_FAMILY, doc.page_number_size)
        centre = (page.margin_left_mm + page.text_width_mm / 2) * mm
        baseline = (page.height_mm - page.margin_top_mm / 2) * mm - doc.page_number_size / 3
        canvas.drawCentredString(centre, baseline, str(canvas.getPageNumber()))
        canvas.restoreState()

    # The frame is the text area itself: no padding, so text starts exactly at the margins.
    frame = Frame(
        template.leftMargin,
        template.bottomMargin,
        template.width,
        template.height,
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
        id="text",
    )
    template.addPageTemplates([PageTemplate(id="notice", frames=[frame], onPage=number_page)])
    template.build(_story(doc.blocks, page.text_width_mm * mm, room))
    return out.getvalue()
