"""The bot's Prometheus metrics: one registry per Bot, filled from ``newsbot.telemetry``.

Each ``Bot`` gets its own ``CollectorRegistry`` (never prometheus_client's global one), so
tests and several bots in one process never share a count. The core reports through the
neutral ``Telemetry`` interface and never imports prometheus_client; this module is the
only one that does (an import-linter contract says so).

What is counted as it happens (names as exposed):

    newsbot_deliveries_total{platform,kind,outcome}      outbox rows settled, once stored
    newsbot_send_seconds{platform}                       one platform send call (histogram)
    newsbot_article_to_send_seconds{platform,kind}       article revision stored → sent
    newsbot_feed_polls_total{result}                     ok, not modified, failed
    newsbot_command_seconds{command}                     router: command in → reply out

What is read when scraped:

    newsbot_outbox_depth{state}   rows still to send (pending, held), from the store
    newsbot_store_up              1 when that read worked; 0 (and no depth) when the store
                                  did not answer within ``store_timeout``: a scrape never
                                  fails because the store is away
    newsbot_leader                1 while this process leads (polls, matches, serves readers)
    newsbot_kiwi_loaded           1 once Kiwi's model is loaded; 0 before first use or when
                                  search runs on bigrams alone
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from newsbot.clock import Clock
from newsbot.delivery import outbox
from newsbot.store.outage import first_line
from newsbot.telemetry import SENT, Activity

log = logging.getLogger(__name__)

STORE_TIMEOUT = 2.0  # seconds a scrape waits for the outbox's depth
# A platform call: tens of milliseconds normally, seconds when it struggles.
SEND_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# Article stored → sent: seconds for a headline, minutes for a fan-out paced to thousands of
# chats, hours for one held back by an outage.
ARTICLE_BUCKETS = (0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)
COMMAND_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """``Telemetry`` that counts into a registry of its own, and the scrape that reads it.

    ``leading`` and ``kiwi_loaded`` are read at each scrape; the composition root points them
    at the service's leadership and the analyzer once those exist.
    """

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        *,
        store_timeout: float = STORE_TIMEOUT,
    ) -> None:
        self.registry = CollectorRegistry()
        self.activity = Activity(clock)
        self.leading: Callable[[], bool] = lambda: False
        self.kiwi_loaded: Callable[[], bool] = lambda: False
        registry = self.registry
        self._deliveries = Counter(
            "newsbot_deliveries",
            "Outbox rows settled, by platform, kind and outcome (counted once stored)",
            ["platform", "kind", "outcome"],
            registry=registry,
        )
        self._send = Histogram(
            "newsbot_send_seconds",
            "One platform send call, request to answer",
            ["platform"],
            buckets=SEND_BUCKETS,
            registry=registry,
        )
        self._article_to_send = Histogram(
            "newsbot_article_to_send_seconds",
            "From an article's revision being stored to its message being sent",
            ["platform", "kind"],
            buckets=ARTICLE_BUCKETS,
            registry=registry,
        )
        self._polls = Counter(
            "newsbot_feed_polls", "Feed polls by result", ["result"], registry=registry
        )
        self._commands = Histogram(
            "newsbot_command_seconds",
            "Commands and buttons answered, by the registry's name",
            ["command"],
            buckets=COMMAND_BUCKETS,
            registry=registry,
        )
        Gauge("newsbot_leader", "1 while this process leads", registry=registry).set_function(
            lambda: float(self.leading())
        )
        Gauge(
            "newsbot_kiwi_loaded", "1 once the Korean analyzer's model is loaded", registry=registry
        ).set_function(lambda: float(self.kiwi_loaded()))
        self._outbox = OutboxDepth(sessions, store_timeout)
        registry.register(self._outbox)
        # Each message sent makes three reports; looking a labelled child up costs more than
        # counting into it (bench.metrics), and the labels are a short fixed list: kept.
        self._counted: dict[tuple[str, str, str], Counter] = {}
        self._sends: dict[str, Histogram] = {}
        self._waits: dict[tuple[str, str], Histogram] = {}

    # --- Telemetry ---------------------------------------------------------------------

    def delivered(self, platform: str, kind: str, outcome: str, rows: int = 1) -> None:
        key = (platform, kind, outcome)
        if (counter := self._counted.get(key)) is None:
            counter = self._counted[key] = self._deliveries.labels(*key)
        counter.inc(rows)
        if outcome == SENT:
            self.activity.sent()

    def send_took(self, platform: str, seconds: float) -> None:
        if (histogram := self._sends.get(platform)) is None:
            histogram = self._sends[platform] = self._send.labels(platform)
        histogram.observe(seconds)

    def article_to_send(self, platform: str, kind: str, seconds: float) -> None:
        key = (platform, kind)
        if (histogram := self._waits.get(key)) is None:
            histogram = self._waits[key] = self._article_to_send.labels(*key)
        histogram.observe(max(0.0, seconds))

    def feed_polled(self, result: str) -> None:
        self._polls.labels(result).inc()
        if result != "failed":
            self.activity.polled()

    def command_took(self, command: str, seconds: float) -> None:
        self._commands.labels(command).observe(seconds)

    # --- the scrape --------------------------------------------------------------------

    async def scrape(self) -> tuple[bytes, str]:
        """The exposition text and its content type, with the outbox read just now."""
        await self._outbox.refresh()
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


class OutboxDepth:
    """A collector of what the store says at scrape time. Registry collectors are called
    synchronously, so ``refresh`` reads the store (asynchronously, with a timeout) first and
    ``collect`` reports what it found."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], timeout: float) -> None:
        self._sessions = sessions
        self._timeout = timeout
        self._depth: dict[str, int] | None = None

    async def refresh(self) -> None:
        try:
            self._depth = await asyncio.wait_for(self._read(), self._timeout)
        except Exception as problem:  # the store is away, or slow: said as a gauge
            # Debug only: StoreWatch already tells the operator once, not once a scrape.
            log.debug("metrics: could not read the outbox's depth: %s", first_line(problem))
            self._depth = None

    async def _read(self) -> dict[str, int]:
        async with self._sessions() as session:
            return await outbox.depth(session)

    def describe(self) -> Iterable[Metric]:
        return [
            GaugeMetricFamily("newsbot_store_up", ""),
            GaugeMetricFamily("newsbot_outbox_depth", "", labels=["state"]),
        ]

    def collect(self) -> Iterable[Metric]:
        return self._families(self._depth)

    @staticmethod
    def _families(depth: dict[str, int] | None) -> list[Metric]:
        up = GaugeMetricFamily(
            "newsbot_store_up", "1 when this scrape could read the store in time"
        )
        families: list[Metric] = [up]
        if depth is not None:
            rows = GaugeMetricFamily(
                "newsbot_outbox_depth", "Rows still to send, by state", labels=["state"]
            )
            for state, count in sorted(depth.items()):
                rows.add_metric([state], count)
            families.append(rows)
        up.add_metric([], 1.0 if depth is not None else 0.0)
        return families
