"""Which channel a reader means: @name, a bare name, or the t.me link they copied."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

import pytest
from telegram.error import BadRequest

from newsbot.platforms.telegram import TelegramPlatform
from newsbot.platforms.telegram_directory import TelegramDirectory


@dataclass
class AskedBot:
    """Records what getChat was asked for; knows no chat (so the lookup ends there)."""

    asked: list[str | int] = field(default_factory=list)

    async def get_chat(self, target: str | int) -> Any:
        self.asked.append(target)
        raise BadRequest("Chat not found")


@dataclass
class Platform:
    bot: AskedBot = field(default_factory=AskedBot)


@pytest.mark.parametrize(
    ("reference", "asked"),
    [
        ("@seongnam_news", "@seongnam_news"),
        ("seongnam_news", "@seongnam_news"),
        ("t.me/seongnam_news", "@seongnam_news"),
        ("https://t.me/seongnam_news/", "@seongnam_news"),
        ("-1007770001", -1007770001),
    ],
)
async def test_a_channel_is_looked_up_however_the_reader_named_it(
    reference: str, asked: str | int
) -> None:
    platform = Platform()
    directory = TelegramDirectory(cast(TelegramPlatform, platform))

    assert await directory.inspect_channel(reference, "5151") is None
    assert platform.bot.asked == [asked]
