"""Every kind of DOCX phonghop writes opens in a word processor (issue #20): LibreOffice
Writer (Debian's ``libreoffice-writer-nogui``, which scripts/test installs) converts each
one to text, and every paragraph of the source, table cells included, comes back word for
word in NFC.

The DOCX writers are two: the notice writer (``notices/docx.py``: Party and State
notices, draft and issued) and the table writer (``exports/tables.py``: the comment table,
the follow-up report, the statistics with several tables, landscape when wide). The
invitations (giấy mời) are PDF only. One ``soffice`` run converts them all, with a
profile directory of its own so that parallel runs do not share one. Without ``soffice``
the tests fail: they are not skipped.
"""

from __future__ import annotations

import shutil
import subprocess
import unicodedata
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph

from phonghop.demo.notices import PARTY_BODY, PASSED_VOTE, STATE_BODY, sample_record
from phonghop.domain.notice import NoticeFormat, NoticeSettings, draft_notice, issue_notice
from phonghop.exports.tables import Column, Table, write_docx, write_docx_tables
from phonghop.notices import build_document
from phonghop.notices import write_docx as write_notice_docx
from tests.exports.test_tables import TABLE

SOFFICE = shutil.which("soffice") or "/usr/bin/soffice"


def _notice(fmt: NoticeFormat, *, issued: bool) -> bytes:
    state = fmt is NoticeFormat.STATE
    body = STATE_BODY if state else PARTY_BODY
    settings = NoticeSettings.from_dict({"format": fmt.value, "include_votes": True})
    day = date(2026, 3, 5)
    draft = draft_notice(sample_record(votes=(PASSED_VOTE,), state=state), body, settings, day)
    if issued:
        draft = issue_notice(draft, 12, day)
    return write_notice_docx(build_document(draft, body, settings))


#: The comment table (bảng tổng hợp ý kiến) the table writer's own tests read back.
COMMENT_TABLE = TABLE
FOLLOW_UP_REPORT = Table(
    parent_name="Tỉnh ủy cấp trên",
    body_name="Tỉnh ủy Gia Lai",
    title="Báo cáo theo dõi thực hiện kết luận",
    subtitle="Tính đến ngày 07/12/2026",
    columns=[
        Column("Nội dung kết luận / nhiệm vụ", 60),
        Column("Đơn vị chủ trì", 25),
        Column("Đơn vị phối hợp", 25),
        Column("Thời hạn", 14, "center"),
        Column("Tình trạng", 22),
        Column("Số thông báo", 16, "center"),
    ],
    rows=[
        [
            "Đẩy nhanh tiến độ giải ngân vốn đầu tư công",
            "Sở Tài chính",
            "",
            "31/12/2026",
            "Đang thực hiện",
            "Số 12-TB/TU",
        ],
        [
            "Hoàn thiện Tờ trình",
            "Sở Nội vụ",
            "Sở Tư pháp, Văn phòng Tỉnh ủy",
            "15/12/2026",
            "Quá hạn",
            "Số 12-TB/TU",
        ],
    ],
    groups=["Sở Tài chính", "Sở Nội vụ"],
    notes=["Tổng số: 2 nhiệm vụ; quá hạn: 1; đang thực hiện: 1."],
)
STATISTICS = [
    Table(
        body_name="Tỉnh ủy Gia Lai",
        title="Thống kê cuộc họp",
        subtitle="Từ ngày 01/01/2026 đến ngày 31/12/2026",
        columns=[Column("Tháng", 12), Column("Đã họp", 12, "right"), Column("Tổng số", 12, "right")],
        rows=[["01/2026", 3, 4], ["02/2026", 2, 2]],
    ),
    Table(
        body_name="Tỉnh ủy Gia Lai",
        title="Thống kê tài liệu phát hành trên máy tính bảng",
        subtitle="Từ ngày 01/01/2026 đến ngày 31/12/2026",
        columns=[Column("Chỉ tiêu", 40), Column("Số lượng", 12, "right")],
        rows=[["Số trang không phải in", 73], ["Số tài liệu", 12]],
        notes=["Ngày xuất: 07/12/2026."],
    ),
]

#: Every kind of DOCX, by a file name of its own.
DOCUMENTS = {
    "thong-bao-dang-du-thao": lambda: _notice(NoticeFormat.PARTY, issued=False),
    "thong-bao-dang-ban-hanh": lambda: _notice(NoticeFormat.PARTY, issued=True),
    "thong-bao-nha-nuoc-du-thao": lambda: _notice(NoticeFormat.STATE, issued=False),
    "thong-bao-nha-nuoc-ban-hanh": lambda: _notice(NoticeFormat.STATE, issued=True),
    "bang-tong-hop-y-kien": lambda: write_docx(COMMENT_TABLE),
    "bao-cao-theo-doi": lambda: write_docx(FOLLOW_UP_REPORT),
    "thong-ke": lambda: write_docx_tables(STATISTICS),
}


