"""One table, written as DOCX or XLSX in the layout Vietnamese offices use for reports
(bảng tổng hợp, báo cáo theo dõi): the issuing body top left, the title centred in bold
capitals, an optional subtitle line, then the table with a bold, centred header row
(STT first), Times New Roman 13 pt (12 pt in the table), landscape A4 when the table
has four columns besides STT or more (the comment table's customary layout). Every
export in phonghop builds a :class:`Table` and calls :func:`write_docx` or
:func:`write_xlsx`, so the reports look alike and the writer code exists once.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from phonghop.domain.hygiene import repaired
from phonghop.exports.ooxml import fixed_package

FONT = "Times New Roman"
#: Columns (besides STT) from which a Word table is laid out on landscape pages.
LANDSCAPE_FROM = 4

Value = str | int | float | None


@dataclass(frozen=True)
class Column:
    """A column: its header and its relative width (also the XLSX width in characters)."""

    header: str
    width: float = 20
    #: "left" | "center" | "right"
    align: str = "left"


@dataclass(frozen=True)
class Table:
    """What an export holds. ``rows`` are the body rows without the STT column, which the
    writers number; a row whose ``group`` entry is set starts a group (a bold row spanning
    the table, e.g. a draft's section or a unit) before it."""

    body_name: str
    title: str
    columns: Sequence[Column]
    rows: Sequence[Sequence[Value]]
    subtitle: str = ""
    #: Parent body printed above the body (upper case, not bold), if any.
    parent_name: str = ""
    groups: Sequence[str | None] = field(default_factory=tuple)
    #: Lines under the table (totals, "Ngày xuất: ...").
    notes: Sequence[str] = field(default_factory=tuple)
    stt_header: str = "STT"
    sheet_name: str = "Sheet1"

    def group_at(self, index: int) -> str | None:
        return self.groups[index] if index < len(self.groups) else None


def _text(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return str(value)


# -- DOCX ------------------------------------------------------------------------------------


def _fonts(run_properties: object) -> None:
    rpr = run_properties
    rfonts = rpr.find(qn("w:rFonts"))  # type: ignore[attr-defined]
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)  # type: ignore[attr-defined]
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        rfonts.set(qn(attr), FONT)


def _paragraph(target: object, text: str, *, size: float, bold: bool = False, align: str = "left") -> None:
    paragraph = target.add_paragraph()  # type: ignore[attr-defined]
    paragraph.alignment = {
        "left": WD_ALIGN_PARAGRAPH.LEFT,
        "center": WD_ALIGN_PARAGRAPH.CENTER,
        "right": WD_ALIGN_PARAGRAPH.RIGHT,
    }[align]
    paragraph.paragraph_format.space_after = Pt(0)
    run = paragraph.add_run(text)  # python-docx writes "\n" as a line break
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.name = FONT
    _fonts(run._element.get_or_add_rPr())


def _cell(cell: object, text: str, *, bold: bool = False, align: str = "left") -> None:
    cell.paragraphs[0]._element.getparent().remove(cell.paragraphs[0]._element)  # type: ignore[attr-defined]
    _paragraph(cell, text, size=12, bold=bold, align=align)


def write_docx(table: Table) -> bytes:
    """The table as a Word document (landscape A4 from four columns besides STT)."""
    return write_docx_tables([table])


def write_docx_tables(tables: Sequence[Table]) -> bytes:
    """Several tables in one Word document (a report of several sections): the issuing
    body of the first table once at the top, then each table under its own title, subtitle
    and notes; landscape A4 when any table has four columns besides STT or more."""
    if not tables:
        raise ValueError("no table to write")
    tables = [repaired(t) for t in tables]  # text stored before the input rules
    document = Document()
    section = document.sections[0]
    if max(len(t.columns) for t in tables) >= LANDSCAPE_FROM:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = Mm(297), Mm(210)
    else:
        section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin, section.right_margin = Mm(25), Mm(15)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    style = document.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(13)
    _fonts(style.element.get_or_add_rPr())

    first = tables[0]
    if first.parent_name:
        _paragraph(document, first.parent_name.upper(), size=13)
    _paragraph(document, first.body_name.upper(), size=13, bold=True)
    for table in tables:
        _paragraph(document, "", size=13)
        _paragraph(document, table.title.upper(), size=14, bold=True, align="center")
        if table.subtitle:
            _paragraph(document, table.subtitle, size=13, align="center")
        _paragraph(document, "", size=13)
        _docx_grid(document, section, table)
    out = io.BytesIO()
    document.save(out)
    return fixed_package(out.getvalue())


def _docx_grid(document: Any, section: Any, table: Table) -> None:
    """The table itself (STT first, group rows, body rows), then its notes."""
    columns = [Column(table.stt_header, 6, "center"), *table.columns]
    grid = document.add_table(rows=1, cols=len(columns))
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    usable = (section.page_width - section.left_margin - section.right_margin) / sum(c.width for c in columns)
    for i, column in enumerate(columns):
        _cell(grid.rows[0].cells[i], column.header, bold=True, align="center")
        for cell in grid.columns[i].cells:
            cell.width = int(column.width * usable)
    for index, row in enumerate(table.rows):
        group = table.group_at(index)
        if group:
            cells = grid.add_row().cells
            merged = cells[0].merge(cells[-1])
            _cell(merged, group, bold=True)
        cells = grid.add_row().cells
        _cell(cells[0], str(index + 1), align="center")
        for i, value in enumerate(row, start=1):
            _cell(cells[i], _text(value), align=columns[i].align)
    for note in table.notes:
        _paragraph(document, note, size=13)


# -- XLSX ------------------------------------------------------------------------------------


def write_xlsx(table: Table) -> bytes:
    """The table as a workbook of one sheet: the heading rows, then the table with a
    frozen header row; numbers stay numbers."""
    return write_xlsx_sheets([table])


def write_xlsx_sheets(tables: Sequence[Table]) -> bytes:
    """Several tables as one workbook, one sheet per table (named by its ``sheet_name``,
    which must differ), each laid out as :func:`write_xlsx` lays out its one."""
    if not tables:
        raise ValueError("no table to write")
    tables = [repaired(t) for t in tables]  # text stored before the input rules
    book = Workbook()
    first = book.active
    assert first is not None
    for index, table in enumerate(tables):
        sheet = first if index == 0 else book.create_sheet()
        sheet.title = table.sheet_name[:31]
        _fill_sheet(sheet, table)
    out = io.BytesIO()
    book.save(out)
    return fixed_package(out.getvalue(), core_dates=True)


def _fill_sheet(sheet: Any, table: Table) -> None:
    columns = [Column(table.stt_header, 6, "center"), *table.columns]
    last = get_column_letter(len(columns))
    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    plain = Font(name=FONT, size=12)
    bold = Font(name=FONT, size=12, bold=True)

    row_no = 1
    heading = []
    if table.parent_name:
        heading.append((table.parent_name.upper(), Font(name=FONT, size=13), "left"))
    heading.append((table.body_name.upper(), Font(name=FONT, size=13, bold=True), "left"))
    heading.append((table.title.upper(), Font(name=FONT, size=14, bold=True), "center"))
    if table.subtitle:
        heading.append((table.subtitle, Font(name=FONT, size=13), "center"))
    for text, font, align in heading:
        sheet.merge_cells(f"A{row_no}:{last}{row_no}")
        cell = sheet.cell(row=row_no, column=1, value=text)
        cell.font = font
        cell.alignment = Alignment(horizontal=align)
        row_no += 1
    row_no += 1

    header_row = row_no
    for i, column in enumerate(columns, start=1):
        cell = sheet.cell(row=row_no, column=i, value=column.header)
        cell.font = bold
        cell.border = box
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        sheet.column_dimensions[get_column_letter(i)].width = column.width
    for index, row in enumerate(table.rows):
        group = table.group_at(index)
        if group:
            row_no += 1
            sheet.merge_cells(f"A{row_no}:{last}{row_no}")
            cell = sheet.cell(row=row_no, column=1, value=group)
            cell.font = bold
            for i in range(1, len(columns) + 1):
                sheet.cell(row=row_no, column=i).border = box
        row_no += 1
        values: list[Value] = [index + 1, *row]
        for i, value in enumerate(values, start=1):
            cell = sheet.cell(row=row_no, column=i, value=value)
            cell.font = plain
            cell.border = box
            cell.alignment = Alignment(horizontal=columns[i - 1].align, vertical="top", wrap_text=True)
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
    for note in table.notes:
        row_no += 1
        sheet.cell(row=row_no, column=1, value=note).font = plain
