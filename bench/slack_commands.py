"""Slack slash commands under load: 200 `/news search` at once against a real `newsbot run`.

    python -m bench.slack_commands [--commands 200] [--postgres URL] [--only sqlite|postgresql]

`newsbot run` runs as an operator starts it in HTTP mode (its one HTTP server on a free
loopback port, NEWSBOT_SLACK_SIGNING_SECRET set), on a store holding the 66 sample articles,
its Web API pointed at the tests' fake Slack, which runs here. This process then does what
Slack does when many people type at once: it signs `/news search <word>` commands (one user
each, spread over 20 channels, words drawn from the samples) and POSTs them all concurrently to
`/slack/events`. It reports, per store:

- ack latency: from sending a command to the bot's HTTP answer (Slack gives up at 3 s; the
  issue's target is p95 < 300 ms on this 2-core machine);
- reply latency: from sending a command to the search results arriving at its response_url.

Each command is a distinct user (a reader may search 10 times a minute; more would measure the
rate limit), and a warm-up command goes first (Kiwi's model loads on the first search).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from slack_sdk.signature import SignatureVerifier

from bench.stores import fresh_store, stores_to_run
from newsbot.app import open_app
from newsbot.clock import SystemClock
from newsbot.config import Settings
from newsbot.store import migrate
from tests.fakes.loopback import serving
from tests.fakes.slack_api import TOKEN, FakeSlack
from tests.helpers import load_samples

NEWSBOT = str(Path(sys.executable).parent / "newsbot")
SECRET = "bench-signing-secret"
WORDS = ("성남", "드론", "판교", "교통", "축제", "분당", "시장", "학교", "버스", "공원")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Arrivals(FakeSlack):
    """The fake Slack, noting when each response_url post arrives."""

    def __init__(self) -> None:
        super().__init__()
        self.arrived: dict[str, float] = {}
        self.answered: dict[str, str] = {}  # the reply's fallback text
        self.done = asyncio.Event()
        self.expected = 0

    async def respond(self, request: web.Request) -> web.Response:
        self.arrived.setdefault(request.path, time.perf_counter())
        self.answered[request.path] = json.loads(await request.text() or "{}").get("text", "")
        if len(self.arrived) >= self.expected:
            self.done.set()
        return web.Response(text="ok")


def _command(fake: FakeSlack, n: int) -> tuple[str, str]:
    """(form body, response_url path) of `/news search <word>` from user n."""
    url = fake.response_url()
    body = {
        "team_id": "T0NEWS",
        "channel_id": f"C{n % 20:04d}",
        "user_id": f"U{n:06d}",
        "command": "/news",
        "text": f"search {WORDS[n % len(WORDS)]}",
        "response_url": url,
        "trigger_id": f"{n}.bench",
    }
    return urlencode(body), "/" + url.split("/", 3)[3]


async def _send(client: aiohttp.ClientSession, events: str, body: str) -> tuple[float, float, int]:
    """(sent, answered, status), perf_counter seconds."""
    sent = time.perf_counter()
    stamp = str(int(time.time()))
    signature = SignatureVerifier(SECRET).generate_signature(timestamp=stamp, body=body)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": str(signature),
    }
    async with client.post(events, data=body.encode(), headers=headers) as response:
        await response.read()
        return sent, time.perf_counter(), response.status


async def measure(url: str, commands: int, cwd: str) -> tuple[list[float], list[float], int, int]:
    """(ack latencies, reply latencies in seconds, non-200 answers, replies that are not
    search results)."""
    migrate.upgrade(url)
    settings = Settings(_env_file=None, database_url=url)  # type: ignore[call-arg]
    async with open_app(settings, clock=SystemClock()) as app:
        await load_samples(app)
    fake = Arrivals()
    api = web.Application()
    api.router.add_route("*", "/api/{method}", fake.handle)
    api.router.add_post("/respond/{n}", fake.respond)
    port = _free_port()
    async with serving(api) as fake.port:
        env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
        env |= {
            "NEWSBOT_DATABASE_URL": url,
            "NEWSBOT_SLACK_BOT_TOKEN": TOKEN,
            "NEWSBOT_SLACK_API_URL": fake.api_url,
            "NEWSBOT_SLACK_SIGNING_SECRET": SECRET,
            "NEWSBOT_HTTP_LISTEN": f"127.0.0.1:{port}",
            "NEWSBOT_LOG_LEVEL": "WARNING",
        }
        bot = await asyncio.create_subprocess_exec(
            NEWSBOT, "run", env=env, cwd=cwd, stdout=asyncio.subprocess.DEVNULL
        )
        events = f"http://127.0.0.1:{port}/slack/events"
        try:
            async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as client:
                await _wait_healthy(client, f"http://127.0.0.1:{port}/healthz")
                fake.expected = 1
                warm, _ = _command(fake, 10**6)
                await _send(client, events, warm)
                await asyncio.wait_for(fake.done.wait(), 60)
                fake.arrived.clear()
                fake.done.clear()
                fake.expected = commands
                batch = [_command(fake, n) for n in range(commands)]
                answers = await asyncio.gather(*(_send(client, events, b) for b, _ in batch))
                await asyncio.wait_for(fake.done.wait(), 120)
        finally:
            bot.terminate()
            await bot.wait()
    acks = [answered - sent for sent, answered, _ in answers]
    replies = [fake.arrived[path] - a[0] for a, (_, path) in zip(answers, batch, strict=True)]
    failed = sum(1 for *_, status in answers if status != 200)
    wrong = sum(1 for _, path in batch if "검색 결과" not in fake.answered[path])
    return acks, replies, failed, wrong


async def _wait_healthy(client: aiohttp.ClientSession, url: str) -> None:
    for _ in range(600):
        try:
            async with client.get(url) as response:
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError("newsbot run did not answer /healthz within a minute")


def _pct(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--commands", type=int, default=200)
    parser.add_argument("--postgres", default=os.environ.get("NEWSBOT_TEST_POSTGRES_URL"))
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    args = parser.parse_args()
    stores = stores_to_run(parser, args.only, args.postgres)
    rows = []
    for store in stores:
        with (
            tempfile.TemporaryDirectory() as tmp,
            fresh_store(store, args.postgres, "newsbot_slack") as url,
        ):
            rows.append((store, *asyncio.run(measure(url, args.commands, tmp))))
    print(f"{args.commands} concurrent `/news search` commands, signed, over loopback HTTP\n")
    print("| store | ack p50 | ack p95 | ack p99 | reply p50 | reply p95 | not 200 | not results |")
    print("|---|---|---|---|---|---|---|---|")
    for store, acks, replies, failed, wrong in rows:
        print(
            f"| {store} | {_pct(acks, 50) * 1000:.0f} ms | {_pct(acks, 95) * 1000:.0f} ms "
            f"| {_pct(acks, 99) * 1000:.0f} ms | {_pct(replies, 50) * 1000:.0f} ms "
            f"| {_pct(replies, 95) * 1000:.0f} ms | {failed} | {wrong} |"
        )
    one, five, fifteen = os.getloadavg()
    print(f"\nload average at the end: {one:.2f} {five:.2f} {fifteen:.2f} ({os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
