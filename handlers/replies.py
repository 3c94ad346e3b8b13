"""The neutral seam between chat platforms and newsbot.

Adapters parse an update into a ``Command`` and render a ``Reply``; nothing here knows
Telegram or Slack. Text that should stand out (search matches) is carried as character
ranges, so each renderer escapes and emphasises in its own syntax.
"""

from __future__ import annotations

from dataclasses import dataclass

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
    # May this user change the chat's subscriptions and settings? Adapters ask the platform
    # for group administrators; in a private chat the reader is always in charge.
    is_admin: bool = True

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


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    token: str  # opaque to the platform; comes back in a ButtonPress
    row: int = 0  # buttons with the same row number sit side by side

    def __post_init__(self) -> None:
        if not 1 <= len(self.token.encode("utf-8")) <= MAX_TOKEN_BYTES:
            raise ValueError(f"button token must be 1-{MAX_TOKEN_BYTES} bytes: {self.token!r}")


@dataclass(frozen=True, slots=True)
class Reply:
    header: str = ""
    cards: tuple[ArticleCard, ...] = ()
    notice: str = ""  # a short line under the header: a fallback, an expiry
    buttons: tuple[Button, ...] = ()
    edit: bool = False  # replaces the message the button was on, instead of a new one
    toast: str = ""  # a brief note shown where the button was pressed (if the platform can)


@dataclass(frozen=True, slots=True)
class ButtonPress:
    platform: str
    chat_id: str
    user_id: str
    token: str
    locale: str = "ko"
    chat_kind: str = "private"
    is_admin: bool = True


def base36(number: int) -> str:
    """Ids in button tokens: 2,000,000,000 is ``x2qxvk``, six bytes of Telegram's 64."""
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if not number:
            return out
