#!/usr/bin/env python3
"""Vote benchmark: N delegates cast their ballot in the same second, the console watches.

A real ``phonghop serve`` (uvicorn; SQLite by default, ``--db postgres`` for PostgreSQL)
and N tablets over real websockets, spread over several client processes. In one run, on
the same connections:

  * baseline: every tablet sends one ``ping`` at the same moment (a round trip through the
    same socket loop, without the database);
  * ballots: every tablet sends its ``poll.cast_ballot`` at the same moment (a secret
    poll; a third of the tablets send the same ballot twice, as a retrying tablet would);
    the secretary's console waits for the ``poll.ballot_counted`` that reports all N
    ballots, then closes the poll and waits for ``poll.closed``.

It reports the time to the acknowledgement (p50, p99, max) of both, their ratio, the
ballots accepted per second, the time until the console has the final count, and the
time from ``poll.close`` to the published result; it checks that the result counts every
ballot once.

    scripts/bench_votes.py --tablets 1600
    scripts/bench_votes.py --tablets 1600 --db postgres --instances 2   # tablets on two servers
    scripts/bench_votes.py --tablets 200 --json

With ``--instances 2`` the tablets are spread over two servers sharing the database (and
Redis, ``--redis``); CPU per ballot is the sum of both servers'.
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
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "server"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_fanout import cpu_seconds, free_port, wait_http  # noqa: E402

OPTIONS = ["approve", "reject", "abstain"]


def choice_of(index: int) -> str:
    """The ballot of tablet ``index``: a fixed mix, so the expected count is known."""
    return OPTIONS[0] if index % 10 < 7 else OPTIONS[1] if index % 10 < 9 else OPTIONS[2]


# -- tablets (worker processes) -------------------------------------------------------------------


def tablet_worker(
    url: str,
    poll_id: int,
    tablets: list[tuple[int, str]],
    ready: Any,
    pinged: Any,
    go_ping: Any,
    go_vote: Any,
    results: Any,
    connect_parallel: int,
) -> None:
    """Holds one connection per (index, cookie); pings on ``go_ping``, votes on ``go_vote``."""
    import uvloop
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed, InvalidHandshake

    async def main() -> None:
        conns: dict[int, Any] = {}
        answered: dict[str, float] = {}
        outcome: dict[str, bool] = {}
        synced: set[int] = set()
        failed: list[int] = []
        hello_errors: list[str] = []

        joining = asyncio.Semaphore(connect_parallel)

        async def one(index: int, cookie: str) -> None:
            """A tablet joins (at most ``connect_parallel`` at a time per process, each
            waiting for its snapshot, as tablets trickle into a room), then listens."""
            async with joining:
                for attempt in range(20):
                    try:
                        ws = await connect(
                            url,
                            additional_headers={"Cookie": cookie},
                            max_size=2**22,
                            ping_interval=None,
                            open_timeout=30,
                        )
                        break
                    except (OSError, TimeoutError, InvalidHandshake):
                        await asyncio.sleep(0.2 * (attempt + 1))
                else:
                    failed.append(index)
                    return
                await ws.send('{"id":"h","type":"hello","last_seq":null}')
                with contextlib.suppress(ConnectionClosed):
                    async for raw in ws:
                        if raw.startswith('{"v":') and '"type":"snapshot"' in raw[:40]:
                            synced.add(index)
                            conns[index] = ws
                            break
                        if raw.startswith('{"type":"result"') and '"ok":false' in raw:
                            hello_errors.append(json.loads(raw)["error"]["code"])
                if index not in synced:
                    failed.append(index)
                    return
            with contextlib.suppress(ConnectionClosed):
                async for raw in ws:
                    if raw.startswith('{"type":"result"'):
                        now = time.perf_counter()
                        message = json.loads(raw)
                        answered[str(message["id"])] = now
                        outcome[str(message["id"])] = bool(message["ok"])

        tasks = [asyncio.create_task(one(index, cookie)) for index, cookie in tablets]
        while len(synced) + len(failed) < len(tablets):
            await asyncio.sleep(0.05)
        if failed:
            print(f"{len(failed)} tablets could not connect", file=sys.stderr)
        if hello_errors:
            print(
                f"{len(hello_errors)} hellos refused: {sorted(set(hello_errors))}",
                file=sys.stderr,
            )
        ready.release()

        async def wait_all(prefix: str) -> None:
            want = {f"{prefix}{i}" for i in conns}
            while not want <= answered.keys():
                await asyncio.sleep(0.01)

        while not go_ping.is_set():
            await asyncio.sleep(0.005)
        sent_ping = {}
        for index, ws in conns.items():
            sent_ping[index] = time.perf_counter()
            await ws.send(f'{{"id":"p{index}","type":"ping"}}')
        await wait_all("p")
        pinged.release()

        while not go_vote.is_set():
            await asyncio.sleep(0.005)
        sent_vote = {}
        for index, ws in conns.items():
            ballot = json.dumps(
                {
                    "id": f"b{index}",
                    "type": "poll.cast_ballot",
                    "poll_id": poll_id,
                    "ballot_key": f"bench-ballot-{index:06d}",
                    "choices": [choice_of(index)],
                }
            )
            sent_vote[index] = time.perf_counter()
            await ws.send(ballot)
            if index % 3 == 0:  # the same ballot again, at once: must count once
                await ws.send(ballot.replace(f'"b{index}"', f'"r{index}"'))
        await wait_all("b")
        while not {f"r{i}" for i in conns if i % 3 == 0} <= answered.keys():
            await asyncio.sleep(0.01)
        results.put(
            {
                "ping": [(sent_ping[i], answered[f"p{i}"]) for i in conns],
                "vote": [(sent_vote[i], answered[f"b{i}"], outcome[f"b{i}"]) for i in conns],
                "retries_ok": sum(1 for i in conns if i % 3 == 0 and outcome[f"r{i}"]),
                "failed": len(failed),
            }
        )
        for t in tasks:
            t.cancel()
        for ws in conns.values():
            ws.transport.abort()

    uvloop.run(main())


# -- the server and its data ------------------------------------------------------------------------


async def seed(database_url: str, tablets: int, secret: str) -> tuple[int, int, str, list[str]]:
    """A running meeting with a secretary, N voting delegates with sessions, and an open
    secret approval poll (everyone with a vote may vote)."""
    from _bench_world import seed_world, seeding
    from phonghop.services import polls
    from phonghop.services.polls import PollFields

    async with seeding(database_url) as uow:
        world = await seed_world(uow, tablets=tablets, secret=secret, members_total=tablets, start=True)
        secretary = world.require_secretary()
        poll = await polls.create_poll(
            uow,
            world.office,
            world.meeting_id,
            PollFields(
                title="Biểu quyết thông qua Nghị quyết (đo kiểm)",
                spec={"kind": "secret", "type": "approval", "eligibility": "voting_members"},
            ),
        )
        await polls.open_poll(uow, secretary.actor, world.meeting_id, poll.id)
        return world.meeting_id, poll.id, secretary.cookie, list(world.delegate_cookies)


def percentile(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def figures(samples: list[float]) -> dict[str, float]:
    ms = sorted(s * 1000 for s in samples)
    return {
        "p50_ms": round(statistics.median(ms), 2),
        "p99_ms": round(percentile(ms, 99), 2),
        "max_ms": round(ms[-1], 2),
    }


async def console(url: str, cookie: str, tablets: int, marks: dict[str, Any], stop: asyncio.Event) -> None:
    """The secretary's console: notes when the final count and the result arrive."""
    from websockets.asyncio.client import connect

    async with connect(url, additional_headers={"Cookie": cookie}, max_size=2**24, ping_interval=None) as ws:
        await ws.send('{"id":"h","type":"hello","last_seq":null}')
        marks["console_ready"] = time.perf_counter()
        reader = asyncio.ensure_future(ws.recv())
        while not stop.is_set():
            done, _ = await asyncio.wait({reader}, timeout=0.05)
            if not done:
                if "close" in marks and "close_sent" not in marks:
                    marks["close_sent"] = time.perf_counter()
                    await ws.send(f'{{"id":"close","type":"poll.close","poll_id":{int(marks["poll_id"])}}}')
                continue
            raw = reader.result()
            now = time.perf_counter()
            reader = asyncio.ensure_future(ws.recv())
            if '"poll.ballot_counted"' in raw and "final_count" not in marks:
                if json.loads(raw)["data"]["ballots_cast"] == tablets:
                    marks["final_count"] = now
            elif '"poll.closed"' in raw:
                marks["closed"] = now
                marks["result"] = json.loads(raw)["data"]["poll"]["result"]
                stop.set()
        reader.cancel()


