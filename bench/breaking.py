"""An editor's breaking news queued behind a backlog of headlines: how soon do readers have it?

    python -m bench.breaking [--chats 10000] [--backlog 50000] [--rates 30,1000] [--postgres URL]

``--chats`` private chats take all news; ``--backlog`` headline rows (a few articles to
every chat) are pending and being sent when the breaking news is stored (as `/breaking`'s
Send stores it: source ``newsroom``, ``is_breaking``). The matcher writes its rows (priority
0) and the dispatcher, already busy with headline batches, claims them first. Reported: from
the breaking news's commit to 50, 95 and 100 % of its recipients sent (the outbox's
``sent_at``), at each overall Telegram rate in ``--rates`` (30/s is Telegram's default, 1,000/s
its paid broadcasts), with the real python-telegram-bot client and the tests' fake Bot API in
a process of its own.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime

from sqlalchemy import func, insert, select, update

from bench.stores import app_with_readers, fresh_store
from newsbot import event_loop
from newsbot.delivery.dispatcher import Dispatcher, DispatchSettings
from newsbot.delivery.matcher import match_pending
from newsbot.delivery.pacing import Limits, Pacer
from newsbot.platforms.telegram import TelegramPlatform
from newsbot.store.articles import store_drafts
from newsbot.store.delivery_models import (
    PRIORITY,
    ArticleEvent,
    Chat,
    Delivery,
    DeliveryKind,
    DeliveryState,
)
from newsbot.store.drafts import ArticleDraft
from newsbot.store.editorial import NEWSROOM_SOURCE
from newsbot.store.models import Article
from newsbot.text.analyzer import default_analyzer
from tests.fakes.telegram_api import TOKEN

WARM_UP = 2.0  # seconds the backlog is sent before the breaking news arrives


def article(title: str, source: str) -> ArticleDraft:
    return ArticleDraft(
        source=source,
        guid=uuid.uuid4().hex,
        url=f"https://b.kr/{uuid.uuid4().hex}",
        title=title,
        published_at=datetime.now(UTC),
        is_breaking=source == NEWSROOM_SOURCE,
    )


async def run(url: str, chats: int, backlog: int, port: int, rate: float) -> dict[str, float]:
    async with app_with_readers(url, chats) as app:
        now = app.clock.now()
        async with app.sessions() as session:
            headlines = math.ceil(backlog / chats)
            await store_drafts(
                session, [article(f"기사 {n}", "b") for n in range(headlines)], now=now
            )
            await session.commit()
        async with app.sessions() as session:  # the backlog: pending headline rows
            ids = list(await session.scalars(select(Article.id)))
            chat_ids = list(await session.scalars(select(Chat.id).order_by(Chat.id)))
            rows = [
                {
                    "article_id": a,
                    "chat_id": c,
                    "kind": DeliveryKind.HEADLINE,
                    "revision": 0,
                    "priority": PRIORITY[DeliveryKind.HEADLINE],
                    "state": DeliveryState.PENDING,
                    "due_at": now,
                    "attempts": 0,
                    "created_at": now,
                }
                for a in ids
                for c in chat_ids
            ][:backlog]
            for start in range(0, len(rows), 5000):
                await session.execute(insert(Delivery), rows[start : start + 5000])
            await session.commit()
            # the backlog is these rows: the articles' own events need no matching
            await session.execute(update(ArticleEvent).values(matched=True))
            await session.commit()
        limits = Limits(overall_per_second=rate)
        platform = TelegramPlatform(TOKEN, api_url=f"http://127.0.0.1:{port}/bot", limits=limits)
        await platform.start()
        dispatcher = Dispatcher(
            app.sessions,
            {"telegram": platform},
            app.clock,
            DispatchSettings(owner="bench"),  # newsbot run's defaults: batches of 200
            pacers={"telegram": Pacer(limits)},
        )
        default_analyzer().morpheme_texts(["준비"])
        done = asyncio.Event()

        async def dispatch_loop() -> None:
            while not done.is_set():
                report = await dispatcher.run_once()
                if not report.claimed:
                    await asyncio.sleep(0.01)

        loops = [asyncio.create_task(dispatch_loop()) for _ in range(2)]
        await asyncio.sleep(WARM_UP)
        async with app.sessions() as session:
            stored = await store_drafts(
                session, [article("속보: 모두에게", NEWSROOM_SOURCE)], now=app.clock.now()
            )
            await session.commit()
        committed = app.clock.now()
        async with app.sessions() as session:
            before = await session.scalar(
                select(func.count()).where(
                    Delivery.kind == DeliveryKind.HEADLINE, Delivery.state == DeliveryState.SENT
                )
            )
        t0 = time.perf_counter()
        breaking = stored[0].article_id
        while True:  # the matcher, as newsbot run's: a commit a chunk
            async with app.sessions() as session:
                report = await match_pending(session, default_analyzer(), now=app.clock.now())
                await session.commit()
            if not report.events:
                break
        while True:
            async with app.sessions() as session:
                sent = await session.scalar(
                    select(func.count()).where(
                        Delivery.article_id == breaking, Delivery.state == DeliveryState.SENT
                    )
                )
            if sent == chats:
                break
            await asyncio.sleep(0.2)
        wall = time.perf_counter() - t0
        done.set()
        await asyncio.gather(*loops)
        async with app.sessions() as session:
            times = sorted(
                (s - committed).total_seconds()
                for s in await session.scalars(
                    select(Delivery.sent_at).where(Delivery.article_id == breaking)
                )
                if s is not None
            )
            headlines_sent = await session.scalar(
                select(func.count()).where(
                    Delivery.kind == DeliveryKind.HEADLINE, Delivery.state == DeliveryState.SENT
                )
            )
        await platform.stop()
    return {
        "p50": times[math.ceil(0.5 * chats) - 1],
        "p95": times[math.ceil(0.95 * chats) - 1],
        "p100": times[-1],
        "first": times[0],
        "wall": wall,
        "headlines_meanwhile": float((headlines_sent or 0) - (before or 0)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=10_000)
    parser.add_argument("--backlog", type=int, default=50_000)
    parser.add_argument("--rates", default="30,1000")
    parser.add_argument("--postgres", default=os.environ.get("NEWSBOT_TEST_POSTGRES_URL"))
    parser.add_argument("--stores", default="sqlite,postgresql")
    args = parser.parse_args()
    fake = subprocess.Popen(
        [sys.executable, "-m", "bench.fake_bot_api"], stdout=subprocess.PIPE, text=True
    )
    assert fake.stdout is not None
    port = int(fake.stdout.readline())
    print("| store | overall rate | first copy | 50 % | 95 % | 100 % | headlines sent in between |")
    print("|---|---|---|---|---|---|---|")
    try:
        for store in args.stores.split(","):
            if store == "postgresql" and not args.postgres:
                continue
            for rate in (float(r) for r in args.rates.split(",")):
                with fresh_store(store, args.postgres, "newsbot_breaking") as url:
                    f = event_loop.run(run(url, args.chats, args.backlog, port, rate))
                print(
                    f"| {store} | {rate:g}/s | {f['first']:.1f} s | {f['p50']:.1f} s | "
                    f"**{f['p95']:.1f} s** | {f['p100']:.1f} s | "
                    f"{f['headlines_meanwhile']:,.0f} |",
                    flush=True,
                )
    finally:
        fake.terminate()
        fake.wait()


if __name__ == "__main__":
    main()
