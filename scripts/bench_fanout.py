#!/usr/bin/env python3
"""Fan-out benchmark: the secretary turns pages, N simulated tablets follow.

Runs, side by side in one run on this machine:
  * phonghop: a real ``phonghop serve`` (SQLite and the in-process bus, or with
    ``--instances 2`` two instances on PostgreSQL and Redis, tablets split across them);
  * baseline: a bare ``websockets`` server that relays each page turn with
    ``websockets.broadcast()`` of one serialised frame.
Tablets are asyncio websocket clients spread over several processes. For every page
turn it measures the time from the secretary's send to the *last* tablet receiving it,
and the server's CPU time (user+system, from /proc) per delivery.

    scripts/bench_fanout.py --tablets 1600
    scripts/bench_fanout.py --tablets 500 --instances 2 --json
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing as mp
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "server"))

TICK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def wait_http(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


# -- tablets (worker processes) ---------------------------------------------------------------


def tablet_worker(urls: list[str], cookies: list[str | None], ready: Any, go: Any, results: Any) -> None:
    """Holds len(urls) connections; records when each page turn arrives (monotonic clock)."""
    import uvloop
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed, InvalidHandshake

    async def main() -> None:
        arrivals: dict[int, list[float]] = {}
        conns = []
        failed: list[str] = []

        async def one(url: str, cookie: str | None) -> None:
            headers = {"Cookie": cookie} if cookie else {}
            for attempt in range(20):  # a real tablet retries too
                try:
                    ws = await connect(
                        url, additional_headers=headers, max_size=2**22, ping_interval=None, open_timeout=30
                    )
                    break
                except (OSError, TimeoutError, InvalidHandshake):
                    await asyncio.sleep(0.2 * (attempt + 1))
            else:
                failed.append(url)
                return
            conns.append(ws)
            await ws.send('{"id":1,"type":"hello","last_seq":null}')
            with contextlib.suppress(ConnectionClosed):
                async for raw in ws:
                    if '"presenter.page_changed"' in raw:
                        now = time.perf_counter()
                        page = json.loads(raw)["data"]["page"]
                        arrivals.setdefault(page, []).append(now)

        tasks = []
        for i, (url, cookie) in enumerate(zip(urls, cookies, strict=True)):
            tasks.append(asyncio.create_task(one(url, cookie)))
            if i % 50 == 49:
                await asyncio.sleep(0.05)  # do not stampede the accept queue
        while len(conns) + len(failed) < len(urls):
            await asyncio.sleep(0.05)
        if failed:
            print(f"{len(failed)} tablets could not connect", file=sys.stderr)
        await asyncio.sleep(0.5)
        ready.release()
        while not go.is_set():
            await asyncio.sleep(0.05)
        results.put({page: (len(times), max(times)) for page, times in arrivals.items()})
        for t in tasks:
            t.cancel()
        for ws in conns:
            ws.transport.abort()

    uvloop.run(main())


def run_tablets(
    urls: list[str], cookies: list[str | None], processes: int
) -> tuple[Any, Any, Any, list[Any]]:
    ctx = mp.get_context("spawn")
    ready, go, results = ctx.Semaphore(0), ctx.Event(), ctx.Queue()
    procs = []
    for k in range(processes):
        p = ctx.Process(
            target=tablet_worker, args=(urls[k::processes], cookies[k::processes], ready, go, results)
        )
        p.start()
        procs.append(p)
    for _ in procs:
        if not ready.acquire(timeout=180):
            raise SystemExit("tablets could not all connect")
    return ready, go, results, procs


def collect(go: Any, results: Any, procs: list[Any]) -> dict[int, tuple[int, float]]:
    go.set()
    merged: dict[int, tuple[int, float]] = {}
    for _ in procs:
        for page, (count, last) in results.get(timeout=120).items():
            c, m = merged.get(page, (0, 0.0))
            merged[page] = (c + count, max(m, last))
    for p in procs:
        p.join(timeout=30)
    return merged


def summarise(
    name: str,
    sent: dict[int, float],
    arrived: dict[int, tuple[int, float]],
    tablets: int,
    cpu: float,
    seconds: float,
    warmup: int,
) -> dict[str, Any]:
    """Figures over the measured turns; the warm-up turns are reported on their own."""

    def latency(page: int) -> float:
        return (arrived[page][1] - sent[page]) * 1000

    measured = [p for p in sent if p > warmup and p in arrived]
    latencies = sorted(latency(p) for p in measured)
    deliveries = sum(arrived[p][0] for p in measured)
    expected = len([p for p in sent if p > warmup]) * tablets
    q = statistics.quantiles(latencies, n=100, method="inclusive") if len(latencies) >= 2 else latencies * 99
    return {
        "server": name,
        "tablets": tablets,
        "page_turns": len(measured),
        "warmup_turns": warmup,
        "first_turn_ms_to_last_tablet": round(latency(1), 2) if 1 in arrived else None,
        "deliveries": deliveries,
        "missing_deliveries": expected - deliveries,
        "p50_ms_to_last_tablet": round(statistics.median(latencies), 2),
        "p99_ms_to_last_tablet": round(q[98], 2),
        "max_ms_to_last_tablet": round(latencies[-1], 2),
        "deliveries_per_second": round(deliveries / seconds, 1),
        "server_cpu_us_per_delivery": round(cpu / max(deliveries, 1) * 1e6, 2),
    }


# -- baseline: bare websockets.broadcast ----------------------------------------------------------

BASELINE = r"""
import asyncio, json, sys, uvloop
from websockets.asyncio.server import serve, broadcast
from websockets.exceptions import ConnectionClosedError
clients = set()
seq = 0
async def handler(ws):
    global seq
    clients.add(ws)
    try:
        async for raw in ws:
            msg = json.loads(raw)
            if msg.get("type") == "presenter.show_page":
                seq += 1
                frame = json.dumps({"v": 1, "seq": seq, "type": "presenter.page_changed",
                                    "ts": "2026-11-23T08:00:00.000000Z",
                                    "data": {"document_id": msg["document_id"], "page": msg["page"]}},
                                   separators=(",", ":"))
                broadcast(clients, frame)
                await ws.send(json.dumps({"type": "result", "id": msg["id"], "ok": True, "result": {}}))
    except ConnectionClosedError:
        pass  # the tablets drop their connections without a close frame when the run ends
    finally:
        clients.discard(ws)
