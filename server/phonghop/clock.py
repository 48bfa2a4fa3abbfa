"""The one wall clock phonghop reads: every timestamp it stores and every "today" it
computes comes from :func:`now`.

By default that is the machine's clock. Tests that build a world "today" and then ask the
server about it (statistics of the current year, tasks due today) install a clock of their
own with :func:`use`, so a run that crosses midnight, or New Year's Eve, sees one day from
start to end. Served processes keep the machine's clock; ``scripts/test --today`` moves that
one for a whole run.

Durations and timeouts never use this clock: they use ``time.monotonic`` (or the event
loop's clock), which no test needs to move.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta, tzinfo

Source = Callable[[], datetime]


def system() -> datetime:
    return datetime.now(UTC)


_source: Source = system


def now() -> datetime:
    """The current time, aware, in UTC."""
    return _source().astimezone(UTC)


def today(zone: tzinfo) -> date:
    """Today's date in ``zone`` (the offices' time zone, as a rule)."""
    return now().astimezone(zone).date()


def running_from(start: datetime) -> Source:
    """A clock that reads ``start`` now and then moves on with real time, so that what
    happens later still gets a later timestamp."""
    if start.tzinfo is None:
        raise ValueError("the start of a clock must carry its time zone")
    origin = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - origin)


@contextmanager
def use(source: Source) -> Iterator[None]:
    """Read ``source`` instead of the machine's clock until the block ends (process-wide:
    the server's threads and the test see the same time)."""
    global _source
    previous, _source = _source, source
    try:
        yield
    finally:
        _source = previous
