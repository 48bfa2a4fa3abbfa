"""Document delivery: page rendering against raw pypdfium2, and tablets prefetching pages.

1. Rendering: ``scripts/bench_render.py`` (phonghop's sandboxed pool and cache against raw
   pypdfium2 on the same file, in the same run; the target is within 1.5x).
2. Prefetch: N tablets (each its own session and keep-alive connection) fetch every page
   of a 50-page document from one ``phonghop serve`` instance, as tablets do when the
   meeting opens; the same files are then fetched from a bare static file server
   (Starlette ``StaticFiles`` under the same uvicorn) side by side, and the ratio printed.
   Pages are rendered once before the timed runs (the first render is reported apart).
3. Classified: the same for a classified document, where every page is watermarked with
   the delegate's name and the time when it is served (no cache can help), with
   ``--classified-tablets`` tablets (a classified document's audience is usually the
   standing committee, not the whole congress); the time for the full N is extrapolated
   from the measured rate and reported as such.

The load generator runs on the same two cores as the server, in ``--processes`` processes:
compare ratios, not absolute times. No pass/fail.

    PYTHONPATH=server .venv/bin/python scripts/bench_documents.py [--tablets 1600] [--db postgres] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

try:
    import phonghop  # noqa: F401
except ImportError:  # run from a checkout without PYTHONPATH
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_fanout import cpu_seconds, free_port, wait_http
from bench_render import build_document

WIDTH = 1280

STATIC_SERVER = r"""
import sys, uvicorn
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
app = Starlette(routes=[Mount("/", app=StaticFiles(directory=sys.argv[2]))])
port = int(sys.argv[1])
uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", http="httptools", loop="uvloop")
"""


# -- seeding ----------------------------------------------------------------------------------


async def seed(
    database_url: str, data_dir: Path, tablets: int, secret: str, pdf: bytes, short_pdf: bytes
) -> dict[str, Any]:
    """A meeting with N delegates (each with a session) and the same 50-page PDF twice:
    once ordinary, once classified (Mật); a short classified document that the bench has
    the server mark in advance; and the office's session, which asks for that."""
    from _bench_world import seed_world, seeding
    from phonghop.documents.inspection import inspect_pdf_async
    from phonghop.documents.intake import store_upload
    from phonghop.domain.meeting import Classification
    from phonghop.services import documents
    from phonghop.services.accounts import start_session
    from phonghop.services.documents import DocumentFields
    from phonghop.web.cookies import SESSION_COOKIE, sign

    async def chunks() -> Any:
        yield pdf

    blob = await store_upload(chunks(), data_dir / "blobs", max_bytes=1 << 30)
    info = await inspect_pdf_async(blob.path)

    async def short_chunks() -> Any:
        yield short_pdf

    short_blob = await store_upload(short_chunks(), data_dir / "blobs", max_bytes=1 << 30)
    short_info = await inspect_pdf_async(short_blob.path)
    async with seeding(database_url) as uow:
        world = await seed_world(uow, tablets=tablets, secret=secret, secretary=False)
        ordinary = await documents.add_document(
            uow, world.office, world.meeting_id, DocumentFields(title="Tài liệu thường"), blob, info
        )
        classified = await documents.add_document(
            uow,
            world.office,
            world.meeting_id,
            DocumentFields(title="Tài liệu mật", classification=Classification.CONFIDENTIAL),
            blob,
            info,
        )
        premarked = await documents.add_document(
            uow,
            world.office,
            world.meeting_id,
            DocumentFields(title="Tài liệu mật (đánh dấu trước)", classification=Classification.CONFIDENTIAL),
            short_blob,
            short_info,
        )
        # The same short file as an ordinary document: a page turn to a version the tablets
        # have not seen yet, like the classified one (both need an access decision).
        turn = await documents.add_document(
            uow,
            world.office,
            world.meeting_id,
            DocumentFields(title="Tài liệu thường (lật trang)"),
            short_blob,
            short_info,
        )
        office = await start_session(uow, max_age=3600, user_id=world.office.user_id)
        return {
            "office_cookie": f"{SESSION_COOKIE}={sign(secret, office.token)}",
            "office_csrf": office.csrf_token,
            "premarked_document": premarked.id,
            "premarked": premarked.versions[-1].id,
            "premarked_pages": short_info.page_count,
            "turn_ordinary": turn.versions[-1].id,
            "cookies": list(world.delegate_cookies),
            "sha256": blob.sha256,
            "pages": info.page_count,
            "ordinary": ordinary.versions[-1].id,
            "classified": classified.versions[-1].id,
        }


