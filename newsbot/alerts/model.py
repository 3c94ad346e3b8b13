"""What an alert is: a key that dedupes it, a kind that words it, and the blanks to fill."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from newsbot.config import Settings


class Kind(enum.StrEnum):
    FEED_FAILING = "feed_failing"
    FAILURE_RATE = "failure_rate"
    CHATS_GONE = "chats_gone"
    DIGEST_LATE = "digest_late"
    LEADER = "leader"
    PLATFORM_DOWN = "platform_down"
    STORE_DOWN = "store_down"


class Severity(enum.StrEnum):
    CRITICAL = "critical"
    WARNING = "warning"
    INFO = "info"


SEVERITY = {
    Kind.FEED_FAILING: Severity.WARNING,
    Kind.FAILURE_RATE: Severity.CRITICAL,
    Kind.CHATS_GONE: Severity.WARNING,
    Kind.DIGEST_LATE: Severity.CRITICAL,
    Kind.LEADER: Severity.INFO,
    Kind.PLATFORM_DOWN: Severity.CRITICAL,
    Kind.STORE_DOWN: Severity.CRITICAL,
}

# The alerts the leader's minute derives from the store: an open one of these kinds that no
# check finds any more is resolved. The others are raised and resolved by signals.
CHECKED_KINDS = frozenset({Kind.FEED_FAILING, Kind.FAILURE_RATE, Kind.CHATS_GONE, Kind.DIGEST_LATE})

Params = Mapping[str, str | int | float]


@dataclass(frozen=True, slots=True)
class Alert:
    key: str  # one open alert per key: "feed:12", "failure_rate:telegram", "store"
    kind: Kind
    params: Params = field(default_factory=dict)  # the catalog message's blanks

    @property
    def severity(self) -> Severity:
        return SEVERITY[self.kind]


@dataclass(frozen=True, slots=True)
class Rules:
    """The thresholds and the dedupe rule, from Settings (NEWSBOT_ALERT_*)."""

    repeat: timedelta = timedelta(hours=1)
    per_hour: int = 10
    feed_after: timedelta = timedelta(hours=1)
    failure_rate: float = 0.2
    failure_min: int = 20
    failure_window: timedelta = timedelta(minutes=15)
    chats_gone: int = 20
    chats_gone_window: timedelta = timedelta(minutes=10)
    digest_late: timedelta = timedelta(minutes=5)
    store_after: timedelta = timedelta(seconds=30)

    @classmethod
    def of(cls, settings: Settings) -> Rules:
        return cls(
            repeat=settings.alert_repeat,
            per_hour=settings.alert_per_hour,
            feed_after=settings.alert_feed_after,
            failure_rate=settings.alert_failure_rate,
            failure_min=settings.alert_failure_min,
            failure_window=settings.alert_failure_window,
            chats_gone=settings.alert_chats_gone,
            chats_gone_window=settings.alert_chats_gone_window,
            digest_late=settings.alert_digest_late,
            store_after=settings.alert_store_after,
        )
