"""Page rendering throughput: phonghop's sandboxed pool and cache vs raw pypdfium2.

Both sides produce the same bytes for the same pages: pdfium renders the page at the
requested width and Pillow encodes it with the same settings. The baseline does it in
this process with the document already open; phonghop does it the way the server does
(cold cache, ``PageCache.get_or_render`` -> worker process -> image file on disk), so the
ratio is the price of the sandbox, the IPC and the cache write. A "render only" figure
(pdfium without encoding) is printed too, to show where the time goes.

The document is the demo meeting's documents repeated to ``--pages`` pages (text,
tables, headers: what meetings upload). Both sides keep the document open between runs,
as the server's workers do (pdfium's glyph caches live in the open document, and a
document opened afresh each run renders text markedly slower). Each figure is the best of
``--repeat`` runs, because the machine may be shared: compare the ratio between runs, and
rerun when the load is high; the CPU-time ratio (this process plus the workers, from
/proc) is the steadier figure there, because the scheduler favours a worker that sleeps
between pages over a loop that never does. No pass/fail.

    PYTHONPATH=server .venv/bin/python scripts/bench_render.py [--json]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

try:
    import phonghop  # noqa: F401
except ImportError:  # run from a checkout without PYTHONPATH
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))

import pypdfium2 as pdfium
from pypdf import PdfWriter

from phonghop.demo.documents import sample_documents
from phonghop.documents import PageCache, RenderPool, RenderSettings, blob_path
from phonghop.documents.rendering import ImageFormat, encode_image


def build_document(pages: int) -> bytes:
    """The sample documents, concatenated and repeated until ``pages`` pages."""
    writer = PdfWriter()
    sources = [io.BytesIO(document.pdf_bytes) for document in sample_documents()]
    while len(writer.pages) < pages:
        for source in sources:
            writer.append(source)
    while len(writer.pages) > pages:
        writer.remove_page(len(writer.pages) - 1)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@dataclass(frozen=True)
class Run:
    """Wall-clock seconds and CPU seconds (all processes involved) of one pass."""

    wall: float
    cpu: float


def best_of(repeat: int, run: Callable[[], Run]) -> Run:
    runs = [run() for _ in range(repeat)]
    return Run(wall=min(r.wall for r in runs), cpu=min(r.cpu for r in runs))


def process_cpu(pid: int) -> float:
    """CPU seconds used so far by another process (user + system)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def raw_pypdfium2(
    pdf: pdfium.PdfDocument, width: int, fmt: ImageFormat, settings: RenderSettings, *, encode: bool
) -> Run:
    # Same order of operations as the worker: the PIL view of the bitmap outlives
    # ``bitmap.close()``. Dropping the view first makes the allocator hand the 10 MB
    # buffers back to the kernel after every page and fault them in again for the next
    # (about 7,000 page faults a page), which would make the baseline about 40 % slower
    # for reasons that have nothing to do with the sandbox.
    images: list[bytes] = []
    wall, cpu = time.perf_counter(), time.process_time()
    for index in range(len(pdf)):
        page = pdf[index]
        bitmap = page.render(scale=width / page.get_width(), rev_byteorder=True)
        if encode:
            image = bitmap.to_pil()
            images.append(encode_image(image, fmt, settings))
        bitmap.close()
        page.close()
    return Run(wall=time.perf_counter() - wall, cpu=time.process_time() - cpu)


