"""Latency from a CMS's POST /api/articles to the first chat's message, through `newsbot run`.

    python -m bench.publish_latency [--articles 200] [--postgres URL] [--only sqlite|postgresql]
                                    [--chats 8] [--spacing 0.3 0.45]

`newsbot run` runs as an operator starts it, with NEWSBOT_API_TOKEN set (which starts its
HTTP server) and Telegram pointed at the fake Bot API, which runs in a process of its own
(`bench.fake_bot_api --arrivals`) and stamps each sendMessage with the wall clock when it
arrives. This process is the CMS: it posts one article per request, as a CMS does when an
editor presses Publish, noting the wall-clock time just before each request. It reports
p50/p95/max of POST → first arrival (the issue's figure), and of POST → answer (the store
work the CMS waits for), per store, and the machine's load average at the end.

Chats: ``--chats`` Telegram chats, each subscribed to one of four sections, so each article
goes to a quarter of them. Telegram allows one message a second to a chat and the
dispatcher keeps to that; with the default spacing (one POST every 0.3–0.45 s) a chat gets
one article every 1.2–1.8 s, so the figure measures the wake-up, not a chat's queue.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp

from bench.latency import TAG, Arrivals, median_p95_max
from bench.stores import fresh_store, stores_to_run
from newsbot.app import open_app
from newsbot.clock import SystemClock
from newsbot.config import Settings
from newsbot.delivery.subscriptions import ChatRef, get_or_create_chat, subscribe
from newsbot.store import migrate
from newsbot.store.delivery_models import ChatKind, SubscriptionKind
from tests.fakes.telegram_api import TOKEN

NEWSBOT = str(Path(sys.executable).parent / "newsbot")
API_TOKEN = "bench-publish-latency-token"
SECTIONS = 4
WARM_UP = 2  # articles posted first and left out: the bot's start, Kiwi loading
assert TAG.pattern == r"지연 측정 (\d+)번"  # the titles below are what Arrivals reads


def _article(n: int) -> dict[str, object]:
    return {
        "guid": f"publish-{uuid.uuid4().hex}",
        "url": f"https://bench.example.kr/publish/{uuid.uuid4().hex}",
        "title": f"지연 측정 {n}번 기사",
        "lead": "시청이 오늘 발표한 내용입니다.",
        "section": f"섹션{n % SECTIONS}",
        "published_at": (datetime.now(UTC) - timedelta(seconds=30)).isoformat(),
    }


async def _subscribe(url: str, chats: int) -> None:
    settings = Settings(_env_file=None, database_url=url)  # type: ignore[call-arg]
    async with open_app(settings, clock=SystemClock()) as app, app.sessions() as session:
        for n in range(chats):
            chat = await get_or_create_chat(
                session,
                ChatRef("telegram", str(10**6 + n)),
                kind=ChatKind.PRIVATE,
                now=app.clock.now(),
            )
            await subscribe(
                session, chat, SubscriptionKind.SECTION, f"섹션{n % SECTIONS}", now=app.clock.now()
            )
        await session.commit()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _environment(url: str, fake_port: int, api_port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
    env |= {
        "NEWSBOT_DATABASE_URL": url,
        "NEWSBOT_TELEGRAM_TOKEN": TOKEN,
        "NEWSBOT_TELEGRAM_API_URL": f"http://127.0.0.1:{fake_port}/bot",
        "NEWSBOT_API_TOKEN": API_TOKEN,
        "NEWSBOT_API_PER_MINUTE": "100000",  # the bench is not measuring the rate limit
        "NEWSBOT_HTTP_LISTEN": f"127.0.0.1:{api_port}",
        "NEWSBOT_LOG_LEVEL": "WARNING",
    }
    return env


async def _until_up(client: aiohttp.ClientSession, base: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            async with client.get(base + "/healthz") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"newsbot run did not answer on {base} within {seconds:g} s")
        await asyncio.sleep(0.2)


async def measure(
    url: str, articles: int, chats: int, spacing: tuple[float, float], cwd: str
) -> tuple[list[float], list[float]]:
    """Seconds from POST to first arrival, and from POST to its answer, after the warm-up."""
    migrate.upgrade(url)
    await _subscribe(url, chats)
    fake = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.fake_bot_api", "--arrivals", stdout=asyncio.subprocess.PIPE
    )
    assert fake.stdout is not None
    fake_port = int(await fake.stdout.readline())
    arrivals = Arrivals(fake.stdout)
    reader = asyncio.create_task(arrivals.read())
    api_port = _free_port()
    bot = await asyncio.create_subprocess_exec(
        NEWSBOT,
        "run",
        env=_environment(url, fake_port, api_port),
        cwd=cwd,
        stdout=asyncio.subprocess.DEVNULL,
    )
    posted: dict[int, float] = {}
    answered: dict[int, float] = {}
    rng = random.Random(4)  # the same spacing every run
    base = f"http://127.0.0.1:{api_port}"
    headers = {"Authorization": f"Bearer {API_TOKEN}", "Content-Type": "application/json"}
    try:
        async with aiohttp.ClientSession() as client:
            await _until_up(client, base, 180)
            for n in range(WARM_UP + articles):
                body = json.dumps(_article(n), ensure_ascii=False).encode()
                posted[n] = time.time()
                async with client.post(base + "/api/articles", data=body, headers=headers) as r:
                    answer = await r.json()
                    if r.status != 200 or answer["new"] != 1:
                        raise SystemExit(f"article {n} was not stored: {r.status} {answer}")
                answered[n] = time.time()
                if n < WARM_UP:  # the bot is warm once these arrive
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
    measured = range(WARM_UP, WARM_UP + articles)
    return (
        [arrivals.first[n] - posted[n] for n in measured],
        [answered[n] - posted[n] for n in measured],
    )


def _summary(seconds: list[float]) -> str:
    return " | ".join(f"{1000 * s:.0f} ms" for s in median_p95_max(seconds))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--chats", type=int, default=8)
    parser.add_argument("--postgres", default=os.environ.get("NEWSBOT_TEST_POSTGRES_URL"))
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument(
        "--spacing", type=float, nargs=2, default=(0.3, 0.45), metavar=("MIN", "MAX")
    )
    args = parser.parse_args()
    stores = stores_to_run(parser, args.only, args.postgres)
    rows = []
    for store in stores:
        with (
            tempfile.TemporaryDirectory() as tmp,
            fresh_store(store, args.postgres, "newsbot_publish") as url,
        ):
            first, answer = asyncio.run(measure(url, args.articles, args.chats, args.spacing, tmp))
        rows.append((store, first, answer))
    low, high = args.spacing
    print(
        f"{args.articles} articles POSTed one at a time, one every {low:g}–{high:g} s, "
        f"{args.chats} Telegram chats over {SECTIONS} sections\n"
    )
    print("| store | POST → first chat p50 | p95 | max | POST answered p50 | p95 | max |")
    print("|---|---|---|---|---|---|---|")
    for store, first, answer in rows:
        print(f"| {store} | {_summary(first)} | {_summary(answer)} |")
    one, five, fifteen = os.getloadavg()
    print(f"\nload average at the end: {one:.2f} {five:.2f} {fifteen:.2f} ({os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
