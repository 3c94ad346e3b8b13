"""What /metrics costs: the recording per message sent, and a scrape over a deep outbox.

    python -m bench.metrics [--chats 100000] [--scrapes 50] [--postgres URL] [--only STORE]

Recording: the three reports the dispatcher makes for each message sent (the delivery
counted, the send's time, the article's wait), into a Metrics registry, against the same
calls into NO_TELEMETRY. A scrape: ``Metrics.scrape()`` (the outbox's depth read from the
store, then the exposition text) over a store with ``--chats`` rows in the outbox, half of
them pending and half already sent, as after a fan-out stopped half-way.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import uuid

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update

from bench.stores import app_with_readers, fresh_store, stores_to_run
from newsbot import event_loop
from newsbot.clock import SystemClock
from newsbot.delivery.matcher import match_pending
from newsbot.metrics import Metrics
from newsbot.store.articles import store_drafts
from newsbot.store.delivery_models import Delivery, DeliveryState
from newsbot.store.drafts import ArticleDraft
from newsbot.telemetry import NO_TELEMETRY, SENT, Telemetry
from newsbot.text.analyzer import default_analyzer


def recording_us(telemetry: Telemetry, messages: int) -> float:
    """Microseconds per message sent for the dispatcher's three reports."""
    started = time.perf_counter()
    for _ in range(messages):
        telemetry.send_took("telegram", 0.03)
        telemetry.article_to_send("telegram", "headline", 4.2)
        telemetry.delivered("telegram", "headline", SENT)
    return (time.perf_counter() - started) / messages * 1e6


async def scrape_ms(url: str, chats: int, scrapes: int) -> tuple[float, float, int]:
    """(p50, p95 ms, bytes) of ``scrapes`` scrapes over ``chats`` outbox rows."""
    async with app_with_readers(url, chats) as app:
        now = app.clock.now()
        async with app.sessions() as session:
            article = ArticleDraft(
                source="b",
                guid=f"b-{uuid.uuid4().hex}",
                url=f"https://b.kr/{uuid.uuid4().hex}",
                title="모두에게 보내는 기사",
                published_at=now,
            )
            await store_drafts(session, [article], now=now)
            while (await match_pending(session, default_analyzer(), now=now)).events:
                pass
            await session.execute(
                update(Delivery).where(Delivery.id % 2 == 0).values(state=DeliveryState.SENT)
            )
            await session.commit()
        metrics = Metrics(app.sessions, SystemClock())
        await metrics.scrape()  # the pool's first connection
        times = []
        body = b""
        for _ in range(scrapes):
            started = time.perf_counter()
            body, _ = await metrics.scrape()
            times.append((time.perf_counter() - started) * 1000)
        depth = {
            sample.labels["state"]: sample.value
            for family in text_string_to_metric_families(body.decode())
            for sample in family.samples
            if sample.name == "newsbot_outbox_depth"
        }
        assert depth == {"pending": chats - chats // 2, "held": 0}, depth
        return statistics.median(times), statistics.quantiles(times, n=20)[-1], len(body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chats", type=int, default=100_000)
    parser.add_argument("--scrapes", type=int, default=50)
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--postgres", default=os.environ.get("NEWSBOT_TEST_POSTGRES_URL"))
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    args = parser.parse_args()

    bare = recording_us(NO_TELEMETRY, args.messages)
    counted = recording_us(Metrics(None, SystemClock()), args.messages)  # type: ignore[arg-type]
    print("| reports per message sent | µs per message |")
    print("|---|---|")
    print(f"| NO_TELEMETRY | {bare:.2f} |")
    print(f"| Metrics (Prometheus) | {counted:.2f} |")
    print()
    print(f"| store | scrape p50 / p95, {args.chats:,} outbox rows | exposition size |")
    print("|---|---|---|")
    for store in stores_to_run(parser, args.only, args.postgres):
        with fresh_store(store, args.postgres, "bench_metrics") as url:
            p50, p95, size = event_loop.run(scrape_ms(url, args.chats, args.scrapes))
        print(f"| {store} | {p50:.1f} / {p95:.1f} ms | {size:,} bytes |")


if __name__ == "__main__":
    main()
