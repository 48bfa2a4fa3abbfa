"""Several real instances on real PostgreSQL and Redis: same events, same order, nothing
lost across disconnects, instance kills and a Redis outage."""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from phonghop.storage.db import Database
from phonghop.storage.models import MeetingEvent
from tests.conftest import make_settings, service_missing
from tests.factories import PASSWORD, blank_pdf, seed_world
from tests.realtime.cluster import Instance, LivePeer, free_port, instance_env, session_cookie

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]


class Cluster:
    def __init__(self, database_url: str, redis_url: str, tmp: Path) -> None:
        self.database_url = database_url
        self.tmp = tmp
        secret = secrets.token_hex(16)
        world = seed_world(make_settings(tmp, database_url))
        self.a = Instance(instance_env(database_url, redis_url, tmp / "a", secret), tmp, "a")
        self.b = Instance(instance_env(database_url, redis_url, tmp / "b", secret), tmp, "b")
        self.a.start()
        self.b.start()
        office, csrf = session_cookie(
            self.a.url, "/api/session", {"username": "office", "password": PASSWORD}
        )
        h = self.office_headers = {"Cookie": office, "X-CSRF-Token": csrf}
        meeting = httpx.post(
            self.a.url + "/api/meetings",
            headers=h,
            timeout=10,
            json={"title": "Phiên họp thử", "starts_at": "2026-12-01T08:00:00+07:00"},
        ).json()
        self.meeting_id = meeting["id"]
        self.participants = []
        for name, role in [
            ("secretary", "secretary"),
            ("member1", "delegate"),
            ("member2", "delegate"),
            ("member3", "delegate"),
        ]:
            r = httpx.post(
                f"{self.a.url}/api/meetings/{self.meeting_id}/participants",
                headers=h,
                timeout=10,
                json={"user_id": world.users[name], "role": role},
            )
            self.participants.append(r.json())
        scheduled = httpx.post(
            f"{self.a.url}/api/meetings/{self.meeting_id}/actions/schedule", headers=h, timeout=10
        ).json()
        self.join_code = scheduled["join_code"]
        # Two 30-page documents for the presenter to show.
        self.documents = [
            httpx.post(
                f"{self.a.url}/api/meetings/{self.meeting_id}/documents",
                params={"title": f"Tài liệu {n}"},
                headers={**h, "Content-Type": "application/pdf"},
                content=blank_pdf(30),
                timeout=60,
            ).json()["id"]
            for n in (1, 2)
        ]
        self.secretary_cookie, _ = session_cookie(
            self.a.url, "/api/session", {"username": "secretary", "password": PASSWORD}
        )

    def tablet_cookie(self, index: int) -> str:
        """A tablet joined as that participant with the code from their invitation."""
        pid = self.participants[index]["id"]
        codes = httpx.get(
            f"{self.a.url}/api/meetings/{self.meeting_id}/personal-codes",
            headers=self.office_headers,
            timeout=10,
        ).json()["participants"]
        personal = next(c["personal_code"] for c in codes if c["participant_id"] == pid)
        cookie, _ = session_cookie(
            self.a.url,
            "/api/join",
            {"code": self.join_code, "participant_id": pid, "personal_code": personal},
        )
        return cookie

    async def log(self) -> list[tuple[int, str]]:
        db = Database(self.database_url)
        try:
            async with db.unit(write=False) as uow:
                rows = await uow.session.execute(
                    select(MeetingEvent.seq, MeetingEvent.type)
                    .where(MeetingEvent.meeting_id == self.meeting_id)
                    .order_by(MeetingEvent.seq)
                )
                return [(int(s), str(t)) for s, t in rows]
        finally:
            await db.dispose()

    def stop(self) -> None:
        self.a.stop()
        self.b.stop()


@pytest.fixture
def cluster(migrated_postgres_url: str, redis_url: str, tmp_path: Path) -> Iterator[Cluster]:
    c = Cluster(migrated_postgres_url, redis_url, tmp_path)
    try:
        yield c
    finally:
        c.stop()


