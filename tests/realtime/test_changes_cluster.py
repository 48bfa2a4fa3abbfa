"""A change on instance A reaches the consoles on instance B (PostgreSQL, the shared Redis):
a member's written opinion on a draft, given through A, signals its comment table to the
office's ``/ws/changes`` on B."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import httpx2 as httpx
import pytest
from websockets.asyncio.client import connect

from tests.factories import PASSWORD
from tests.realtime import test_cluster
from tests.realtime.cluster import session_cookie
from tests.realtime.test_cluster import Cluster

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

cluster = test_cluster.cluster

#: Generous: the signal normally comes within milliseconds; the test fails only when it never comes.
DEADLINE = 30.0


@pytest.mark.anyio
async def test_a_change_on_one_instance_reaches_the_consoles_of_the_other(cluster: Cluster) -> None:
    document_id = cluster.documents[0]
    users = {
        u["username"]: u["id"]
        for u in httpx.get(cluster.a.url + "/api/users", headers=cluster.office_headers, timeout=10).json()[
            "users"
        ]
    }
    r = httpx.post(
        cluster.a.url + "/api/consultations",
        headers=cluster.office_headers,
        timeout=10,
        json={
            "title": "Lấy ý kiến",
            "question": "Đề nghị cho ý kiến.",
            "deadline": (datetime.now(UTC) + timedelta(days=3)).isoformat(),
            "members": [users["member1"]],
            "document_id": document_id,
        },
    )
    assert r.status_code == 201, r.text
    cookie, csrf = session_cookie(
        cluster.a.url, "/api/session", {"username": "member1", "password": PASSWORD}
    )
    url = cluster.b.url.replace("http://", "ws://") + "/ws/changes"
    async with connect(url, additional_headers={"Cookie": cluster.office_headers["Cookie"]}) as ws:
        await ws.send('{"type": "ping"}')
        assert json.loads(await asyncio.wait_for(ws.recv(), DEADLINE)) == {"type": "pong"}  # subscribed
        answer = httpx.put(
            f"{cluster.a.url}/api/consultations/{r.json()['id']}/answer",
            headers={"Cookie": cookie, "X-CSRF-Token": csrf},
            json={"choice": "other", "text": "Đề nghị bổ sung."},
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
        signal = json.loads(await asyncio.wait_for(ws.recv(), DEADLINE))
        assert signal["type"] == "changed" and signal["topic"] == "comment_table"
        assert signal["id"] == document_id
