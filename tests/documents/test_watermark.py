from __future__ import annotations

import io
import unicodedata
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageFont
from pypdf import PdfReader

from phonghop.documents import RenderPool, inspect_pdf, watermark_image, watermark_pdf
from phonghop.documents._fonts import SANS, font_bytes
from phonghop.errors import InvalidInput, NotFound

from .conftest import PAGE_TEXTS, make_pdf, rotate_first_page

NAME = "Đồng chí Nguyễn Thị Hồng Nhung"
LINES = [NAME, "Xem lúc 09:42 ngày 15/12/2026"]


@pytest.fixture(scope="module")
def page_png(render_pool: RenderPool, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("wm") / "doc.pdf"
    path.write_bytes(make_pdf())
    return render_pool.render_page(path, 1, 1024, "png").data


def _rgb(data: bytes) -> Image.Image:
    with Image.open(io.BytesIO(data)) as image:
        return image.convert("RGB")


def test_watermark_visibly_changes_the_pixels(page_png: bytes) -> None:
    original = _rgb(page_png)
    marked = _rgb(watermark_image(page_png, LINES, fmt="png"))

    assert marked.size == original.size
    difference = ImageChops.difference(original, marked).convert("L").point(lambda v: 255 if v > 24 else 0)
    changed = sum(difference.histogram()[255:])
    assert changed > 0.03 * original.width * original.height  # repeated across the page
    # Where the paper was white it is now tinted red, not painted over: still readable.
    red, green, blue = marked.getpixel(_first_changed_white(original, difference))  # type: ignore[misc]
    assert red > green and red > blue and min(red, green, blue) > 100


def _first_changed_white(original: Image.Image, difference: Image.Image) -> tuple[int, int]:
    for y in range(0, original.height, 3):
        for x in range(0, original.width, 3):
            if difference.getpixel((x, y)) and original.getpixel((x, y)) == (255, 255, 255):
                return x, y
    raise AssertionError("no white pixel was marked")


def test_watermark_covers_the_whole_page(page_png: bytes) -> None:
    original = _rgb(page_png)
    marked = _rgb(watermark_image(page_png, LINES, fmt="png"))
    width, height = original.size
    for x0, y0 in [(0, 0), (width // 2, 0), (0, height // 2), (width // 2, height // 2)]:
        quarter = (x0, y0, x0 + width // 2, y0 + height // 2)
        assert ImageChops.difference(original.crop(quarter), marked.crop(quarter)).getbbox() is not None


def test_each_recipient_gets_a_different_mark(page_png: bytes) -> None:
    one = _rgb(watermark_image(page_png, LINES, fmt="png"))
    other = _rgb(watermark_image(page_png, ["Đồng chí Trần Văn Bình", LINES[1]], fmt="png"))
    assert ImageChops.difference(one, other).getbbox() is not None


def test_decomposed_name_draws_like_the_composed_one(page_png: bytes) -> None:
    composed = watermark_image(page_png, LINES, fmt="png")
    decomposed = watermark_image(page_png, [unicodedata.normalize("NFD", line) for line in LINES], fmt="png")
    assert ImageChops.difference(_rgb(composed), _rgb(decomposed)).getbbox() is None


@pytest.mark.parametrize(("fmt", "pil_format"), [("webp", "WEBP"), ("jpeg", "JPEG"), ("png", "PNG")])
def test_output_format(page_png: bytes, fmt: str, pil_format: str) -> None:
    with Image.open(io.BytesIO(watermark_image(page_png, LINES, fmt=fmt))) as image:  # type: ignore[arg-type]
        assert image.format == pil_format
        assert image.size == (1024, 1449)


def test_font_has_every_vietnamese_letter() -> None:
    """No tofu: each letter the watermark may draw has a real glyph, not .notdef."""
    font = ImageFont.truetype(io.BytesIO(font_bytes(SANS)), 40)

    def glyph(letter: str) -> bytes:
        image = Image.new("L", (60, 70))
        ImageDraw.Draw(image).text((10, 10), letter, font=font, fill=255)
        return image.tobytes()

    notdef = glyph("\ue000")
    letters = "aàáảãạăằắẳẵặâầấẩẫậeèéẻẽẹêềếểễệiìíỉĩịoòóỏõọôồốổỗộơờớởỡợuùúủũụưừứửữựyỳýỷỹỵđ"
    for letter in letters + letters.upper():
        assert glyph(letter) != notdef, letter
    assert len({glyph(letter) for letter in letters}) == len(letters)  # every mark is drawn


def test_empty_text_is_refused(page_png: bytes) -> None:
    with pytest.raises(InvalidInput) as refused:
        watermark_image(page_png, ["  ", ""], fmt="png")
    assert refused.value.code == "watermark_text_empty"


# --- PDF --------------------------------------------------------------------------------


def test_pdf_copy_carries_the_name_on_every_page_and_keeps_the_text(tmp_path: Path) -> None:
    source = tmp_path / "doc.pdf"
    source.write_bytes(rotate_first_page(make_pdf()))

    marked = PdfReader(io.BytesIO(watermark_pdf(source, LINES)))

    assert len(marked.pages) == 3
    for page, lines in zip(marked.pages, PAGE_TEXTS, strict=True):
        text = unicodedata.normalize("NFC", page.extract_text())
        assert NAME in text
        assert lines[0] in text  # the original text is still text
    assert marked.pages[0].rotation == 90


def test_pdf_copy_is_a_valid_pdf(tmp_path: Path) -> None:
    source = tmp_path / "doc.pdf"
    source.write_bytes(make_pdf())
    copy = tmp_path / "copy.pdf"
    copy.write_bytes(watermark_pdf(source, LINES))

    info = inspect_pdf(copy)

    assert info.page_count == 3
    assert all(NAME in page.text for page in info.pages)


def test_pdf_mark_is_drawn_upright_on_rotated_pages(tmp_path: Path, render_pool: RenderPool) -> None:
    """On a page shown rotated, the mark must read like on the others: compare where the
    red ink falls on a rotated page and on a plain landscape one."""
    rotated = tmp_path / "rotated.pdf"
    rotated.write_bytes(rotate_first_page(make_pdf([["x"]])))
    plain = tmp_path / "plain.pdf"
    plain.write_bytes(make_pdf([["x"]], landscape_pages=frozenset({0})))
    masks = []
    for source in (rotated, plain):
        copy = tmp_path / f"marked-{source.name}"
        copy.write_bytes(watermark_pdf(source, LINES))
        image = _rgb(render_pool.render_page(copy, 1, 256, "png").data)
        red, green, _blue = image.split()
        masks.append(ImageChops.subtract(red, green).point(lambda v: 255 if v > 20 else 0))
    assert masks[0].size == masks[1].size
    overlap = ImageChops.logical_and(masks[0].convert("1"), masks[1].convert("1"))
    inked = sum(masks[1].convert("1").histogram()[255:])
    assert sum(overlap.histogram()[255:]) > 0.8 * inked


def test_pdf_of_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(NotFound) as missing:
        watermark_pdf(tmp_path / "none.pdf", LINES)
    assert missing.value.code == "document_blob_not_found"


def test_marking_a_page_file_leaves_the_cached_page_clean(tmp_path: Path, page_png: bytes) -> None:
    from phonghop.documents.watermark import watermark_page_file

    path = tmp_path / "page.png"
    path.write_bytes(page_png)
    first = _rgb(watermark_page_file(path, ("Người thứ nhất", "MẬT"), fmt="png"))
    second = _rgb(watermark_page_file(path, ("Người thứ hai", "MẬT"), fmt="png"))
    assert first.tobytes() != second.tobytes()
    # the second copy carries only its own mark: marking it again gives the same pixels
    again = _rgb(watermark_page_file(path, ("Người thứ hai", "MẬT"), fmt="png"))
    assert again.tobytes() == second.tobytes()
    assert _rgb(watermark_image(page_png, ("Người thứ hai", "MẬT"), fmt="png")).tobytes() == second.tobytes()
