"""Latency from an article's commit to its first delivery, through a real `newsbot run`.

    python -m bench.latency [--articles 50] [--postgres URL] [--only sqlite|postgresql]
                            [--spacing 1.2 1.7]

`newsbot run` runs as an operator starts it, with the default poll settings, and delivers to
the fake Bot API. The fake runs in a process of its own (`bench.fake_bot_api --arrivals`) and
stamps each sendMessage with the wall clock when it arrives. One chat is subscribed to
everything. This process writes like any other program would: it commits one article at a
time with newsbot's own `store_drafts`, on an engine of its own, and notes the wall-clock
time when each commit returns. It reports p50/p95/max of commit → arrival per store, and the
machine's load average at the end. The issue's target is p95 under 2 s.

Spacing: Telegram allows one message a second to a chat, and the dispatcher keeps to that.
Articles for a single chat that come closer together than that queue behind each other, and
the figure would measure that queue instead of the wake-up. The default spacing (1.2–1.7 s,
random) avoids this. `--spacing 0.5 1.0` shows the queue.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import signal
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

from bench.stores import fresh_store, stores_to_run
from newsbot.app import open_app
from newsbot.clock import SystemClock
from newsbot.config import Settings
from newsbot.store import migrate
from newsbot.store.articles import store_drafts
from newsbot.store.delivery_models import Chat, ChatKind, Subscription, SubscriptionKind
from newsbot.store.drafts import ArticleDraft
from newsbot.text.analyzer import default_analyzer
from tests.fakes.telegram_api import TOKEN

NEWSBOT = str(Path(sys.executable).parent / "newsbot")
CHAT = "1000001"
WARM_UP = 2  # articles sent first and left out: the bot's start, Kiwi loading
TAG = re.compile(r"지연 측정 (\d+)번")


def _title(n: int) -> str:
    return f"지연 측정 {n}번 기사"


class Arrivals:
    """What the fake Bot API saw: article number → wall-clock arrival of its first message."""

    def __init__(self, stream: asyncio.StreamReader) -> None:
        self.first: dict[int, float] = {}
        self._stream = stream
        self._changed = asyncio.Event()

    async def read(self) -> None:
        while line := await self._stream.readline():
            record = json.loads(line)
            for number in TAG.findall(record.get("text") or ""):
                self.first.setdefault(int(number), record["at"])
            self._changed.set()

    async def wait_for(self, numbers: range, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not all(n in self.first for n in numbers):
            if time.monotonic() > deadline:
                missing = [n for n in numbers if n not in self.first]
                raise SystemExit(f"no delivery within {seconds:g} s for articles {missing}")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), 0.5)
            except TimeoutError:
                continue


async def _subscribe(url: str) -> None:
    settings = Settings(_env_file=None, database_url=url)  # type: ignore[call-arg]
    async with open_app(settings, clock=SystemClock()) as app, app.sessions() as session:
        now = app.clock.now()
        chat = Chat(
            platform="telegram",
            platform_chat_id=CHAT,
            kind=ChatKind.PRIVATE,
            language="ko",
            timezone="Asia/Seoul",
            active=True,
            created_at=now,
            updated_at=now,
        )
        session.add(chat)
        await session.flush()
        session.add(
            Subscription(chat_id=chat.id, kind=SubscriptionKind.ALL, value="", created_at=now)
        )
        await session.commit()


def _environment(url: str, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
    env |= {
        "NEWSBOT_DATABASE_URL": url,
        "NEWSBOT_TELEGRAM_TOKEN": TOKEN,
        "NEWSBOT_TELEGRAM_API_URL": f"http://127.0.0.1:{port}/bot",
        "NEWSBOT_LOG_LEVEL": "WARNING",
    }
    return env


async def measure(url: str, articles: int, spacing: tuple[float, float], cwd: str) -> list[float]:
    """Seconds from commit to arrival for each article after the warm-up."""
    migrate.upgrade(url)
    await _subscribe(url)
    fake = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.fake_bot_api", "--arrivals", stdout=asyncio.subprocess.PIPE
    )
    assert fake.stdout is not None
    port = int(await fake.stdout.readline())
    arrivals = Arrivals(fake.stdout)
    reader = asyncio.create_task(arrivals.read())
    bot = await asyncio.create_subprocess_exec(
        NEWSBOT, "run", env=_environment(url, port), cwd=cwd, stdout=asyncio.subprocess.DEVNULL
    )
    committed: dict[int, float] = {}
    rng = random.Random(4)  # the same spacing every run
    settings = Settings(_env_file=None, database_url=url)  # type: ignore[call-arg]
    try:
        default_analyzer().morpheme_texts(["준비"])  # load Kiwi before the first commit
        async with open_app(settings, clock=SystemClock()) as writer:
            for n in range(WARM_UP + articles):
                now = writer.clock.now()
                draft = ArticleDraft(
                    source="bench",
                    guid=f"latency-{uuid.uuid4().hex}",
                    url=f"https://bench.example.kr/latency/{uuid.uuid4().hex}",
                    title=_title(n),
                    published_at=now - timedelta(seconds=30),
                )
                async with writer.sessions() as session:
                    await store_drafts(session, [draft], now=now)
                    await session.commit()
                committed[n] = time.time()
                if n < WARM_UP:  # the bot is up (and warm) once these arrive
                    await arrivals.wait_for(range(n + 1), 180)
                await asyncio.sleep(rng.uniform(*spacing))
        await arrivals.wait_for(range(WARM_UP + articles), 60)
    finally:
        if bot.returncode is None:
            bot.send_signal(signal.SIGTERM)
        await bot.wait()
        fake.terminate()
        await fake.wait()
        await reader
    return [arrivals.first[n] - committed[n] for n in range(WARM_UP, WARM_UP + articles)]


def median_p95_max(latencies: list[float]) -> tuple[float, float, float]:
    """The three figures the latency benches report (p95 by the inclusive method)."""
    p95 = statistics.quantiles(latencies, n=20, method="inclusive")[-1]
    return statistics.median(latencies), p95, max(latencies)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=50)
    parser.add_argument("--postgres", default=os.environ.get("NEWSBOT_TEST_POSTGRES_URL"))
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument(
        "--spacing", type=float, nargs=2, default=(1.2, 1.7), metavar=("MIN", "MAX")
    )
    args = parser.parse_args()
    stores = stores_to_run(parser, args.only, args.postgres)
    rows = []
    for store in stores:
        with (
            tempfile.TemporaryDirectory() as tmp,
            fresh_store(store, args.postgres, "newsbot_latency") as url,
        ):
            latencies = asyncio.run(measure(url, args.articles, args.spacing, tmp))
        rows.append((store, median_p95_max(latencies)))
    low, high = args.spacing
    print(f"{args.articles} articles, one every {low:g}–{high:g} s, one subscribed chat\n")
    print("| store | p50 | p95 | max |")
    print("|---|---|---|---|")
    for store, (p50, p95, top) in rows:
        print(f"| {store} | {p50:.3f} s | {p95:.3f} s | {top:.3f} s |")
    one, five, fifteen = os.getloadavg()
    print(f"\nload average at the end: {one:.2f} {five:.2f} {fifteen:.2f} ({os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
