"""The digest minute: 100,000 chats whose digests fall due in the same tick.

    python -m bench.digest [--chats 100000] [--seconds 30] [--rates 30,1000] [--postgres URL]

The chats are spread over 3 zones (Seoul, Berlin, New York: each at the local time that is
this same minute) and 5 section filters (each subscribed to one of five sections, digest
limited to its subscriptions): 15 distinct digests. For each store, in a process of its own:

- tick: from the start of one run of the leader's tick to every digest written to the
  outbox (chats read through ``digest_next_at``, articles chosen per variant, digests rows
  and deliveries inserted, next moments moved);
- renders: how many times Telegram's renderer ran (its cache misses) while the digests were
  sent: the target is at most the distinct (content, language, zone) variants;
- send rate: the dispatcher sending digests with the real python-telegram-bot client to the
  fake Bot API in a process of its own, paced at each configured overall rate, for
  ``--seconds`` worth of messages at that rate; the rate reached, as a share of it;
- peak RSS of the process.

On PostgreSQL the store is vacuumed and analysed after loading, as a long-lived one is.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select

from bench.stores import fresh_store
from newsbot import event_loop
from newsbot.app import App, open_app
from newsbot.clock import FixedClock
from newsbot.config import Settings
from newsbot.delivery.dispatcher import Dispatcher, DispatchSettings
from newsbot.delivery.pacing import Limits, Pacer
from newsbot.digest.tick import DigestTick
from newsbot.platforms import telegram
from newsbot.platforms.telegram import TelegramPlatform
from newsbot.store import migrate
from newsbot.store.articles import store_drafts
from newsbot.store.delivery_models import (
    Chat,
    ChatKind,
    Delivery,
    DeliveryState,
    Subscription,
    SubscriptionKind,
)
from newsbot.store.drafts import ArticleDraft
from newsbot.store.views import ViewCount, store_view_counts
from newsbot.text.analyzer import Analyzer, NoMorphemes
from tests.fakes.telegram_api import TOKEN

TICK_AT = datetime(2026, 12, 6, 23, 0, tzinfo=UTC)  # 08:00 in Seoul, 00:00 Berlin, 18:00 NY
ZONES = ("Asia/Seoul", "Europe/Berlin", "America/New_York")
SECTIONS = ("정치", "경제", "사회", "문화", "스포츠")
ARTICLES = 1500


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def _arrange(app: App, chats: int) -> None:
    now = TICK_AT - timedelta(hours=1)
    drafts = [
        ArticleDraft(
            source="b",
            guid=f"b{n}",
            url=f"https://news.example.kr/b/{n}",
            title=f"{SECTIONS[n % 5]} 기사 {n}: 성남시 드론 배송 확대",
            lead="[서울=뉴시스] 홍길동 기자 = 판교에서 첫 비행을 마쳤다. 시민 반응은 좋았다.",
            section=SECTIONS[n % 5],
            published_at=now - timedelta(minutes=n),
        )
        for n in range(ARTICLES)
    ]
    async with app.sessions() as session:
        # Indexed on bigrams: Kiwi's model (about 300 MB) would swamp the peak RSS measured.
        stored = await store_drafts(session, drafts, now=now, analyzer=Analyzer(NoMorphemes()))
        days = {
            TICK_AT.astimezone(ZoneInfo("Asia/Seoul")).date() - timedelta(days=d) for d in (0, 1)
        }
        await store_view_counts(
            session,
            [
                ViewCount(s.article_id, day, (n * 7919) % 5000 + 1)
                for n, s in enumerate(stored)
                for day in days
            ],
        )
        await session.commit()
    async with app.sessions() as session:
        rows = []
        for n in range(chats):
            zone = ZoneInfo(ZONES[n % 3])
            local = TICK_AT.astimezone(zone)
            rows.append(
                {
                    "platform": "telegram",
                    "platform_chat_id": str(10**6 + n),
                    "kind": ChatKind.PRIVATE,
                    "language": "ko",
                    "timezone": ZONES[n % 3],
                    "active": True,
                    "digest_time": local.hour * 60 + local.minute,
                    "digest_size": 7,
                    "digest_scope": "subscriptions",
                    "digest_empty_note": False,
                    "digest_next_at": TICK_AT,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        for start in range(0, chats, 10_000):
            await session.execute(insert(Chat), rows[start : start + 10_000])
        ids = list(await session.scalars(select(Chat.id).order_by(Chat.id)))
        subscriptions = [
            {
                "chat_id": chat_id,
                "kind": SubscriptionKind.SECTION,
                "value": SECTIONS[(int(n) // 3) % 5],
                "created_at": now,
            }
            for n, chat_id in enumerate(ids)
        ]
        for start in range(0, chats, 10_000):
            await session.execute(insert(Subscription), subscriptions[start : start + 10_000])
        await session.commit()


async def run(
    url: str, chats: int, port: int, seconds: float, rates: list[float]
) -> dict[str, object]:
    migrate.upgrade(url)
    settings = Settings(_env_file=None, database_url=url)  # type: ignore[call-arg]
    clock = FixedClock(TICK_AT - timedelta(hours=1))
    result: dict[str, object] = {"chats": chats}
    async with open_app(settings, clock=clock) as app:
        await _arrange(app, chats)
        if app.engine.dialect.name == "postgresql":
            # A long-lived store's tables are vacuumed and analysed; a freshly bulk-loaded
            # one would have autovacuum working beside the tick.
            async with app.engine.connect() as connection:
                autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
                await autocommit.exec_driver_sql("VACUUM ANALYZE")
        clock.set(TICK_AT + timedelta(seconds=2))
        tick = DigestTick(app.sessions, grace=timedelta(hours=3), zone=app.settings.zone)
        started = time.perf_counter()
        report = await tick.run(clock.now())
        result["tick_seconds"] = time.perf_counter() - started
        async with app.sessions() as session:
            queued = await session.scalar(
                select(func.count())
                .select_from(Delivery)
                .where(Delivery.state == DeliveryState.PENDING)
            )
        result.update(queued=queued, variants=report.variants)
        result["rss_after_tick_mb"] = peak_rss_mb()
        sends = []
        telegram._body.cache_clear()
        for rate in rates:
            limits = Limits(overall_per_second=rate, per_chat_per_second=1.0)
            platform = TelegramPlatform(
                TOKEN, api_url=f"http://127.0.0.1:{port}/bot", limits=limits
            )
            await platform.start()
            dispatcher = Dispatcher(
                app.sessions,
                {"telegram": platform},
                clock,
                DispatchSettings(owner="bench", batch=500, concurrency=32),
                pacers={"telegram": Pacer(limits)},
            )
            target = min(chats, int(rate * seconds))
            sent = 0
            first = time.perf_counter()

            async def loop(dispatcher: Dispatcher = dispatcher, target: int = target) -> None:
                nonlocal sent
                while sent < target:
                    done = await dispatcher.run_once()
                    sent += done.sent
                    if not done.claimed:
                        await asyncio.sleep(0.01)

            await asyncio.gather(*(loop() for _ in range(dispatcher.settings.batches_in_flight)))
            elapsed = time.perf_counter() - first
            await platform.stop()
            sends.append({"rate": rate, "sent": sent, "achieved": sent / elapsed})
        result["sends"] = sends
        result["renders"] = telegram._body.cache_info().misses
        result["rendered_messages"] = sum(int(str(s["sent"])) for s in sends)
    result["peak_rss_mb"] = peak_rss_mb()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--rates", default="30,1000")
    parser.add_argument("--postgres", default=os.environ.get("NEWSBOT_TEST_POSTGRES_URL"))
    parser.add_argument("--only", choices=["sqlite", "postgresql"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    rates = [float(r) for r in args.rates.split(",")]
    if args.only:  # one store in this process, so that its peak RSS is its own
        with fresh_store(args.only, args.postgres, "newsbot_digest") as url:
            print(json.dumps(event_loop.run(run(url, args.chats, args.port, args.seconds, rates))))
        return
    fake = subprocess.Popen(
        [sys.executable, "-m", "bench.fake_bot_api"], stdout=subprocess.PIPE, text=True
    )
    assert fake.stdout is not None
    port = int(fake.stdout.readline())
    results = []
    try:
        for store in ["sqlite"] + (["postgresql"] if args.postgres else []):
            out = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "bench.digest",
                    "--only",
                    store,
                    "--port",
                    str(port),
                    "--chats",
                    str(args.chats),
                    "--seconds",
                    str(args.seconds),
                    "--rates",
                    args.rates,
                ]
                + (["--postgres", args.postgres] if args.postgres else []),
                check=True,
                capture_output=True,
                text=True,
            )
            results.append((store, json.loads(out.stdout.strip().splitlines()[-1])))
    finally:
        fake.terminate()
        fake.wait()
    print(
        "| store | chats due | tick → all enqueued | variants chosen | renders (messages sent) "
        "| send rate vs configured | peak RSS |"
    )
    print("|---|---|---|---|---|---|---|")
    for store, r in results:
        sends = "; ".join(
            f"{s['achieved']:,.1f}/s of {s['rate']:g}/s = {s['achieved'] / s['rate']:.1%} "
            f"({s['sent']:,} sent)"
            for s in r["sends"]
        )
        print(
            f"| {store} | {r['queued']:,} | {r['tick_seconds']:.2f} s | {r['variants']} | "
            f"{r['renders']} ({r['rendered_messages']:,}) | {sends} | {r['peak_rss_mb']:.0f} MB |"
        )


if __name__ == "__main__":
    main()
