"""Per-recipient visible watermarks, on page images and on downloaded PDFs.

A classified document shown to a delegate carries that delegate's name and the time
across every page, so that a photograph of a tablet or a forwarded file says whose copy
it was (DOMAIN.md lists the per-delegate visible watermark among what offices expect for
documents with secret content). The mark is:

* burned into the pixels of page images (no layer a client could hide), diagonal and
  repeated so that cropping a photograph does not remove it, semi-transparent so that
  the page stays readable;
* drawn into the content of every page of a downloaded PDF, as real text in the vendored
  font (it survives printing, and a search for the name finds it), over the original
  content, which stays text too.

Image watermarking runs once per delegate per page turn, so its cost matters: the mark is
an 8-bit mask computed once per (image size, text) and kept in a small cache; applying it
is a single ``Image.paste`` of a solid colour through the mask (5 ms at 1024 px, 12 ms at
1600 px, measured). Decoding and re-encoding the page cost more than the mark: at 1600 px
about 45 ms in all as JPEG and 160 ms as WebP (whose encoder is slow on the busy marked
image). For classified pages JPEG, or a lower ``RenderSettings.webp_method``, is the
cheaper choice; caching the marked page per delegate is the caller's to decide.
"""

from __future__ import annotations

import asyncio
import io
import math
import threading
from collections import OrderedDict
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont
from pypdf import PageObject, PdfReader, PdfWriter, Transformation
from reportlab.pdfgen import canvas

from phonghop.documents._fonts import SANS, font_bytes, reportlab_font
from phonghop.documents._sandbox import (
    ProcessLimits,
    WorkerCrashed,
    WorkerFailed,
    WorkerOutOfMemory,
    WorkerTimeout,
    run_limited,
)
from phonghop.documents.rendering import ImageFormat, RenderSettings, encode_image
from phonghop.domain.text import normalize
from phonghop.errors import InvalidInput, NotFound

# Dark red at 30 % opacity: clearly visible on white and on black text, never hiding it.
COLOR = (170, 20, 20)
OPACITY = 0.30
ANGLE = 30  # degrees, counter-clockwise
_OPACITY_LUT = [round(value * OPACITY) for value in range(256)]
_MASK_CACHE_SIZE = 16  # at most ~95 MB of masks at 2048 px


# --- page images ------------------------------------------------------------------------


def watermark_image(
    image_bytes: bytes,
    lines: Sequence[str],
    *,
    fmt: ImageFormat,
    settings: RenderSettings | None = None,
) -> bytes:
    """Return the page image with ``lines`` (e.g. the delegate's name and the time)
    repeated diagonally across it, encoded as ``fmt``.

    The input is an image this server rendered (trusted, bounded size). Blocking and
    CPU-bound (tens to a hundred-odd ms, mostly re-encoding; see the module docstring):
    run it in a thread, :func:`watermark_image_async`.
    """
    settings = settings or RenderSettings()
    key = _text_key(lines)
    with Image.open(io.BytesIO(image_bytes)) as source:
        image = source.convert("RGB")
    mask = _masks.get(image.width, image.height, key)
    image.paste(COLOR, (0, 0, image.width, image.height), mask)
    return encode_image(image, fmt, settings)


async def watermark_image_async(
    image_bytes: bytes, lines: Sequence[str], *, fmt: ImageFormat, settings: RenderSettings | None = None
) -> bytes:
    return await asyncio.to_thread(watermark_image, image_bytes, lines, fmt=fmt, settings=settings)


def watermark_page_file(
    path: Path, lines: Sequence[str], *, fmt: ImageFormat, settings: RenderSettings | None = None
) -> bytes:
    """:func:`watermark_image` of a rendered page on disk, with the decoded page kept.

    Delegates prefetching a classified document ask for the same pages one after another;
    decoding the page once for all of them saves about a third of the work. The cached
    copy is never marked: each request marks a copy of it.
    """
    settings = settings or RenderSettings()
    key = _text_key(lines)
    image = _decoded.get(path).copy()
    mask = _masks.get(image.width, image.height, key)
    image.paste(COLOR, (0, 0, image.width, image.height), mask)
    return encode_image(image, fmt, settings)


