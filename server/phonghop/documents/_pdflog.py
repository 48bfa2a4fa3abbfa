"""pypdf's warnings, into our log and capped.

pypdf reports what it repairs in a damaged file through the ``pypdf`` loggers, once per
object: one damaged upload wrote 10,006 lines ("Xref table not zero-indexed ..."), past the
structured log's formatter when no handler was set up (the inspection children). Here the
``pypdf`` records are re-logged by ``phonghop.documents.pdf`` (so they carry the request
and the meeting, as JSON under ``--log-format json``), at most :data:`PER_MESSAGE` times per
kind of message and :data:`WINDOW` seconds, with a count of what was left out.
"""

from __future__ import annotations

import logging
import time

PER_MESSAGE = 3
WINDOW = 60.0
_KEPT_KINDS = 500

log = logging.getLogger("phonghop.documents.pdf")


class _Capped(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self._seen: dict[str, tuple[float, int]] = {}

    def emit(self, record: logging.LogRecord) -> None:
        now = time.monotonic()
        kind = str(record.msg)[:120]
        started, count = self._seen.get(kind, (now, 0))
        if now - started > WINDOW:
            if count > PER_MESSAGE:
                log.warning("pypdf: %d more like %r left out", count - PER_MESSAGE, kind)
            started, count = now, 0
        count += 1
        if len(self._seen) >= _KEPT_KINDS and kind not in self._seen:
            self._seen.clear()
        self._seen[kind] = (started, count)
        if count <= PER_MESSAGE:
            log.log(record.levelno, "pypdf: %s", record.getMessage())
        elif count == PER_MESSAGE + 1:
            log.log(record.levelno, "pypdf: more warnings like this one are left out for a minute")


def install() -> None:
    """Route the ``pypdf`` loggers through the cap (idempotent)."""
    source = logging.getLogger("pypdf")
    if not any(isinstance(h, _Capped) for h in source.handlers):
        source.addHandler(_Capped())
        source.propagate = False
