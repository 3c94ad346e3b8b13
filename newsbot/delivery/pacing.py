"""Proactive pacing, so the platform rarely has to say 429.

A generic cell-rate algorithm per key: each key remembers when its next message may go; the
overall rate may make up slots missed in the last ``catch_up_seconds`` (a small burst).
Telegram's published limits are the defaults (about 30 messages a second overall, one a
second per chat, 20 a minute per group or channel); operators with paid broadcasts raise the
overall rate. Time is a function the caller gives, so tests never sleep.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

GROUP_KINDS = frozenset({"group", "supergroup", "channel", "slack_channel"})


@dataclass(frozen=True, slots=True)
class Limits:
    overall_per_second: float = 30.0
    per_chat_per_second: float = 1.0
    per_group_per_minute: float = 20.0
    # Overall slots missed while the sender was busy elsewhere (a claim, a settle) may be
    # made up, up to this many seconds' worth: strict spacing lost them for good, and a
    # paced fan-out reached only 62-89 % of its configured rate.
    catch_up_seconds: float = 0.1

    def interval(self, kind: str) -> float:
        if kind in GROUP_KINDS:
            return 60.0 / self.per_group_per_minute
        return 1.0 / self.per_chat_per_second


@dataclass(slots=True)
class Pacer:
    limits: Limits = field(default_factory=Limits)
    monotonic: Callable[[], float] = time.monotonic
    _next_chat: dict[str, float] = field(default_factory=dict)
    _next_overall: float = 0.0

    def chat_wait(self, chat: str) -> float:
        """Seconds until this chat may receive again (0 when it may now)."""
        return max(0.0, self._next_chat.get(chat, 0.0) - self.monotonic())

    def reserve(self, chat: str, kind: str) -> float:
        """Book the next slot for this chat and overall; returns how long to wait for it."""
        now = self.monotonic()
        slot = max(self._next_overall, now - self.limits.catch_up_seconds)
        at = max(now, self._next_chat.get(chat, 0.0), slot)
        self._next_chat[chat] = at + self.limits.interval(kind)
        # Each message takes the earliest overall slot, even one that waits for its chat:
        # pushing the overall slot to that chat's time would hold every other chat back
        # with it (at most the messages in flight may then go a little early overall).
        self._next_overall = slot + 1.0 / self.limits.overall_per_second
        if len(self._next_chat) > 100_000:  # forget chats whose slot is long past
            self._next_chat = {k: v for k, v in self._next_chat.items() if v > now}
        return at - now

    def hold_chat(self, chat: str, seconds: float) -> None:
        """The platform said this chat must wait: nothing goes there before then."""
        until = self.monotonic() + seconds
        self._next_chat[chat] = max(self._next_chat.get(chat, 0.0), until)

    def hold_all(self, seconds: float) -> None:
        self._next_overall = max(self._next_overall, self.monotonic() + seconds)