async def watermark_page_file_async(
    path: Path, lines: Sequence[str], *, fmt: ImageFormat, settings: RenderSettings | None = None
) -> bytes:
    return await asyncio.to_thread(watermark_page_file, path, lines, fmt=fmt, settings=settings)


class _DecodedPages:
    """The last few rendered pages, decoded (a 1280 px page is 7 MB), by path and mtime."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._pages: OrderedDict[tuple[str, int], Image.Image] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, path: Path) -> Image.Image:
        key = (str(path), path.stat().st_mtime_ns)
        with self._lock:
            image = self._pages.get(key)
            if image is not None:
                self._pages.move_to_end(key)
                return image
        with Image.open(path) as source:
            image = source.convert("RGB")
        with self._lock:
            self._pages[key] = image
            while len(self._pages) > self._size:
                self._pages.popitem(last=False)
        return image


_decoded = _DecodedPages(8)


def _text_key(lines: Sequence[str]) -> tuple[str, ...]:
    """NFC lines, so that an NFD name from some directory draws with precomposed glyphs."""
    key = tuple(normalize(line) for line in lines)
    if not any(key):
        raise InvalidInput("watermark_text_empty")
    return key


@lru_cache(maxsize=16)
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(io.BytesIO(font_bytes(SANS)), size)


def _build_mask(width: int, height: int, lines: tuple[str, ...]) -> Image.Image:
    """The whole-page mask: one rotated text block, repeated in a staggered grid.

    The block is drawn and rotated once (a few milliseconds, a tile of a few hundred
    pixels), then pasted across the page: building a delegate's mask costs about as much
    as applying it, so a thousand delegates each with their own name do not need a
    thousand full-page masks in memory. Neighbouring rows are offset by half a step, so a
    crop of any part of a photograph still holds whole names. Values are scaled to the
    opacity.
    """
    tile = _tile(max(10, round(width / 28)), lines)
    # The rotated block's bounding box is mostly empty corners: neighbours may overlap it.
    step_x, step_y = max(1, tile.width * 4 // 5), max(1, tile.height * 11 // 20)
    mask = Image.new("L", (width, height), 0)
    for row, y in enumerate(range(-tile.height // 2, height, step_y)):
        for x in range(-(step_x // 2) * (row % 2), width, step_x):
            mask.paste(tile, (x, y), tile)  # the tile is its own mask: text over, corners not
    return mask.point(_OPACITY_LUT)


@lru_cache(maxsize=256)
def _tile(font_size: int, lines: tuple[str, ...]) -> Image.Image:
    """One text block, centred lines, rotated by ``ANGLE`` (full strength: the opacity is
    applied to the finished mask)."""
    font = _font(font_size)
    spacing = font_size // 4
    text = "\n".join(lines)
    probe = ImageDraw.Draw(Image.new("L", (1, 1)))
    box = probe.multiline_textbbox((0, 0), text, font=font, spacing=spacing)
    left, top, right, bottom = (math.floor(box[0]), math.floor(box[1]), math.ceil(box[2]), math.ceil(box[3]))
    block = Image.new("L", (right - left + 2, bottom - top + 2), 0)
    ImageDraw.Draw(block).multiline_text(
        (1 - left, 1 - top), text, fill=255, font=font, spacing=spacing, align="center"
    )
    return block.rotate(ANGLE, resample=Image.Resampling.BILINEAR, expand=True)


class _MaskCache:
    """Least-recently-used masks by (width, height, text). A 1600x2263 mask is 3.6 MB."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._masks: OrderedDict[tuple[int, int, tuple[str, ...]], Image.Image] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, width: int, height: int, lines: tuple[str, ...]) -> Image.Image:
        key = (width, height, lines)
        with self._lock:
            mask = self._masks.get(key)
            if mask is not None:
                self._masks.move_to_end(key)
                return mask
        mask = _build_mask(width, height, lines)  # outside the lock: other sizes proceed
        with self._lock:
            self._masks[key] = mask
            while len(self._masks) > self._size:
                self._masks.popitem(last=False)
        return mask


_masks = _MaskCache(_MASK_CACHE_SIZE)


# --- PDF downloads ----------------------------------------------------------------------