# -- the tablets: a minimal keep-alive HTTP/1.1 client ------------------------------------------


async def _fetch_all(port: int, paths: list[str], cookie: str | None) -> tuple[float, int, int, list[str]]:
    """One tablet: one connection, every page in turn, as ``client_web/tablet/pages.js``
    does: a 503 or 429 is asked again after its Retry-After plus a random part as long
    again. (seconds, bytes, retries, errors)."""
    import random

    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    extra = f"Cookie: {cookie}\r\n" if cookie else ""
    received, retries, errors = 0, 0, []
    start = time.perf_counter()
    try:
        for path in paths:
            while True:
                writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{extra}\r\n".encode())
                head = await reader.readuntil(b"\r\n\r\n")
                status = int(head.split(b" ", 2)[1])
                length, retry_after = 0, 2.0
                for line in head.split(b"\r\n"):
                    name, _, value = line.partition(b":")
                    if name.lower() == b"content-length":
                        length = int(value)
                    elif name.lower() == b"retry-after":
                        retry_after = float(value)
                body = await reader.readexactly(length)
                if status in (429, 503) and retries < 1000:
                    retries += 1
                    await asyncio.sleep(retry_after * (1 + random.random()))
                    continue
                if status != 200:
                    errors.append(f"{path}: HTTP {status} {body[:200]!r}")
                received += length
                break
    finally:
        writer.close()
    return time.perf_counter() - start, received, retries, errors


def _client_process(port: int, jobs: list[tuple[list[str], str | None]], go: Any, out: Any) -> None:
    import uvloop

    async def main() -> list[tuple[float, int, int, list[str]]]:
        go.wait()
        return await asyncio.gather(*(_fetch_all(port, paths, cookie) for paths, cookie in jobs))

    out.put(uvloop.run(main()))


def prefetch(
    port: int, jobs: list[tuple[list[str], str | None]], processes: int, server_pid: int
) -> dict[str, Any]:
    ctx = multiprocessing.get_context("fork")
    go, out = ctx.Event(), ctx.Queue()
    shares = [jobs[i::processes] for i in range(processes)]
    procs = [ctx.Process(target=_client_process, args=(port, share, go, out)) for share in shares if share]
    for p in procs:
        p.start()
    time.sleep(0.5)
    cpu0, start = cpu_seconds(server_pid), time.perf_counter()
    go.set()
    results: list[tuple[float, int, int, list[str]]] = []
    for _ in procs:
        results.extend(out.get(timeout=3600))
    wall = time.perf_counter() - start
    cpu = cpu_seconds(server_pid) - cpu0
    for p in procs:
        p.join()
    per_tablet = sorted(r[0] for r in results)
    pages = sum(len(paths) for paths, _ in jobs)
    return {
        "tablets": len(jobs),
        "pages_served": pages,
        "seconds_until_every_tablet_has_every_page": round(wall, 2),
        "tablet_p50_s": round(statistics.median(per_tablet), 2),
        "tablet_p99_s": round(per_tablet[int(len(per_tablet) * 0.99) - 1 if len(per_tablet) > 1 else 0], 2),
        "pages_per_second": round(pages / wall, 1),
        "megabytes": round(sum(r[1] for r in results) / 1e6, 1),
        "server_cpu_ms_per_page": round(cpu / pages * 1000, 3),
        "errors": sum(len(r[3]) for r in results),
        "retries_after_503": sum(r[2] for r in results),
        "first_error": next((r[3][0] for r in results if r[3]), None),
    }


# -- classified pages marked in advance --------------------------------------------------------


def office_request(port: int, seeded: dict[str, Any], method: str, path: str, body: Any = None) -> Any:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={
            "Cookie": seeded["office_cookie"],
            "X-CSRF-Token": seeded["office_csrf"],
            "Content-Type": "application/json",
        },
    )
    with urllib.request.urlopen(request, timeout=60) as answer:
        return json.loads(answer.read())


