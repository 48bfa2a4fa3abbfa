"""Throttling guesses: passwords, personal codes, join codes.

Each key counts failures in a window; passing its limit locks the key, and each lock of
the same key lasts twice as long as the one before (up to a cap). Keys are chosen so that
an attacker locks only themselves: a password guess counts against the pair (account,
address) and the address, never against the account alone, so nobody can lock the
secretary out from another seat; a known device skips the check (services.accounts).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete

from phonghop.errors import RateLimited
from phonghop.services.audit import record_audit
from phonghop.storage.db import UnitOfWork
from phonghop.storage.models import LoginThrottle

WINDOW = timedelta(minutes=15)
MAX_LOCK = timedelta(hours=1)


@dataclass(frozen=True)
class Limit:
    #: failures within WINDOW that lead to a lock
    failures: int
    #: the first lock; each further lock of the key doubles it, up to MAX_LOCK
    first_lock: timedelta


#: a password guessed for one account from one address
ACCOUNT_AT_ADDRESS = Limit(5, timedelta(minutes=1))
#: any password guesses from one address
ADDRESS = Limit(20, timedelta(minutes=1))
#: personal codes tried for one participant (from anywhere)
PERSONAL_CODE = Limit(5, timedelta(minutes=1))
#: wrong join codes or personal codes from one address
JOIN_ADDRESS = Limit(10, timedelta(minutes=1))


async def check(uow: UnitOfWork, keys: list[str], now: datetime, code: str = "too_many_attempts") -> None:
    """Refuse at once (before any slow check) while one of ``keys`` is locked."""
    for key in keys:
        row = await uow.session.get(LoginThrottle, key)
        if row is not None and row.locked_until is not None and row.locked_until > now:
            seconds = math.ceil((row.locked_until - now).total_seconds())
            raise RateLimited(code, minutes=max(1, math.ceil(seconds / 60)), seconds=seconds)


async def fail(uow: UnitOfWork, keys: list[tuple[str, Limit]], now: datetime, address: str = "") -> None:
    """Count one failure against each key; lock those that pass their limit."""
    for key, limit in keys:
        row = await uow.session.get(LoginThrottle, key, with_for_update=True)
        if row is None:
            row = LoginThrottle(key=key, failures=0, window_started=now, strikes=0)
            uow.session.add(row)
        if now - row.window_started > WINDOW:
            row.failures, row.window_started = 0, now
        row.failures += 1
        if row.failures >= limit.failures:
            lock = min(limit.first_lock * (2 ** min(row.strikes or 0, 10)), MAX_LOCK)
            row.locked_until = now + lock
            row.strikes = (row.strikes or 0) + 1
            row.failures, row.window_started = 0, now
            record_audit(
                uow, None, "throttle.locked", target_type="throttle", target_id=key[:60], remote_addr=address
            )


async def clear(uow: UnitOfWork, keys: list[str]) -> None:
    await uow.session.execute(delete(LoginThrottle).where(LoginThrottle.key.in_(keys)))


async def clear_prefix(uow: UnitOfWork, prefix: str) -> int:
    """Lift every lock whose key starts with ``prefix`` (an administrator's unlock)."""
    result = await uow.session.execute(
        delete(LoginThrottle).where(LoginThrottle.key.startswith(prefix, autoescape=True))
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
