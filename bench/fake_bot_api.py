"""The tests' fake Bot API as a process of its own, so a benchmark's client CPU is its own.

python -m bench.fake_bot_api              → prints the port it listens on, serves until killed
python -m bench.fake_bot_api --arrivals   → then also one JSON line per successful sendMessage:
                                            {"at": wall-clock arrival (time.time()), "chat_id",
                                            "text"}, for latency measured across processes
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

from aiohttp import web

from newsbot import event_loop
from tests.fakes.telegram_api import FakeTelegram


async def _fields(request: web.Request) -> dict[str, str]:
    """The request's parameters, read again (aiohttp keeps the body it has read)."""
    if request.content_type == "application/json":
        payload = await request.json()
        return {k: v if isinstance(v, str) else json.dumps(v) for k, v in payload.items()}
    return {k: str(v) for k, v in (await request.post()).items()}


async def serve(*, arrivals: bool = False) -> None:
    fake = FakeTelegram()

    async def handle(request: web.Request) -> web.StreamResponse:
        arrived = time.time()
        response = await fake.handle(request)
        if arrivals and request.match_info["method"] == "sendMessage" and response.status == 200:
            fields = await _fields(request)
            line = {"at": arrived, "chat_id": fields.get("chat_id"), "text": fields.get("text")}
            print(json.dumps(line, ensure_ascii=False), flush=True)
        return response

    app = web.Application()
    app.router.add_post("/bot{token}/{method}", handle if arrivals else fake.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    print(site.port, flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arrivals", action="store_true", help="print each sendMessage's arrival")
    event_loop.run(serve(arrivals=parser.parse_args().arrivals))
