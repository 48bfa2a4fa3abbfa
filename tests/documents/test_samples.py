from __future__ import annotations

import io
import re
import unicodedata
from pathlib import Path

import pytest
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject

from phonghop.demo import documents as samples_module
from phonghop.demo.documents import sample_documents
from phonghop.documents import inspect_pdf, search_pages

DOCUMENTS = sample_documents()


def test_a_meeting_worth_of_documents() -> None:
    assert len(DOCUMENTS) >= 4
    assert len({document.filename for document in DOCUMENTS}) == len(DOCUMENTS)
    for document in DOCUMENTS:
        assert re.fullmatch(r"[a-z0-9-]+\.pdf", document.filename)
        assert document.title and unicodedata.is_normalized("NFC", document.title)


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda document: document.filename)
def test_sample_is_a_valid_a4_pdf_of_three_to_eight_pages(document: object, tmp_path: Path) -> None:
    pdf_bytes: bytes = document.pdf_bytes  # type: ignore[attr-defined]
    path = tmp_path / "sample.pdf"
    path.write_bytes(pdf_bytes)

    info = inspect_pdf(path)  # strict parse in the sandbox, every page rendered small

    assert 3 <= info.page_count <= 8
    assert {(page.width, page.height) for page in info.pages} == {(595.28, 841.89)}
    assert info.title == document.title  # type: ignore[attr-defined]
    first = info.pages[0].text
    assert "ĐẢNG CỘNG SẢN VIỆT NAM" in first or "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in first
    assert "SÔNG LAM" in first and re.search(r"ngày [\d\s\u00a0]*tháng \d+ năm 2026", first)
    assert re.search(r"Số:? ", first)
    for page in info.pages[1:]:
        assert page.text.split("\n")[0] == str(page.number)  # page numbers from page 2
    body = "\n".join(page.text for page in info.pages)
    assert len(body) > 5000  # real multi-paragraph text, not a stub
    assert "Nơi nhận" in body


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda document: document.filename)
def test_sample_fonts_are_embedded(document: object) -> None:
    reader = PdfReader(io.BytesIO(document.pdf_bytes))  # type: ignore[attr-defined]
    for page in reader.pages:
        resources = page["/Resources"].get_object()
        assert isinstance(resources, DictionaryObject)
        fonts = resources["/Font"].get_object()
        assert isinstance(fonts, DictionaryObject)
        for font_ref in fonts.values():
            font = font_ref.get_object()
            assert isinstance(font, DictionaryObject)
            descendants = font.get("/DescendantFonts")
            descriptor_owner = descendants[0].get_object() if isinstance(descendants, ArrayObject) else font
            assert isinstance(descriptor_owner, DictionaryObject)
            descriptor = descriptor_owner["/FontDescriptor"].get_object()
            assert isinstance(descriptor, DictionaryObject)
            assert "/FontFile2" in descriptor, font.get("/BaseFont")


def test_samples_are_deterministic() -> None:
    samples_module._all_documents.cache_clear()
    again = sample_documents()
    assert [document.pdf_bytes for document in again] == [document.pdf_bytes for document in DOCUMENTS]


def test_samples_are_searchable_without_diacritics(tmp_path: Path) -> None:
    pages = []
    for document in DOCUMENTS:
        path = tmp_path / document.filename
        path.write_bytes(document.pdf_bytes)
        pages += [(document.filename, page.number, page.text) for page in inspect_pdf(path).pages]

    hits = search_pages("giai ngan von dau tu cong", pages)

    assert "bao-cao-giai-ngan-dau-tu-cong-2026.pdf" in {hit.key for hit in hits}
    assert {hit.key for hit in search_pages("Điều 5.", pages)} == {"du-thao-nghi-quyet-chuyen-doi-so.pdf"}
