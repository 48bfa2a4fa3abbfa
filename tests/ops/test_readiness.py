"""/readyz means "send me traffic": a Redis outage degrades an instance but keeps it in the
load balancer (and is reported); only a database it cannot reach takes it out."""

from __future__ import annotations

import logging
import socket
import time
from dataclasses import replace

import pytest
from starlette.testclient import TestClient

from phonghop.app import create_app
from phonghop.config import Settings


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def metric(text: str, name: str) -> float:
    (line,) = [x for x in text.splitlines() if x.startswith(name + " ")]
    return float(line.split()[1])


def test_redis_down_at_start_is_degraded_reported_and_logged(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    down = replace(settings, redis_url=f"redis://127.0.0.1:{closed_port()}/0")
    caplog.set_level(logging.WARNING, logger="phonghop.bus")
    with TestClient(create_app(down)) as client:
        r = client.get("/readyz")
        assert r.status_code == 200
        checks = {"redis": "degraded: not connected", "database": "ok"}
        assert r.json() == {"status": "degraded", "checks": checks}
        deadline = time.monotonic() + 120  # start-up under a loaded machine can take tens of seconds
        while "redis bus unavailable at start" not in caplog.text:  # the first attempt failed
            assert time.monotonic() < deadline, caplog.text
            client.get("/healthz")
            time.sleep(0.05)
        text = client.get("/metrics").text
        assert metric(text, "phonghop_redis_up") == 0
        assert metric(text, "phonghop_redis_outages_total") == 1
    assert caplog.text.count("redis bus unavailable") == 1  # once, however often it retried


def test_a_database_out_of_reach_takes_the_instance_out(settings: Settings) -> None:
    gone = replace(settings, database_url=f"postgresql+asyncpg://postgres@127.0.0.1:{closed_port()}/none")
    with TestClient(create_app(gone)) as client:
        r = client.get("/readyz")
        assert r.status_code == 503
        body = r.json()
        assert body["status"] == "unavailable" and body["checks"]["database"].startswith("error")
        assert body["error"]["code"] == "service_unavailable"
        assert client.get("/healthz").status_code == 200  # alive, just not ready
