"""Operations: /metrics in the Prometheus text format, request ids, JSON log lines."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import replace

from starlette.testclient import TestClient

from phonghop import metrics
from phonghop.app import create_app
from phonghop.config import Settings
from tests.factories import login, seed_world


def sample(text: str, name: str, **labels: str) -> float:
    inner = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    pattern = "^" + re.escape(f"{name}{{{inner}}}" if labels else name) + r" (\S+)$"
    found = re.search(pattern, text, re.MULTILINE)
    assert found, f"{name} {labels} not in metrics"
    return float(found.group(1))


def test_metrics_count_what_happens(settings: Settings) -> None:
    seed_world(settings)
    with TestClient(create_app(settings)) as client:
        before = client.get("/metrics")
        assert before.status_code == 200 and before.headers["content-type"].startswith("text/plain")
        assert "# TYPE phonghop_connections gauge" in before.text
        errors = (
            sample(before.text, "phonghop_errors_total", code="not_authenticated", channel="http")
            if ('code="not_authenticated"' in before.text)
            else 0.0
        )
        assert client.get("/api/meetings").status_code == 401
        login(client, "office")
        after = client.get("/metrics").text
        assert sample(after, "phonghop_errors_total", code="not_authenticated", channel="http") == errors + 1
        assert sample(after, "phonghop_connections", kind="tablet") == 0
        for name in (
            "phonghop_events_broadcast_total",
            "phonghop_resync_disconnects_total",
            "phonghop_page_renders_total",
            "phonghop_outbound_buffer_bytes_max",
        ):
            assert sample(after, name) >= 0


def test_metrics_are_not_for_the_network_without_the_token(settings: Settings) -> None:
    with_token = replace(settings, metrics_token="s3cret-token")
    with TestClient(create_app(with_token), client=("10.0.0.9", 40000)) as client:
        refused = client.get("/metrics")
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "metrics_forbidden"
        allowed = client.get("/metrics", headers={"Authorization": "Bearer s3cret-token"})
        assert allowed.status_code == 200
        assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403


def test_requests_are_named_and_logged_as_json(settings: Settings, caplog: object) -> None:
    with TestClient(create_app(settings)) as client:
        r = client.get("/healthz")
        assert re.fullmatch(r"[0-9a-f]{16}", r.headers["x-request-id"])
        kept = client.get("/healthz", headers={"X-Request-ID": "from-the-proxy-42"})
        assert kept.headers["x-request-id"] == "from-the-proxy-42"
        hostile = client.get("/healthz", headers={"X-Request-ID": 'bad"id<script>'})
        assert hostile.headers["x-request-id"] != 'bad"id<script>'

    token_r = metrics.request_id.set("abc123")
    token_m = metrics.meeting_id.set(7)
    try:
        record = logging.LogRecord("phonghop.test", logging.WARNING, __file__, 1, "Đã %s", ("xong",), None)
        line = json.loads(metrics.JsonFormatter().format(record))
    finally:
        metrics.request_id.reset(token_r)
        metrics.meeting_id.reset(token_m)
    assert line["message"] == "Đã xong" and line["level"] == "warning"
    assert line["request_id"] == "abc123" and line["meeting_id"] == 7