async def run_bench(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    secret = secrets.token_hex(16)
    pg_name = None
    if args.db == "postgres":
        import asyncpg

        pg_name = "phonghop_bench_" + secrets.token_hex(4)
        admin = args.postgres.replace("postgresql+asyncpg://", "postgresql://")
        conn = await asyncpg.connect(admin)
        await conn.execute(f'CREATE DATABASE "{pg_name}"')
        await conn.close()
        database_url = (
            admin.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://") + "/" + pg_name
        )
    else:
        database_url = f"sqlite+aiosqlite:///{tmp / 'bench.db'}"
    servers: list[subprocess.Popen[bytes]] = []
    try:
        meeting_id, poll_id, sec_cookie, cookies = await seed(database_url, args.tablets, secret)
        env = {
            **os.environ,
            "PHONGHOP_DATABASE_URL": database_url,
            "PHONGHOP_SECRET_KEY": secret,
            "PHONGHOP_DATA_DIR": str(tmp / "data"),
        }
        if args.instances > 1:
            env["PHONGHOP_REDIS_URL"] = args.redis
        urls = []
        for n in range(args.instances):
            port = free_port()
            with open(tmp / f"serve{n}.log", "wb") as log:
                servers.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "phonghop", "--port", str(port), "serve"],
                        env=env,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    )
                )
            await asyncio.to_thread(wait_http, f"http://127.0.0.1:{port}/readyz")
            urls.append(f"ws://127.0.0.1:{port}/ws/meetings/{meeting_id}")
        url = urls[0]

        ctx = mp.get_context("spawn")
        ready, pinged, results = ctx.Semaphore(0), ctx.Semaphore(0), ctx.Queue()
        go_ping, go_vote = ctx.Event(), ctx.Event()
        indexed = list(enumerate(cookies))
        procs = []
        for k in range(args.processes):
            proc = ctx.Process(
                daemon=True,
                target=tablet_worker,
                args=(
                    urls[k % len(urls)],
                    poll_id,
                    indexed[k :: args.processes],
                    ready,
                    pinged,
                    go_ping,
                    go_vote,
                    results,
                    args.connect_parallel,
                ),
            )
            proc.start()
            procs.append(proc)
        for _ in procs:
            if not await asyncio.to_thread(ready.acquire, True, 300):
                raise SystemExit("tablets could not all connect")

        marks: dict[str, Any] = {"poll_id": poll_id}
        stop = asyncio.Event()
        watcher = asyncio.create_task(console(url, sec_cookie, args.tablets, marks, stop))
        while "console_ready" not in marks:
            await asyncio.sleep(0.01)
        await asyncio.sleep(1.0)

        go_ping.set()
        for _ in procs:
            if not await asyncio.to_thread(pinged.acquire, True, 120):
                raise SystemExit("pings were not all answered")
        await asyncio.sleep(1.0)

        cpu_before = sum(cpu_seconds(server.pid) for server in servers)
        marks["go"] = time.perf_counter()
        go_vote.set()
        collected = [await asyncio.to_thread(results.get, True, 300) for _ in procs]
        deadline = time.perf_counter() + 60
        while "final_count" not in marks and time.perf_counter() < deadline:
            await asyncio.sleep(0.01)
        cpu_vote = sum(cpu_seconds(server.pid) for server in servers) - cpu_before
        marks["close"] = time.perf_counter()
        await asyncio.wait_for(stop.wait(), 60)
        await watcher
        for proc in procs:
            proc.join(timeout=30)
    finally:
        for server in servers:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
        if pg_name is not None:
            import asyncpg

            conn = await asyncpg.connect(args.postgres.replace("postgresql+asyncpg://", "postgresql://"))
            await conn.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
            await conn.close()

    pings = [answer - sent for r in collected for sent, answer in r["ping"]]
    votes = [(sent, answer, ok) for r in collected for sent, answer, ok in r["vote"]]
    acks = [answer - sent for sent, answer, ok in votes if ok]
    first_sent = min(sent for sent, _, _ in votes)
    last_ack = max(answer for _, answer, _ in votes)
    result = marks["result"]
    counts = {c["option_id"]: c["votes"] for c in result["counts"]}
    expected = Counter(choice_of(i) for i in range(args.tablets))
    ping = figures(pings)
    ack = figures(acks)
    return {
        "tablets": args.tablets,
        "database": args.db,
        "instances": args.instances,
        "cores": os.cpu_count(),
        "failed_connections": sum(r["failed"] for r in collected),
        "baseline_ping": ping,
        "ballot_ack": ack,
        "ratio_p50": round(ack["p50_ms"] / max(ping["p50_ms"], 0.001), 2),
        "ratio_p99": round(ack["p99_ms"] / max(ping["p99_ms"], 0.001), 2),
        "ballots_accepted": sum(1 for _, _, ok in votes if ok),
        "ballots_refused": sum(1 for _, _, ok in votes if not ok),
        "retries_acknowledged": sum(r["retries_ok"] for r in collected),
        "ballots_per_second": round(len(acks) / max(last_ack - first_sent, 1e-6), 1),
        "all_acknowledged_ms": round((last_ack - first_sent) * 1000, 2),
        "console_final_count_ms": round((marks["final_count"] - marks["go"]) * 1000, 2)
        if "final_count" in marks
        else None,
        "console_final_count_after_last_ack_ms": round((marks["final_count"] - last_ack) * 1000, 2)
        if "final_count" in marks
        else None,
        "close_to_published_result_ms": round((marks["closed"] - marks["close_sent"]) * 1000, 2),
        "server_cpu_ms_per_ballot": round(cpu_vote / max(len(acks), 1) * 1000, 3),
        "result_ballots_cast": result["ballots_cast"],
        "result_matches": result["ballots_cast"] == args.tablets
        and counts == {o: expected[o] for o in OPTIONS},
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tablets", type=int, default=1600)
    parser.add_argument("--processes", type=int, default=4, help="client processes holding the tablets")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--connect-parallel", type=int, default=8, help="tablets joining at the same time, per client process"
    )
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--instances", type=int, default=1, help="servers sharing the database")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0", help="their bus, with --instances 2")
    parser.add_argument("--json", action="store_true", help="print one JSON object with every figure")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        report = asyncio.run(run_bench(args, Path(tmp)))
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
        return 0 if report["result_matches"] else 1
    print(
        f"{report['tablets']} tablets voting at once, {report['database']}, "
        f"{report['instances']} instance(s), "
        f"{report['cores']} cores (clients share them)"
    )
    print(f"{'':28}{'p50 ms':>12}{'p99 ms':>12}{'max ms':>12}")
    for label, key in (("ping (baseline)", "baseline_ping"), ("ballot acknowledgement", "ballot_ack")):
        row = report[key]
        print(f"{label:28}{row['p50_ms']:>12}{row['p99_ms']:>12}{row['max_ms']:>12}")
    print(f"ratio ballot/ping: p50 {report['ratio_p50']}x, p99 {report['ratio_p99']}x")
    print(
        f"accepted {report['ballots_accepted']} (refused {report['ballots_refused']}, "
        f"retries acknowledged {report['retries_acknowledged']}), "
        f"{report['ballots_per_second']} ballots/s, all acknowledged after {report['all_acknowledged_ms']} ms"
    )
    print(
        f"console has the final count {report['console_final_count_ms']} ms after the ballots were sent "
        f"({report['console_final_count_after_last_ack_ms']} ms after the last acknowledgement)"
    )
    print(f"poll.close to the published result: {report['close_to_published_result_ms']} ms")
    print(f"server CPU per ballot: {report['server_cpu_ms_per_ballot']} ms")
    print(f"result counts every ballot once: {report['result_matches']}")
    return 0 if report["result_matches"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
