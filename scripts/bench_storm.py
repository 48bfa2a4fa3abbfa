#!/usr/bin/env python3
"""The morning storm: N tablets switched on within one minute of each other join the meeting.

Each tablet, at its own moment spread evenly over ``--window`` seconds, does what the
tablet app does: fetches the participant list behind the join code, joins as its
delegate (``POST /api/join``, which sets the session cookie), opens the meeting socket
and sends ``hello`` until the snapshot arrives, then fetches the presenter's page image.
It then stays connected, so the room grows to N live tablets as in a real morning.
Printed: p50/p99/max time from the tablet starting to its first snapshot (goal: p99
<= 1 s) and to the presenter's page on screen (goal: p99 <= 3 s), errors, and the
server's CPU per tablet. One ``phonghop serve`` on SQLite; the presenter's page was
rendered once before the storm, as it would be when the document was published days
before. The load generator shares the machine's cores with the server.

    scripts/bench_storm.py --tablets 1600 --window 60
    scripts/bench_storm.py --tablets 200 --window 10 --json
"""

from __future__ import annotations

import argparse
import asyncio
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
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "server"))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_fanout import cpu_seconds, free_port, wait_http  # noqa: E402

WIDTH = 1280


async def seed(database_url: str, data_dir: Path, tablets: int, secret: str) -> dict[str, Any]:
    """A started meeting with N delegates, a join code, and a 5-page document on the
    presenter's screen at page 2."""
    from _bench_world import seed_world, seeding
    from bench_render import build_document
    from phonghop.documents.inspection import inspect_pdf_async
    from phonghop.documents.intake import store_upload
    from phonghop.services import documents, live, meetings
    from phonghop.services.documents import DocumentFields

    pdf = build_document(5)

    async def chunks() -> Any:
        yield pdf

    blob = await store_upload(chunks(), data_dir / "blobs", max_bytes=1 << 30)
    info = await inspect_pdf_async(blob.path)
    async with seeding(database_url) as uow:
        world = await seed_world(uow, tablets=tablets, secret=secret, start=True)
        document = await documents.add_document(
            uow, world.office, world.meeting_id, DocumentFields(title="Báo cáo chính trị"), blob, info
        )
        await live.show_page(uow, world.require_secretary().actor, world.meeting_id, document.id, 2)
        meeting = await meetings.reissue_join_code(uow, world.office, world.meeting_id)
        from sqlalchemy import select

        from phonghop.storage.models import Participant

        people = await uow.session.scalars(
            select(Participant).where(Participant.meeting_id == world.meeting_id)
        )
        personal = {str(p.id): p.personal_code for p in people}
        return {
            "personal": personal,
            "meeting_id": world.meeting_id,
            "code": meeting.join_code,
            "participants": list(world.delegate_ids),
            "page_path": f"/api/versions/{document.versions[-1].id}/pages/2?w={WIDTH}",
        }


# -- one tablet ---------------------------------------------------------------------------------


