#!/usr/bin/env python3
"""Fan-out benchmark: the secretary turns pages, N simulated tablets follow.

Runs, side by side in one run on this machine:
  * phonghop: a real ``phonghop serve`` (SQLite and the in-process bus, or with
    ``--instances 2`` two instances on PostgreSQL and Redis, tablets split across them);
  * baseline: a bare ``websockets`` server that relays each page turn with
    ``websockets.broadcast()`` of one serialised frame.
Tablets are asyncio websocket clients spread over several processes. Like the real
tablet (client_web/tablet/screen.js), each one answers every page turn it receives with a
``viewer.report`` (``--no-reports`` turns that off). For every page turn it measures the
time from the secretary's send to the *last* tablet receiving it, the deliveries later
than 10 s, and the server's CPU time (user+system, from /proc) per delivery. Each server
is started once and its tablets connected once; then, at every rate of ``--rates``, the
baseline turns pages (its tablets only listen), and phonghop turns pages once with
tablets that only listen and once with tablets that report. ``kb_per_idle_tablet`` is
the server's resident memory grown by connecting the tablets (after their snapshot),
divided by their number.

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

LATE_SECONDS = 10.0


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def tablet_worker(
    urls: list[str],
    cookies: list[str | None],
    wait_snapshot: bool,
    reporting: Any,
    ready: Any,
    go: Any,
    results: Any,
) -> None:
    """Holds len(urls) connections; records when each page turn arrives (monotonic clock)
    and, while ``reporting`` is set, answers each with a ``viewer.report`` as the tablet does."""
    import uvloop
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed, InvalidHandshake

    async def main() -> None:
        arrivals: dict[int, list[float]] = {}
        conns = []
        synced: list[int] = []
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
            if not wait_snapshot:
                synced.append(1)
            with contextlib.suppress(ConnectionClosed):
                async for raw in ws:
                    if '"presenter.page_changed"' in raw:
                        now = time.perf_counter()
                        data = json.loads(raw)["data"]
                        arrivals.setdefault(data["page"], []).append(now)
                        if reporting.value:  # a notification, as the tablet sends it
                            await ws.send(
                                json.dumps(
                                    {
                                        "type": "viewer.report",
                                        "document_id": data["document_id"],
                                        "page": data["page"],
                                        "following": True,
                                    },
                                    separators=(",", ":"),
                                )
                            )
                    elif wait_snapshot and raw.startswith('{"v":') and '"type":"snapshot"' in raw:
                        synced.append(1)

        tasks = []
        for i, (url, cookie) in enumerate(zip(urls, cookies, strict=True)):
            tasks.append(asyncio.create_task(one(url, cookie)))
            if i % 50 == 49:
                await asyncio.sleep(0.05)  # do not stampede the accept queue
        while len(synced) + len(failed) < len(urls):
            await asyncio.sleep(0.05)
        if failed:
            print(f"{len(failed)} tablets could not connect", file=sys.stderr)
        await asyncio.sleep(0.5)
        ready.release()
        while not go.is_set():
            await asyncio.sleep(0.05)
        results.put(arrivals)
        for t in tasks:
            t.cancel()
        for ws in conns:
            ws.transport.abort()

    uvloop.run(main())


class Tablets:
    """The tablet processes of one server, connected once for every phase of the run."""

    def __init__(self, urls: list[str], cookies: list[str | None], processes: int, wait_snapshot: bool):
        ctx = mp.get_context("spawn")
        self.reporting = ctx.Value("b", 0)
        self._go, self._results = ctx.Event(), ctx.Queue()
        ready = ctx.Semaphore(0)
        self._procs = []
        for k in range(processes):
            p = ctx.Process(
                target=tablet_worker,
                args=(
                    urls[k::processes],
                    cookies[k::processes],
                    wait_snapshot,
                    self.reporting,
                    ready,
                    self._go,
                    self._results,
                ),
            )
            p.start()
            self._procs.append(p)
        for _ in self._procs:
            if not ready.acquire(timeout=300):
                raise SystemExit("tablets could not all connect")

    def collect(self) -> dict[int, list[float]]:
        """Every arrival of every page, once the tablets are told to stop."""
        self._go.set()
        merged: dict[int, list[float]] = {}
        for _ in self._procs:
            for page, times in self._results.get(timeout=120).items():
                merged.setdefault(page, []).extend(times)
        for p in self._procs:
            p.join(timeout=30)
        return merged


def summarise(
    name: str,
    sent: dict[int, float],
    arrived: dict[int, list[float]],
    tablets: int,
    cpu: float,
    seconds: float,
    warmup: int,
) -> dict[str, Any]:
    """Figures over the measured turns of one phase (``sent`` holds only its pages); the
    first ``warmup`` of them are not measured."""
    pages = sorted(sent)
    measured = [p for p in pages[warmup:] if arrived.get(p)]

    def latency(page: int) -> float:
        return (max(arrived[page]) - sent[page]) * 1000

    latencies = sorted(latency(p) for p in measured) or [0.0]
    deliveries = sum(len(arrived[p]) for p in measured)
    late = sum(1 for p in measured for t in arrived[p] if t - sent[p] > LATE_SECONDS)
    expected = len(pages[warmup:]) * tablets
    q = statistics.quantiles(latencies, n=100, method="inclusive") if len(latencies) >= 2 else latencies * 99
    return {
        "server": name,
        "tablets": tablets,
        "page_turns": len(measured),
        "warmup_turns": warmup,
        "first_turn_ms_to_last_tablet": round(latency(pages[0]), 2) if arrived.get(pages[0]) else None,
        "deliveries": deliveries,
        "missing_deliveries": expected - deliveries,
        "deliveries_later_than_10s": late,
        "p50_ms_to_last_tablet": round(statistics.median(latencies), 2),
        "p99_ms_to_last_tablet": round(q[98], 2),
        "max_ms_to_last_tablet": round(latencies[-1], 2),
        "deliveries_per_second": round(deliveries / seconds, 1),
        "server_cpu_us_per_delivery": round(cpu / max(deliveries, 1) * 1e6, 2),
    }


def run_phases(
    args: argparse.Namespace,
    name: str,
    url: str,
    cookie: str | None,
    tablets: Tablets,
    pids: list[int],
    with_reports: bool,
    document_id: int = 1,
) -> list[dict[str, Any]]:
    """At each rate: page turns with listening tablets, then (if asked) reporting ones."""
    phases: list[tuple[float, bool, dict[int, float], float, float]] = []
    next_page = 1
    for rate in args.rates:
        for reports in (False, True) if with_reports else (False,):
            tablets.reporting.value = int(reports)
            mark: dict[str, float] = {}

            def measure(mark: dict[str, float] = mark) -> None:
                mark.update(cpu=sum(cpu_seconds(pid) for pid in pids), t=time.perf_counter())

            sent = asyncio.run(
                turn_pages(
                    url, cookie, args.turns, 1 / rate, args.warmup, measure, document_id, first_page=next_page
                )
            )
            cpu = sum(cpu_seconds(pid) for pid in pids) - mark["cpu"]
            phases.append((rate, reports, sent, cpu, time.perf_counter() - mark["t"]))
            next_page = max(sent) + 1
    arrived = tablets.collect()
    rows = []
    for rate, reports, sent, cpu, seconds in phases:
        row = summarise(name, sent, arrived, args.tablets, cpu, seconds, args.warmup)
        row.update(turns_per_second=rate, reports=reports)
        rows.append(row)
    return rows


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
    first_page: int = 1,
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
        for page in range(first_page, first_page + warmup + turns):
            if page == first_page + warmup and on_measure is not None:
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
        before = rss_kb(proc.pid)
        tablets = Tablets([url] * args.tablets, [None] * args.tablets, args.processes, wait_snapshot=False)
        kb = (rss_kb(proc.pid) - before) / args.tablets
        rows = run_phases(args, "websockets.broadcast (baseline)", url, None, tablets, [proc.pid], False)
        return {"kb_per_idle_tablet": round(kb, 1), "runs": rows}
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
            pids = [p.pid for _, p in servers]
            before = sum(rss_kb(pid) for pid in pids)
            tablets = Tablets(urls, list(cookies), args.processes, wait_snapshot=True)
            kb = (sum(rss_kb(pid) for pid in pids) - before) / args.tablets
            label = "phonghop" + (f" x{args.instances} over Redis" if args.instances > 1 else "")
            rows = run_phases(args, label, urls[0], sec_cookie, tablets, pids, args.reports, document_id)
            return {"kb_per_idle_tablet": round(kb, 1), "runs": rows}
        finally:
            for _, proc in servers:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=20)
    finally:
        if args.instances > 1:
            asyncio.run(admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _rates(text: str) -> list[float]:
    return [float(x) for x in text.split(",") if x.strip()]


def _pick(rows: list[dict[str, Any]], rate: float, reports: bool) -> dict[str, Any] | None:
    return next((r for r in rows if r["turns_per_second"] == rate and r["reports"] == reports), None)


def compare(baseline: dict[str, Any], ours: dict[str, Any], rates: list[float]) -> dict[str, Any]:
    """The ratios the issue asks for, per rate: phonghop against the baseline, and reporting
    tablets against listening ones (p99 to the last tablet, CPU per report)."""
    out: dict[str, Any] = {
        "kb_per_idle_tablet": {
            "baseline": baseline["kb_per_idle_tablet"],
            "phonghop": ours["kb_per_idle_tablet"],
        }
    }
    for rate in rates:
        base, quiet, loud = (
            _pick(baseline["runs"], rate, False),
            _pick(ours["runs"], rate, False),
            _pick(ours["runs"], rate, True),
        )
        if base is None or quiet is None:
            continue
        key = f"{rate:g}_turns_per_second"
        entry: dict[str, Any] = {
            "ratio_cpu_per_delivery": round(
                quiet["server_cpu_us_per_delivery"] / max(base["server_cpu_us_per_delivery"], 0.001), 2
            ),
            "ratio_p99": round(quiet["p99_ms_to_last_tablet"] / max(base["p99_ms_to_last_tablet"], 0.001), 2),
        }
        if loud is not None:
            reports = max(loud["deliveries"], 1)  # one report per delivery
            extra_cpu = (
                loud["server_cpu_us_per_delivery"] * loud["deliveries"]
                - quiet["server_cpu_us_per_delivery"] * quiet["deliveries"]
            )
            entry["reports"] = {
                "p99_ms_to_last_tablet": loud["p99_ms_to_last_tablet"],
                "ratio_p99_vs_no_reports": round(
                    loud["p99_ms_to_last_tablet"] / max(quiet["p99_ms_to_last_tablet"], 0.001), 2
                ),
                "deliveries_later_than_10s": loud["deliveries_later_than_10s"],
                "server_cpu_us_per_report": round(extra_cpu / reports, 2),
            }
        out[key] = entry
    return out


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tablets", type=int, default=1600)
    parser.add_argument("--turns", type=int, default=50, help="measured page turns per run (default 50)")
    parser.add_argument("--warmup", type=int, default=5, help="turns before measuring, reported apart")
    parser.add_argument(
        "--rates", type=_rates, default=[1.0, 5.0], help="page turns per second, one run each (default 1,5)"
    )
    parser.add_argument(
        "--no-reports",
        dest="reports",
        action="store_false",
        help="tablets only listen (by default phonghop also runs with a viewer.report per turn)",
    )
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
        "compare": compare(baseline, ours, args.rates),
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
        "deliveries_later_than_10s",
    ]
    print(f"{args.tablets} tablets, {args.turns} turns per run, {os.cpu_count()} cores (clients share them)")
    print(f"{'':46}" + "".join(f"{c[:22]:>24}" for c in cols))
    for row in baseline["runs"] + ours["runs"]:
        label = f"{row['server']} {row['turns_per_second']:g}/s" + (" +reports" if row["reports"] else "")
        print(f"{label:46}" + "".join(f"{row[c]!s:>24}" for c in cols))
    print(json.dumps(report["compare"], indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
