from __future__ import annotations

import dataclasses
import random
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest

from phonghop.documents import InspectionLimits, ProcessLimits, inspect_pdf, inspect_pdf_async
from phonghop.errors import InvalidInput, NotFound

from .conftest import (
    DEEP,
    PAGE_TEXTS,
    cyclic_page_tree,
    doubling_page_tree,
    encrypt,
    make_pdf,
    one_page_pdf,
    raw_pdf,
    rotate_first_page,
)

WritePdf = Callable[[str, bytes], Path]


def _refusal(path: Path, limits: InspectionLimits | None = None) -> InvalidInput:
    with pytest.raises(InvalidInput) as refused:
        inspect_pdf(path, limits)
    return refused.value


def test_valid_document_is_described(write_pdf: WritePdf) -> None:
    info = inspect_pdf(write_pdf("ok.pdf", make_pdf()))

    assert info.page_count == 3
    assert info.title == "Tài liệu thử nghiệm"
    assert [page.number for page in info.pages] == [1, 2, 3]
    for page, lines in zip(info.pages, PAGE_TEXTS, strict=True):
        assert (page.width, page.height, page.rotation) == (595.28, 841.89, 0)
        assert page.text.split("\n") == list(lines)  # one line per line, in order


def test_landscape_and_rotated_pages_report_their_displayed_size(write_pdf: WritePdf) -> None:
    data = rotate_first_page(make_pdf(landscape_pages=frozenset({1})))
    pages = inspect_pdf(write_pdf("mixed.pdf", data)).pages

    assert (pages[0].width, pages[0].height, pages[0].rotation) == (841.89, 595.28, 90)
    assert (pages[1].width, pages[1].height, pages[1].rotation) == (841.89, 595.28, 0)
    assert (pages[2].width, pages[2].height, pages[2].rotation) == (595.28, 841.89, 0)


def test_decomposed_text_comes_out_composed(write_pdf: WritePdf) -> None:
    info = inspect_pdf(write_pdf("nfd.pdf", make_pdf(nfd=True)))

    text = "\n".join(page.text for page in info.pages)
    assert unicodedata.is_normalized("NFC", text)
    assert "Đảng ủy tỉnh Sông Lam" in text
    assert "Nghị quyết về chuyển đổi số" in text


def test_text_layer_of_the_nfd_fixture_really_is_decomposed(write_pdf: WritePdf) -> None:
    # Guards the test above: without this, a fixture that silently wrote NFC would pass it.
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(make_pdf(nfd=True))
    try:
        raw = pdf[2].get_textpage().get_text_range()
    finally:
        pdf.close()
    assert not unicodedata.is_normalized("NFC", raw)


def test_async_wrapper(write_pdf: WritePdf) -> None:
    import asyncio

    info = asyncio.run(inspect_pdf_async(write_pdf("ok.pdf", make_pdf())))
    assert info.page_count == 3


@pytest.mark.parametrize(("user_password", "algorithm"), [("mật khẩu", "AES-128"), ("secret", "RC4-40")])
def test_a_pdf_that_needs_a_password_to_open_is_refused(
    write_pdf: WritePdf, user_password: str, algorithm: str
) -> None:
    data = encrypt(make_pdf(), user_password=user_password, algorithm=algorithm)
    refusal = _refusal(write_pdf("enc.pdf", data))
    assert refusal.code == "pdf_encrypted"
    assert refusal.status == 422


@pytest.mark.parametrize("algorithm", ["RC4-40", "RC4-128", "AES-128", "AES-256"])
def test_a_pdf_with_only_an_owner_password_is_read_and_marked_restricted(
    write_pdf: WritePdf, algorithm: str
) -> None:
    """Every reader opens it (the user password is empty); offices get such files."""
    plain = inspect_pdf(write_pdf("plain.pdf", make_pdf()))
    info = inspect_pdf(write_pdf("owner.pdf", encrypt(make_pdf(), user_password="", algorithm=algorithm)))
    assert info.restricted and not plain.restricted
    assert (info.page_count, [p.text for p in info.pages]) == (
        plain.page_count,
        [p.text for p in plain.pages],
    )


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(make_pdf()[: len(make_pdf()) // 2], id="truncated-half"),
        pytest.param(make_pdf()[:-200], id="truncated-tail"),
        pytest.param(b"%PDF-1.7\n" + random.Random(1).randbytes(20_000), id="garbage-after-header"),
        pytest.param(random.Random(2).randbytes(20_000), id="garbage"),
        pytest.param(b"", id="empty"),
        pytest.param(raw_pdf([b"<< /Type /Catalog >>"]), id="no-page-tree"),
        pytest.param(
            raw_pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"]),
            id="no-pages",
        ),
    ],
)
def test_broken_files_are_malformed(write_pdf: WritePdf, data: bytes) -> None:
    assert _refusal(write_pdf("broken.pdf", data)).code == "pdf_malformed"


