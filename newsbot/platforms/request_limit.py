"""How often one caller of the CMS push API may post: a token bucket per key, in memory.

A CMS that publishes in bursts (a morning's batch, a re-sent day) gets a minute's worth of
requests at once and then ``per_minute`` a minute; past that it is told how long to wait
(the API answers 429 with Retry-After) rather than queued, so nothing it sent is half-taken.
The buckets are per process: behind a load balancer each process counts its own share.
Time comes from an injected monotonic clock, so tests never sleep.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

FORGET_AFTER = 10_000  # keys kept before idle full buckets are forgotten


@dataclass(slots=True)
class RequestLimit:
    """At most ``per_minute`` requests a minute per key, with bursts up to ``per_minute``."""

    per_minute: int
    monotonic: Callable[[], float] = time.monotonic
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)  # key → (left, at)

    def take(self, key: str) -> float:
        """0 when ``key`` may go ahead (and counts the request); else seconds until it may."""
        now = self.monotonic()
        rate = self.per_minute / 60.0  # requests earned a second
        left, at = self._buckets.get(key, (float(self.per_minute), now))
        left = min(float(self.per_minute), left + (now - at) * rate)
        if left < 1.0:
            self._buckets[key] = (left, now)
            return (1.0 - left) / rate
        self._buckets[key] = (left - 1.0, now)
        if len(self._buckets) > FORGET_AFTER:
            self._forget_full(now, rate)
        return 0.0

    def _forget_full(self, now: float, rate: float) -> None:
        for key, (left, at) in list(self._buckets.items()):
            if left + (now - at) * rate >= self.per_minute:
                del self._buckets[key]
