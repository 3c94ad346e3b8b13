"""The live demo: the real bot on the embedded store, the terminal a chat on the console.

The service runs as `newsbot run` does (poller, matcher, dispatchers, the digest tick), and
the terminal is the console chat ``desk``, whose user is made an editor so `/breaking` can
be tried too. A newsroom simulator publishes a sample story with the current time now and
then, and corrects one, so pushes and corrections are seen arriving. With no terminal (CI,
a pipe) a short scripted conversation plays and the command exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import random
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import click

from newsbot.app import App
from newsbot.bot import ConsoleChat, build_bot
from newsbot.cli.bot import stdin_lines
from newsbot.roles import Role
from newsbot.store.articles import store_drafts
from newsbot.store.drafts import ArticleDraft
from newsbot.store.staff import appoint

CONSOLE_USER = "desk"
SCRIPT = (
    "/start",
    "/subscribe 드론",
    "/top 5",
    "/search 성남시는",
    "/settings",
    "/digest",
    "/breaking 성남시청 앞 도로 통제 | 오후 3시부터 시청 앞 왕복 6차로가 전면 통제됩니다.",
    "1",
)
SCRIPT_PAUSE = 1.5  # seconds between scripted lines: enough for a push to arrive between
LIVE_EVERY = 15.0  # seconds between the simulator's stories when a person is typing
HELP = (
    "뉴스봇 데모: 이 터미널이 대화방입니다. 명령을 입력해 보세요 — /start, /subscribe 드론, "
    "/top, /search 성남시는, /settings, /digest, /breaking 제목 | 리드 (편집자). 버튼은 번호로 "
    "누릅니다. 끝내려면 /quit 또는 Ctrl-D."
)


async def scripted() -> AsyncIterator[str]:
    for line in SCRIPT:
        await asyncio.sleep(SCRIPT_PAUSE)
        click.echo(f"\n> {line}")
        yield line
    await asyncio.sleep(SCRIPT_PAUSE)


async def typed() -> AsyncIterator[str]:
    async for line in stdin_lines():
        if line.strip() in ("/quit", "/exit"):
            return
        yield line


async def until_done(lines: AsyncIterator[str], done: asyncio.Event) -> AsyncIterator[str]:
    """The lines, then ``done`` set: the demo ends when the conversation does."""
    try:
        async for line in lines:
            yield line
    finally:
        done.set()


Story = tuple[str, str, str | None]  # title, lead, section


def sample_stories(samples: Path) -> list[Story]:
    """The bundled articles, those that mention 드론 first (the script subscribes to it)."""
    stories: list[Story] = []
    for line in (samples / "articles.ndjson").read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            stories.append((record["title"], record.get("lead", ""), record.get("section")))
    stories.sort(key=lambda story: "드론" not in story[0] + story[1])
    return stories


async def newsroom(app: App, stories: list[Story], every: float) -> None:
    """Publishes a story now and then, dated now; corrects the first one once."""
    for n, (title, lead, section) in enumerate(stories, start=1):
        now = app.clock.now()
        stamp = f"{now:%Y%m%d%H%M%S}-{n}"
        draft = ArticleDraft(
            source="demo",
            url=f"https://news.example.kr/demo/{stamp}",
            guid=f"demo-{stamp}",
            title=title,
            lead=lead,
            section=section,
            published_at=now,
        )
        async with app.sessions() as session:
            await store_drafts(session, [draft], now=now)
            await session.commit()
        if n == 1:
            await asyncio.sleep(every / 2)
            corrected = dataclasses.replace(
                draft, title=f"{title} (수정)", updated_at=app.clock.now()
            )
            async with app.sessions() as session:
                await store_drafts(session, [corrected], now=app.clock.now())
                await session.commit()
        await asyncio.sleep(every * (0.8 + random.random() * 0.4))  # noqa: S311


async def live(app: App, samples: Path, *, script: bool) -> None:
    # The terminal is a chat here: APScheduler's line for every run of every job (the
    # digest tick's, twice a minute) would run through the conversation.
    scheduler_log = logging.getLogger("apscheduler")
    level = scheduler_log.level
    scheduler_log.setLevel(logging.WARNING)
    try:
        await _live(app, samples, script=script)
    finally:
        scheduler_log.setLevel(level)


async def _live(app: App, samples: Path, *, script: bool) -> None:
    async with app.sessions() as session:
        await appoint(session, "console", CONSOLE_USER, Role.EDITOR, now=app.clock.now(), by="demo")
        await session.commit()
    done = asyncio.Event()
    lines = until_done(scripted() if script else typed(), done)
    bot = build_bot(app, console=ConsoleChat(lines=lines, out=sys.stdout, user_id=CONSOLE_USER))
    if not script:
        click.echo(HELP)
    service = asyncio.create_task(bot.service.run(lead=True))
    simulator = asyncio.create_task(
        newsroom(app, sample_stories(samples), SCRIPT_PAUSE * 2 if script else LIVE_EVERY)
    )
    try:
        await done.wait()
    finally:
        simulator.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await simulator
        bot.service.stop.set()
        await service