def ours(
    cache_root: Path,
    blob_dir: Path,
    sha256: str,
    pages: int,
    width: int,
    fmt: ImageFormat,
    pool: RenderPool,
    clients: int,
) -> Run:
    """Every page once through a cold cache, with ``clients`` threads asking for pages
    concurrently (as tablets do). CPU time counts this process and the workers."""
    cache = PageCache(Path(tempfile.mkdtemp(dir=cache_root)), blob_dir, pool)
    numbers = list(range(1, pages + 1))
    lock = threading.Lock()

    def client() -> None:
        while True:
            with lock:
                if not numbers:
                    return
                page_no = numbers.pop(0)
            cache.get_or_render(sha256, page_no, width, fmt)

    workers = [pid for pid in pool.worker_pids() if pid is not None]
    assert len(workers) == pool.settings.workers, "start the pool first"
    wall = time.perf_counter()
    cpu = time.process_time() + sum(process_cpu(pid) for pid in workers)
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - wall
    assert pool.worker_pids() == workers, "a worker was replaced during the run"
    used = time.process_time() + sum(process_cpu(pid) for pid in workers) - cpu
    assert cache.stats.renders == pages
    return Run(wall=elapsed, cpu=used)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=50)
    parser.add_argument("--width", type=int, default=1600)
    parser.add_argument("--format", choices=["webp", "jpeg", "png"], default="webp")
    parser.add_argument("--workers", type=int, default=2, help="pool size for the parallel figure")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    fmt: ImageFormat = args.format
    settings = RenderSettings()

    with tempfile.TemporaryDirectory(prefix="bench-render-") as scratch:
        root = Path(scratch)
        data = build_document(args.pages)
        sha256 = hashlib.sha256(data).hexdigest()
        blob_dir = root / "blobs"
        source = blob_path(blob_dir, sha256)
        source.parent.mkdir(parents=True)
        source.write_bytes(data)
        (root / "cache").mkdir()

        pdf = pdfium.PdfDocument(str(source))
        try:
            raw = best_of(args.repeat, lambda: raw_pypdfium2(pdf, args.width, fmt, settings, encode=True))
            render_only = best_of(
                args.repeat, lambda: raw_pypdfium2(pdf, args.width, fmt, settings, encode=False)
            )
        finally:
            pdf.close()
        with RenderPool(RenderSettings(workers=1)) as pool:
            pool.start()  # the server starts its workers at boot
            sequential = best_of(
                args.repeat,
                lambda: ours(root / "cache", blob_dir, sha256, args.pages, args.width, fmt, pool, 1),
            )
        with RenderPool(RenderSettings(workers=args.workers)) as pool:
            pool.start()
            parallel = best_of(
                args.repeat,
                lambda: ours(
                    root / "cache", blob_dir, sha256, args.pages, args.width, fmt, pool, args.workers
                ),
            )

    result = {
        "pages": args.pages,
        "width": args.width,
        "format": fmt,
        "raw_pages_per_s": round(args.pages / raw.wall, 2),
        "raw_render_only_pages_per_s": round(args.pages / render_only.wall, 2),
        "ours_pages_per_s": round(args.pages / sequential.wall, 2),
        "ratio": round(sequential.wall / raw.wall, 3),
        "cpu_ratio": round(sequential.cpu / raw.cpu, 3),
        "workers": args.workers,
        "ours_parallel_pages_per_s": round(args.pages / parallel.wall, 2),
        "parallel_ratio": round(parallel.wall / raw.wall, 3),
        "load_average": round(os.getloadavg()[0], 2),
    }
    if args.json:
        print(json.dumps(result))
        return
    print(
        f"{args.pages} pages at {args.width} px, {fmt}, best of {args.repeat}, load {result['load_average']}"
    )
    print(f"  raw pypdfium2, same process     {result['raw_pages_per_s']:8.2f} pages/s")
    print(f"    (render only, no encoding)    {result['raw_render_only_pages_per_s']:8.2f} pages/s")
    print(f"  phonghop, 1 worker, 1 client    {result['ours_pages_per_s']:8.2f} pages/s")
    print(f"  time ratio phonghop / raw       {result['ratio']:8.3f}  (target <= 1.5)")
    print(f"  CPU-time ratio phonghop / raw   {result['cpu_ratio']:8.3f}  (steadier on a shared machine)")
    print(
        f"  phonghop, {args.workers} workers, {args.workers} clients "
        f"{result['ours_parallel_pages_per_s']:6.2f} pages/s (time ratio {result['parallel_ratio']:.3f})"
    )


if __name__ == "__main__":
    main()
