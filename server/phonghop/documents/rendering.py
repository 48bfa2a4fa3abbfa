"""Page images for the tablets: a pool of pdfium workers and a disk cache in front of it.

Tablets never receive the PDF of a view-only document, only page images, so every page a
delegate turns to is rendered on the server. Three things shape this module:

* pdfium runs on untrusted files, so it runs in worker processes with the sandbox's memory
  and CPU ceilings (see ``_sandbox``), and a page that takes too long has its worker
  killed. Unlike inspection these workers are long-lived: a meeting turns pages of the
  same few documents for hours, so each worker keeps recently used documents open and the
  pool sends a request to a worker that already has the document when one is free.
  A worker that dies (crash, ``os.kill``, memory ceiling) is replaced on the next request
  and the request retried once; a page that kills two workers in a row, or times out, is
  refused, and refused at once for a while after (``failure_memory_seconds``).
* Each page is rendered once per (document, page, width, format) and then served from
  disk. Two delegates opening the same page at the same moment wait for one render
  (per-key lock in this process); files appear by atomic rename, so a reader — in this
  process or another server process sharing the directory — never sees a partial image.
* Widths are a fixed set (a setting), not whatever a client asks for: the cache stays
  bounded and a client cannot make the server render a 100,000-pixel-wide image.

WebP is the default (a text page at 1600 px: ~20 kB, against ~80 kB as JPEG q85, at the
cost of ~50 ms more encoding, once per page thanks to the cache); JPEG is a setting for
old tablets whose WebView lacks WebP. Everything here is blocking: the server calls the
``*_async`` wrappers, which run the work in a thread. ``scripts/bench_render.py``
compares the pool with raw pypdfium2 in one process.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import io
import logging
import math
import multiprocessing.connection
import os
import shutil
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any, Literal, get_args

import pypdfium2 as pdfium
from PIL import Image

from phonghop.documents._sandbox import (
    ProcessLimits,
    apply_limits,
    decode_outcome,
    encode_exception,
    mp_context,
    renew_cpu_budget,
)
from phonghop.documents.intake import blob_path
from phonghop.errors import InvalidInput, NotFound, Unavailable

logger = logging.getLogger(__name__)

ImageFormat = Literal["webp", "jpeg", "png"]
IMAGE_FORMATS: tuple[ImageFormat, ...] = get_args(ImageFormat)
MEDIA_TYPES: dict[ImageFormat, str] = {"webp": "image/webp", "jpeg": "image/jpeg", "png": "image/png"}
# The longest side libwebp can encode; JPEG allows 65,535.
MAX_SIDE = 16383
_FAILURES_KEPT = 1024


@dataclass(frozen=True)
class RenderSettings:
    """How pages are rendered and cached (settings).

    ``widths``: the image widths clients may ask for (thumbnail, then tablet screens).
    ``max_pixels`` caps the image area: a page far taller than wide is rendered narrower
    than asked rather than as a 30-megapixel strip. ``open_documents`` is per worker.
    ``failure_memory_seconds``: how long a page that timed out or killed workers is
    refused at once instead of being tried again.
    """

    widths: tuple[int, ...] = (256, 1024, 1600, 2048)
    default_format: ImageFormat = "webp"
    webp_quality: int = 80
    webp_method: int = 2
    jpeg_quality: int = 85
    max_pixels: int = 2048 * 2048 * 2
    workers: int = 2
    open_documents: int = 8
    failure_memory_seconds: float = 600.0
    process: ProcessLimits = field(
        default_factory=lambda: ProcessLimits(memory_bytes=1 << 30, cpu_seconds=30, wall_seconds=30.0)
    )


@dataclass(frozen=True)
class RenderedPage:
    data: bytes
    width: int
    height: int
    format: ImageFormat


@dataclass
class CacheStats:
    hits: int = 0
    renders: int = 0


# --- the worker process -----------------------------------------------------------------


def _worker_main(conn: multiprocessing.connection.Connection, settings: RenderSettings) -> None:
    """Serve render requests until the pool closes the pipe."""
    apply_limits(settings.process, persistent=True)
    _keep_freed_memory()
    documents: OrderedDict[str, Any] = OrderedDict()
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            break
        renew_cpu_budget(settings.process.cpu_seconds)
        try:
            outcome: tuple[Any, ...] = ("ok", _render(documents, request, settings))
        except BaseException as exc:
            outcome = encode_exception(exc)
        conn.send(outcome)
        if outcome[0] == "memory":
            break  # pdfium's state after a failed allocation is not to be trusted
    for pdf in documents.values():
        pdf.close()


def _keep_freed_memory() -> None:
    """Ask glibc to keep freed memory for the next page instead of returning it.

    Every page allocates the same few buffers of 10-25 MB (the bitmap, the encoder's
    copies). By default glibc serves those with ``mmap`` and unmaps them on ``free``, so
    each page faults ~40 MB of fresh zeroed memory back in: measured, 9,700 page faults
    and a fifth of the worker's CPU time per page. Serving them from the heap and not
    trimming it keeps them mapped; the worker then holds its peak (~100 MB, under the
    address-space ceiling) for its lifetime. Not glibc (musl): nothing to do.
    """
    m_trim_threshold, m_mmap_threshold = -1, -3
    try:
        libc = ctypes.CDLL(None)
        libc.mallopt(m_mmap_threshold, 32 << 20)  # glibc's maximum
        libc.mallopt(m_trim_threshold, 512 << 20)
    except (OSError, AttributeError):
        pass


def _render(
    documents: OrderedDict[str, Any], request: tuple[str, int, int, ImageFormat], settings: RenderSettings
) -> tuple[bytes, int, int]:
    path, page_no, width, fmt = request
    pdf = documents.get(path)
    if pdf is None:
        try:
            pdf = pdfium.PdfDocument(path)
        except pdfium.PdfiumError:
            raise InvalidInput("pdf_malformed") from None
        documents[path] = pdf
        while len(documents) > settings.open_documents:
            documents.popitem(last=False)[1].close()
    documents.move_to_end(path)

    page_count = len(pdf)
    if not 1 <= page_no <= page_count:
        raise NotFound("document_page_not_found", page=page_no, page_count=page_count)
    page = pdf[page_no - 1]
    try:
        page_width, page_height = page.get_size()
        scale = _scale(page_width, page_height, width, settings.max_pixels)
        # rev_byteorder gives RGB, which Pillow wraps without copying.
        bitmap = page.render(scale=scale, rev_byteorder=True)
        try:
            # Keep the view alive past bitmap.close(): freeing it first makes the buffers
            # go back to the kernel each page (see _keep_freed_memory).
            image = bitmap.to_pil()
            return encode_image(image, fmt, settings), image.width, image.height
        finally:
            bitmap.close()
    finally:
        page.close()


def _scale(page_width: float, page_height: float, width: int, max_pixels: int) -> float:
    """Pixels per point: ``width`` across the page, unless that breaks the pixel budget or
    the longest side WebP can encode (pdfium sizes the bitmap with ``ceil``)."""

    def pixels(scale: float) -> tuple[int, int]:
        return math.ceil(page_width * scale), math.ceil(page_height * scale)

    scale = min(width / page_width, MAX_SIDE / page_height, MAX_SIDE / page_width)
    w, h = pixels(scale)
    if w * h > max_pixels:
        scale = math.sqrt(max_pixels / (page_width * page_height))
        while math.prod(pixels(scale)) > max_pixels or max(pixels(scale)) > MAX_SIDE:
            scale *= 0.995
    return scale


def encode_image(image: Image.Image, fmt: ImageFormat, settings: RenderSettings) -> bytes:
    """Compress a page image; also used by the watermark so both look alike."""
    out = io.BytesIO()
    if fmt == "webp":
        image.save(out, "WEBP", quality=settings.webp_quality, method=settings.webp_method)
    elif fmt == "jpeg":
        image.convert("RGB").save(out, "JPEG", quality=settings.jpeg_quality)
    else:
        image.save(out, "PNG", compress_level=3)
    return out.getvalue()


# --- the pool, in the server process ----------------------------------------------------


class _WorkerDied(Exception):
    pass


class _WorkerTimedOut(Exception):
    pass


class _Worker:
    """One worker process and what the pool knows about it. Used by one thread at a time."""

    def __init__(self, settings: RenderSettings) -> None:
        self.settings = settings
        self.process: BaseProcess | None = None
        self.conn: multiprocessing.connection.Connection | None = None
        self.open_documents: OrderedDict[str, None] = OrderedDict()
        self.busy = False
        self.last_used = 0

    def ensure_started(self) -> None:
        if self.process is not None and self.process.is_alive():
            return
        self.stop()
        ctx = mp_context()
        parent_end, child_end = ctx.Pipe(duplex=True)
        process = ctx.Process(
            target=_worker_main, args=(child_end, self.settings), daemon=True, name="phonghop-render"
        )
        try:
            process.start()
        finally:
            child_end.close()
        self.process, self.conn = process, parent_end

    def call(self, request: tuple[str, int, int, ImageFormat]) -> tuple[Any, ...]:
        self.ensure_started()
        assert self.conn is not None
        try:
            self.conn.send(request)
            if not self.conn.poll(self.settings.process.wall_seconds):
                raise _WorkerTimedOut()
            outcome: tuple[Any, ...] = self.conn.recv()
        except (EOFError, OSError) as exc:
            raise _WorkerDied() from exc
        if outcome[0] == "ok":
            self.open_documents[request[0]] = None
            self.open_documents.move_to_end(request[0])
            while len(self.open_documents) > self.settings.open_documents:
                self.open_documents.popitem(last=False)
        return outcome

    def stop(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None
        if self.process is not None:
            # Closing the pipe makes an idle worker exit by itself; a busy or stuck one
            # is killed.
            self.process.join(0.5)
            if self.process.is_alive():
                self.process.kill()
                self.process.join()
            self.process = None
        self.open_documents.clear()

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None


class RenderPool:
    """A small, persistent pool of sandboxed pdfium workers.

    Create one per server (in the lifespan) and :meth:`close` it at shutdown. Workers start
    on first use. All methods are thread-safe and blocking.
    """

    def __init__(self, settings: RenderSettings | None = None) -> None:
        self.settings = settings or RenderSettings()
        if self.settings.workers < 1:
            raise ValueError("a render pool needs at least one worker")
        self._workers = [_Worker(self.settings) for _ in range(self.settings.workers)]
        self._cond = threading.Condition()
        self._closed = False
        self._clock = 0
        # Requests that timed out or killed workers, refused for a while without trying
        # again: otherwise every request for a hostile page costs a worker 30 seconds.
        self._failures: OrderedDict[tuple[str, int, int, str], tuple[float, InvalidInput]] = OrderedDict()

    def __enter__(self) -> RenderPool:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def render_page(self, pdf_path: Path, page_no: int, width: int, fmt: ImageFormat) -> RenderedPage:
        """Render page ``page_no`` (from 1) of ``pdf_path`` at ``width`` pixels.

        The height follows the page's proportions (and the image is narrower than asked
        if the page is extremely tall, see ``RenderSettings.max_pixels``). Errors:
        ``NotFound("document_page_not_found")``, ``InvalidInput("pdf_malformed")``,
        ``InvalidInput("pdf_render_timeout")``, ``InvalidInput("pdf_render_failed")``,
        ``Unavailable("document_worker_unavailable")``.
        """
        if fmt not in IMAGE_FORMATS:
            raise InvalidInput("document_render_format_invalid", formats=", ".join(IMAGE_FORMATS))
        if not 1 <= width <= max(self.settings.widths):
            raise InvalidInput("document_render_width_invalid", widths=_widths_text(self.settings))
        request = (str(pdf_path), page_no, width, fmt)
        self._refuse_known_failure(request)
        for attempt in range(2):
            worker = self._acquire(request[0])
            try:
                outcome = worker.call(request)
            except _WorkerTimedOut:
                worker.stop()
                seconds = round(self.settings.process.wall_seconds)
                raise self._remember_failure(
                    request, InvalidInput("pdf_render_timeout", seconds=seconds)
                ) from None
            except _WorkerDied:
                exitcode = worker.process.exitcode if worker.process is not None else None
                worker.stop()
                logger.warning(
                    "render worker died (exit code %s) on page %s of %s", exitcode, page_no, pdf_path
                )
                if attempt == 0:
                    continue
                raise self._remember_failure(request, InvalidInput("pdf_render_failed")) from None
            except OSError as exc:
                worker.stop()
                logger.error("cannot start a render worker: %s", exc)
                raise Unavailable("document_worker_unavailable") from None
            finally:
                self._release(worker)
            if outcome[0] == "memory":
                raise self._remember_failure(request, InvalidInput("pdf_render_failed"))
            if outcome[0] == "exception":
                logger.error("render worker error on page %s of %s: %s", page_no, pdf_path, outcome[1:])
                raise InvalidInput("pdf_render_failed")
            data, image_width, image_height = decode_outcome(outcome)
            return RenderedPage(data=data, width=image_width, height=image_height, format=fmt)
        raise AssertionError("unreachable")

    async def render_page_async(
        self, pdf_path: Path, page_no: int, width: int, fmt: ImageFormat
    ) -> RenderedPage:
        return await asyncio.to_thread(self.render_page, pdf_path, page_no, width, fmt)

    def start(self) -> None:
        """Start every worker now rather than on first use (at server start-up, so that the
        first page a delegate opens does not wait for a process to start)."""
        with self._cond:
            if self._closed:
                raise Unavailable("document_worker_unavailable")
            idle = [worker for worker in self._workers if not worker.busy]
            for worker in idle:
                worker.busy = True
        try:
            for worker in idle:
                worker.ensure_started()
        finally:
            for worker in idle:
                self._release(worker)

    def worker_pids(self) -> list[int | None]:
        """Process ids of the workers (``None`` for one not started yet): for operations
        dashboards and for tests that kill a worker."""
        with self._cond:
            return [worker.pid for worker in self._workers]

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            workers = list(self._workers)
        for worker in workers:
            worker.stop()

    def _remember_failure(self, request: tuple[str, int, int, str], error: InvalidInput) -> InvalidInput:
        with self._cond:
            self._failures[request] = (time.monotonic() + self.settings.failure_memory_seconds, error)
            self._failures.move_to_end(request)
            while len(self._failures) > _FAILURES_KEPT:
                self._failures.popitem(last=False)
        return error

    def _refuse_known_failure(self, request: tuple[str, int, int, str]) -> None:
        with self._cond:
            known = self._failures.get(request)
            if known is None:
                return
            expiry, error = known
            if time.monotonic() >= expiry:
                del self._failures[request]
                return
        raise type(error)(error.code, **error.params)

    def _acquire(self, path: str) -> _Worker:
        """An idle worker, preferring one that has the document open already."""
        with self._cond:
            while True:
                if self._closed:
                    raise Unavailable("document_worker_unavailable")
                idle = [worker for worker in self._workers if not worker.busy]
                if idle:
                    holding = [worker for worker in idle if path in worker.open_documents]
                    chosen = min(holding or idle, key=lambda worker: worker.last_used)
                    chosen.busy = True
                    self._clock += 1
                    chosen.last_used = self._clock
                    return chosen
                self._cond.wait()

    def _release(self, worker: _Worker) -> None:
        with self._cond:
            worker.busy = False
            self._cond.notify()


def _widths_text(settings: RenderSettings) -> str:
    return ", ".join(str(width) for width in sorted(settings.widths))


# --- the disk cache ---------------------------------------------------------------------


class PageCache:
    """Rendered pages on disk, each rendered once.

    Layout: ``cache_dir/ab/<sha256>/<page>-<width>.<format>``; one folder per document,
    so that recalling a document (:meth:`purge`) is one directory removal. Source PDFs are
    found in ``blob_dir`` by their hash (see ``intake.blob_path``). The cache holds
    derived data only: deleting it is always safe, and files are not fsynced.
    """

    def __init__(self, cache_dir: Path, blob_dir: Path, pool: RenderPool) -> None:
        self.cache_dir = cache_dir
        self.blob_dir = blob_dir
        self.pool = pool
        self.settings = pool.settings
        self.stats = CacheStats()
        self._guard = threading.Lock()
        self._locks: dict[tuple[str, int, int, str], tuple[threading.Lock, list[int]]] = {}

    def page_path(self, sha256: str, page_no: int, width: int, fmt: ImageFormat) -> Path:
        blob_path(self.blob_dir, sha256)  # validates the hash before it becomes a path
        return self.cache_dir / sha256[:2] / sha256 / f"{page_no:05d}-{width}.{fmt}"

    def get_or_render(self, sha256: str, page_no: int, width: int, fmt: ImageFormat | None = None) -> Path:
        """The image file of one page, rendering it first if no request has yet.

        Blocking (a render takes tens of milliseconds; a cache hit one ``stat``). Errors
        are those of :meth:`RenderPool.render_page` plus
        ``InvalidInput("document_render_width_invalid")`` for a width not in the settings,
        ``InvalidInput("document_id_invalid")`` and ``NotFound("document_blob_not_found")``.
        """
        fmt = fmt or self.settings.default_format
        if fmt not in IMAGE_FORMATS:
            raise InvalidInput("document_render_format_invalid", formats=", ".join(IMAGE_FORMATS))
        if width not in self.settings.widths:
            raise InvalidInput("document_render_width_invalid", widths=_widths_text(self.settings))
        if page_no < 1:
            raise NotFound("document_page_not_found", page=page_no, page_count=None)
        final = self.page_path(sha256, page_no, width, fmt)
        if final.exists():
            self._count(hit=True)
            return final
        with self._single_flight((sha256, page_no, width, fmt)):
            if final.exists():  # rendered by the request we waited for
                self._count(hit=True)
                return final
            source = blob_path(self.blob_dir, sha256)
            if not source.is_file():
                raise NotFound("document_blob_not_found")
            rendered = self.pool.render_page(source, page_no, width, fmt)
            _write_atomically(final, rendered.data)
            self._count(hit=False)
        return final

    async def get_or_render_async(
        self, sha256: str, page_no: int, width: int, fmt: ImageFormat | None = None
    ) -> Path:
        """:meth:`get_or_render` in a thread (a hit is answered without one)."""
        fmt = fmt or self.settings.default_format
        with contextlib.suppress(InvalidInput):
            if width in self.settings.widths and page_no >= 1:
                cached = self.page_path(sha256, page_no, width, fmt)
                if cached.exists():
                    self._count(hit=True)
                    return cached
        return await asyncio.to_thread(self.get_or_render, sha256, page_no, width, fmt)

    def purge(self, sha256: str) -> None:
        """Delete every rendered page of a document (recall at the end of a meeting)."""
        folder = self.page_path(sha256, 1, self.settings.widths[0], self.settings.default_format).parent
        shutil.rmtree(folder, ignore_errors=True)

    def _count(self, *, hit: bool) -> None:
        with self._guard:
            if hit:
                self.stats.hits += 1
            else:
                self.stats.renders += 1

    @contextlib.contextmanager
    def _single_flight(self, key: tuple[str, int, int, str]) -> Iterator[None]:
        with self._guard:
            entry = self._locks.get(key)
            if entry is None:
                entry = self._locks[key] = (threading.Lock(), [0])
            entry[1][0] += 1
        try:
            with entry[0]:
                yield
        finally:
            with self._guard:
                entry[1][0] -= 1
                if entry[1][0] == 0:
                    del self._locks[key]


def _write_atomically(final: Path, data: bytes) -> None:
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(dir=final.parent, prefix=".render-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(temp_name, final)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
        raise
