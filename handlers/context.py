"""What every handler may use, built once by the composition root."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from newsbot.clock import Clock
from newsbot.conversation import ChatDirectory
from newsbot.text.analyzer import Analyzer


@dataclass(frozen=True, slots=True)
class HandlerContext:
    sessions: async_sessionmaker[AsyncSession]
    analyzer: Analyzer
    clock: Clock
    zone: ZoneInfo  # the newsroom's: dates in lists, day windows
    # Each platform's answers about its own chats and channels, by platform name.
    directories: Mapping[str, ChatDirectory] = field(default_factory=dict)
