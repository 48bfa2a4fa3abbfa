"""Write a :class:`~phonghop.notices.model.NoticeDocument` as DOCX (python-docx).

The same blocks as the PDF: paragraphs with their size, style, alignment, first-line
indent and spacing; the header and the footer as borderless two-column tables; rules as
empty paragraphs with a bottom border whose indents make them exactly as long as the PDF's
(text measured with the metric-compatible font, :mod:`phonghop.notices.pdf`); page
numbers as a PAGE field in the page header, from page 2 through "different first page".

The font is named "Times New Roman" for every script (ascii, hAnsi, east-asian and
complex script), in the document defaults and on every run, so no theme font slips in.
Centred headings that take several lines get the PDF's balanced line breaks as explicit
line breaks, so that a word processor's own wrapping cannot differ by a word.
"""

from __future__ import annotations

import io
from dataclasses import replace
from typing import Any

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from phonghop.domain.hygiene import repaired
from phonghop.exports.ooxml import fixed_package
from phonghop.notices.model import Align, Cell, Columns, NoticeDocument, Qr, Space, Text
from phonghop.notices.pdf import balanced_width, centred_lines, line_widths

__all__ = ["write_docx"]

_ALIGN = {
    Align.LEFT: WD_ALIGN_PARAGRAPH.LEFT,
    Align.CENTER: WD_ALIGN_PARAGRAPH.CENTER,
    Align.RIGHT: WD_ALIGN_PARAGRAPH.RIGHT,
    Align.JUSTIFY: WD_ALIGN_PARAGRAPH.JUSTIFY,
}
_PT_PER_MM = 72 / 25.4
#: Height of the empty paragraph whose bottom border is a rule: the gap between the line
#: of text above and the rule (points). A bottom border sits at the same place in every
#: word processor, where a top border's place depends on how it treats spacing.
_RULE_LINE_PT = 3.5


def _set_fonts(rpr: Any, family: str) -> None:
    """Name ``family`` for every script and drop theme fonts, which would win over it."""
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        rfonts.attrib.pop(qn(theme), None)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        rfonts.set(qn(attr), family)


def _set_defaults(document: Any, doc: NoticeDocument, body_size: float) -> None:
    """Document defaults: the font for all scripts, Vietnamese, no spacing of its own."""
    defaults = document.styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _set_fonts(rpr, doc.font_family)
    for tag in ("w:sz", "w:szCs"):
        el = rpr.find(qn(tag))
        if el is not None:
            el.set(qn("w:val"), str(round(body_size * 2)))
    lang = rpr.find(qn("w:lang"))
    if lang is not None:
        lang.set(qn("w:val"), doc.language)
        lang.set(qn("w:eastAsia"), doc.language)
    spacing = defaults.find(qn("w:pPrDefault")).find(qn("w:pPr")).find(qn("w:spacing"))
    if spacing is not None:
        spacing.set(qn("w:after"), "0")
        spacing.set(qn("w:line"), "240")
    normal = document.styles["Normal"]
    normal.font.name = doc.font_family
    normal.font.size = Pt(body_size)
    _set_fonts(normal.element.get_or_add_rPr(), doc.font_family)


def _style_run(run: Any, size: float, family: str, *, bold: bool, italic: bool, underline: bool) -> None:
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.italic = italic
    run.font.underline = underline
    run.font.name = family
    _set_fonts(run._element.get_or_add_rPr(), family)


def _mark_size(paragraph: Any, size: float) -> None:
    """The size of the paragraph mark, which sets the height of an empty paragraph."""
    ppr = paragraph._p.get_or_add_pPr()
    rpr = ppr.find(qn("w:rPr"))
    if rpr is None:
        rpr = OxmlElement("w:rPr")
        _insert_before(ppr, rpr, ("w:sectPr", "w:pPrChange"))
    sz = OxmlElement("w:sz")
    sz.set(qn("w:val"), str(max(2, round(size * 2))))
    rpr.append(sz)


