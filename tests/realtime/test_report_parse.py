"""The hand-written check of ``viewer.report`` (the hot path, issue #24) accepts nothing
the protocol's model and JSON rules refuse, and reads what it accepts the same way."""

from __future__ import annotations

import itertools
import json
from typing import Any

from phonghop.realtime import protocol as p
from phonghop.web.socket import _parse, fast_report

MISSING = object()
VALUES: list[Any] = [MISSING, None, 0, 1, 7, -3, 2**63 - 1, 2**63, True, False, 1.0, "7", "", [], {}]


def test_the_fast_check_agrees_with_the_model() -> None:
    accepted = 0
    for command_id, document_id, page, following in itertools.product(
        [MISSING, None, 5, "x", True, 2**63], VALUES, VALUES, [MISSING, True, False, 1, None]
    ):
        frame = {"type": "viewer.report"}
        for key, value in (
            ("id", command_id),
            ("document_id", document_id),
            ("page", page),
            ("following", following),
        ):
            if value is not MISSING:
                frame[key] = value
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