def received(peer: LivePeer) -> list[tuple[int, str]]:
    return [(e["seq"], e["type"]) for e in peer.events]


async def wait_for_status(instance: Instance, status: str, timeout: float = 30.0) -> dict[str, Any]:
    """/readyz's body once its status is ``status``; a degraded instance still answers 200."""
    deadline = time.monotonic() + timeout
    while True:
        r = httpx.get(instance.url + "/readyz", timeout=5)
        body: dict[str, Any] = r.json()
        if body["status"] == status:
            assert r.status_code == (503 if status == "unavailable" else 200), body
            return body
        assert time.monotonic() < deadline, f"{instance.url} stayed {body}, expected {status}"
        await asyncio.sleep(0.2)


def redis_up(instance: Instance) -> float:
    text = httpx.get(instance.url + "/metrics", timeout=5).text
    (line,) = [x for x in text.splitlines() if x.startswith("phonghop_redis_up ")]
    return float(line.split()[1])


async def turn_pages(console: LivePeer, pages: range, document_id: int) -> None:
    for page in pages:
        reply = await console.call("presenter.show_page", document_id=document_id, page=page)
        assert reply["ok"], reply


@pytest.mark.anyio
async def test_tablets_on_two_instances_see_the_same_events_in_the_same_order(cluster: Cluster) -> None:
    console = LivePeer(cluster.secretary_cookie, cluster.meeting_id)
    await console.connect(cluster.a.url)
    assert (await console.call("meeting.control", action="start"))["ok"]
    t1, t2 = (
        LivePeer(cluster.tablet_cookie(1), cluster.meeting_id),
        LivePeer(cluster.tablet_cookie(2), cluster.meeting_id),
    )
    await t1.connect(cluster.a.url)
    await t2.connect(cluster.b.url)
    start = t1.applied
    assert start is not None and t2.applied == start
    # commands on both instances, interleaved
    other = LivePeer(cluster.secretary_cookie, cluster.meeting_id)
    await other.connect(cluster.b.url)
    await asyncio.gather(
        turn_pages(console, range(1, 26), cluster.documents[0]),
        turn_pages(other, range(1, 26), cluster.documents[1]),
    )
    log = await cluster.log()
    last = log[-1][0]
    await t1.wait_for_seq(last)
    await t2.wait_for_seq(last)
    assert received(t1) == received(t2) == [x for x in log if x[0] > start]
    for peer in (t1, t2, console, other):
        assert peer.duplicates == 0 and peer.gaps == 0
        await peer.close()


