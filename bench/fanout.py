"""Fan-out of one article to many chats through the whole pipeline.

    python -m bench.fanout [--chats 10000] [--repeat 3] [--postgres URL]

Match (events → outbox rows), claim, send with the real python-telegram-bot client to a
fake Bot API running in its own process on loopback, mark sent. Reports messages/s and the
client's CPU per 1,000 messages with limits off, for newsbot's aiohttp transport and PTB's
stock HTTPX one; then, with pacing on, the achieved rate as a fraction of the configured
rate. Rates are given from the article's commit (matching included) to the last send, and
for the sending alone (from the commit of the matcher's first chunk of rows: the matcher
and the dispatchers run side by side, as in `newsbot run`). Each figure is the median of
``--repeat`` runs on fresh stores, with the range of the commit-to-last-send rate in
brackets: this kind of VM varies by a third from one minute to the next.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import subprocess
import sys
import time
import uuid
from datetime import timedelta

from bench.stores import app_with_readers, fresh_store
from newsbot import event_loop
from newsbot.delivery.dispatcher import Dispatcher, DispatchSettings
from newsbot.delivery.matcher import match_pending
from newsbot.delivery.pacing import Limits, Pacer
from newsbot.platforms.telegram import TelegramPlatform
from newsbot.store.articles import store_drafts
from newsbot.store.drafts import ArticleDraft
from newsbot.text.analyzer import default_analyzer
from tests.fakes.telegram_api import TOKEN

UNLIMITED = Limits(overall_per_second=1e9, per_chat_per_second=1e9, per_group_per_minute=1e9)


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def run(url: str, chats: int, port: int, transport: str, limits: Limits) -> dict[str, float]:
    async with app_with_readers(url, chats) as app:
        now = app.clock.now()
        platform = TelegramPlatform(
            TOKEN, api_url=f"http://127.0.0.1:{port}/bot", limits=limits, transport=transport
        )
        await platform.start()
        dispatcher = Dispatcher(
            app.sessions,
            {"telegram": platform},
            app.clock,
            DispatchSettings(owner="bench", batch=500, concurrency=32, lease=timedelta(seconds=60)),
            pacers={"telegram": Pacer(limits)},
        )
        default_analyzer().morpheme_texts(["준비"])  # load Kiwi before the clock starts
        cpu0, t0 = cpu_seconds(), time.perf_counter()
        async with app.sessions() as session:
            await store_drafts(
                session,
                [
                    ArticleDraft(
                        source="b",
                        guid=f"b-{uuid.uuid4().hex}",
                        url=f"https://b.kr/{uuid.uuid4().hex}",
                        title="모두에게 보내는 기사",
                        published_at=now,
                    )
                ],
                now=now,
            )
            await session.commit()
        first_rows = 0.0
        sent = 0

        async def match_loop() -> None:  # as newsbot run's matcher does: a commit a chunk
            nonlocal first_rows
            while True:
                async with app.sessions() as session:
                    report = await match_pending(session, default_analyzer(), now=now, limit=10)
                    await session.commit()
                if report.deliveries and not first_rows:
                    first_rows = time.perf_counter()
                if not report.events:
                    return

        async def dispatch_loop() -> None:  # as newsbot run's dispatch loops do
            nonlocal sent
            while sent < chats:
                report = await dispatcher.run_once()
                sent += report.sent
                if not report.claimed:
                    await asyncio.sleep(0.01)

        await asyncio.gather(
            match_loop(), *(dispatch_loop() for _ in range(dispatcher.settings.batches_in_flight))
        )
        elapsed, cpu = time.perf_counter() - t0, cpu_seconds() - cpu0
        await platform.stop()
    return {
        "rate": chats / elapsed,
        "send_rate": chats / (time.perf_counter() - first_rows),
        "cpu_per_1000": cpu / chats * 1000,
        "seconds": elapsed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=10_000)
    parser.add_argument("--paced-chats", type=int, default=3000)
    parser.add_argument("--paced-rate", type=float, default=1000.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--postgres", default=os.environ.get("NEWSBOT_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    fake = subprocess.Popen(
        [sys.executable, "-m", "bench.fake_bot_api"], stdout=subprocess.PIPE, text=True
    )
    assert fake.stdout is not None
    port = int(fake.stdout.readline())
    rows = []
    try:
        stores = ["sqlite"] + (["postgresql"] if args.postgres else [])
        for store in stores:
            for transport, chats, limits in (
                ("aiohttp", args.chats, UNLIMITED),
                ("httpx (PTB stock)", args.chats // 5, UNLIMITED),
                (
                    "aiohttp, paced",
                    args.paced_chats,
                    Limits(overall_per_second=args.paced_rate, per_chat_per_second=1.0),
                ),
            ):
                runs = []
                for _ in range(args.repeat):
                    with fresh_store(store, args.postgres, "newsbot_fanout") as url:
                        way = transport.split()[0].rstrip(",")
                        runs.append(event_loop.run(run(url, chats, port, way, limits)))
                figures = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
                figures["low"] = min(r["rate"] for r in runs)
                figures["high"] = max(r["rate"] for r in runs)
                rows.append((store, transport, chats, limits, figures))
    finally:
        fake.terminate()
        fake.wait()
    print(
        "| store | transport | messages | messages/s, commit to last send | messages/s, "
        "sending only | client CPU per 1,000 | of configured rate (whole / sending) |"
    )
    print("|---|---|---|---|---|---|---|")
    for store, transport, chats, limits, f in rows:
        rate = limits.overall_per_second
        share = (
            f"{f['rate'] / rate:.0%} / {f['send_rate'] / rate:.0%} of {rate:g}/s"
            if limits is not UNLIMITED
            else "limits off"
        )
        spread = f" ({f['low']:,.0f}-{f['high']:,.0f})" if args.repeat > 1 else ""
        print(
            f"| {store} | {transport} | {chats:,} | {f['rate']:,.0f}{spread} | "
            f"{f['send_rate']:,.0f} | {f['cpu_per_1000']:.2f} s | {share} |"
        )


if __name__ == "__main__":
    main()