class Http:
    """A minimal keep-alive HTTP/1.1 client: one connection per tablet, as a browser has."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookie = ""
        self._conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def request(self, method: str, path: str, body: bytes = b"") -> tuple[int, dict[str, str], bytes]:
        if self._conn is None:
            self._conn = await asyncio.open_connection("127.0.0.1", self.port)
        reader, writer = self._conn
        head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
        if self.cookie:
            head += f"Cookie: {self.cookie}\r\n"
        if body:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        writer.write(head.encode() + b"\r\n" + body)
        raw = await reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                if name.lower() == "set-cookie":
                    self.cookie = value.strip().split(";", 1)[0]
                headers[name.lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        return status, headers, await reader.readexactly(length) if length else b""

    def close(self) -> None:
        if self._conn is not None:
            self._conn[1].close()


async def join_tablet(http: Http, code: str, participant_id: int, personal_code: str) -> None:
    """The identity step, in one place so that it can follow the tablet app when it
    changes: the list behind the code, then joining as one name on it."""
    status, _, body = await http.request("GET", f"/api/join/{code}")
    if status != 200:
        raise RuntimeError(f"join list: HTTP {status} {body[:200]!r}")
    payload = json.dumps(
        {"code": code, "participant_id": participant_id, "personal_code": personal_code}
    ).encode()
    status, _, body = await http.request("POST", "/api/join", payload)
    if status != 200 or not http.cookie:
        raise RuntimeError(f"join: HTTP {status} {body[:200]!r}")


async def one_tablet(
    port: int, seeded: dict[str, Any], participant_id: int, hold: list[Any]
) -> dict[str, Any]:
    from websockets.asyncio.client import connect

    start = time.perf_counter()
    http = Http(port)
    await join_tablet(http, seeded["code"], participant_id, seeded["personal"][str(participant_id)])
    ws = await connect(
        f"ws://127.0.0.1:{port}/ws/meetings/{seeded['meeting_id']}",
        additional_headers={"Cookie": http.cookie},
        max_size=2**22,
        ping_interval=None,
        open_timeout=60,
    )
    hold.append(ws)
    await ws.send('{"id":1,"type":"hello","last_seq":null}')
    while True:
        raw = await ws.recv()
        if isinstance(raw, str) and '"type":"snapshot"' in raw:
            break
    snapshot = time.perf_counter()
    status, _, body = await http.request("GET", seeded["page_path"])
    if status != 200:
        raise RuntimeError(f"page: HTTP {status} {body[:200]!r}")
    page = time.perf_counter()
    http.close()
    return {"snapshot_ms": (snapshot - start) * 1000, "page_ms": (page - start) * 1000}


def client_process(port: int, seeded: dict[str, Any], plan: list[tuple[float, int]], out: Any) -> None:
    """Starts each tablet of ``plan`` (start time on the monotonic clock, participant)."""
    import uvloop

    async def main() -> None:
        hold: list[Any] = []
        results: list[dict[str, Any]] = []

        async def run(at: float, participant_id: int) -> None:
            await asyncio.sleep(max(0.0, at - time.perf_counter()))
            try:
                results.append(await one_tablet(port, seeded, participant_id, hold))
            except Exception as exc:  # reported, counted as an error
                results.append({"error": f"{type(exc).__name__}: {exc}"[:300]})

        await asyncio.gather(*(run(at, pid) for at, pid in plan))
        out.put(results)
        for ws in hold:
            ws.transport.abort()

    uvloop.run(main())


def quantiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p99": None, "max": None}
    values = sorted(values)
    q = statistics.quantiles(values, n=100, method="inclusive") if len(values) >= 2 else values * 99
    return {"p50": round(values[len(values) // 2], 1), "p99": round(q[98], 1), "max": round(values[-1], 1)}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tablets", type=int, default=1600)
    parser.add_argument("--window", type=float, default=60.0, help="seconds over which tablets start")
    parser.add_argument("--processes", type=int, default=4, help="client processes")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        secret = secrets.token_hex(16)
        database_url = f"sqlite+aiosqlite:///{tmp / 'bench.db'}"
        seeded = asyncio.run(seed(database_url, tmp / "data", args.tablets, secret))
        env = {
            **os.environ,
            "PHONGHOP_DATABASE_URL": database_url,
            "PHONGHOP_SECRET_KEY": secret,
            "PHONGHOP_DATA_DIR": str(tmp / "data"),
        }
        port = free_port()
        with open(tmp / "serve.log", "wb") as log:
            server = subprocess.Popen(
                [sys.executable, "-m", "phonghop", "--port", str(port), "serve"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            try:
                wait_http(f"http://127.0.0.1:{port}/readyz", timeout=120)
            except OSError:
                sys.stderr.write((tmp / "serve.log").read_text(errors="replace")[-3000:])
                raise
            warm = asyncio.run(_warm(port, seeded))
            ctx = mp.get_context("spawn")
            out = ctx.Queue()
            begin = time.perf_counter() + 3.0  # the client processes start first
            plans: list[list[tuple[float, int]]] = [[] for _ in range(args.processes)]
            for i, pid in enumerate(seeded["participants"]):
                plans[i % args.processes].append((begin + args.window * i / args.tablets, pid))
            procs = [ctx.Process(target=client_process, args=(port, seeded, plan, out)) for plan in plans]
            cpu_before = cpu_seconds(server.pid)
            for p in procs:
                p.start()
            results: list[dict[str, Any]] = []
            for _ in procs:
                results.extend(out.get(timeout=args.window + 600))
            cpu = cpu_seconds(server.pid) - cpu_before
            for p in procs:
                p.join(timeout=30)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
    ok = [r for r in results if "error" not in r]
    errors = [r["error"] for r in results if "error" in r]
    report = {
        "tablets": args.tablets,
        "window_s": args.window,
        "cores": os.cpu_count(),
        "joined": len(ok),
        "errors": len(errors),
        "first_errors": sorted(set(errors))[:5],
        "ms_to_first_snapshot": quantiles([r["snapshot_ms"] for r in ok]),
        "ms_to_presenter_page": quantiles([r["page_ms"] for r in ok]),
        "server_cpu_ms_per_tablet": round(cpu / max(len(results), 1) * 1000, 2),
        "first_render_of_the_page_ms": warm,
        "goals": {"p99_ms_to_first_snapshot": 1000, "p99_ms_to_presenter_page": 3000},
    }
    print(json.dumps(report, ensure_ascii=False, indent=None if args.json else 1))
    return 0


async def _warm(port: int, seeded: dict[str, Any]) -> float:
    """Renders the presenter's page once (as publishing did days before), from a session
    of the first delegate (whose tablet then joins again in the storm)."""
    start = time.perf_counter()
    http = Http(port)
    first = seeded["participants"][0]
    await join_tablet(http, seeded["code"], first, seeded["personal"][str(first)])
    status, _, body = await http.request("GET", seeded["page_path"])
    http.close()
    if status != 200:
        raise RuntimeError(f"warm-up page: HTTP {status} {body[:200]!r}")
    return round((time.perf_counter() - start) * 1000, 1)


if __name__ == "__main__":
    raise SystemExit(main())