@pytest.mark.anyio
async def test_killing_an_instance_loses_nothing_committed(cluster: Cluster) -> None:
    console = LivePeer(cluster.secretary_cookie, cluster.meeting_id)
    await console.connect(cluster.a.url)
    await console.call("meeting.control", action="start")
    tablet = LivePeer(cluster.tablet_cookie(1), cluster.meeting_id)
    await tablet.connect(cluster.b.url)
    await turn_pages(console, range(1, 6), cluster.documents[0])
    cluster.b.kill()  # the tablet's instance dies mid-meeting
    await tablet.drop()
    await turn_pages(console, range(6, 16), cluster.documents[0])
    cluster.b.start()
    reply = await tablet.connect(cluster.b.url)
    assert reply["result"]["mode"] == "replay"
    log = await cluster.log()
    await tablet.wait_for_seq(log[-1][0])
    pages = [e["data"]["page"] for e in tablet.events if e["type"] == "presenter.page_changed"]
    assert pages == list(range(1, 16))
    assert tablet.duplicates == 0 and tablet.gaps == 0
    await tablet.close()
    await console.close()


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["turn_a", "turn_b", "drop", "reconnect_a", "reconnect_b"]), st.integers(0, 2)
        ),
        min_size=5,
        max_size=25,
    )
)
def test_random_disconnects_never_lose_or_duplicate(cluster: Cluster, steps: list[tuple[str, int]]) -> None:
    async def run() -> None:
        consoles = {
            "a": LivePeer(cluster.secretary_cookie, cluster.meeting_id),
            "b": LivePeer(cluster.secretary_cookie, cluster.meeting_id),
        }
        await consoles["a"].connect(cluster.a.url)
        await consoles["b"].connect(cluster.b.url)
        await consoles["a"].call("meeting.control", action="start")  # may already be started
        tablets = [LivePeer(cluster.tablet_cookie(i + 1), cluster.meeting_id) for i in range(3)]
        for i, t in enumerate(tablets):
            await t.connect(cluster.a.url if i % 2 else cluster.b.url)
        page = 0
        for action, index in steps:
            tablet = tablets[index]
            if action.startswith("turn"):
                page += 1
                await consoles[action[-1]].call(
                    "presenter.show_page", document_id=cluster.documents[0], page=page % 30 + 1
                )
            elif action == "drop":
                await tablet.drop()
            elif tablet.ws is None:
                await tablet.connect(cluster.a.url if action.endswith("a") else cluster.b.url)
        for i, t in enumerate(tablets):
            if t.ws is None:
                await t.connect(cluster.a.url if i % 2 else cluster.b.url)
        log = await cluster.log()
        for t in tablets:
            await t.wait_for_seq(log[-1][0])
            assert t.duplicates == 0 and t.gaps == 0
            seqs = [e["seq"] for e in t.events]
            assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
            if seqs:
                assert received(t) == [x for x in log if x[0] >= seqs[0]]
            await t.close()
        for c in consoles.values():
            await c.close()

    asyncio.run(run())


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[tuple[str, Any]]:
    """A Redis server of our own that the test may stop and start."""
    binary = shutil.which("redis-server")
    if binary is None:
        service_missing("redis-server", "the binary is not installed")
    assert binary is not None
    port = free_port()

    def start() -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(
            [
                binary,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(tmp_path),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            # A service, like the shared PostgreSQL and Redis: it keeps the real clock when
            # scripts/test --today moves the suite's (and libfaketime breaks its allocator).
            env={k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "FAKETIME")},
        )
        deadline = time.monotonic() + 60
        while True:  # until it answers, not for a guessed time
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return proc
            except OSError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                proc.wait()
                raise AssertionError("redis-server did not start")
            time.sleep(0.05)

    holder = {"proc": start()}

    class Control:
        url = f"redis://127.0.0.1:{port}/0"

        @staticmethod
        def stop() -> None:
            holder["proc"].kill()
            holder["proc"].wait(timeout=10)

        @staticmethod
        def restart() -> None:
            holder["proc"] = start()

        @staticmethod
        def freeze() -> None:
            """A hung Redis: it accepts connections and answers nothing."""
            holder["proc"].send_signal(signal.SIGSTOP)

        @staticmethod
        def thaw() -> None:
            holder["proc"].send_signal(signal.SIGCONT)

    try:
        yield Control.url, Control
    finally:
        holder["proc"].send_signal(signal.SIGCONT)
        holder["proc"].kill()
        holder["proc"].wait(timeout=10)


@pytest.fixture
def outage_cluster(
    migrated_postgres_url: str, private_redis: tuple[str, Any], tmp_path: Path
) -> Iterator[tuple[Cluster, Any]]:
    url, redis = private_redis
    cluster = Cluster(migrated_postgres_url, url, tmp_path)
    try:
        yield cluster, redis
    finally:
        cluster.stop()


