"""The shared table writer, read back with python-docx and openpyxl: heading lines,
numbered rows, group rows, line breaks inside cells, numbers kept as numbers, the font,
landscape pages for wide tables."""

from __future__ import annotations

import io
import time
import zipfile
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from types import SimpleNamespace

import pytest
from docx import Document
from openpyxl import load_workbook
from openpyxl.writer import excel as openpyxl_writer

from phonghop.exports.tables import Column, Table, write_docx, write_xlsx

TABLE = Table(
    parent_name="Đảng bộ tỉnh Gia Lai",
    body_name="Tỉnh ủy Gia Lai",
    title="Bảng tổng hợp ý kiến",
    subtitle="Dự thảo Nghị quyết về chuyển đổi số",
    columns=[
        Column("Nội dung dự thảo", 25),
        Column("Ý kiến góp ý", 40),
        Column("Người góp ý", 20),
        Column("Trang", 8, "center"),
        Column("Tiếp thu, giải trình", 30),
    ],
    rows=[
        ["Điều 1", "Sửa câu đầu.\nBổ sung mục tiêu năm 2030.", "Đồng chí Nguyễn Văn A", 2, "Tiếp thu"],
        ["Điều 1", "Làm rõ phạm vi.", "Sở Tư pháp", 2, None],
        ["Điều 4", "Đề nghị bỏ khoản 3.", "Đồng chí Trần Thị B", 5, "Giải trình: giữ như dự thảo."],
    ],
    groups=["Chương I. QUY ĐỊNH CHUNG", None, "Chương II. NHIỆM VỤ"],
    notes=["Tổng số: 3 ý kiến."],
)


def test_docx() -> None:
    document = Document(io.BytesIO(write_docx(TABLE)))
    heading = [p.text for p in document.paragraphs if p.text]
    assert heading[:4] == [
        "ĐẢNG BỘ TỈNH GIA LAI",
        "TỈNH ỦY GIA LAI",
        "BẢNG TỔNG HỢP Ý KIẾN",
        "Dự thảo Nghị quyết về chuyển đổi số",
    ]
    assert heading[-1] == "Tổng số: 3 ý kiến."
    section = document.sections[0]
    assert round(section.page_width.mm) == 297  # six columns: landscape
    rows = [[c.text for c in row.cells] for row in document.tables[0].rows]
    assert rows[0] == [
        "STT",
        "Nội dung dự thảo",
        "Ý kiến góp ý",
        "Người góp ý",
        "Trang",
        "Tiếp thu, giải trình",
    ]
    assert set(rows[1]) == {"Chương I. QUY ĐỊNH CHUNG"}  # merged across the table
    assert rows[2] == [
        "1",
        "Điều 1",
        "Sửa câu đầu.\nBổ sung mục tiêu năm 2030.",
        "Đồng chí Nguyễn Văn A",
        "2",
        "Tiếp thu",
    ]
    assert rows[3][0] == "2" and rows[3][-1] == ""
    assert set(rows[4]) == {"Chương II. NHIỆM VỤ"}
    assert rows[5][0] == "3"
    header_run = document.tables[0].rows[0].cells[0].paragraphs[0].runs[0]
    assert header_run.bold and header_run.font.name == "Times New Roman"


def test_xlsx() -> None:
    sheet = load_workbook(io.BytesIO(write_xlsx(TABLE))).active
    assert sheet is not None
    values = [row for row in sheet.iter_rows(values_only=True)]
    assert [v[0] for v in values[:4]] == [
        "ĐẢNG BỘ TỈNH GIA LAI",
        "TỈNH ỦY GIA LAI",
        "BẢNG TỔNG HỢP Ý KIẾN",
        "Dự thảo Nghị quyết về chuyển đổi số",
    ]
    header = values.index(
        ("STT", "Nội dung dự thảo", "Ý kiến góp ý", "Người góp ý", "Trang", "Tiếp thu, giải trình")
    )
    body = values[header + 1 :]
    assert body[0][0] == "Chương I. QUY ĐỊNH CHUNG"
    assert body[1] == (
        1,
        "Điều 1",
        "Sửa câu đầu.\nBổ sung mục tiêu năm 2030.",
        "Đồng chí Nguyễn Văn A",
        2,
        "Tiếp thu",
    )
    assert body[2][0] == 2 and body[2][4] == 2  # numbers stay numbers
    assert body[3][0] == "Chương II. NHIỆM VỤ"
    assert body[-1][0] == "Tổng số: 3 ý kiến."
    assert sheet.freeze_panes == f"A{header + 2}"
    assert sheet.cell(row=header + 1, column=1).font.b


def test_narrow_table_is_portrait() -> None:
    narrow = Table(
        body_name="UBND tỉnh",
        title="Danh sách",
        columns=[Column("Tên"), Column("Số", 8, "right")],
        rows=[["A", 1]],
    )
    section = Document(io.BytesIO(write_docx(narrow))).sections[0]
    assert round(section.page_width.mm) == 210


def test_the_same_table_gives_the_same_docx_bytes_on_another_day(monkeypatch: pytest.MonkeyPatch) -> None:
    """The comment table and the follow-up report, written again later, are byte-identical
    (fixed ZIP entry times; the clock is moved, not waited for)."""
    first = write_docx(TABLE)
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 400 * 86400 + 59)
    assert write_docx(TABLE) == first
    assert {e.date_time for e in zipfile.ZipFile(io.BytesIO(first)).infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_the_same_table_gives_the_same_xlsx_bytes_on_another_day(monkeypatch: pytest.MonkeyPatch) -> None:
    """openpyxl writes the time of saving into the ZIP entries and the workbook's core
    properties; both are fixed, so the workbook written 400 days later is the same bytes."""
    first = write_xlsx(TABLE)
    later = datetime.now(UTC) + timedelta(days=400, seconds=59)

    class Later(datetime):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> Later:
            return cls.fromtimestamp(later.timestamp(), tz)

    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 400 * 86400 + 59)
    monkeypatch.setattr(openpyxl_writer, "datetime", SimpleNamespace(datetime=Later, timezone=timezone))
    assert write_xlsx(TABLE) == first
    package = zipfile.ZipFile(io.BytesIO(first))
    assert {e.date_time for e in package.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    core = package.read("docProps/core.xml").decode()
    assert core.count("1980-01-01T00:00:00Z") == 2, core
    assert load_workbook(io.BytesIO(first)).properties.modified == datetime(1980, 1, 1)
