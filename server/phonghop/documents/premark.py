"""Classified pages marked in advance, for every entitled reader, by a pool of processes.

Marking a page for one delegate costs a decode, a mask and an encode (tens of ms):
1,600 delegates turning to the same classified page is half a minute of CPU at the
moment of the turn. A classified document is usually published days before the meeting,
so the marks are made then, in the background: every page of the current version for
every participant who may read it, at the widths tablets ask for, the presenter's
current page first (and a page the presenter turns to meanwhile jumps the queue).
Serving a pre-marked page is then a file read, as for an ordinary
page (``web.documents.page_image``); a page not yet marked is marked when asked (the
cold case), as before.

Pre-marked copies are WebP, like ordinary pages, although encoding the busy marked image
as WebP costs two to three times a JPEG: that cost is paid once, in the background, days
ahead, while every byte is paid again for each of 1,600 tablets at the moment of the turn
(on the benchmark's page at 1280 px: 311 KB against 528 KB as JPEG, 198 KB unmarked).
Measured with ``scripts/bench_documents.py`` (1,600 tablets, PostgreSQL, same machine):
the marked turn went from 1.20x to 1.02x an ordinary page's, and marking in advance from
57 to 16 pages a second on 2 cores. The cold case, marked while the tablet waits, stays
JPEG.

What the mark says does not change: the reader's name, title and the legal marking,
diagonal and repeated, burned into the pixels. The time on a pre-marked page is the
time it was marked (local time, as on a live mark); the audit log keeps when each copy
was served. A file is named after the reader and a digest of their name, title and the
document's classification, so a renamed participant gets a live mark, never another
name's; marks are kept beside the page cache (the data directory, already holding the
unmarked rendered pages) and dropped when the document is recalled or gets a new version.

The pool is sized to the machine (one process per core) at a lower priority than the
server, so that marking a congress's documents never slows a meeting that is running.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import hashlib
import logging
import multiprocessing
import os
import shutil
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from phonghop.documents.rendering import ImageFormat, PageCache, RenderSettings

log = logging.getLogger("phonghop.documents")

#: Readers marked per task: one decode of the page serves them all.
CHUNK = 64


@dataclass(frozen=True)
class Reader:
    participant_id: int
    #: The watermark's identity lines, without the time (what the file name is derived from).
    identity: tuple[str, ...]
    #: The lines burned in (identity and the marking time).
    lines: tuple[str, ...]


#: The format of pre-marked copies (see the module's docstring), and their file suffix.
FORMAT: ImageFormat = "webp"
SUFFIX = "webp"
MEDIA_TYPE = "image/webp"


def marked_path(
    root: Path, document_id: int, version_id: int, reader: int, identity: Sequence[str], page: int, width: int
) -> Path:
    digest = hashlib.sha256("\n".join(identity).encode()).hexdigest()[:16]
    return root / str(document_id) / str(version_id) / str(reader) / f"{page:05d}-{width}-{digest}.{SUFFIX}"


def _lower_priority() -> None:
    with contextlib.suppress(OSError):
        os.nice(10)


def _mark(source: str, jobs: list[tuple[tuple[str, ...], str]], settings: RenderSettings) -> int:
    """In a pool process: one rendered page, marked for several readers, each written
    atomically (a tablet never reads half a file)."""
    from phonghop.documents.watermark import watermark_page_file

    for lines, out in jobs:
        data = watermark_page_file(Path(source), lines, fmt=FORMAT, settings=settings)
        target = Path(out)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".part")
        partial.write_bytes(data)
        os.replace(partial, target)
    return len(jobs)


class PageOrder:
    """The pages still to mark: the presenter's page first, then on from there; a page the
    presenter turns to while the job runs jumps the queue."""

    def __init__(self, page_count: int, first: int | None = None) -> None:
        pages = list(range(1, page_count + 1))
        if first is not None and 1 <= first <= page_count:
            pages = pages[first - 1 :] + pages[: first - 1]
        self._pages = collections.deque(pages)

    def __len__(self) -> int:
        return len(self._pages)

    def next(self) -> int | None:
        return self._pages.popleft() if self._pages else None

    def move_to_front(self, page: int) -> None:
        if page in self._pages:
            self._pages.remove(page)
            self._pages.appendleft(page)


@dataclass(frozen=True)
class Job:
    """Every page of one version, for these readers, at these widths."""

    document_id: int
    version_id: int
    sha256: str
    page_count: int
    readers: list[Reader]
    widths: Sequence[int]
    #: The presenter's current page, marked first.
    first_page: int | None = None


class PreMarker:
    """The pool and the running jobs of one instance; see the module."""

    def __init__(
        self, cache_dir: Path, pages: PageCache, settings: RenderSettings, *, workers: int = 0
    ) -> None:
        self.root = cache_dir / "marked"
        self.pages = pages
        self.settings = settings
        self.workers = workers or os.cpu_count() or 1
        self._pool: ProcessPoolExecutor | None = None
        self._jobs: dict[int, asyncio.Task[None]] = {}
        #: The running jobs' remaining pages, by version, and each version's document.
        self._orders: dict[int, PageOrder] = {}
        self._documents: dict[int, int] = {}

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                self.workers, mp_context=multiprocessing.get_context("spawn"), initializer=_lower_priority
            )
        return self._pool

    def path(
        self, document_id: int, version_id: int, reader: int, identity: Sequence[str], page: int, width: int
    ) -> Path:
        return marked_path(self.root, document_id, version_id, reader, identity, page, width)

    def _file(self, job: Job, reader: Reader, page: int, width: int) -> Path:
        return self.path(job.document_id, job.version_id, reader.participant_id, reader.identity, page, width)

    def done(self, document_id: int, version_id: int) -> int:
        """Pages marked so far for this version (read from the shared data directory, so
        every instance sees the same count)."""
        folder = self.root / str(document_id) / str(version_id)
        if not folder.is_dir():
            return 0
        return sum(1 for p in folder.glob(f"*/*.{SUFFIX}"))

    def running(self, version_id: int) -> bool:
        job = self._jobs.get(version_id)
        return job is not None and not job.done()

    def start(self, job: Job) -> None:
        """Mark in the background (a job already running for the version is replaced)."""
        previous = self._jobs.pop(job.version_id, None)
        if previous is not None:
            previous.cancel()
        self._documents[job.version_id] = job.document_id
        self._jobs[job.version_id] = asyncio.get_running_loop().create_task(self._run(job))

    async def _run(self, job: Job) -> None:
        order = self._orders[job.version_id] = PageOrder(job.page_count, job.first_page)
        loop = asyncio.get_running_loop()
        limit = asyncio.Semaphore(self.workers * 2)
        pending: set[asyncio.Future[Any]] = set()
        try:
            while (page := order.next()) is not None:
                for width in job.widths:
                    source = await self.pages.get_or_render_async(job.sha256, page, width)
                    paths = [
                        (
                            r.lines,
                            self.path(
                                job.document_id, job.version_id, r.participant_id, r.identity, page, width
                            ),
                        )
                        for r in job.readers
                    ]
                    todo = [(lines, str(path)) for lines, path in paths if not path.exists()]
                    for start in range(0, len(todo), CHUNK):
                        await limit.acquire()
                        future = loop.run_in_executor(
                            self._executor(), _mark, str(source), todo[start : start + CHUNK], self.settings
                        )
                        future.add_done_callback(lambda _f: limit.release())
                        pending = {f for f in pending if not f.done()} | {future}
            if pending:
                await asyncio.gather(*pending)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("pre-marking version %d stopped; its pages are marked when asked", job.version_id)
        finally:
            if self._orders.get(job.version_id) is order:
                del self._orders[job.version_id]

    def on_event(self, event: dict[str, Any]) -> None:
        """Drop the marks a recall or a new version makes useless (every instance sees the
        event; removing what is already gone is harmless)."""
        kind = str(event.get("type", ""))
        data = event.get("data") or {}
        if kind == "presenter.page_changed":
            # The room is about to ask for that page: mark it next.
            for version_id, order in self._orders.items():
                if self._documents.get(version_id) == data.get("document_id"):
                    order.move_to_front(int(data["page"]))
        elif kind == "document.recalled":
            self.drop(int(data["document_id"]))
        elif kind == "document.updated" and isinstance(data.get("document"), dict):
            doc = data["document"]
            self.drop(int(doc["id"]), keep_version=int(doc["version"]["id"]))

    def drop(self, document_id: int, *, keep_version: int | None = None) -> None:
        folder = self.root / str(document_id)
        if not folder.is_dir():
            return
        for version in folder.iterdir():
            if keep_version is not None and version.name == str(keep_version):
                continue
            job = self._jobs.pop(int(version.name), None) if version.name.isdigit() else None
            if job is not None:
                job.cancel()
            shutil.rmtree(version, ignore_errors=True)

    async def close(self) -> None:
        for job in self._jobs.values():
            job.cancel()
        for job in self._jobs.values():
            with contextlib.suppress(asyncio.CancelledError):
                await job
        self._jobs.clear()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
