"""A token bucket: bursts allowed, floods refused."""

from __future__ import annotations


class TokenBucket:
    """``burst`` commands at once, then ``rate`` a second. ``take(now)`` with a monotonic
    clock in seconds; False means refuse this one (the caller answers with an error)."""

    __slots__ = ("_at", "_tokens", "burst", "rate")

    def __init__(self, rate: float, burst: int, now: float) -> None:
        self.rate = rate
        self.burst = burst
        self._tokens = float(burst)
        self._at = now

    def take(self, now: float) -> bool:
        self._tokens = min(float(self.burst), self._tokens + max(0.0, now - self._at) * self.rate)
        self._at = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False

    def wait(self) -> float:
        """Seconds until the next command would be taken."""
        return max(0.0, (1.0 - self._tokens) / self.rate) if self.rate > 0 else 0.0
