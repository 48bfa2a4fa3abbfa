"""The hand-written check of ``viewer.report`` (the hot path, issue #24) accepts nothing
the protocol's model and JSON rules refuse, and reads what it accepts the same way."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from typing import Any

from phonghop.realtime import protocol as p
from phonghop.web.socket import _parse, compact_report, fast_report

MISSING = object()
VALUES: list[Any] = [MISSING, None, 0, 1, 7, -3, 2**63 - 1, 2**63, True, False, 1.0, "7", "", [], {}]


def _frames(ids: list[Any]) -> Iterator[dict[str, Any]]:
    """Reports with every combination of these ids and of the values above (a missing
    field left out)."""
    for values in itertools.product(ids, VALUES, VALUES, [MISSING, True, False, 1, None]):
        frame: dict[str, Any] = {"type": "viewer.report"}
        for key, value in zip(("id", "document_id", "page", "following"), values, strict=True):
            if value is not MISSING:
                frame[key] = value
        yield frame


def test_the_fast_check_agrees_with_the_model() -> None:
    accepted = 0
    for frame in _frames([MISSING, None, 5, "x", True, 2**63]):
        raw = json.dumps(frame)
        fast = fast_report(json.loads(raw))
        if fast is None:
            continue
        accepted += 1
        parsed_id, command, code, _ = _parse(raw)
        assert code is None and isinstance(command, p.ViewerReport), (frame, code)
        assert fast == (parsed_id, command.document_id, command.page, command.following), frame
    assert accepted > 50  # the fast check is not dead: the usual report shapes pass it


def test_the_usual_tablet_report_is_taken_fast() -> None:
    for frame in (
        {"type": "viewer.report", "document_id": 12, "page": 3, "following": True},
        {"type": "viewer.report", "document_id": None, "page": None, "following": False},
        {"id": 8, "type": "viewer.report", "document_id": 12, "page": 1, "following": True},
    ):
        assert fast_report(frame) is not None
    for frame in (
        {"type": "viewer.report", "page": 1, "following": True, "v": 2},
        {"type": "viewer.report", "page": 1},
        {"type": "hello", "following": True},
        ["viewer.report"],
    ):
        assert fast_report(frame) is None


def _writings(frame: dict[str, Any]) -> list[bytes]:
    """The frame as JSON in several writings: compact with ``type`` first or last (how
    tablets write it), with spaces, with keys reordered."""
    rest = {k: v for k, v in frame.items() if k != "type"}
    orders = [frame, {**rest, "type": frame["type"]}, dict(reversed(list(frame.items())))]
    out = [json.dumps(o, separators=(",", ":")).encode() for o in orders]
    return [*out, json.dumps(frame).encode(), json.dumps(frame, separators=(",", ":")).encode() + b" "]


def test_the_compact_reading_agrees_with_the_json_one() -> None:
    read = 0
    for frame in _frames([MISSING, None, 5]):
        for raw in _writings(frame):
            compact = compact_report(raw)
            if compact is None:
                continue
            read += 1
            assert compact == fast_report(json.loads(raw)), raw
    assert read > 50
    # the two writings that arrive by the thousand
    tablet = b'{"document_id":12,"page":3,"following":true,"type":"viewer.report"}'
    bench = b'{"type":"viewer.report","document_id":12,"page":3,"following":false}'
    assert compact_report(tablet) == (None, 12, 3, True)
    assert compact_report(bench) == (None, 12, 3, False)
    for refused in (
        b'{"type":"viewer.report","document_id":12,"page":3,"following":true,"type":"viewer.report"}',
        b'{"document_id":12,"page":3,"following":true}',
        b'{"type":"viewer.report","document_id":012,"page":3,"following":true}',
        b'{"type":"viewer.report","document_id":9223372036854775808,"page":3,"following":true}',
    ):
        assert compact_report(refused) is None, refused