def paragraphs(docx: bytes, path: Path) -> list[str]:
    """Every non-empty paragraph of the document body, in tables too, in order."""
    path.write_bytes(docx)
    document = Document(str(path))
    found = [Paragraph(p, document).text for p in document.element.body.iter(qn("w:p"))]
    return [text for text in found if text.strip()]


def squeeze(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, tuple[list[str], str]]]:
    """Each document's paragraphs as python-docx reads them and its text as LibreOffice
    writes it, from one ``soffice`` run over all of them."""
    if not Path(SOFFICE).exists():
        pytest.fail(
            f"{SOFFICE} not found: the DOCX tests need LibreOffice Writer "
            "(apt-get install libreoffice-writer-nogui; scripts/test installs it)",
            pytrace=False,
        )
    work = tmp_path_factory.mktemp("libreoffice")
    sources, out, profile = work / "in", work / "out", work / "profile"
    sources.mkdir()
    originals = {}
    for name, make in DOCUMENTS.items():
        originals[name] = paragraphs(make(), sources / f"{name}.docx")
    result = subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "txt:Text (encoded):UTF8",
            "--outdir",
            str(out),
            *(str(sources / f"{name}.docx") for name in DOCUMENTS),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    missing = [name for name in DOCUMENTS if not (out / f"{name}.txt").exists()]
    assert not missing, f"LibreOffice could not open {missing}: {result.stdout}\n{result.stderr}"
    yield {
        name: (originals[name], (out / f"{name}.txt").read_text(encoding="utf-8").removeprefix("\ufeff"))
        for name in DOCUMENTS
    }


@pytest.mark.parametrize("name", list(DOCUMENTS))
def test_the_word_processor_reads_back_every_paragraph(
    converted: dict[str, tuple[list[str], str]], name: str
) -> None:
    source, text = converted[name]
    assert len(source) >= 5, source  # the document has content to compare
    assert unicodedata.is_normalized("NFC", text)
    read, at, lost = squeeze(text), 0, []
    for paragraph in source:  # each one, in the order written
        found = read.find(squeeze(paragraph), at)
        if found < 0:
            lost.append(paragraph)
        else:
            at = found + len(squeeze(paragraph))
    assert lost == [], f"{name}: LibreOffice did not read back, or not in order, {lost}"


KEY_LINES = {
    "thong-bao-dang-ban-hanh": [
        "ĐẢNG CỘNG SẢN VIỆT NAM",
        "Số 12-TB/TU",
        "Gia Lai, ngày 05 tháng 3 năm 2026",
        "THÔNG BÁO",
        "Nơi nhận:",
        "- Lưu Văn phòng Tỉnh ủy.",
        "T/M BAN THƯỜNG VỤ",
        "Nguyễn Văn Bình",
    ],
    "thong-bao-nha-nuoc-ban-hanh": [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Số: 12/TB-UBND",
        "THÔNG BÁO",
        "Nơi nhận:",
    ],
    "thong-bao-dang-du-thao": ["-TB/TU", "THÔNG BÁO"],
    "bang-tong-hop-y-kien": [
        "ĐẢNG BỘ TỈNH GIA LAI",
        "BẢNG TỔNG HỢP Ý KIẾN",
        "Sửa câu đầu.",
        "Bổ sung mục tiêu năm 2030.",
        "Giải trình: giữ như dự thảo.",
    ],
    "bao-cao-theo-doi": [
        "BÁO CÁO THEO DÕI THỰC HIỆN KẾT LUẬN",
        "Sở Tư pháp, Văn phòng Tỉnh ủy",
        "Số 12-TB/TU",
    ],
    "thong-ke": [
        "THỐNG KÊ CUỘC HỌP",
        "THỐNG KÊ TÀI LIỆU PHÁT HÀNH TRÊN MÁY TÍNH BẢNG",
        "Số trang không phải in",
    ],
}


@pytest.mark.parametrize("name", list(KEY_LINES))
def test_the_key_lines_come_back_as_written(converted: dict[str, tuple[list[str], str]], name: str) -> None:
    lines = {line.strip() for line in converted[name][1].splitlines()}
    missing = [line for line in KEY_LINES[name] if not any(line in shown for shown in lines)]
    assert missing == [], f"{name}: {missing}"