def _fill(paragraph: Any, block: Text, avail_pt: float, family: str) -> None:
    """Write one text block into ``paragraph``."""
    fmt = paragraph.paragraph_format
    paragraph.alignment = _ALIGN[block.align]
    fmt.space_before = Pt(block.space_before_pt)
    fmt.space_after = Pt(0 if block.rule is not None else block.space_after_pt)
    fmt.line_spacing = block.line_spacing
    fmt.keep_with_next = block.keep_with_next or block.rule is not None
    if block.first_line_indent_mm:
        fmt.first_line_indent = Mm(block.first_line_indent_mm)
    spans = block.shown()
    lines = centred_lines(block, avail_pt) if block.align is Align.CENTER else None
    if lines is not None and len(lines) > 1:
        # break where the PDF breaks: a word processor's own wrapping could differ by a word
        spans = (replace(spans[0], text="\n".join(lines)),)
    for span in spans:
        for i, piece in enumerate(span.text.split("\n")):
            run = paragraph.add_run()
            if i:
                run.add_break()
            if piece:
                text = OxmlElement("w:t")
                text.text = piece
                text.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
                run._r.append(text)
            _style_run(run, block.size, family, bold=span.bold, italic=span.italic, underline=span.underline)


def _rule(paragraph: Any, block: Text, avail_pt: float) -> None:
    """An empty paragraph whose bottom border is the rule under ``block``: indents leave it
    ``fraction`` of the widest line long, centred like the text."""
    assert block.rule is not None
    inner = balanced_width(block, avail_pt) if block.align is Align.CENTER else avail_pt
    widest = max(line_widths(block, inner), default=0.0)
    length = widest * block.rule.fraction
    fmt = paragraph.paragraph_format
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(block.space_after_pt)
    fmt.line_spacing = Pt(_RULE_LINE_PT)
    left = (avail_pt - length) / 2
    if block.align is Align.LEFT:
        left = (widest - length) / 2
    fmt.left_indent = Pt(left)
    fmt.right_indent = Pt(max(0.0, avail_pt - left - length))
    _mark_size(paragraph, 1)
    ppr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    line = OxmlElement("w:bottom")
    line.set(qn("w:val"), "single")
    line.set(qn("w:sz"), str(max(2, round(block.rule.thickness_pt * 8))))  # eighths of a point
    line.set(qn("w:space"), "0")
    line.set(qn("w:color"), "000000")
    borders.append(line)
    # In the schema's order of pPr children, pBdr comes before spacing and indentation.
    _insert_before(ppr, borders, ("w:shd", "w:tabs", "w:spacing", "w:ind", "w:jc", "w:rPr"))


def _space(paragraph: Any, height_mm: float) -> None:
    fmt = paragraph.paragraph_format
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(0)
    fmt.line_spacing = Pt(height_mm * _PT_PER_MM)
    _mark_size(paragraph, 1)


def _write_cells(cells: tuple[Cell, ...], first: Any, add: Any, avail_pt: float, family: str) -> None:
    """Write blocks into a container: ``first`` is an empty paragraph to use first (or
    None), ``add`` makes a new paragraph."""
    pending = [first] if first is not None else []

    def paragraph() -> Any:
        return pending.pop() if pending else add()

    for cell in cells:
        if isinstance(cell, Qr):
            paragraph().add_run().add_picture(io.BytesIO(cell.png()), width=Mm(cell.size_mm))
            continue
        if isinstance(cell, Space):
            _space(paragraph(), cell.height_mm)
            continue
        _fill(paragraph(), cell, avail_pt, family)
        if cell.rule is not None:
            _rule(paragraph(), cell, avail_pt)


def _no_borders(table: Any) -> None:
    """A layout table: no borders, no cell padding (python-docx already fixed the layout).

    The children of ``w:tblPr`` have a fixed order in the schema: borders come before
    the layout, cell margins before the look.
    """
    tbl_pr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{side}")
        el.set(qn("w:val"), "nil")
        borders.append(el)
    margins = OxmlElement("w:tblCellMar")
    for side in ("top", "left", "bottom", "right"):
        el = OxmlElement(f"w:{side}")
        el.set(qn("w:w"), "0")
        el.set(qn("w:type"), "dxa")
        margins.append(el)
    _insert_before(tbl_pr, borders, ("w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook", "w:tblCaption"))
    _insert_before(tbl_pr, margins, ("w:tblLook", "w:tblCaption", "w:tblDescription"))