def watermark_pdf(path: Path, lines: Sequence[str], *, limits: ProcessLimits | None = None) -> bytes:
    """The PDF at ``path`` with ``lines`` stamped on every page, as bytes to send.

    The stamp is real text over the page content; the original text stays extractable.
    pypdf rewrites the whole file, and the file came from an upload, so this runs in a
    sandboxed child process like inspection does (it is blocking; use
    :func:`watermark_pdf_async` from the event loop). Errors:
    ``NotFound("document_blob_not_found")``, ``InvalidInput("pdf_watermark_failed")``.
    """
    key = _text_key(lines)
    if not path.is_file():
        raise NotFound("document_blob_not_found")
    limits = limits or ProcessLimits(memory_bytes=1 << 30, cpu_seconds=120, wall_seconds=150.0)
    try:
        return run_limited(stamp_pdf, (str(path), key), limits)
    except (WorkerTimeout, WorkerCrashed, WorkerFailed, WorkerOutOfMemory):
        raise InvalidInput("pdf_watermark_failed") from None


async def watermark_pdf_async(
    path: Path, lines: Sequence[str], *, limits: ProcessLimits | None = None
) -> bytes:
    return await asyncio.to_thread(watermark_pdf, path, lines, limits=limits)


def stamp_pdf(path: str, lines: tuple[str, ...]) -> bytes:
    """The stamping itself, in-process (called inside the sandbox by :func:`watermark_pdf`)."""
    reader = PdfReader(path)
    writer = PdfWriter(clone_from=reader)
    overlays: dict[tuple[float, float], PageObject] = {}
    for page in writer.pages:
        box = page.cropbox
        rotation = page.rotation % 360
        width, height = float(box.width), float(box.height)
        shown = (height, width) if rotation in (90, 270) else (width, height)
        overlay = overlays.get(shown)
        if overlay is None:
            overlay = overlays[shown] = _overlay_page(shown[0], shown[1], lines)
        page.merge_transformed_page(
            overlay, _display_to_user(rotation, width, height, float(box.left), float(box.bottom))
        )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _display_to_user(
    rotation: int, width: float, height: float, left: float, bottom: float
) -> Transformation:
    """Maps the overlay, drawn upright as the page is displayed, onto the page's own
    coordinates: undo ``/Rotate`` (a clockwise display rotation) and move to the crop box.

    Rotating the displayed rectangle counter-clockwise by ``rotation`` degrees lands it
    on the unrotated page up to a translation, found from the rotated corners.
    """
    shown_w, shown_h = (height, width) if rotation in (90, 270) else (width, height)
    radians = math.radians(rotation)
    cos, sin = round(math.cos(radians)), round(math.sin(radians))
    corners = [(0.0, 0.0), (shown_w, 0.0), (0.0, shown_h), (shown_w, shown_h)]
    xs = [x * cos - y * sin for x, y in corners]
    ys = [x * sin + y * cos for x, y in corners]
    return Transformation().rotate(rotation).translate(left - min(xs), bottom - min(ys))


def _overlay_page(width: float, height: float, lines: tuple[str, ...]) -> PageObject:
    font = reportlab_font(SANS)
    font_size = max(8.0, width / 24)
    leading = font_size * 1.25
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=(width, height), invariant=1, initialFontName=font)
    pdf.setFillColorRGB(*(channel / 255 for channel in COLOR))
    pdf.setFillAlpha(OPACITY)
    pdf.setFont(font, font_size)
    block_w = max(pdf.stringWidth(line, font, font_size) for line in lines)
    block_h = leading * len(lines)
    step_x = block_w + font_size * 3
    step_y = block_h + font_size * 3
    diagonal = math.hypot(width, height)
    pdf.translate(width / 2, height / 2)
    pdf.rotate(ANGLE)
    row = 0
    y = -diagonal / 2
    while y < diagonal / 2:
        x = -diagonal / 2 + (step_x / 2) * (row % 2)
        while x < diagonal / 2:
            for index, line in enumerate(lines):
                pdf.drawCentredString(x, y - index * leading, line)
            x += step_x
        y += step_y
        row += 1
    pdf.showPage()
    pdf.save()
    return PdfReader(io.BytesIO(buffer.getvalue())).pages[0]
