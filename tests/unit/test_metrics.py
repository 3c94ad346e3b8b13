"""The recording interface, as Prometheus reads it: what each report adds to which series.

No store here: a Metrics is given sessions that fail (or never answer), which is also how
a scrape must behave while the store is away.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any, cast

from prometheus_client import REGISTRY, generate_latest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from newsbot.clock import FixedClock
from newsbot.metrics import Metrics
from newsbot.telemetry import FAILED, SENT, STALE
from tests.conftest import START

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


class _Refused:
    """A session the store refuses."""

    async def __aenter__(self) -> AsyncSession:
        raise OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused"))

    async def __aexit__(self, *problem: object) -> None:
        return None


class _Silent(_Refused):
    """A session a store that never answers is asked for."""

    async def __aenter__(self) -> AsyncSession:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


def store_that(behaves: Any) -> async_sessionmaker[AsyncSession]:
    return cast(async_sessionmaker[AsyncSession], behaves)


def metrics(clock: FixedClock | None = None, **kwargs: Any) -> Metrics:
    return Metrics(store_that(_Refused), clock or FixedClock(START), **kwargs)


def samples(of: Metrics | bytes) -> Samples:
    text = of if isinstance(of, bytes) else generate_latest(of.registry)
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text.decode())
        for sample in family.samples
    }


def value(found: Samples, name: str, **labels: str) -> float | None:
    return found.get((name, frozenset(labels.items())))


def test_deliveries_are_counted_by_platform_kind_and_outcome_in_rows() -> None:
    m = metrics()

    m.delivered("telegram", "headline", SENT)
    m.delivered("telegram", "headline", SENT, rows=12)  # a held group: 12 rows, one message
    m.delivered("slack", "breaking", FAILED)
    m.delivered("telegram", "headline", STALE)

    found = samples(m)
    assert (
        value(found, "newsbot_deliveries_total", platform="telegram", kind="headline", outcome=SENT)
        == 13
    )
    assert (
        value(found, "newsbot_deliveries_total", platform="slack", kind="breaking", outcome=FAILED)
        == 1
    )
    assert (
        value(
            found, "newsbot_deliveries_total", platform="telegram", kind="headline", outcome=STALE
        )
        == 1
    )
    assert (
        value(found, "newsbot_deliveries_total", platform="slack", kind="breaking", outcome=SENT)
        is None
    )


def test_only_a_sent_delivery_moves_the_last_send_time() -> None:
    clock = FixedClock(START)
    m = metrics(clock)

    m.delivered("telegram", "headline", FAILED)
    assert m.activity.last_send is None
    m.delivered("telegram", "headline", SENT)
    clock.advance(minutes=3)
    m.delivered("telegram", "headline", STALE)

    assert m.activity.last_send == START


def test_a_failed_poll_is_counted_but_is_not_a_successful_one() -> None:
    clock = FixedClock(START)
    m = metrics(clock)

    m.feed_polled("ok")
    clock.advance(minutes=1)
    m.feed_polled("not modified")
    clock.advance(minutes=1)
    m.feed_polled("failed")

    found = samples(m)
    assert [
        value(found, "newsbot_feed_polls_total", result=r) for r in ("ok", "not modified", "failed")
    ] == [1, 1, 1]
    assert m.activity.last_poll == START + timedelta(minutes=1)


def test_latencies_are_histograms_with_counts_sums_and_buckets() -> None:
    m = metrics()

    m.send_took("telegram", 0.02)
    m.send_took("telegram", 3.0)
    m.article_to_send("telegram", "headline", 42.0)
    m.article_to_send("telegram", "headline", -1.0)  # clocks of two hosts: never negative
    m.command_took("search", 0.2)

    found = samples(m)
    assert value(found, "newsbot_send_seconds_count", platform="telegram") == 2
    assert value(found, "newsbot_send_seconds_sum", platform="telegram") == 3.02
    assert value(found, "newsbot_send_seconds_bucket", platform="telegram", le="0.025") == 1
    assert value(found, "newsbot_send_seconds_bucket", platform="telegram", le="5.0") == 2
    article = {"platform": "telegram", "kind": "headline"}
    assert value(found, "newsbot_article_to_send_seconds_count", **article) == 2
    assert value(found, "newsbot_article_to_send_seconds_sum", **article) == 42
    assert value(found, "newsbot_command_seconds_count", command="search") == 1


def test_leader_and_kiwi_are_read_when_scraped() -> None:
    m = metrics()
    leading = False
    m.leading = lambda: leading
    m.kiwi_loaded = lambda: True

    before = samples(m)
    leading = True
    after = samples(m)

    assert value(before, "newsbot_leader") == 0
    assert value(after, "newsbot_leader") == 1
    assert value(after, "newsbot_kiwi_loaded") == 1


def test_each_bot_has_its_own_registry_and_the_global_one_is_left_alone() -> None:
    first, second = metrics(), metrics()

    first.delivered("telegram", "headline", SENT)

    labels = {"platform": "telegram", "kind": "headline", "outcome": SENT}
    assert value(samples(first), "newsbot_deliveries_total", **labels) == 1
    assert value(samples(second), "newsbot_deliveries_total", **labels) is None
    assert b"newsbot_" not in generate_latest(REGISTRY)


async def test_a_scrape_while_the_store_refuses_says_so_and_still_answers() -> None:
    m = metrics()

    text, content_type = await m.scrape()

    found = samples(text)
    assert value(found, "newsbot_store_up") == 0
    assert not [name for name, _ in found if name == "newsbot_outbox_depth"]
    assert content_type.startswith("text/plain")


async def test_a_scrape_waits_for_a_silent_store_only_as_long_as_its_timeout() -> None:
    m = Metrics(store_that(_Silent), FixedClock(START), store_timeout=0.01)

    text, _ = await m.scrape()

    assert value(samples(text), "newsbot_store_up") == 0
