"""A platform that is down is paused as a whole, not failed one message at a time.

When Telegram, Slack or the network is down, every send fails the same way (5xx,
timeouts, connection refused). Counting those against each message would mark a whole
fan-out failed within minutes of backoff; a newsroom's outages last longer than that.
So each platform has a circuit breaker:

- **closed**: sends go out. Transient failures from at least ``distinct_chats`` different
  chats in a row, with no success between, open it: one chat's own 5xx never does.
- **open**: nothing is sent. Every message that comes up waits (the dispatcher puts it back
  until the next probe) and spends no attempt. One message at a time is let through as a
  probe, at a growing interval capped at ``max_probe`` seconds.
- A probe that gets any answer from the platform (sent, 429, chat gone…) closes it, and
  sending resumes at the paced rate.

The operator hears of it: one WARNING when it opens (with the error), a reminder every
``remind_every`` seconds while it stays open, one WARNING when it closes (how long, how
many messages waited); and its ``listener`` (operators' alerts) at those two moments.
Time is the caller's monotonic clock, so tests never sleep.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from newsbot.delivery.outcomes import Outcome, Transient

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Breaker:
    platform: str
    monotonic: Callable[[], float] = time.monotonic
    distinct_chats: int = 3  # failing chats in a row that make an outage
    first_probe: float = 2.0  # seconds from opening to the first probe; doubles up to:
    max_probe: float = 60.0
    remind_every: float = 300.0
    opened_at: float | None = None  # None: closed
    last_error: str = ""
    waited: int = 0  # messages held back while open
    # Told when it opens (platform, True, the error) and closes (platform, False, ""): how
    # operators' alerts hear of it (newsbot.alerts).
    listener: Callable[[str, bool, str], None] | None = None
    _failing: list[str] = field(default_factory=list)  # chats failing in a row, oldest first
    _interval: float = 0.0
    _next_probe: float = 0.0
    _probing: bool = False
    _reminded_at: float = 0.0

    @property
    def is_open(self) -> bool:
        return self.opened_at is not None

    def describe(self) -> dict[str, object]:
        """The platform's state as /healthz shows it."""
        if self.opened_at is None:
            return {"state": "up"}
        return {
            "state": "down",
            "down_seconds": round(self.monotonic() - self.opened_at),
            "waiting": self.waited,
            "error": self.last_error,
        }

    def admit(self) -> float:
        """0 when a message may be sent now (the breaker is closed, or this is the probe);
        otherwise how long it should wait before it is tried again."""
        if self.opened_at is None:
            return 0.0
        now = self.monotonic()
        self._remind(now)
        if not self._probing and now >= self._next_probe:
            self._probing = True
            return 0.0
        self.waited += 1
        if self._probing:  # wait for the probe's answer, at most one interval
            return max(self._interval, 1.0)
        return self._next_probe - now

    def admit_delay(self) -> float:
        """How long a message that just failed into an outage waits before it is tried
        again (the next probe, not a backoff of its own)."""
        return max(self._next_probe - self.monotonic(), 1.0)

    def release(self) -> None:
        """A send that ended with no answer about the platform (an adapter bug): if it was
        the probe, another message probes instead."""
        self._probing = False

    def record(self, chat: str, outcome: Outcome) -> None:
        """What the platform answered to a send that ``admit`` let through."""
        if isinstance(outcome, Transient):
            self._failed(chat, outcome.reason)
        else:
            self._answered()

    def _failed(self, chat: str, reason: str) -> None:
        self.last_error = reason
        now = self.monotonic()
        if self.opened_at is not None:
            if self._probing:  # the probe failed: wait longer for the next one
                self._probing = False
                self._interval = min(self._interval * 2, self.max_probe)
                self._next_probe = now + self._interval
            return
        if chat not in self._failing:
            self._failing.append(chat)
        if len(self._failing) >= self.distinct_chats:
            self.opened_at, self._reminded_at = now, now
            self._interval = self.first_probe
            self._next_probe = now + self._interval
            self._failing.clear()
            log.warning(
                "%s: sends are failing across chats (%s): pausing %s, probing it every %.0f-%.0f s",
                self.platform,
                reason,
                self.platform,
                self.first_probe,
                self.max_probe,
            )
            if self.listener is not None:
                self.listener(self.platform, True, reason)

    def _answered(self) -> None:
        self._failing.clear()
        if self.opened_at is None:
            return
        down = self.monotonic() - self.opened_at
        log.warning(
            "%s: back after %s; %d messages waited and go now",
            self.platform,
            _duration(down),
            self.waited,
        )
        self.opened_at, self._probing, self.waited = None, False, 0
        if self.listener is not None:
            self.listener(self.platform, False, "")

    def _remind(self, now: float) -> None:
        if self.opened_at is not None and now - self._reminded_at >= self.remind_every:
            self._reminded_at = now
            log.warning(
                "%s: still down after %s (%s); %d messages waiting",
                self.platform,
                _duration(now - self.opened_at),
                self.last_error,
                self.waited,
            )


def _duration(seconds: float) -> str:
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"
