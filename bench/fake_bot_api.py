"""The tests' fake Bot API as a process of its own, so a benchmark's client CPU is its own.

python -m bench.fake_bot_api   → prints the port it listens on, serves until killed
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from tests.fakes.telegram_api import FakeTelegram


async def serve() -> None:
    fake = FakeTelegram()
    app = web.Application()
    app.router.add_post("/bot{token}/{method}", fake.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    print(site.port, flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(serve())