def premark(port: int, seeded: dict[str, Any], server_pid: int) -> dict[str, Any]:
    """Have the server mark the short classified document for every delegate (as after
    publishing: here by re-saving its access list) and time it."""
    document = seeded["premarked_document"]
    cpu0, start = cpu_seconds(server_pid), time.perf_counter()
    office_request(port, seeded, "PATCH", f"/api/documents/{document}", {"access": {"mode": "all"}})
    while True:
        progress = office_request(port, seeded, "GET", f"/api/documents/{document}/premark")
        if progress["total"] and progress["done"] >= progress["total"]:
            break
        time.sleep(0.5)
    wall = time.perf_counter() - start
    return {
        "marked_pages": progress["total"],
        "seconds": round(wall, 1),
        "pages_per_second": round(progress["total"] / wall, 1),
        "workers": os.cpu_count(),
        "server_process_cpu_s": round(cpu_seconds(server_pid) - cpu0, 1),
    }


def page_turn(port: int, version: int, cookies: list[str], processes: int, server_pid: int) -> dict[str, Any]:
    """Every tablet asks for the page the presenter turned to, at once (page 1 of a version
    it has not asked anything of yet, in each case)."""
    return prefetch(
        port, [([f"/api/versions/{version}/pages/1?w={WIDTH}"], c) for c in cookies], processes, server_pid
    )


# -- main -------------------------------------------------------------------------------------


