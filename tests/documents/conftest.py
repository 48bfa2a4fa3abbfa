"""Fixtures for the document library: PDFs generated here, hostile ones written by hand.

Nothing is downloaded. Valid documents come from reportlab with the vendored font;
hostile ones (page-tree bombs, deep nesting, a lying page count) are assembled byte by
byte with a correct cross-reference table, so that they reach the parser's deeper layers
instead of failing at the first sanity check.
"""

from __future__ import annotations

import io
import random
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest
from pypdf import PdfWriter
from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfgen import canvas

from phonghop.documents import RenderPool, RenderSettings, blob_path
from phonghop.documents._fonts import SERIF, reportlab_font

PAGE_TEXTS = (
    ("Trang một: Đảng ủy tỉnh Sông Lam", "thống nhất kết luận về hòa giải ở cơ sở."),
    ("Trang hai: Báo cáo giải ngân vốn đầu tư công", "Thủy lợi và giao thông."),
    ("Trang ba: Nghị quyết về chuyển đổi số", "Ủy ban nhân dân tỉnh tổ chức thực hiện."),
)


def make_pdf(
    pages: Sequence[Sequence[str]] = PAGE_TEXTS,
    *,
    nfd: bool = False,
    landscape_pages: frozenset[int] = frozenset(),
    title: str | None = "Tài liệu thử nghiệm",
) -> bytes:
    """A small text PDF, one list of lines per page, in the vendored serif font.

    ``nfd`` writes the text decomposed, as some Vietnamese tools do; ``landscape_pages``
    (0-based) get a landscape media box.
    """
    font = reportlab_font(SERIF)
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    if title:
        pdf.setTitle(title)
    for index, lines in enumerate(pages):
        size = landscape(A4) if index in landscape_pages else A4
        pdf.setPageSize(size)
        pdf.setFont(font, 14)
        y = size[1] - 72
        for line in lines:
            pdf.drawString(72, y, unicodedata.normalize("NFD", line) if nfd else line)
            y -= 24
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def rotate_first_page(data: bytes) -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(data))
    writer.pages[0].rotate(90)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def encrypt(data: bytes, *, user_password: str, algorithm: str) -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(data))
    writer.encrypt(user_password=user_password, owner_password="chủ-sở-hữu", algorithm=algorithm)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def heavy_pdf(curves: int = 1000) -> bytes:
    """One page of random Bézier curves: slow for pdfium to rasterise (about a second at
    2048 px here), for tests that need a render still running."""
    rnd = random.Random(7)
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    pdf.setLineWidth(0.3)
    for _ in range(curves):
        pdf.setStrokeColorRGB(rnd.random(), rnd.random(), rnd.random())
        path = pdf.beginPath()
        path.moveTo(rnd.uniform(0, 595), rnd.uniform(0, 842))
        for _ in range(4):
            path.curveTo(*(rnd.uniform(0, 595) if i % 2 == 0 else rnd.uniform(0, 842) for i in range(6)))
        pdf.drawPath(path, stroke=1, fill=0)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


# --- hand-written PDFs ------------------------------------------------------------------


def raw_pdf(objects: Sequence[bytes], *, size: int | None = None) -> bytes:
    """A PDF from object bodies (object 1 is the catalog), with an exact xref table.

    ``size`` overrides the trailer's /Size, to declare more objects than there are.
    """
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    declared = size if size is not None else len(objects) + 1
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (declared, xref)
    return bytes(out)


_CONTENT = b"BT /F1 24 Tf 72 700 Td (Hello) Tj ET"
_STREAM = b"<< /Length %d >>\nstream\n" % len(_CONTENT) + _CONTENT + b"\nendstream"
_FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"


def one_page_pdf(*, count: int = 1, page_extra: bytes = b"", extra_objects: Sequence[bytes] = ()) -> bytes:
    """Catalog, a page tree with one page (declaring ``count`` pages), content, font."""
    return raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count %d >>" % count,
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> " + page_extra + b">>",
            _STREAM,
            _FONT,
            *extra_objects,
        ]
    )


def doubling_page_tree(levels: int = 40) -> bytes:
    """A page-tree bomb: each /Pages node lists its child twice, so 42 objects describe
    2**40 pages, while every /Count claims 1."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    for level in range(levels):
        child = 3 + level
        objects.append(b"<< /Type /Pages /Kids [%d 0 R %d 0 R] /Count 1 >>" % (child, child))
    page = len(objects) + 1
    objects.append(
        b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] /Contents %d 0 R >>" % (page - 1, page + 1)
    )
    objects.append(_STREAM)
    return raw_pdf(objects)


def cyclic_page_tree() -> bytes:
    """A /Pages node whose kid is its own parent."""
    return raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Pages /Parent 2 0 R /Kids [2 0 R] /Count 1 >>",
        ]
    )


DEEP = b"[" * 100_000 + b"]" * 100_000


# --- fixtures ---------------------------------------------------------------------------


@pytest.fixture
def write_pdf(tmp_path: Path) -> Callable[[str, bytes], Path]:
    def write(name: str, data: bytes) -> Path:
        path = tmp_path / name
        path.write_bytes(data)
        return path

    return write


@pytest.fixture
def blob_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "blobs"
    folder.mkdir()
    return folder


@pytest.fixture
def store_blob(blob_dir: Path) -> Callable[[bytes], str]:
    """Put bytes in the blob store as ``store_upload`` would, and return their hash."""
    import hashlib

    def store(data: bytes) -> str:
        sha256 = hashlib.sha256(data).hexdigest()
        path = blob_path(blob_dir, sha256)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return sha256

    return store


@pytest.fixture(scope="session")
def render_pool() -> Iterator[RenderPool]:
    """Two workers, shared by the tests that do not kill or starve them."""
    with RenderPool(RenderSettings(workers=2)) as pool:
        yield pool
