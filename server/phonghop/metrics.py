"""Counters for ``/metrics`` (Prometheus text format) and the context of log lines.

A handful of counters kept in this process, no client library: the exposition format is
a few lines of text, and every instance reports its own numbers (Prometheus sums them).
Gauges that already live elsewhere (connected tablets, the page cache) are read when the
page is asked for, not copied here.
"""

from __future__ import annotations

import contextvars
import json
import logging
import time
from collections import Counter
from collections.abc import Iterable
from typing import Any, ClassVar

#: Errors answered, by stable code and channel ("http" or "ws").
errors: Counter[tuple[str, str]] = Counter()
#: Ballots accepted (first ballots and changes; a retry of the same ballot is not counted).
ballots: Counter[str] = Counter()
#: Page reports (``viewer.report``) taken, by path: "direct" from uvicorn's protocol
#: callback, "app" through the receive loop (the portable path, or a report sent while
#: other messages wait).
viewer_reports: Counter[str] = Counter()
#: Page images served, by kind ("cached", "watermarked").
pages: Counter[str] = Counter()
#: Seconds spent rendering pages (cache misses), and how many.
render_seconds = [0.0, 0]

#: The request or websocket being served, for log lines.
request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
meeting_id: contextvars.ContextVar[int | None] = contextvars.ContextVar("meeting_id", default=None)

_started = time.time()


def _line(name: str, value: float, labels: dict[str, str] | None = None) -> str:
    if labels:
        inner = ",".join(f'{k}="{_escape(v)}"' for k, v in sorted(labels.items()))
        return f"{name}{{{inner}}} {value}"
    return f"{name} {value}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _family(name: str, kind: str, help_text: str, samples: Iterable[str]) -> list[str]:
    return [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}", *samples]


