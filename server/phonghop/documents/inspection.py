"""Checking an uploaded PDF before anyone sees it: structure, pages, text.

An uploaded file is accepted only if two independent parsers agree on it:

* pypdf, in strict mode, parses every object and walks the page tree under our limits.
  It is pure Python, so a hostile structure ends in an exception we can classify
  (``RecursionError`` for deep nesting, ``LimitReachedError`` for a page-tree bomb);
* pdfium loads every page, extracts its text and renders it small, because pdfium is what
  renders the pages on the tablets later: a page that crashes pdfium should be refused at
  upload, in front of the office clerk, not during the meeting.

Both run in a child process with memory and time limits (see ``_sandbox``), and the
parent turns every way it can end into one of the stable error codes below.

Codes (all ``InvalidInput``, 422): ``pdf_encrypted``, ``pdf_malformed``,
``pdf_too_many_pages``, ``pdf_too_complex``, ``pdf_inspection_timeout``,
``pdf_inspection_failed``. ``NotFound("document_blob_not_found")`` if the file is missing,
``Unavailable("document_worker_unavailable")`` if no child process can be started.
"""

from __future__ import annotations

import asyncio
import logging
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from pypdf import PasswordType, PdfReader, apply_configuration
from pypdf.errors import LimitReachedError
from pypdf.generic import DictionaryObject, IndirectObject

from phonghop.documents._sandbox import (
    ProcessLimits,
    WorkerCrashed,
    WorkerFailed,
    WorkerOutOfMemory,
    WorkerTimeout,
    run_limited,
)
from phonghop.domain.text import normalize
from phonghop.errors import InvalidInput, NotFound, PhonghopError, Unavailable

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class InspectionLimits:
    """What an uploaded PDF may cost (settings).

    ``max_objects`` bounds the cross-reference table (a real 2,000-page document has a
    few hundred thousand objects at most). ``max_text_chars_per_page`` cuts pathological
    text layers, which only feed search. ``strict`` makes pypdf refuse any deviation from
    the PDF grammar; lowering it accepts more real-world files at the price of trusting
    pypdf's and pdfium's repair heuristics. ``render_check`` renders each page at a
    thumbnail size so that pages pdfium cannot draw are found at upload.
    """

    max_pages: int = 2000
    max_objects: int = 1_000_000
    max_page_tree_depth: int = 32
    max_text_chars_per_page: int = 100_000
    strict: bool = True
    render_check: bool = True
    process: ProcessLimits = field(
        default_factory=lambda: ProcessLimits(memory_bytes=1 << 30, cpu_seconds=120, wall_seconds=150.0)
    )


@dataclass(frozen=True)
class PageInfo:
    """One page as a reader sees it.

    ``number`` counts from 1. ``width`` and ``height`` are in PDF points (1/72 inch) of
    the visible page, after its ``/Rotate`` is applied: a landscape page stored as a
    rotated portrait one reports the landscape size, as rendering will show it.
    ``text`` is NFC, one line per line of the page, with no run of blank lines.
    """

    number: int
    width: float
    height: float
    rotation: int
    text: str


@dataclass(frozen=True)
class PdfInfo:
    page_count: int
    title: str | None
    pages: tuple[PageInfo, ...]
    #: The original was encrypted with an owner password only (permissions restricted).
    restricted: bool = False


def inspect_pdf(path: Path, limits: InspectionLimits | None = None) -> PdfInfo:
    """Validate the PDF at ``path`` and describe it; raise a stable error if refused.

    Blocking (it waits for a child process, up to ``limits.process.wall_seconds``): the
    server calls :func:`inspect_pdf_async` or runs this in a thread.
    """
    limits = limits or InspectionLimits()
    if not path.is_file():
        raise NotFound("document_blob_not_found")
    try:
        return run_limited(_inspect_in_child, (str(path), limits), limits.process)
    except WorkerTimeout:
        raise InvalidInput("pdf_inspection_timeout", seconds=round(limits.process.wall_seconds)) from None
    except WorkerOutOfMemory:
        raise InvalidInput("pdf_too_complex") from None
    except (WorkerCrashed, WorkerFailed) as exc:
        logger.warning("PDF inspection worker failed on %s: %s", path.name, exc)
        raise InvalidInput("pdf_inspection_failed") from None
    except OSError as exc:
        logger.error("cannot start a PDF inspection worker: %s", exc)
        raise Unavailable("document_worker_unavailable") from None


async def inspect_pdf_async(path: Path, limits: InspectionLimits | None = None) -> PdfInfo:
    """:func:`inspect_pdf` in a thread, so that the event loop keeps serving."""
    return await asyncio.to_thread(inspect_pdf, path, limits)


# --- inside the child process ---------------------------------------------------------


def _inspect_in_child(path: str, limits: InspectionLimits) -> PdfInfo:
    try:
        page_count, title, restricted = _check_structure(path, limits)
    except PhonghopError:
        raise
    except Exception as exc:
        raise _classify(exc) from None
    pages = _read_pages(path, page_count, limits, restricted=restricted)
    return PdfInfo(page_count=page_count, title=title, pages=pages, restricted=restricted)


def _classify(exc: BaseException) -> InvalidInput:
    """A parser exception as an error code: a resource limit or a broken file.

    pypdf wraps ``RecursionError`` and ``MemoryError`` in ``PdfReadError``, so the whole
    chain of causes is examined.
    """
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, RecursionError | MemoryError | LimitReachedError):
            return InvalidInput("pdf_too_complex")
        seen = seen.__cause__ or seen.__context__
    return InvalidInput("pdf_malformed")


