"""What the core says about its work, without knowing who listens.

The dispatcher, the service's poll loop and the router report what happened through this
small interface: a delivery settled, a platform call took so long, a feed was polled, a
command was answered. ``newsbot.metrics`` turns the reports into Prometheus metrics (the
only module that imports prometheus_client); ``NO_TELEMETRY`` drops them, for the one-off
commands and the tests that do not look.

Every label a report carries is bounded by construction: platform names, delivery kinds,
outcome names, feed poll statuses and the command registry's canonical names, never text a
reader typed.

``Activity`` keeps the times of the last successful poll and send, for ``/healthz``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from newsbot.clock import Clock

# What became of a delivery's attempt (the ``outcome`` label). A row sent back to the table
# without spending an attempt (its chat must wait, its platform is down) is not counted.
SENT = "sent"
RATE_LIMITED = "rate_limited"  # retried when the platform said
TRANSIENT = "transient"  # retried with backoff
FAILED = "failed"  # permanently, or after the last attempt
GONE = "gone"  # the chat blocked or removed the bot
MOVED = "moved"  # the chat moved (a group became a supergroup): resent there
STALE = "stale"  # waited past its kind's max age: dropped, not sent
OUTCOMES = (SENT, RATE_LIMITED, TRANSIENT, FAILED, GONE, MOVED, STALE)

# A feed poll's result (the ``result`` label): ``newsbot.ingest.poller.FeedResult.status``.
POLL_RESULTS = ("ok", "not modified", "failed")


class Telemetry(Protocol):
    """Reports from the core; implementations must be cheap and never raise."""

    def delivered(self, platform: str, kind: str, outcome: str, rows: int = 1) -> None:
        """``rows`` outbox rows settled with ``outcome`` (counted once stored)."""

    def send_took(self, platform: str, seconds: float) -> None:
        """One call to a platform's send, from request to answer."""

    def article_to_send(self, platform: str, kind: str, seconds: float) -> None:
        """From the article's revision being stored to its message being sent."""

    def feed_polled(self, result: str) -> None:
        """One feed fetched and stored (or failed)."""

    def command_took(self, command: str, seconds: float) -> None:
        """One command or button answered, under its canonical name."""


class NoTelemetry:
    """Reports go nowhere."""

    def delivered(self, platform: str, kind: str, outcome: str, rows: int = 1) -> None:
        pass

    def send_took(self, platform: str, seconds: float) -> None:
        pass

    def article_to_send(self, platform: str, kind: str, seconds: float) -> None:
        pass

    def feed_polled(self, result: str) -> None:
        pass

    def command_took(self, command: str, seconds: float) -> None:
        pass


NO_TELEMETRY: Telemetry = NoTelemetry()


@dataclass(slots=True)
class Activity:
    """When this process last polled a feed and sent a message successfully (UTC, from the
    injected clock); None until it has."""

    clock: Clock
    last_poll: datetime | None = None
    last_send: datetime | None = None

    def polled(self) -> None:
        self.last_poll = self.clock.now()

    def sent(self) -> None:
        self.last_send = self.clock.now()