def test_lying_page_count_is_too_many_pages(write_pdf: WritePdf) -> None:
    refusal = _refusal(write_pdf("count.pdf", one_page_pdf(count=100_000)))
    assert refusal.code == "pdf_too_many_pages"
    assert refusal.params == {"limit": 2000}


def test_page_limit_is_a_setting(write_pdf: WritePdf) -> None:
    path = write_pdf("six.pdf", make_pdf([["trang"]] * 6))
    assert inspect_pdf(path, InspectionLimits(max_pages=6)).page_count == 6
    refusal = _refusal(path, InspectionLimits(max_pages=5))
    assert (refusal.code, refusal.params) == ("pdf_too_many_pages", {"limit": 5})


def test_page_tree_bomb_is_too_complex(write_pdf: WritePdf) -> None:
    assert _refusal(write_pdf("bomb.pdf", doubling_page_tree(40))).code == "pdf_too_complex"


def test_cyclic_page_tree_is_refused(write_pdf: WritePdf) -> None:
    assert _refusal(write_pdf("cycle.pdf", cyclic_page_tree())).code in {"pdf_too_complex", "pdf_malformed"}


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(one_page_pdf(page_extra=b"/Annots " + DEEP + b" "), id="in-the-page"),
        pytest.param(one_page_pdf(extra_objects=[DEEP]), id="in-an-unreferenced-object"),
        pytest.param(one_page_pdf(extra_objects=[b"<< /A " * 50_000 + b">>" * 50_000]), id="dictionaries"),
    ],
)
def test_deep_nesting_is_too_complex(write_pdf: WritePdf, data: bytes) -> None:
    assert _refusal(write_pdf("deep.pdf", data)).code == "pdf_too_complex"


def test_declared_object_count_bomb_is_too_complex(write_pdf: WritePdf) -> None:
    data = raw_pdf(
        [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"], size=50_000_000
    )
    assert _refusal(write_pdf("size.pdf", data)).code == "pdf_too_complex"


def test_slow_inspection_times_out(write_pdf: WritePdf) -> None:
    limits = InspectionLimits(process=ProcessLimits(wall_seconds=0.001))
    refusal = _refusal(write_pdf("ok.pdf", make_pdf()), limits)
    assert (refusal.code, refusal.params) == ("pdf_inspection_timeout", {"seconds": 0})


def test_memory_starved_worker_is_refused_cleanly(write_pdf: WritePdf) -> None:
    # Half the address space the idle child already maps, and a document whose parse needs
    # far more than the allocator holds in reserve (a small one can fit in the free memory
    # the preloaded libraries left, depending on their versions): parsing fails in Python
    # (MemoryError) or in C (a crash). Either way the caller gets a code, and this process
    # lives on.
    starved = dataclasses.replace(
        InspectionLimits(), process=ProcessLimits(memory_bytes=_idle_child_vm() // 2)
    )
    refusal = _refusal(write_pdf("ok.pdf", make_pdf([["x" * 80] * 30] * 400)), starved)
    assert refusal.code in {"pdf_too_complex", "pdf_inspection_failed"}
    assert inspect_pdf(write_pdf("ok2.pdf", make_pdf())).page_count == 3


def _idle_child_vm() -> int:
    from phonghop.documents._sandbox import run_limited

    status = run_limited(Path("/proc/self/status").read_text, (), ProcessLimits())
    return int(status.split("VmSize:")[1].split()[0]) * 1024


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(NotFound) as missing:
        inspect_pdf(tmp_path / "nothing.pdf")
    assert missing.value.code == "document_blob_not_found"
