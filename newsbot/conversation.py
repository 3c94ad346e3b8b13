"""The seam between chat platforms and the bot: what crosses it, both ways.

Adapters (``newsbot.platforms``) parse an update into a ``Command`` or ``ButtonPress``, hand
it to the ``Conversations`` the composition root gave them, and render the ``Reply``; the
handlers behind it never see a platform's own types. Each adapter also answers the two
questions only a platform can (``ChatDirectory``: is this user an administrator of this
chat, which channel is ``@name``). Nothing here knows Telegram or Slack, and adapters
import this module, never ``handlers``.

Text that should stand out (search matches) is carried as character ranges, so each
renderer escapes and emphasises in its own syntax.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

MAX_TOKEN_BYTES = 64  # Telegram's callback_data limit, the tightest of the platforms
Marks = tuple[tuple[int, int], ...]


@dataclass(frozen=True, slots=True)
class Command:
    platform: str  # "telegram", "slack", "console"
    chat_id: str
    user_id: str
    name: str  # without the slash: "search"
    args: tuple[str, ...] = ()
    locale: str = "ko"
    chat_kind: str = "private"  # a ChatKind value: private, group, supergroup, channel, …
    chat_title: str | None = None
    # The message as typed, every word and line of it, for what must keep them (an editor's
    # lead); ``args`` keep only the first words.
    raw_text: str = ""

    @property
    def text(self) -> str:
        return " ".join(self.args)


@dataclass(frozen=True, slots=True)
class ArticleCard:
    title: str
    url: str
    section: str | None
    published: str  # already in the reader's zone, e.g. "11-22 09:30"
    rank: int | None = None  # 1, 2, 3… in numbered lists
    title_marks: Marks = ()
    snippet: str = ""
    snippet_marks: Marks = ()
    views: int | None = None
    is_breaking: bool = False
    compact: bool = False  # one line: rank, title, section, time (lists that must scan)


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    token: str  # opaque to the platform; comes back in a ButtonPress
    row: int = 0  # buttons with the same row number sit side by side

    def __post_init__(self) -> None:
        if not 1 <= len(self.token.encode("utf-8")) <= MAX_TOKEN_BYTES:
            raise ValueError(f"button token must be 1-{MAX_TOKEN_BYTES} bytes: {self.token!r}")


@dataclass(frozen=True, slots=True)
class Preview:
    """A message exactly as readers will get it, for an editor to check before sending:
    each platform renders it with the renderer its deliveries use."""

    kind: str  # a DeliveryKind value: "breaking", "edit", "headline"
    title: str
    url: str
    lead: str
    section: str | None
    published_at: datetime
    zone: str = "Asia/Seoul"


@dataclass(frozen=True, slots=True)
class Reply:
    header: str = ""
    cards: tuple[ArticleCard, ...] = ()
    notice: str = ""  # a short line under the header: a fallback, an expiry
    buttons: tuple[Button, ...] = ()
    edit: bool = False  # replaces the message the button was on, instead of a new one
    toast: str = ""  # a brief note shown where the button was pressed (if the platform can)
    preview: Preview | None = None  # shown under the header, as readers will see it


@dataclass(frozen=True, slots=True)
class ButtonPress:
    platform: str
    chat_id: str
    user_id: str
    token: str
    locale: str = "ko"
    chat_kind: str = "private"
    message_id: str | None = None  # the message the button is on, when the platform says


def base36(number: int) -> str:
    """Ids in button tokens: 2,000,000,000 is ``x2qxvk``, six bytes of Telegram's 64."""
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if not number:
            return out


@dataclass(frozen=True, slots=True)
class ChannelInfo:
    """What the platform says about a channel an administrator wants to subscribe."""

    chat_id: str
    title: str | None
    bot_is_admin: bool
    user_is_admin: bool


class ChatDirectory(Protocol):
    """What only the platform knows about its chats; each adapter implements it.

    The permission gate asks ``is_chat_admin`` only for commands that need a chat admin, and
    only outside private chats (where the reader is always in charge).
    """

    async def is_chat_admin(self, chat_id: str, user_id: str) -> bool: ...

    async def inspect_channel(self, reference: str, user_id: str) -> ChannelInfo | None:
        """The channel behind ``@name`` (or an id) and who administers it; None: no such
        channel, or this platform has none."""
        ...


@dataclass(frozen=True, slots=True)
class MenuEntry:
    command: str  # without the slash
    description: str


class Conversations(Protocol):
    """What a frontend talks to (``handlers.router.Router``): one for every platform."""

    async def command(self, command: Command) -> Reply | None: ...

    async def text(self, command: Command) -> Reply | None: ...

    async def press(self, press: ButtonPress) -> Reply | None: ...

    async def joined(self, command: Command) -> Reply | None:
        """The bot was added to a group or channel: the greeting, if any."""
        ...

    async def left(self, platform: str, chat_id: str, reason: str) -> None:
        """The bot was removed or blocked: stop sending there."""
        ...

    def menu(self, locale: str) -> list[MenuEntry]:
        """The commands every reader sees in a platform's command menu."""
        ...

    def command_name(self, word: str) -> str | None:
        """The command a word names (``검색`` → ``search``), None for no command: for
        platforms where commands are words after one slash command (Slack's ``/news``)."""
        ...


class Frontend(Protocol):
    """Whatever receives readers' updates for one platform; started and stopped by the
    service (on the leader only)."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...