def _insert_before(parent: Any, child: Any, successors: tuple[str, ...]) -> None:
    """Insert ``child`` before the first of ``successors`` present, else at the end."""
    for tag in successors:
        found = parent.find(qn(tag))
        if found is not None:
            found.addprevious(child)
            return
    parent.append(child)


def _table(document: Any, columns: Columns, text_width_mm: float, family: str) -> None:
    widths = (columns.left_width_mm, text_width_mm - columns.left_width_mm)
    table = document.add_table(rows=len(columns.rows), cols=2)
    table.autofit = False
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    _no_borders(table)
    for j, width in enumerate(widths):
        table.columns[j].width = Mm(width)
    for i, row in enumerate(columns.rows):
        for j, cells in enumerate((row.left, row.right)):
            cell = table.cell(i, j)
            cell.width = Mm(widths[j])
            _write_cells(cells, cell.paragraphs[0], cell.add_paragraph, widths[j] * _PT_PER_MM, family)
            if i == 0 and columns.space_before_pt:
                first = cell.paragraphs[0].paragraph_format
                first.space_before = Pt(
                    (first.space_before.pt if first.space_before else 0) + columns.space_before_pt
                )


def _add_field(paragraph: Any, instruction: str, shown: str, size: float, family: str) -> None:
    """A field (e.g. PAGE) as begin/instruction/separate/result/end runs."""

    def run_with(element: Any | None, text: str = "") -> None:
        run = paragraph.add_run(text)
        if element is not None:
            run._r.append(element)
        _style_run(run, size, family, bold=False, italic=False, underline=False)

    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    run_with(begin)
    instr = OxmlElement("w:instrText")
    instr.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    instr.text = f" {instruction} "
    run_with(instr)
    separate = OxmlElement("w:fldChar")
    separate.set(qn("w:fldCharType"), "separate")
    run_with(separate)
    run_with(None, shown)
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    run_with(end)


def _page_numbers(section: Any, doc: NoticeDocument) -> None:
    """Page number top centre; from page 2 the first page gets its own, empty, header."""
    first = doc.first_numbered_page
    if first is None:
        return
    section.header_distance = Mm(doc.page.margin_top_mm / 2 - doc.page_number_size / 2 / _PT_PER_MM)
    if first > 1:
        section.different_first_page_header_footer = True
        section.first_page_header.is_linked_to_previous = False
    paragraph = section.header.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _add_field(paragraph, "PAGE", str(max(first, 1)), doc.page_number_size, doc.font_family)


def write_docx(doc: NoticeDocument) -> bytes:
    """The notice as DOCX bytes with the PDF's layout, editable in a word processor."""
    doc = repaired(doc)  # text stored before the input rules must not break the file
    document = Document()
    body_size = next(
        (b.size for b in doc.blocks if isinstance(b, Text) and b.align is Align.JUSTIFY),
        14.0,
    )
    _set_defaults(document, doc, body_size)
    page = doc.page
    section = document.sections[0]
    section.page_width = Mm(page.width_mm)
    section.page_height = Mm(page.height_mm)
    section.top_margin = Mm(page.margin_top_mm)
    section.bottom_margin = Mm(page.margin_bottom_mm)
    section.left_margin = Mm(page.margin_left_mm)
    section.right_margin = Mm(page.margin_right_mm)
    document.core_properties.title = doc.title
    document.core_properties.language = doc.language
    text_width_pt = page.text_width_mm * _PT_PER_MM
    for block in doc.blocks:
        if isinstance(block, Columns):
            _table(document, block, page.text_width_mm, doc.font_family)
        else:
            _write_cells((block,), None, document.add_paragraph, text_width_pt, doc.font_family)
    _page_numbers(section, doc)
    out = io.BytesIO()
    document.save(out)
    return fixed_package(out.getvalue())
