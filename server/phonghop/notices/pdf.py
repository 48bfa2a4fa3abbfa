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
    "FONT_FAMILY",
    "balanced_width",
    "centred_lines",
    "line_widths",
    "register_fonts",
    "text_width",
    "write_pdf",
]

FONT_FAMILY = "LiberationSerif"
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


class _SignatureRoom(Flowable):  # type: ignore[misc]
    """The room for the signature with the stamp of a signed notice drawn in it: the
    signature image centred and as large as the room allows, the seal at its real size
    with its right edge a third of the way into the signature (it covers the left third),
    and the caption (body, signing time) beside the seal, small, upright, black."""

    def __init__(self, height_pt: float, stamp: SignatureStamp) -> None:
        super().__init__()
        self.stamp = stamp
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
        seal = ImageReader(io.BytesIO(stamp.seal_png))
        px_w, px_h = seal.getSize()
        seal_w = stamp.seal_width_mm * mm
        seal_h = seal_w * px_h / px_w
        seal_x = (self.width - sig_w) / 2 + sig_w / 3 - seal_w
        centre_y = self.height / 2
        canvas.drawImage(seal, seal_x, centre_y - seal_h / 2, seal_w, seal_h, mask="auto")
        size = stamp.caption_size_pt
        text_x = seal_x + seal_w + 2
        lines = [
            part
            for line in stamp.caption
            for part in simpleSplit(line, FONT_FAMILY, size, max(self.width - text_x, 4 * size))
        ]
        canvas.saveState()
        canvas.setFillColorRGB(0, 0, 0)
        canvas.setFont(FONT_FAMILY, size)
        top = centre_y + len(lines) * size * 1.2 / 2 - size
        for i, line in enumerate(lines):
            canvas.drawString(text_x, top - i * size * 1.2, line)
        canvas.restoreState()


def _flowable(block: Cell, stamp: SignatureStamp | None = None) -> Any:
    if isinstance(block, Qr):
        side = block.size_mm * mm
        return Image(io.BytesIO(block.png()), side, side, hAlign="LEFT")
    if isinstance(block, Space):
        if block.role == "signature" and stamp is not None:
            return _SignatureRoom(block.height_mm * mm, stamp)
        return Spacer(1, block.height_mm * mm)
    if block.rule is not None or block.align is Align.CENTER:
        return _CentredText(block)
    return _paragraph(block)


def _table(columns: Columns, text_width_pt: float, stamp: SignatureStamp | None = None) -> Table:
    left_width = columns.left_width_mm * mm
    data = [
        [[_flowable(c, stamp) for c in row.left], [_flowable(c, stamp) for c in row.right]]
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


def _story(blocks: tuple[Block, ...], text_width_pt: float, stamp: SignatureStamp | None) -> list[Any]:
    return [
        _table(b, text_width_pt, stamp) if isinstance(b, Columns) else _flowable(b, stamp) for b in blocks
    ]


def write_pdf(doc: NoticeDocument, stamp: SignatureStamp | None = None) -> bytes:
    """The notice as PDF bytes: A4, margins of the settings, font embedded, page numbers
    top centre from ``doc.first_numbered_page``. The output is deterministic (no clock
    or random id inside), so the same draft gives the same bytes. ``stamp``: the
    signature and seal images drawn in the room for the signature (issued, signed notices)."""
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
    template.build(_story(doc.blocks, page.text_width_mm * mm, stamp))
    return out.getvalue()
