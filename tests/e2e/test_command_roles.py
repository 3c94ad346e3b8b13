"""A command is one registry entry: its role is declared there and the one gate enforces it
on every platform, with no adapter knowing the command exists.

The command here (``/ping``, role editor) is registered the way a newsroom or a later issue
would add one: through the composition root's ``commands``. The Telegram side runs the
whole bot against the fake Bot API over loopback; the console side types into the console
chat the same bot builds.
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
from collections.abc import AsyncIterator

import pytest

from handlers.registry import CommandSpec
from newsbot.app import App
from newsbot.bot import Bot, ConsoleChat, Overrides, build_bot
from newsbot.clock import FixedClock
from newsbot.conversation import Command, Reply
from newsbot.delivery.pacing import Limits
from newsbot.platforms.telegram import TelegramPlatform
from newsbot.roles import Role
from newsbot.store.staff import appoint, dismiss
from tests.conftest import make_settings
from tests.fakes.telegram_api import TOKEN, FakeTelegram

READER, EDITOR, ADMIN = 5151, 6161, 7171
FAST = Limits(overall_per_second=1000, per_chat_per_second=50, per_group_per_minute=3000)
REFUSED_KO = "편집자만 쓸 수 있는 명령입니다."


async def pong(command: Command) -> Reply:
    return Reply(header=f"pong {command.user_id}")


PING = CommandSpec("ping", pong, role=Role.EDITOR, in_menu=False)


def bot_with_ping(app: App, fake: FakeTelegram | None = None, *, user_id: str = "desk") -> Bot:
    settings = make_settings(
        app.settings.database_url,
        telegram_token=TOKEN if fake else None,
        admins=f"telegram:{ADMIN}",
    )
    platforms = {}
    if fake is not None:
        platforms["telegram"] = TelegramPlatform(TOKEN, api_url=fake.api_url, limits=FAST)
    return build_bot(
        dataclasses.replace(app, settings=settings),
        console=ConsoleChat(out=io.StringIO(), user_id=user_id),
        overrides=Overrides(platforms=platforms, commands=[PING], dispatch_owner="e2e:roles"),
    )


async def make_editor(app: App, platform: str, user: str) -> None:
    async with app.sessions() as session:
        await appoint(session, platform, user, Role.EDITOR, now=app.clock.now(), by="cli")
        await session.commit()


@pytest.fixture
async def telegram_bot(app: App, fake_telegram: FakeTelegram) -> AsyncIterator[Bot]:
    bot = bot_with_ping(app, fake_telegram)
    task = asyncio.create_task(bot.service.run(lead=True))
    try:
        await fake_telegram.wait_for(lambda f: f.polling, timeout=10)
        yield bot
    finally:
        bot.service.stop.set()
        await asyncio.wait_for(task, timeout=15)


async def reply_to(fake: FakeTelegram, chat: int, text: str) -> str:
    before = len(fake.sent_to(chat))
    fake.send_update(chat, text)
    await fake.wait_for(lambda f: len(f.sent_to(chat)) > before, timeout=10)
    return str(fake.sent_to(chat)[before]["text"])


async def test_on_telegram_an_editors_command_is_refused_to_a_reader_and_served_to_editors(
    telegram_bot: Bot, app: App, fake_telegram: FakeTelegram
) -> None:
    await make_editor(app, "telegram", str(EDITOR))

    assert await reply_to(fake_telegram, READER, "/ping") == f"<b>{REFUSED_KO}</b>"
    assert await reply_to(fake_telegram, EDITOR, "/ping") == f"<b>pong {EDITOR}</b>"
    # NEWSBOT_ADMINS needs no stored role, and an admin may do what an editor may.
    assert await reply_to(fake_telegram, ADMIN, "/ping") == f"<b>pong {ADMIN}</b>"


async def test_on_telegram_the_public_menu_leaves_the_editors_command_out(
    telegram_bot: Bot, fake_telegram: FakeTelegram
) -> None:
    menu = dict(fake_telegram.commands_for("ko"))

    assert "ping" not in menu and {"start", "top", "search"} <= set(menu)


async def test_on_telegram_help_lists_the_editors_command_to_editors_only(
    telegram_bot: Bot, app: App, fake_telegram: FakeTelegram
) -> None:
    await make_editor(app, "telegram", str(EDITOR))

    for_reader = await reply_to(fake_telegram, READER, "/help")
    for_editor = await reply_to(fake_telegram, EDITOR, "/help")

    assert "/search" in for_reader and "/ping" not in for_reader
    assert "/search" in for_editor and "/ping" in for_editor


async def test_on_the_console_the_same_command_is_refused_then_served_once_appointed(
    app: App, clock: FixedClock
) -> None:
    console = bot_with_ping(app, user_id="kim").console

    refused = await console.say("/ping")
    await make_editor(app, "console", "kim")
    served = await console.say("/ping")
    async with app.sessions() as session:
        await dismiss(session, "console", "kim")
        await session.commit()
    dismissed = await console.say("/ping")

    assert refused == REFUSED_KO
    assert served == "pong kim"
    assert dismissed == REFUSED_KO


async def test_an_editor_on_one_platform_is_a_reader_on_another(app: App) -> None:
    await make_editor(app, "telegram", "kim")  # the same id, but a Telegram user

    assert await bot_with_ping(app, user_id="kim").console.say("/ping") == REFUSED_KO
