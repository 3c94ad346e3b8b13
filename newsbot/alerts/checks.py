"""The checks: small pure functions from what was read to the alerts firing now.

Each takes readings (``newsbot.alerts.readings``), the time and the rules, and returns zero
or more alerts; none of them knows what was said before (that is ``newsbot.alerts.ledger``).
Keeping them pure is what lets their thresholds be tested as plain specifications.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from newsbot.alerts.model import Alert, Kind, Rules


@dataclass(frozen=True, slots=True)
class FailingFeed:
    id: int
    name: str  # its title, or its URL
    since: datetime  # the first failure since its last success
    error: str


@dataclass(frozen=True, slots=True)
class SendCounts:
    """One platform's settled sends in the failure window."""

    sent: int
    failed: int

    @property
    def total(self) -> int:
        return self.sent + self.failed


@dataclass(frozen=True, slots=True)
class LateDigests:
    count: int  # chats whose digest moment is past by more than the rule allows
    oldest_due: datetime | None


def _minutes(seconds: float) -> int:
    return max(1, round(seconds / 60))


def failing_feeds(feeds: Sequence[FailingFeed], now: datetime, rules: Rules) -> list[Alert]:
    """A feed that has failed for ``feed_after`` with no success between."""
    return [
        Alert(
            f"feed:{feed.id}",
            Kind.FEED_FAILING,
            {"feed": feed.name, "since": feed.since.isoformat(), "error": feed.error[:200]},
        )
        for feed in feeds
        if now - feed.since >= rules.feed_after
    ]


def failure_rate(counts: Mapping[str, SendCounts], rules: Rules) -> list[Alert]:
    """A platform whose share of failed sends in the window is above the rule, once it made
    enough sends for the share to mean something."""
    alerts = []
    for platform, seen in sorted(counts.items()):
        if seen.total < rules.failure_min or seen.failed <= rules.failure_rate * seen.total:
            continue
        alerts.append(
            Alert(
                f"failure_rate:{platform}",
                Kind.FAILURE_RATE,
                {
                    "platform": platform,
                    "percent": round(100 * seen.failed / seen.total),
                    "failed": seen.failed,
                    "total": seen.total,
                    "minutes": _minutes(rules.failure_window.total_seconds()),
                },
            )
        )
    return alerts


def chats_gone(count: int, rules: Rules) -> list[Alert]:
    """Chats deactivated in bulk (blocked, kicked, deleted): a bad message, a spam report,
    a platform's sweep. One chat leaving is a reader's choice, not an alert."""
    if count < rules.chats_gone:
        return []
    minutes = _minutes(rules.chats_gone_window.total_seconds())
    return [Alert("chats_gone", Kind.CHATS_GONE, {"count": count, "minutes": minutes})]


def late_digests(
    late: LateDigests, now: datetime, rules: Rules, *, watching_since: datetime
) -> list[Alert]:
    """Digests past their moment by more than ``digest_late`` and still not queued: the
    leader's minute tick is not running (it moves every due chat's moment on). Lateness is
    counted from ``watching_since`` at the earliest, the first check of this leadership:
    digests that came due while no process led are the tick's to catch up, not news."""
    if not late.count or late.oldest_due is None:
        return []
    overdue = now - max(late.oldest_due, watching_since)
    if overdue < rules.digest_late:
        return []
    minutes = _minutes(overdue.total_seconds())
    return [Alert("digest_late", Kind.DIGEST_LATE, {"count": late.count, "minutes": minutes})]


def leader_change(previous: str | None, current: str) -> Alert | None:
    """Another process leads now (the one before died, lost its database session, or this
    one restarted). The first leader a store ever has is not news."""
    if previous is None or previous == current:
        return None
    return Alert("leader", Kind.LEADER, {"previous": previous, "current": current})


def platform_down(platform: str, error: str) -> Alert:
    """A platform's breaker opened: sends to it wait (``newsbot.delivery.breaker``)."""
    return Alert(f"platform:{platform}", Kind.PLATFORM_DOWN, {"platform": platform, "error": error})


def store_down(since: datetime, error: str) -> Alert:
    return Alert("store", Kind.STORE_DOWN, {"since": since.isoformat(), "error": error[:200]})