def render_figures() -> dict[str, Any]:
    script = Path(__file__).resolve().parent / "bench_render.py"
    run = subprocess.run(
        [sys.executable, str(script), "--json", "--repeat", "2"], capture_output=True, text=True, check=True
    )
    result: dict[str, Any] = json.loads(run.stdout)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tablets", type=int, default=1600)
    parser.add_argument("--classified-tablets", type=int, default=40)
    parser.add_argument("--pages", type=int, default=50)
    parser.add_argument("--processes", type=int, default=2, help="load generator processes")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres", help="admin URL"
    )
    parser.add_argument(
        "--premark-pages", type=int, default=2, help="pages of the classified document marked in advance"
    )
    parser.add_argument("--skip-render", action="store_true", help="leave out the rendering figures")
    parser.add_argument("--json", action="store_true", help="print one JSON object with every figure")
    args = parser.parse_args()
    figures: dict[str, Any] = {"tablets": args.tablets, "pages": args.pages, "width": WIDTH}
    if not args.skip_render:
        figures["render"] = render_figures()

    from _bench_world import postgres_database

    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-documents-")))
        secret = secrets.token_hex(16)
        data_dir = tmp / "data"
        if args.db == "postgres":
            database_url = stack.enter_context(postgres_database(args.postgres))
        else:
            database_url = f"sqlite+aiosqlite:///{tmp / 'bench.db'}"
        figures["database"] = args.db
        seeded = asyncio.run(
            seed(
                database_url,
                data_dir,
                args.tablets,
                secret,
                build_document(args.pages),
                build_document(args.premark_pages),
            )
        )
        env = {
            **os.environ,
            "PHONGHOP_DATABASE_URL": database_url,
            "PHONGHOP_SECRET_KEY": secret,
            "PHONGHOP_DATA_DIR": str(data_dir),
        }
        port = free_port()
        log = open(tmp / "serve.log", "wb")  # noqa: SIM115 - closed below
        server = subprocess.Popen(
            [sys.executable, "-m", "phonghop", "--port", str(port), "serve"], env=env, stdout=log, stderr=log
        )
        static = None
        try:
            wait_http(f"http://127.0.0.1:{port}/readyz", timeout=300)
            pages = range(1, seeded["pages"] + 1)
            ours = [f"/api/versions/{seeded['ordinary']}/pages/{n}?w={WIDTH}" for n in pages]
            # first render of every page (one tablet), then every tablet from the cache
            cold = prefetch(port, [(ours, seeded["cookies"][0])], 1, server.pid)
            figures["first_render_of_the_document_s"] = cold["seconds_until_every_tablet_has_every_page"]
            figures["ordinary"] = prefetch(
                port, [(ours, c) for c in seeded["cookies"]], args.processes, server.pid
            )
            sha = seeded["sha256"]
            static_port = free_port()
            static = subprocess.Popen(
                [sys.executable, "-c", STATIC_SERVER, str(static_port), str(data_dir / "cache")]
            )
            wait_http(f"http://127.0.0.1:{static_port}/{sha[:2]}/{sha}/00001-{WIDTH}.webp")
            files = [f"/{sha[:2]}/{sha}/{n:05d}-{WIDTH}.webp" for n in pages]
            figures["static_file_server"] = prefetch(
                static_port, [(files, None) for _ in seeded["cookies"]], args.processes, static.pid
            )
            secret_pages = [f"/api/versions/{seeded['classified']}/pages/{n}?w={WIDTH}" for n in pages]
            n = min(args.classified_tablets, args.tablets)
            classified = prefetch(
                port, [(secret_pages, c) for c in seeded["cookies"][:n]], args.processes, server.pid
            )
            classified["extrapolated_seconds_for_all_tablets"] = round(
                args.tablets * seeded["pages"] / classified["pages_per_second"], 1
            )
            figures["classified"] = classified
            # A page turn to 1,600 tablets: an ordinary page, a classified page marked in
            # advance, and a classified page not marked yet (the cold case).
            cookies = seeded["cookies"]
            figures["turn_ordinary"] = page_turn(
                port, seeded["ordinary"], cookies, args.processes, server.pid
            )
            figures["premarking"] = premark(port, seeded, server.pid)
            figures["turn_premarked"] = page_turn(
                port, seeded["premarked"], cookies, args.processes, server.pid
            )
            figures["turn_cold"] = page_turn(port, seeded["classified"], cookies, args.processes, server.pid)
        finally:
            for proc in (server, static):
                if proc is not None:
                    proc.send_signal(signal.SIGTERM)
                    proc.wait(timeout=30)
            log.close()

    ours_s = figures["ordinary"]["seconds_until_every_tablet_has_every_page"]
    static_s = figures["static_file_server"]["seconds_until_every_tablet_has_every_page"]
    figures["ratio_ordinary_vs_static"] = round(ours_s / static_s, 2)
    figures["ratio_cpu_per_page_vs_static"] = round(
        figures["ordinary"]["server_cpu_ms_per_page"]
        / figures["static_file_server"]["server_cpu_ms_per_page"],
        2,
    )
    turn_s = figures["turn_ordinary"]["seconds_until_every_tablet_has_every_page"]
    figures["ratio_turn_premarked_vs_ordinary"] = round(
        figures["turn_premarked"]["seconds_until_every_tablet_has_every_page"] / turn_s, 2
    )
    figures["ratio_turn_cold_vs_ordinary"] = round(
        figures["turn_cold"]["seconds_until_every_tablet_has_every_page"] / turn_s, 2
    )
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
        return 0
    if "render" in figures:
        r = figures["render"]
        print(
            f"rendering {r['pages']} pages at {r['width']} px: raw pypdfium2 {r['raw_pages_per_s']} pages/s, "
            f"phonghop {r['ours_pages_per_s']} pages/s -> ratio {r['ratio']}x (CPU {r['cpu_ratio']}x)"
        )
    print(f"first render of the {args.pages}-page document: {figures['first_render_of_the_document_s']} s")
    columns = [
        "tablets",
        "pages_served",
        "seconds_until_every_tablet_has_every_page",
        "tablet_p50_s",
        "tablet_p99_s",
        "pages_per_second",
        "server_cpu_ms_per_page",
        "errors",
        "retries_after_503",
    ]
    print(f"{'':28}" + "".join(f"{c[:22]:>24}" for c in columns))
    for label, key in (
        ("static file server", "static_file_server"),
        ("phonghop, ordinary", "ordinary"),
        ("phonghop, classified", "classified"),
        ("turn: ordinary page", "turn_ordinary"),
        ("turn: classified, marked", "turn_premarked"),
        ("turn: classified, cold", "turn_cold"),
    ):
        print(f"{label:28}" + "".join(f"{figures[key][c]:>24}" for c in columns))
    for label, key in (
        ("ordinary", "ordinary"),
        ("classified", "classified"),
        ("turn, marked", "turn_premarked"),
        ("turn, cold", "turn_cold"),
    ):
        if figures[key]["first_error"]:
            print(f"first error ({label}): {figures[key]['first_error']}")
    print(
        f"ratio phonghop/static (ordinary): time {figures['ratio_ordinary_vs_static']}x, "
        f"CPU per page {figures['ratio_cpu_per_page_vs_static']}x"
    )
    pm = figures["premarking"]
    print(
        f"marking in advance: {pm['marked_pages']} pages in {pm['seconds']} s "
        f"({pm['pages_per_second']} pages/s, {pm['workers']} processes)"
    )
    print(
        f"a page turn to {args.tablets} tablets: classified marked in advance "
        f"{figures['ratio_turn_premarked_vs_ordinary']}x an ordinary page, "
        f"not yet marked {figures['ratio_turn_cold_vs_ordinary']}x"
    )
    print(
        f"classified, extrapolated to {args.tablets} tablets: "
        f"{figures['classified']['extrapolated_seconds_for_all_tablets']} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
