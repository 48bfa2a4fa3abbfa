"""Ending access reaches the live sockets on every instance (two instances, PostgreSQL,
the shared Redis): every end of access done on instance A (sign-out, sign-out everywhere,
a password change or reset, a deactivation, a role change, a removal, another device, the
meeting's end) closes the websockets held by instance B."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx2 as httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.factories import PASSWORD
from tests.realtime.cluster import session_cookie
from tests.realtime.test_cluster import Cluster

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

#: Generous: the close normally comes within milliseconds (the bus carries it); the test
#: only fails when it never comes, whatever the load on the machine.
DEADLINE = 10.0
NEW = "mat-khau-moi-2027"


@pytest.fixture
def cluster(migrated_postgres_url: str, redis_url: str, tmp_path: Path) -> Iterator[Cluster]:
    c = Cluster(migrated_postgres_url, redis_url, tmp_path)
    try:
        yield c
    finally:
        c.stop()


async def opened_on_b(cluster: Cluster, cookie: str) -> ClientConnection:
    """A websocket on instance B with ``cookie``, past its hello and snapshot."""
    url = cluster.b.url.replace("http://", "ws://") + f"/ws/meetings/{cluster.meeting_id}"
    ws = await connect(url, additional_headers={"Cookie": cookie})
    await ws.send('{"id": 1, "type": "hello"}')
    while True:  # the result and the snapshot
        message = await ws.recv()
        if '"type":"snapshot"' in str(message):
            return ws


async def close_code_after(
    cluster: Cluster, cookie: str, action: Callable[[], object], seen: list[str] | None = None
) -> tuple[int, float]:
    """Open a websocket on instance B with ``cookie``, run ``action`` (HTTP on instance A),
    and return the close code and the seconds from the action's answer to the close; the
    types of the frames that came before the close go into ``seen``."""
    async with await opened_on_b(cluster, cookie) as ws:
        action()
        answered = time.monotonic()
        with pytest.raises(ConnectionClosed) as closed:
            while time.monotonic() - answered < DEADLINE:
                frame = json.loads(await ws.recv())
                if seen is not None:
                    seen.append(frame.get("type"))
        assert closed.value.rcvd is not None
        return closed.value.rcvd.code, time.monotonic() - answered


async def still_open(ws: ClientConnection) -> bool:
    """Whether ``ws`` still answers a ping command."""
    await ws.send('{"id": 99, "type": "ping"}')
    while True:
        frame = json.loads(await ws.recv())
        if frame.get("type") == "result" and frame.get("id") == 99:
            return bool(frame["ok"])


def signed_in(cluster: Cluster, username: str, password: str = PASSWORD) -> tuple[str, dict[str, str]]:
    """A new session of ``username`` on A: its cookie, and the headers of a request with it."""
    cookie, csrf = session_cookie(cluster.a.url, "/api/session", {"username": username, "password": password})
    return cookie, {"Cookie": cookie, "X-CSRF-Token": csrf}


def on_a(
    cluster: Cluster, method: str, path: str, headers: dict[str, str], body: object = None
) -> Callable[[], object]:
    """The action: this request to instance A, which must succeed."""
    return lambda: httpx.request(
        method, cluster.a.url + path, headers=headers, json=body, timeout=10
    ).raise_for_status()


@pytest.mark.anyio
async def test_every_end_of_access_closes_sockets_on_the_other_instance(cluster: Cluster) -> None:
    seconds: dict[str, float] = {}
    meeting = f"/api/meetings/{cluster.meeting_id}"
    _, admin = signed_in(cluster, "admin")
    users = {
        u["username"]: u["id"] for u in httpx.get(cluster.a.url + "/api/users", headers=admin).json()["users"]
    }

    async def closed_by(name: str, cookie: str, action: Callable[[], object]) -> int:
        code, seconds[name] = await close_code_after(cluster, cookie, action)
        return code

    # sign-out on A closes the secretary's console on B
    cookie, headers = signed_in(cluster, "secretary")
    assert await closed_by("logout", cookie, on_a(cluster, "DELETE", "/api/session", headers)) == 4401

    # an administrator's password reset on A
    cookie, _ = signed_in(cluster, "secretary")
    reset = on_a(cluster, "POST", f"/api/users/{users['secretary']}/password", admin, {"password": NEW})
    assert await closed_by("reset", cookie, reset) == 4401

    # a tablet whose participant is removed from the meeting
    pid = cluster.participants[3]["id"]
    removal = on_a(cluster, "DELETE", f"{meeting}/participants/{pid}", cluster.office_headers)
    assert await closed_by("removal", cluster.tablet_cookie(3), removal) == 4403

    # a second device taking the seat over
    assert await closed_by("replaced", cluster.tablet_cookie(1), lambda: cluster.tablet_cookie(1)) == 4410

    # sign out everywhere (asked from another session of the same account, on A)
    cookie, _ = signed_in(cluster, "member1")
    _, other = signed_in(cluster, "member1")
    assert await closed_by("everywhere", cookie, on_a(cluster, "DELETE", "/api/sessions", other)) == 4401

    # changing one's own password on A: the other session's socket on B closes, this one's stays
    cookie, _ = signed_in(cluster, "member1")
    mine, headers = signed_in(cluster, "member1")
    change = on_a(
        cluster, "PUT", "/api/session/password", headers, {"current_password": PASSWORD, "new_password": NEW}
    )
    async with await opened_on_b(cluster, mine) as kept:
        assert await closed_by("password_change", cookie, change) == 4401
        assert await still_open(kept)

    # a change of the account's role: the socket closes (4412) and reconnects with the new rights
    cookie, _ = signed_in(cluster, "member1", NEW)
    promote = on_a(cluster, "PATCH", f"/api/users/{users['member1']}", admin, {"role": "office"})
    assert await closed_by("account_role", cookie, promote) == 4412
    async with await opened_on_b(cluster, cookie) as again:
        assert await still_open(again)

    # a change of the participant's role in the meeting, for a tablet
    tablet = cluster.tablet_cookie(2)
    pid = cluster.participants[2]["id"]
    guest = {"role": "guest", "voting_member": False}
    demote = on_a(cluster, "PATCH", f"{meeting}/participants/{pid}", cluster.office_headers, guest)
    assert await closed_by("participant_role", tablet, demote) == 4412
    async with await opened_on_b(cluster, tablet) as again:
        assert await still_open(again)

    # the console revokes one device
    tablet = cluster.tablet_cookie(2)
    devices = httpx.get(cluster.a.url + meeting + "/devices", headers=cluster.office_headers, timeout=10)
    device = next(d["device_id"] for d in devices.json()["devices"] if d["participant_id"] == pid)
    revoke = on_a(cluster, "POST", f"{meeting}/devices/{device}/revoke", cluster.office_headers)
    assert await closed_by("device_revoked", tablet, revoke) == 4409

    # deactivating the account behind a console (last: the cluster's office session ends too)
    cookie, _ = signed_in(cluster, "office")
    deactivate = on_a(cluster, "PATCH", f"/api/users/{users['office']}", admin, {"active": False})
    assert await closed_by("deactivation", cookie, deactivate) == 4401
    print("seconds from the answer on A to the close on B:", {k: round(v, 3) for k, v in seconds.items()})


@pytest.mark.anyio
async def test_the_meetings_end_closes_tablets_without_an_account_on_the_other_instance(
    cluster: Cluster,
) -> None:
    """Closed on A: a personal-code tablet on B gets ``meeting.closed``, then 4411; a reconnect
    to B is refused with 4411; the secretary's console on B stays."""
    meeting = f"/api/meetings/{cluster.meeting_id}"
    on_a(cluster, "POST", meeting + "/actions/start", cluster.office_headers)()
    tablet = cluster.tablet_cookie(1)
    seen: list[str] = []
    async with await opened_on_b(cluster, cluster.secretary_cookie) as console:
        close = on_a(cluster, "POST", meeting + "/actions/close", cluster.office_headers)
        code, seconds = await close_code_after(cluster, tablet, close, seen)
        assert code == 4411 and seen[-1] == "meeting.closed"
        assert await still_open(console)
    url = cluster.b.url.replace("http://", "ws://") + f"/ws/meetings/{cluster.meeting_id}"
    async with connect(url, additional_headers={"Cookie": tablet}) as ws:
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4411
    r = httpx.get(cluster.b.url + "/api/session", headers={"Cookie": tablet}, timeout=10)
    assert r.status_code == 401 and r.json()["error"]["code"] == "meeting_ended"
    print("seconds from the close on A to the tablet's close on B:", round(seconds, 3))