def exposition(hub: Any, page_stats: Any, bus: Any = None) -> str:
    """The metrics page: this instance's counters and the hub's and page cache's gauges."""
    rooms = list(hub.rooms.values())
    tablets = sum(1 for room in rooms for conn in room.conns if not conn.controller)
    consoles = sum(1 for room in rooms for conn in room.conns if conn.controller)
    buffered = [conn._raw.buffered() for room in rooms for conn in room.conns if conn._raw is not None]
    queued = [conn._queue.qsize() for room in rooms for conn in room.conns if conn._queue is not None]
    out: list[str] = []
    out += _family(
        "phonghop_up_seconds",
        "gauge",
        "Seconds since this instance started.",
        [_line("phonghop_up_seconds", round(time.time() - _started, 1))],
    )
    out += _family(
        "phonghop_connections",
        "gauge",
        "Open meeting websockets.",
        [
            _line("phonghop_connections", tablets, {"kind": "tablet"}),
            _line("phonghop_connections", consoles, {"kind": "controller"}),
        ],
    )
    if bus is not None and bus.name == "redis":
        out += _family(
            "phonghop_redis_up",
            "gauge",
            "1 while the Redis bus works, 0 during an outage (others then read events from the log).",
            [_line("phonghop_redis_up", 1 if bus.healthy else 0)],
        )
        out += _family(
            "phonghop_redis_outages_total",
            "counter",
            "Redis outages seen by this instance (one present at start counts).",
            [_line("phonghop_redis_outages_total", bus.outages)],
        )
    out += _family(
        "phonghop_meetings_live",
        "gauge",
        "Meetings with at least one connection here.",
        [_line("phonghop_meetings_live", len(rooms))],
    )
    out += _family(
        "phonghop_events_broadcast_total",
        "counter",
        "Meeting events broadcast to a room.",
        [_line("phonghop_events_broadcast_total", hub.stats["broadcasts"])],
    )
    out += _family(
        "phonghop_event_deliveries_total",
        "counter",
        "Event frames written to connections.",
        [_line("phonghop_event_deliveries_total", hub.stats["delivered"])],
    )
    out += _family(
        "phonghop_resync_disconnects_total",
        "counter",
        "Slow tablets closed with 4001 because their outbound buffer overflowed.",
        [_line("phonghop_resync_disconnects_total", hub.stats["resync_kicks"])],
    )
    out += _family(
        "phonghop_outbound_buffer_bytes_max",
        "gauge",
        "Largest outbound buffer of a connection right now (bytes, fast path).",
        [_line("phonghop_outbound_buffer_bytes_max", max(buffered, default=0))],
    )
    out += _family(
        "phonghop_outbound_queue_max",
        "gauge",
        "Longest outbound queue of a connection right now (frames, portable path).",
        [_line("phonghop_outbound_queue_max", max(queued, default=0))],
    )
    out += _family(
        "phonghop_page_images_total",
        "counter",
        "Document page images served.",
        [_line("phonghop_page_images_total", n, {"kind": k}) for k, n in sorted(pages.items())]
        or [_line("phonghop_page_images_total", 0, {"kind": "cached"})],
    )
    out += _family(
        "phonghop_page_renders_total",
        "counter",
        "Pages rendered (page cache misses).",
        [_line("phonghop_page_renders_total", page_stats.renders)],
    )
    out += _family(
        "phonghop_page_cache_hits_total",
        "counter",
        "Page requests answered from the cache.",
        [_line("phonghop_page_cache_hits_total", page_stats.hits)],
    )
    out += _family(
        "phonghop_page_render_seconds_total",
        "counter",
        "Time spent rendering pages.",
        [_line("phonghop_page_render_seconds_total", round(render_seconds[0], 3))],
    )
    out += _family(
        "phonghop_viewer_reports_total",
        "counter",
        "Page reports from tablets, by path (direct: taken in the protocol callback).",
        [_line("phonghop_viewer_reports_total", n, {"path": k}) for k, n in sorted(viewer_reports.items())]
        or [_line("phonghop_viewer_reports_total", 0, {"path": "direct"})],
    )
    out += _family(
        "phonghop_ballots_total",
        "counter",
        "Ballots accepted.",
        [_line("phonghop_ballots_total", n, {"kind": k}) for k, n in sorted(ballots.items())]
        or [_line("phonghop_ballots_total", 0, {"kind": "named"})],
    )
    out += _family(
        "phonghop_errors_total",
        "counter",
        "Errors answered to clients, by stable code.",
        [
            _line("phonghop_errors_total", n, {"code": code, "channel": channel})
            for (code, channel), n in sorted(errors.items())
        ]
        or [_line("phonghop_errors_total", 0, {"code": "none", "channel": "http"})],
    )
    return "\n".join(out) + "\n"


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the request and meeting being served."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = request_id.get()
        if rid:
            entry["request_id"] = rid
        mid = meeting_id.get()
        if mid is not None:
            entry["meeting_id"] = mid
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class ClientFaults(logging.Filter):
    """Faults of a client that uvicorn has handled, logged as what they are: one info line
    about the client, not an error with a traceback that reads like a server bug."""

    HANDLED: ClassVar[dict[str, str]] = {
        # A websocket text frame that is not UTF-8: uvicorn closes the connection with 1007.
        "Invalid UTF-8 sequence received from client.": (
            "a websocket client sent a text frame that is not UTF-8: closed with 1007"
        ),
    }

    def filter(self, record: logging.LogRecord) -> bool:
        plain = self.HANDLED.get(record.msg) if isinstance(record.msg, str) else None
        if plain is not None:
            record.msg, record.args = plain, ()
            record.levelno, record.levelname = logging.INFO, "INFO"
            record.exc_info, record.exc_text = None, None
        return True


def log_config(fmt: str, level: str = "INFO") -> dict[str, Any]:
    """``logging.config.dictConfig`` for the server (uvicorn's loggers included)."""
    formatter = (
        {"()": JsonFormatter}
        if fmt == "json"
        else {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"main": formatter},
        "filters": {"client_faults": {"()": ClientFaults}},
        "handlers": {
            "stderr": {"class": "logging.StreamHandler", "formatter": "main", "stream": "ext://sys.stderr"}
        },
        "root": {"handlers": ["stderr"], "level": level},
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": level, "propagate": False},
            "uvicorn.error": {
                "handlers": ["stderr"],
                "level": level,
                "propagate": False,
                "filters": ["client_faults"],
            },
            "uvicorn.access": {"handlers": ["stderr"], "level": level, "propagate": False},
        },
    }