def _check_structure(path: str, limits: InspectionLimits) -> tuple[int, str | None, bool]:
    """pypdf's pass: encryption, declared sizes, every object, the page tree."""
    page_entries = max(limits.max_pages * 4, 10_000)
    with apply_configuration(
        page_tree_maximum_depth=limits.max_page_tree_depth,
        page_tree_maximum_entries=page_entries,
        page_tree_maximum_page_entries=page_entries * 20,
    ):
        reader = PdfReader(path, strict=limits.strict)
        restricted = False
        if reader.is_encrypted:
            # Encrypted with an owner password only (the user password empty): every
            # reader opens it, and offices receive such files from other agencies. It is
            # accepted, opened with the empty password, and remembered as restricted.
            # A file that needs a password to open is refused.
            if reader.decrypt("") == PasswordType.NOT_DECRYPTED:
                raise InvalidInput("pdf_encrypted")
            restricted = True

        size = reader.trailer.get("/Size")
        if isinstance(size, int) and size > limits.max_objects:
            raise InvalidInput("pdf_too_complex")
        root = reader.trailer["/Root"].get_object()
        pages_root = root["/Pages"].get_object() if isinstance(root, DictionaryObject) else None
        if not isinstance(pages_root, DictionaryObject):
            raise InvalidInput("pdf_malformed")
        declared = pages_root.get("/Count")
        if isinstance(declared, int) and declared > limits.max_pages:
            raise InvalidInput("pdf_too_many_pages", limit=limits.max_pages)

        if limits.strict:
            # Every object must parse, not only those the pages reach: a broken or hostile
            # object elsewhere (deep nesting, a bad stream) is refused here, in the
            # sandbox, rather than later in a watermarking pass.
            count = 0
            for generation, entries in reader.xref.items():
                for number in entries:
                    count += 1
                    if count > limits.max_objects:
                        raise InvalidInput("pdf_too_complex")
                    reader.get_object(IndirectObject(number, generation, reader))
            for number in reader.xref_objStm:
                count += 1
                if count > limits.max_objects:
                    raise InvalidInput("pdf_too_complex")
                reader.get_object(IndirectObject(number, 0, reader))

        page_count = len(reader.pages)
        if page_count > limits.max_pages:
            raise InvalidInput("pdf_too_many_pages", limit=limits.max_pages)
        if page_count == 0:
            raise InvalidInput("pdf_malformed")
        return page_count, _title(reader), restricted


def _title(reader: PdfReader) -> str | None:
    """The document's own title, if it has a meaningful one (cosmetic: never fatal)."""
    try:
        metadata = reader.metadata
        title = metadata.title if metadata is not None else None
    except Exception:
        return None
    if not isinstance(title, str):
        return None
    title = normalize(title)
    return title or None


def _read_pages(
    path: str, expected: int, limits: InspectionLimits, *, restricted: bool = False
) -> tuple[PageInfo, ...]:
    """pdfium's pass: same page count, every page loads, renders, and yields its text.
    pdfium opens a ``restricted`` file (owner password only) with the empty password."""
    try:
        pdf = pdfium.PdfDocument(path)
    except pdfium.PdfiumError as exc:
        if getattr(exc, "err_code", None) == pdfium_c.FPDF_ERR_PASSWORD:
            raise InvalidInput("pdf_encrypted") from None
        raise InvalidInput("pdf_malformed") from None
    try:
        if pdfium_c.FPDF_GetSecurityHandlerRevision(pdf.raw) != -1 and not restricted:
            raise InvalidInput("pdf_encrypted")
        if len(pdf) != expected:
            # The two parsers see different page trees: page N on a tablet would not be
            # page N in search results. Refuse rather than guess.
            raise InvalidInput("pdf_malformed")
        pages = []
        for index in range(expected):
            try:
                page = pdf[index]
            except pdfium.PdfiumError:
                raise InvalidInput("pdf_malformed") from None
            try:
                width, height = page.get_size()
                if not (width > 0 and height > 0):
                    raise InvalidInput("pdf_malformed")
                text = _page_text(page, limits.max_text_chars_per_page)
                if limits.render_check:
                    page.render(scale=min(1.0, 64 / width, 64 / height)).close()
                pages.append(
                    PageInfo(
                        number=index + 1,
                        width=round(float(width), 2),
                        height=round(float(height), 2),
                        rotation=int(page.get_rotation()),
                        text=text,
                    )
                )
            finally:
                page.close()
        return tuple(pages)
    finally:
        pdf.close()


def _page_text(page: pdfium.PdfPage, max_chars: int) -> str:
    textpage = page.get_textpage()
    try:
        count = textpage.count_chars()
        raw = textpage.get_text_range(0, min(count, max_chars)) if count > 0 else ""
    finally:
        textpage.close()
    return clean_text(raw)


def clean_text(raw: str) -> str:
    """Text layer as stored: NFC lines, control characters dropped, one blank line at most.

    pdfium ends lines with CRLF and may emit U+FFFE/U+0002 for soft hyphens; PDFs made by
    some Vietnamese tools carry NFD. Each line goes through ``domain.text.normalize``
    (which also collapses runs of spaces), so the text compares equal to what users type.
    """
    lines: list[str] = []
    for line in raw.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        kept = "".join(
            ch for ch in line if ch == "\t" or unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn")
        )
        cleaned = normalize(kept)
        if cleaned or (lines and lines[-1]):
            lines.append(cleaned)
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)