async def main():
    async with serve(handler, "127.0.0.1", int(sys.argv[1]), ping_interval=None, max_queue=None,
                     compression=None, max_size=2**22, backlog=4096):
        print("ready", flush=True)
        await asyncio.Future()
uvloop.run(main())
"""


async def turn_pages(
    url: str,
    cookie: str | None,
    turns: int,
    interval: float,
    warmup: int = 0,
    on_measure: Any = None,
    document_id: int = 1,
) -> dict[int, float]:
    from websockets.asyncio.client import connect

    headers = {"Cookie": cookie} if cookie else {}
    sent: dict[int, float] = {}
    async with connect(url, additional_headers=headers, max_size=2**22, ping_interval=None) as ws:
        await ws.send('{"id":"h","type":"hello","last_seq":null}')
        reader_done = asyncio.Event()

        async def reader() -> None:
            async for _raw in ws:
                pass
            reader_done.set()

        task = asyncio.create_task(reader())
        for page in range(1, warmup + turns + 1):
            if page == warmup + 1 and on_measure is not None:
                on_measure()
            sent[page] = time.perf_counter()
            await ws.send(
                json.dumps(
                    {"id": page, "type": "presenter.show_page", "document_id": document_id, "page": page}
                )
            )
            await asyncio.sleep(interval)
        await asyncio.sleep(1.0)
        task.cancel()
    return sent


def bench_baseline(args: argparse.Namespace) -> dict[str, Any]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", BASELINE, str(port)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        url = f"ws://127.0.0.1:{port}/"
        _, go, results, procs = run_tablets([url] * args.tablets, [None] * args.tablets, args.processes)
        mark: dict[str, float] = {}

        def measure() -> None:
            mark.update(cpu=cpu_seconds(proc.pid), t=time.perf_counter())

        sent = asyncio.run(turn_pages(url, None, args.turns, args.interval, args.warmup, measure))
        cpu, seconds = cpu_seconds(proc.pid) - mark["cpu"], time.perf_counter() - mark["t"]
        return summarise(
            "websockets.broadcast (baseline)",
            sent,
            collect(go, results, procs),
            args.tablets,
            cpu,
            seconds,
            args.warmup,
        )
    finally:
        proc.terminate()
        proc.wait(timeout=10)


# -- phonghop ------------------------------------------------------------------------------------------


async def seed(database_url: str, tablets: int, secret: str) -> tuple[int, str, list[str], int]:
    """The demo's shape scaled up: a started meeting with a secretary and N delegates, each
    with a session, and a long document for the presenter (its rows only: no page is rendered)."""
    from _bench_world import seed_world, seeding
    from phonghop.storage.models import Document, DocumentVersion

    async with seeding(database_url) as uow:
        world = await seed_world(uow, tablets=tablets, secret=secret, start=True)
        document = Document(meeting_id=world.meeting_id, title="Tài liệu (đo kiểm)", access={})
        uow.session.add(document)
        await uow.session.flush()
        pages = 10_000
        uow.session.add(
            DocumentVersion(
                document_id=document.id,
                number=1,
                sha256="0" * 64,
                size=0,
                page_count=pages,
                pages=[[595, 842]] * pages,
            )
        )
        secretary = world.require_secretary()
        return world.meeting_id, secretary.cookie, list(world.delegate_cookies), document.id


def bench_phonghop(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    secret = secrets.token_hex(16)
    if args.instances > 1:
        import asyncpg

        name = "phonghop_bench_" + secrets.token_hex(4)
        admin = args.postgres.replace("postgresql+asyncpg://", "postgresql://")

        async def admin_sql(sql: str) -> None:
            conn = await asyncpg.connect(admin)
            try:
                await conn.execute(sql)
            finally:
                await conn.close()

        asyncio.run(admin_sql(f'CREATE DATABASE "{name}"'))
        database_url = admin.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://") + "/" + name
    else:
        database_url = f"sqlite+aiosqlite:///{tmp / 'bench.db'}"
    try:
        meeting_id, sec_cookie, cookies, document_id = asyncio.run(seed(database_url, args.tablets, secret))
        env = {
            **os.environ,
            "PHONGHOP_DATABASE_URL": database_url,
            "PHONGHOP_SECRET_KEY": secret,
            "PHONGHOP_DATA_DIR": str(tmp / "data"),
        }
        if args.instances > 1:
            env["PHONGHOP_REDIS_URL"] = args.redis
        servers = []
        for _ in range(args.instances):
            port = free_port()
            log = open(tmp / f"serve-{port}.log", "wb")  # noqa: SIM115
            servers.append(
                (
                    port,
                    subprocess.Popen(
                        [sys.executable, "-m", "phonghop", "--port", str(port), "serve"],
                        env=env,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    ),
                )
            )
            log.close()
        try:
            for port, _ in servers:
                wait_http(f"http://127.0.0.1:{port}/readyz")
            urls = [
                f"ws://127.0.0.1:{servers[i % len(servers)][0]}/ws/meetings/{meeting_id}"
                for i in range(args.tablets)
            ]
            _, go, results, procs = run_tablets(urls, list(cookies), args.processes)
            pids = [p.pid for _, p in servers]
            mark: dict[str, float] = {}

            def measure() -> None:
                mark.update(cpu=sum(cpu_seconds(pid) for pid in pids), t=time.perf_counter())

            sent = asyncio.run(
                turn_pages(urls[0], sec_cookie, args.turns, args.interval, args.warmup, measure, document_id)
            )
            cpu = sum(cpu_seconds(pid) for pid in pids) - mark["cpu"]
            seconds = time.perf_counter() - mark["t"]
            label = "phonghop" + (f" x{args.instances} over Redis" if args.instances > 1 else "")
            return summarise(
                label, sent, collect(go, results, procs), args.tablets, cpu, seconds, args.warmup
            )
        finally:
            for _, proc in servers:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=20)
    finally:
        if args.instances > 1:
            asyncio.run(admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tablets", type=int, default=1600)
    parser.add_argument("--turns", type=int, default=200, help="measured page turns (default 200)")
    parser.add_argument("--warmup", type=int, default=5, help="turns before measuring, reported apart")
    parser.add_argument("--interval", type=float, default=0.25, help="seconds between page turns")
    parser.add_argument("--processes", type=int, default=4, help="client processes holding the tablets")
    parser.add_argument(
        "--instances", type=int, default=1, help="phonghop instances (2+: PostgreSQL and Redis)"
    )
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--json", action="store_true", help="print one JSON object with every figure")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        baseline = bench_baseline(args)
        ours = bench_phonghop(args, Path(tmp))
    report = {
        "tablets": args.tablets,
        "page_turns": args.turns,
        "warmup_turns": args.warmup,
        "cores": os.cpu_count(),
        "baseline": baseline,
        "phonghop": ours,
        "ratio_cpu_per_delivery": round(
            ours["server_cpu_us_per_delivery"] / baseline["server_cpu_us_per_delivery"], 2
        ),
        "ratio_p99": round(ours["p99_ms_to_last_tablet"] / max(baseline["p99_ms_to_last_tablet"], 0.001), 2),
    }
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
        return 0
    cols = [
        "first_turn_ms_to_last_tablet",
        "p50_ms_to_last_tablet",
        "p99_ms_to_last_tablet",
        "max_ms_to_last_tablet",
        "deliveries_per_second",
        "server_cpu_us_per_delivery",
        "missing_deliveries",
    ]
    print(f"{args.tablets} tablets, {args.turns} page turns, {os.cpu_count()} cores (clients share them)")
    print(f"{'':34}" + "".join(f"{c[:22]:>24}" for c in cols))
    for row in (baseline, ours):
        print(f"{row['server']:34}" + "".join(f"{row[c]:>24}" for c in cols))
    print(
        f"ratio phonghop/baseline: CPU per delivery {report['ratio_cpu_per_delivery']}x, "
        f"p99 {report['ratio_p99']}x"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
