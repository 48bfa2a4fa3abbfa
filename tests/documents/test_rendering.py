from __future__ import annotations

import asyncio
import io
import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import cast

import pytest
from PIL import Image

from phonghop.documents import PageCache, ProcessLimits, RenderPool, RenderSettings
from phonghop.documents._sandbox import run_limited
from phonghop.errors import InvalidInput, NotFound

from .conftest import heavy_pdf, make_pdf, raw_pdf, rotate_first_page

StoreBlob = Callable[[bytes], str]


def _image(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def _image_file(path: Path) -> Image.Image:
    return _image(path.read_bytes())


@pytest.mark.parametrize(("fmt", "pil_format"), [("webp", "WEBP"), ("jpeg", "JPEG"), ("png", "PNG")])
def test_page_is_rendered_at_the_requested_width(
    render_pool: RenderPool, tmp_path: Path, fmt: str, pil_format: str
) -> None:
    path = tmp_path / "doc.pdf"
    path.write_bytes(make_pdf())

    page = render_pool.render_page(path, 2, 1024, fmt)  # type: ignore[arg-type]

    image = _image(page.data)
    assert image.format == pil_format
    assert image.size == (page.width, page.height) == (1024, 1449)  # A4 proportions


def test_rendered_page_shows_the_page(render_pool: RenderPool, tmp_path: Path) -> None:
    path = tmp_path / "doc.pdf"
    path.write_bytes(make_pdf())
    image = _image(render_pool.render_page(path, 1, 1024, "png").data).convert("L")
    # Text in the top band, white paper below it.
    darkest, _ = cast(tuple[int, int], image.crop((100, 100, 900, 200)).getextrema())
    assert darkest < 100
    assert image.crop((100, 800, 900, 1400)).getextrema() == (255, 255)


def test_rotated_page_is_rendered_as_displayed(render_pool: RenderPool, tmp_path: Path) -> None:
    path = tmp_path / "rotated.pdf"
    path.write_bytes(rotate_first_page(make_pdf()))
    page = render_pool.render_page(path, 1, 1024, "png")
    assert (page.width, page.height) == (1024, 725)


def test_extremely_tall_page_is_capped_in_pixels(render_pool: RenderPool, tmp_path: Path) -> None:
    tall = raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 14400] >>",
        ]
    )
    path = tmp_path / "tall.pdf"
    path.write_bytes(tall)
    page = render_pool.render_page(path, 1, 2048, "png")
    assert page.width * page.height <= RenderSettings().max_pixels
    assert page.width < 2048 and page.height <= 16383


@pytest.mark.parametrize("page_no", [0, 4, -1])
def test_missing_page(render_pool: RenderPool, tmp_path: Path, page_no: int) -> None:
    path = tmp_path / "doc.pdf"
    path.write_bytes(make_pdf())
    with pytest.raises(NotFound) as missing:
        render_pool.render_page(path, page_no, 1024, "webp")
    assert missing.value.code == "document_page_not_found"
    assert missing.value.params == {"page": page_no, "page_count": 3}


def test_unreadable_file_is_malformed(render_pool: RenderPool, tmp_path: Path) -> None:
    path = tmp_path / "garbage.pdf"
    path.write_bytes(b"%PDF-1.4\n" + os.urandom(3000))
    with pytest.raises(InvalidInput) as refused:
        render_pool.render_page(path, 1, 1024, "webp")
    assert refused.value.code == "pdf_malformed"


# --- the cache --------------------------------------------------------------------------


@pytest.fixture
def cache(tmp_path: Path, blob_dir: Path, render_pool: RenderPool) -> PageCache:
    return PageCache(tmp_path / "pages", blob_dir, render_pool)


def test_cache_renders_once_then_serves_the_file(cache: PageCache, store_blob: StoreBlob) -> None:
    sha256 = store_blob(make_pdf())

    first = cache.get_or_render(sha256, 1, 1024)
    stamp = first.stat()
    second = cache.get_or_render(sha256, 1, 1024)

    assert second == first
    assert (second.stat().st_ino, second.stat().st_mtime_ns) == (stamp.st_ino, stamp.st_mtime_ns)
    assert (cache.stats.renders, cache.stats.hits) == (1, 1)
    assert first.suffix == ".webp" and _image_file(first).width == 1024


