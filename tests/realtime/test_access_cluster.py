"""Ending access reaches the live sockets on every instance (two instances, PostgreSQL,
the shared Redis): a sign-out, a password reset, a deactivation or a removal on instance
A closes the websockets held by instance B."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.factories import PASSWORD
from tests.realtime.cluster import session_cookie
from tests.realtime.test_cluster import Cluster

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

#: Generous: the close normally comes within milliseconds (the bus carries it); the test
#: only fails when it never comes, whatever the load on the machine.
DEADLINE = 10.0


@pytest.fixture
def cluster(migrated_postgres_url: str, redis_url: str, tmp_path: Path) -> Iterator[Cluster]:
    c = Cluster(migrated_postgres_url, redis_url, tmp_path)
    try:
        yield c
    finally:
        c.stop()


async def close_code_after(cluster: Cluster, cookie: str, action: object) -> tuple[int, float]:
    """Open a websocket on instance B with ``cookie``, run ``action`` (HTTP on instance A),
    and return the close code and the seconds from the action's answer to the close."""
    url = cluster.b.url.replace("http://", "ws://") + f"/ws/meetings/{cluster.meeting_id}"
    async with connect(url, additional_headers={"Cookie": cookie}) as ws:
        await ws.send('{"id": 1, "type": "hello"}')
        while True:  # the result and the snapshot
            message = await ws.recv()
            if '"type":"snapshot"' in str(message):
                break
        assert callable(action)
        action()
        answered = time.monotonic()
        with pytest.raises(ConnectionClosed) as closed:
            while time.monotonic() - answered < DEADLINE:
                await ws.recv()
        assert closed.value.rcvd is not None
        return closed.value.rcvd.code, time.monotonic() - answered


def office_headers(cluster: Cluster, username: str = "admin") -> dict[str, str]:
    cookie, csrf = session_cookie(cluster.a.url, "/api/session", {"username": username, "password": PASSWORD})
    return {"Cookie": cookie, "X-CSRF-Token": csrf}


@pytest.mark.anyio
async def test_every_end_of_access_closes_sockets_on_the_other_instance(cluster: Cluster) -> None:
    seconds: dict[str, float] = {}

    # sign-out on A closes the secretary's console on B
    cookie, csrf = session_cookie(
        cluster.a.url, "/api/session", {"username": "secretary", "password": PASSWORD}
    )
    code, seconds["logout"] = await close_code_after(
        cluster,
        cookie,
        lambda: httpx.delete(
            cluster.a.url + "/api/session", headers={"Cookie": cookie, "X-CSRF-Token": csrf}, timeout=10
        ).raise_for_status(),
    )
    assert code == 4401

    # an administrator's password reset on A
    admin = office_headers(cluster)
    users = {
        u["username"]: u["id"] for u in httpx.get(cluster.a.url + "/api/users", headers=admin).json()["users"]
    }
    cookie, _ = session_cookie(cluster.a.url, "/api/session", {"username": "secretary", "password": PASSWORD})
    code, seconds["reset"] = await close_code_after(
        cluster,
        cookie,
        lambda: httpx.post(
            f"{cluster.a.url}/api/users/{users['secretary']}/password",
            headers=admin,
            json={"password": "mat-khau-moi-2027"},
            timeout=10,
        ).raise_for_status(),
    )
    assert code == 4401

    # a tablet whose participant is removed from the meeting
    tablet = cluster.tablet_cookie(3)
    pid = cluster.participants[3]["id"]
    code, seconds["removal"] = await close_code_after(
        cluster,
        tablet,
        lambda: httpx.delete(
            f"{cluster.a.url}/api/meetings/{cluster.meeting_id}/participants/{pid}",
            headers=cluster.office_headers,
            timeout=10,
        ).raise_for_status(),
    )
    assert code == 4403

    # a second device taking the seat over
    first = cluster.tablet_cookie(1)
    code, seconds["replaced"] = await close_code_after(cluster, first, lambda: cluster.tablet_cookie(1))
    assert code == 4410

    # deactivating the account behind a console
    cookie, _ = session_cookie(cluster.a.url, "/api/session", {"username": "office", "password": PASSWORD})
    code, seconds["deactivation"] = await close_code_after(
        cluster,
        cookie,
        lambda: httpx.patch(
            f"{cluster.a.url}/api/users/{users['office']}", headers=admin, json={"active": False}, timeout=10
        ).raise_for_status(),
    )
    assert code == 4401
    print("seconds from the answer on A to the close on B:", {k: round(v, 3) for k, v in seconds.items()})
