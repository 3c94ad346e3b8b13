"""How long a large CMS push holds the event loop that also answers /healthz and webhooks.

    python -m bench.api_loop_stall [--postgres URL] [--only sqlite|postgresql] [--runs 3]

The CMS push API on a server of its own over a fresh store, storing through the importer
as `newsbot run` does, with Kiwi loaded beforehand (its first load is not the push's cost).
Two bodies are posted, each under the default NEWSBOT_API_MAX_BYTES (2 MB): 400 articles
with ~5 KB bodies, and 1,200 short ones (past the 1,000 written articles after which the
importer used to compact the search index inside the request). While each is stored, a
ticker on the same loop notes how late each 5 ms sleep wakes (a stall) and a client on the
same loop asks /healthz every 50 ms. It prints, per store and body: the POST's time, the
worst stall, how many were over 50 ms, their sum (stalls over 10 ms), and /healthz's median
and worst answer time during the push. On a shared machine the worst stall is noisy (the OS
preempts the whole process too); the count and the sum say more.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import aiohttp

from bench.stores import fresh_store, stores_to_run
from newsbot.app import App, open_app
from newsbot.clock import SystemClock
from newsbot.config import Settings
from newsbot.ingest.importer import ImportReport, import_records
from newsbot.ingest.payloads import Record
from newsbot.ingest.view_counts import ViewsReport, store_views
from newsbot.platforms.cms_api import CmsApi
from newsbot.platforms.request_limit import RequestLimit
from newsbot.platforms.web import HttpServer, Listen
from newsbot.store import migrate
from newsbot.text.analyzer import default_analyzer

TOKEN = "bench-api-loop-stall-token"
MAX_BYTES = 2_000_000
PARAGRAPH = "성남시는 23일 드론 배송 시범사업을 시작한다고 밝혔다. 시는 분당구 일대에서 "


def _body(articles: int, body_chars: int) -> bytes:
    published = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    lines = [
        json.dumps(
            {
                "guid": f"stall-{uuid.uuid4().hex}",
                "url": f"https://bench.example.kr/stall/{uuid.uuid4().hex}",
                "title": f"부하 측정 {n}번 기사: 성남시 드론 배송",
                "published_at": published,
                "section": "행정",
                "body": (PARAGRAPH * (body_chars // len(PARAGRAPH) + 1))[:body_chars],
            },
            ensure_ascii=False,
        )
        for n in range(articles)
    ]
    data = "\n".join(lines).encode()
    assert len(data) <= MAX_BYTES, len(data)
    return data


@dataclass
class Watch:
    """A 5 ms ticker and a /healthz client, both on the loop the server runs on."""

    base: str
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    stalls: list[float] = field(default_factory=list)  # how late each 5 ms sleep woke
    health: list[float] = field(default_factory=list)

    async def tick(self) -> None:
        while not self.stop.is_set():
            start = time.perf_counter()
            await asyncio.sleep(0.005)
            self.stalls.append(time.perf_counter() - start - 0.005)

    async def ask_health(self, client: aiohttp.ClientSession) -> None:
        while not self.stop.is_set():
            start = time.perf_counter()
            async with client.get(self.base + "/healthz") as response:
                await response.read()
            self.health.append(time.perf_counter() - start)
            await asyncio.sleep(0.05)


async def _push(app: App, data: bytes) -> tuple[float, Watch, int]:
    async def articles(records: list[Record]) -> ImportReport:
        return await import_records(app.sessions, records, zone=app.settings.zone, clock=app.clock)

    async def views(records: list[Record]) -> ViewsReport:
        return await store_views(app.sessions, records)

    server = HttpServer(Listen("127.0.0.1", 0))
    CmsApi(TOKEN, MAX_BYTES, RequestLimit(60), articles, views).mount(server)
    await server.start()
    watch = Watch(f"http://127.0.0.1:{server.port}")
    try:
        async with aiohttp.ClientSession() as client:
            watchers = [
                asyncio.create_task(watch.tick()),
                asyncio.create_task(watch.ask_health(client)),
            ]
            await asyncio.sleep(0.2)  # the watchers' first rounds, before the push
            watch.stalls, watch.health = [], []
            start = time.perf_counter()
            async with client.post(
                watch.base + "/api/articles",
                data=data,
                headers={"Authorization": f"Bearer {TOKEN}"},
            ) as response:
                stored = (await response.json())["stored"]
            took = time.perf_counter() - start
            watch.stop.set()
            await asyncio.gather(*watchers)
    finally:
        await server.stop()
    return took, watch, stored


async def _measure(store: str, admin: str | None, runs: int) -> None:
    shapes = {"400 long": (400, 1500), "1200 short": (1200, 300)}
    for name, (articles, body_chars) in shapes.items():
        rows = []
        for _ in range(runs):
            with fresh_store(store, admin, "bench_stall") as url:
                migrate.upgrade(url)
                settings = Settings(_env_file=None, database_url=url)  # type: ignore[call-arg]
                async with open_app(settings, clock=SystemClock()) as app:
                    data = _body(articles, body_chars)
                    rows.append(await _push(app, data))
        for took, watch, stored in rows:
            print(
                f"{store:10} {name:11} {len(data) / 1e6:.2f} MB stored {stored:5}  "
                f"POST {took * 1000:5.0f} ms  "
                f"loop stalls: worst {max(watch.stalls) * 1000:4.0f} ms, "
                f"over 50 ms {sum(s > 0.05 for s in watch.stalls):2}, "
                f"in all {sum(s for s in watch.stalls if s > 0.01) * 1000:4.0f} ms  "
                f"/healthz p50 {statistics.median(watch.health) * 1000:5.0f} ms "
                f"max {max(watch.health) * 1000:5.0f} ms ({len(watch.health)} asked)"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default=os.environ.get("NEWSBOT_TEST_POSTGRES_URL"))
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    default_analyzer().morpheme_texts(["성남시 드론 배송"])  # Kiwi loaded before measuring
    for store in stores_to_run(parser, args.only, args.postgres):
        asyncio.run(_measure(store, args.postgres, args.runs))


if __name__ == "__main__":
    main()