def test_each_width_and_format_is_its_own_entry(cache: PageCache, store_blob: StoreBlob) -> None:
    sha256 = store_blob(make_pdf())
    paths = {
        cache.get_or_render(sha256, 1, 256),
        cache.get_or_render(sha256, 1, 1600),
        cache.get_or_render(sha256, 1, 1600, "jpeg"),
        cache.get_or_render(sha256, 2, 1600),
    }
    assert len(paths) == 4
    assert cache.stats.renders == 4
    assert _image_file(cache.get_or_render(sha256, 1, 256)).size == (256, 363)


def test_concurrent_requests_for_one_page_render_it_once(cache: PageCache, store_blob: StoreBlob) -> None:
    sha256 = store_blob(make_pdf())
    barrier = threading.Barrier(8)
    results: list[Path] = []

    def ask() -> None:
        barrier.wait()
        results.append(cache.get_or_render(sha256, 3, 1600))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(set(results)) == 1 and len(results) == 8
    assert cache.stats.renders == 1
    assert _image_file(results[0]).size == (1600, 2263)
    assert not list(cache.cache_dir.rglob("*.part"))


def test_two_caches_sharing_a_folder_never_expose_a_partial_file(
    tmp_path: Path, blob_dir: Path, render_pool: RenderPool, store_blob: StoreBlob
) -> None:
    """Two server processes share the cache folder: they may both render, but a reader
    only ever finds a whole image under the final name."""
    sha256 = store_blob(make_pdf())
    caches = [PageCache(tmp_path / "shared", blob_dir, render_pool) for _ in range(2)]
    final = caches[0].page_path(sha256, 2, 2048, "webp")
    seen: list[bytes] = []
    done = threading.Event()

    def watch() -> None:
        while True:
            finished = done.is_set()
            if final.exists():
                seen.append(final.read_bytes())
            if finished:
                return
            time.sleep(0.0005)

    watcher = threading.Thread(target=watch)
    watcher.start()
    barrier = threading.Barrier(2)

    def ask(cache: PageCache) -> None:
        barrier.wait()
        cache.get_or_render(sha256, 2, 2048)

    threads = [threading.Thread(target=ask, args=(cache,)) for cache in caches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    watcher.join()

    assert seen, "the watcher never saw the file"
    for data in seen:
        assert _image(data).size == (2048, 2897)
    assert not list((tmp_path / "shared").rglob("*.part"))


def test_cache_refuses_bad_requests(cache: PageCache, store_blob: StoreBlob) -> None:
    sha256 = store_blob(make_pdf())
    cases: list[tuple[Callable[[], object], str]] = [
        (lambda: cache.get_or_render(sha256, 1, 1000), "document_render_width_invalid"),
        (lambda: cache.get_or_render(sha256, 1, 1024, "gif"), "document_render_format_invalid"),  # type: ignore[arg-type]
        (lambda: cache.get_or_render("../" + sha256[3:], 1, 1024), "document_id_invalid"),
        (lambda: cache.get_or_render("0" * 64, 1, 1024), "document_blob_not_found"),
        (lambda: cache.get_or_render(sha256, 0, 1024), "document_page_not_found"),
        (lambda: cache.get_or_render(sha256, 9, 1024), "document_page_not_found"),
    ]
    for call, code in cases:
        with pytest.raises((InvalidInput, NotFound)) as refused:
            call()
        assert refused.value.code == code
    assert cache.stats.renders == 0
    assert not list(cache.cache_dir.rglob("*.*"))


def test_async_wrapper_and_purge(cache: PageCache, store_blob: StoreBlob) -> None:
    sha256 = store_blob(make_pdf())
    path = asyncio.run(cache.get_or_render_async(sha256, 1, 1024))
    again = asyncio.run(cache.get_or_render_async(sha256, 1, 1024))
    assert again == path and cache.stats.renders == 1 and cache.stats.hits == 1

    cache.purge(sha256)
    assert not path.exists() and not path.parent.exists()


# --- worker failures --------------------------------------------------------------------


def test_killed_idle_worker_is_replaced(tmp_path: Path) -> None:
    path = tmp_path / "doc.pdf"
    path.write_bytes(make_pdf())
    with RenderPool(RenderSettings(workers=1)) as pool:
        pool.render_page(path, 1, 256, "webp")
        [pid] = pool.worker_pids()
        assert pid is not None
        os.kill(pid, signal.SIGKILL)

        page = pool.render_page(path, 2, 256, "webp")

        assert _image(page.data).width == 256
        assert pool.worker_pids() != [pid]


def _cpu_ticks(pid: int) -> int:
    """User + system CPU time of a process, in clock ticks (/proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def test_worker_killed_mid_render_is_replaced_and_the_request_retried(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "heavy.pdf"
    path.write_bytes(heavy_pdf(curves=5_000))  # seconds of rendering at 2048 px
    results: list[int] = []
    with RenderPool(RenderSettings(workers=1)) as pool:
        pool.render_page(path, 1, 256, "webp")  # worker started, document open
        [pid] = pool.worker_pids()
        assert pid is not None
        request = threading.Thread(
            target=lambda: results.append(pool.render_page(path, 1, 2048, "webp").width)
        )
        with caplog.at_level(logging.WARNING, logger="phonghop.documents.rendering"):
            busy_since = _cpu_ticks(pid)
            request.start()
            # Killed once it is really rendering (its CPU time grows), not after a guess.
            deadline = time.monotonic() + 60
            while _cpu_ticks(pid) < busy_since + 5:
                assert time.monotonic() < deadline, "the worker never started rendering"
                time.sleep(0.01)
            os.kill(pid, signal.SIGKILL)
            request.join()

        assert results == [2048]
        assert "render worker died" in caplog.text
        assert pool.worker_pids() != [pid]


def test_slow_page_times_out_and_the_pool_recovers(tmp_path: Path) -> None:
    # Orders of magnitude apart, whatever the machine's load: a page that takes pdfium about
    # half a minute against a 3 s limit, and a plain page that takes milliseconds.
    heavy = tmp_path / "heavy.pdf"
    heavy.write_bytes(heavy_pdf(curves=25_000))
    light = tmp_path / "light.pdf"
    light.write_bytes(make_pdf())
    settings = RenderSettings(workers=1, process=ProcessLimits(wall_seconds=3))
    with RenderPool(settings) as pool:
        with pytest.raises(InvalidInput) as refused:
            pool.render_page(heavy, 1, 2048, "webp")
        assert refused.value.code == "pdf_render_timeout"

        assert pool.render_page(light, 1, 256, "webp").width == 256
        [pid] = pool.worker_pids()

        # Asked again, the hostile page is refused without costing a worker: the same
        # worker is still there (a render that ran into the limit again would have killed it).
        with pytest.raises(InvalidInput) as again:
            pool.render_page(heavy, 1, 2048, "webp")
        assert (again.value.code, again.value.params) == (refused.value.code, refused.value.params)
        assert pool.worker_pids() == [pid]


def test_page_too_big_for_the_memory_ceiling_fails_cleanly(tmp_path: Path) -> None:
    # 16 MB above an idle worker: a 2048-px page (an 18 MB bitmap, more to encode it) does
    # not fit, the worker fails or dies twice, and the caller gets a code; a thumbnail
    # still renders afterwards.
    path = tmp_path / "doc.pdf"
    path.write_bytes(make_pdf())
    status = run_limited(Path("/proc/self/status").read_text, (), ProcessLimits())
    idle = int(status.split("VmSize:")[1].split()[0]) * 1024
    settings = RenderSettings(workers=1, process=ProcessLimits(memory_bytes=idle + (16 << 20)))
    with RenderPool(settings) as pool:
        with pytest.raises(InvalidInput) as refused:
            pool.render_page(path, 1, 2048, "webp")
        assert refused.value.code == "pdf_render_failed"
        assert pool.render_page(path, 1, 256, "webp").width == 256


def test_closed_pool_is_unavailable(tmp_path: Path) -> None:
    path = tmp_path / "doc.pdf"
    path.write_bytes(make_pdf())
    pool = RenderPool(RenderSettings(workers=1))
    pool.render_page(path, 1, 256, "webp")
    [pid] = pool.worker_pids()
    pool.close()
    with pytest.raises(Exception) as refused:
        pool.render_page(path, 1, 256, "webp")
    assert getattr(refused.value, "code", None) == "document_worker_unavailable"
    assert pid is not None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # the worker is gone, not orphaned


def test_start_launches_every_worker_up_front() -> None:
    with RenderPool(RenderSettings(workers=2)) as pool:
        assert pool.worker_pids() == [None, None]
        pool.start()
        pids = pool.worker_pids()
        assert None not in pids and len(set(pids)) == 2