@pytest.mark.anyio
async def test_redis_outage_keeps_meetings_running_and_heals(outage_cluster: tuple[Cluster, Any]) -> None:
    cluster, redis = outage_cluster
    console = LivePeer(cluster.secretary_cookie, cluster.meeting_id)
    await console.connect(cluster.a.url)
    await console.call("meeting.control", action="start")
    on_a, on_b = (
        LivePeer(cluster.tablet_cookie(1), cluster.meeting_id),
        LivePeer(cluster.tablet_cookie(2), cluster.meeting_id),
    )
    await on_a.connect(cluster.a.url)
    await on_b.connect(cluster.b.url)
    redis.stop()
    await turn_pages(console, range(1, 6), cluster.documents[0])  # commands still work without Redis
    log = await cluster.log()
    await on_a.wait_for_seq(log[-1][0], timeout=5)  # same instance: at once
    await on_b.wait_for_seq(log[-1][0], timeout=10)  # other instance: from the log
    # Degraded, not out of the load balancer: both instances keep taking traffic.
    await wait_for_status(cluster.a, "degraded")
    await wait_for_status(cluster.b, "degraded")
    # An instance started during the outage serves, and says why it is degraded.
    late = Instance(cluster.a.env, cluster.tmp, "late")
    late.start()
    try:
        await wait_for_status(late, "degraded")
        assert "redis bus unavailable at start" in late.log_path.read_text()
    finally:
        late.stop()
    redis.restart()
    await wait_for_status(cluster.a, "ok")
    await wait_for_status(cluster.b, "ok")
    await turn_pages(console, range(6, 9), cluster.documents[0])
    log = await cluster.log()
    await on_b.wait_for_seq(log[-1][0], timeout=10)
    for peer in (on_a, on_b):
        assert [e["data"]["page"] for e in peer.events if e["type"] == "presenter.page_changed"] == list(
            range(1, 9)
        )
        assert peer.duplicates == 0 and peer.gaps == 0
        await peer.close()
    await console.close()


@pytest.mark.anyio
async def test_a_frozen_redis_degrades_both_instances_and_both_heal(
    outage_cluster: tuple[Cluster, Any],
) -> None:
    """SIGSTOP: Redis accepts connections and answers nothing (a hung server). The instance
    that publishes during the freeze used to stay unhealthy for good; both must come back
    with the first publish or ping that works, and log the outage once each way."""
    cluster, redis = outage_cluster
    console = LivePeer(cluster.secretary_cookie, cluster.meeting_id)
    await console.connect(cluster.a.url)
    await console.call("meeting.control", action="start")
    on_b = LivePeer(cluster.tablet_cookie(1), cluster.meeting_id)
    await on_b.connect(cluster.b.url)
    logged = {i: len(i.log_path.read_text()) for i in (cluster.a, cluster.b)}
    redis.freeze()
    try:
        await turn_pages(console, range(1, 4), cluster.documents[0])  # a publishes into the freeze
        await wait_for_status(cluster.a, "degraded")
        await wait_for_status(cluster.b, "degraded")
        assert redis_up(cluster.a) == 0
        log = await cluster.log()
        await on_b.wait_for_seq(log[-1][0], timeout=15)  # b reads the log meanwhile
    finally:
        redis.thaw()
    await wait_for_status(cluster.a, "ok")
    await wait_for_status(cluster.b, "ok")
    assert redis_up(cluster.a) == 1
    await turn_pages(console, range(4, 7), cluster.documents[0])
    log = await cluster.log()
    await on_b.wait_for_seq(log[-1][0], timeout=10)
    assert [e["data"]["page"] for e in on_b.events if e["type"] == "presenter.page_changed"] == list(
        range(1, 7)
    )
    assert on_b.duplicates == 0 and on_b.gaps == 0
    for instance in (cluster.a, cluster.b):
        text = instance.log_path.read_text()[logged[instance] :]
        assert text.count("redis bus unavailable") == 1, text
        assert text.count("redis bus back after") == 1, text
    # A second outage on the same instance is noticed and logged too.
    redis.stop()
    await turn_pages(console, range(7, 8), cluster.documents[0])
    await wait_for_status(cluster.a, "degraded")
    redis.restart()
    await wait_for_status(cluster.a, "ok")
    text = cluster.a.log_path.read_text()[logged[cluster.a] :]
    assert text.count("redis bus unavailable") == 2 and text.count("redis bus back after") == 2, text
    await on_b.close()
    await console.close()
