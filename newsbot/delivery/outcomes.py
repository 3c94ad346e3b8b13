"""The contract every platform adapter fulfils, and the outcomes it reports.

It belongs to the core (adapters in newsbot.platforms implement it; the core never imports
them), so the dispatcher decides what each outcome means without knowing any platform.

An adapter renders a neutral ``Outgoing`` message within its platform's limits, sends it,
and maps whatever the platform said onto one of a few outcomes. The core decides what each
outcome means (retry when, drop, move, give up); adapters never retry on their own.

    Sent(message_id, how)     delivered; the id is kept for corrections and retractions, and
                              ``how`` says how an edit or retraction reached the copy
    RateLimited(retry_after)  the platform said wait exactly this long
    Transient(reason)         network error, timeout, 5xx: retry with backoff
    ChatGone(reason)          blocked, kicked, archived, not found: stop sending there
    ChatMoved(new_chat_id)    a group became a supergroup: move and resend
    PermanentFailure(reason)  anything else: record it, never retry
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol, runtime_checkable

from newsbot.conversation import Preview
from newsbot.delivery.pacing import Limits

# How an edit or a retraction reached the copy sent before (Sent.how, stored per row).
EDITED = "edited"  # edited in place ("message is not modified" too: it already says so)
REPLIED = "replied"  # could no longer be edited: the correction went as a reply to it
DELETED = "deleted"  # taken back (or the reader had deleted it already)
REPLACED = "replaced"  # could not be deleted: a short notice stands in its place


@dataclass(frozen=True, slots=True)
class Sent:
    message_id: str | None
    how: str | None = None  # EDITED, REPLIED, DELETED or REPLACED; None for a new message


@dataclass(frozen=True, slots=True)
class RateLimited:
    retry_after: float
    scope: str = "chat"  # "chat" or "global": what the platform throttled


@dataclass(frozen=True, slots=True)
class Transient:
    reason: str


@dataclass(frozen=True, slots=True)
class ChatGone:
    reason: str


@dataclass(frozen=True, slots=True)
class ChatMoved:
    new_chat_id: str


@dataclass(frozen=True, slots=True)
class PermanentFailure:
    reason: str


Outcome = Sent | RateLimited | Transient | ChatGone | ChatMoved | PermanentFailure


@dataclass(frozen=True, slots=True)
class Recipient:
    platform_chat_id: str
    kind: str  # a ChatKind value: adapters pace groups and channels differently
    language: str
    timezone: str
    link_previews: bool = True  # the chat's setting: may the platform unfurl links


@dataclass(frozen=True, slots=True)
class Headline:
    """One more headline in a grouped message."""

    title: str
    url: str
    section: str | None
    published_at: datetime


@dataclass(frozen=True, slots=True)
class DigestItem:
    """One article of a digest: its lead is one line already, without bylines."""

    title: str
    url: str
    section: str | None
    lead: str


@dataclass(frozen=True, slots=True)
class DigestBody:
    """A digest's content: the day it is for and its articles in rank order (none: the
    window was empty and the chat asked for a note). Equal bodies are equal messages, so a
    platform renders each distinct (body, language, zone) once."""

    day: date  # the chat's local date
    items: tuple[DigestItem, ...]
    weekly: bool = False
    fell_back: bool = False  # no views in the window: the latest articles, and it says so


AWAY = "away"  # Outgoing.kind of the one message a chat gets when its quiet hours end


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A headline, breaking alert or correction, before any platform formatting.

    With ``kind == "away"`` it is the "while you were away" message: the headlines held
    during the chat's quiet hours, newest first. The newest is in the usual fields (so a
    renderer that knows only headlines still shows something true), the next ones in
    ``also``, and ``more`` counts those left out; the total is ``1 + len(also) + more``.
    """

    kind: str  # a DeliveryKind value, or AWAY
    title: str
    url: str
    lead: str
    section: str | None
    published_at: datetime
    revision: int = 0
    # For corrections: the message sent before. For a headline that went out inside an away
    # message, that is the whole list: reply to it, never edit it in place.
    replaces_message_id: str | None = None
    also: tuple[Headline, ...] = ()
    more: int = 0
    # With ``kind == "digest"``: the list. The first item is also in the usual fields.
    digest: DigestBody | None = None
    # For retractions: the other messages this chat got about the article (corrections sent
    # as replies), taken back with it (Telegram: deleteMessages, up to 100 at once).
    related_message_ids: tuple[str, ...] = ()
    # A breaking story sent as an ordinary headline (one of the latest few a new subscriber
    # gets): no alert, but it keeps its 🔴 mark.
    is_breaking: bool = False

    @classmethod
    def of_preview(cls, preview: Preview) -> Outgoing:
        """What an editor's preview stands for, rendered as its deliveries will be."""
        return cls(
            kind=preview.kind,
            title=preview.title,
            url=preview.url,
            lead=preview.lead,
            section=preview.section,
            published_at=preview.published_at,
        )

    @property
    def total(self) -> int:
        """How many headlines this message stands for."""
        return 1 + len(self.also) + self.more


@runtime_checkable
class EditsNotices(Protocol):
    """A platform that can rewrite a plain text message it sent before: how an editor's
    progress message is kept current. ``message_id`` None: the platform has no ids (the
    console), so it shows the text anew."""

    async def edit_notice(self, chat_id: str, message_id: str | None, text: str) -> Outcome: ...


@runtime_checkable
class PostsPlain(Protocol):
    """A platform that posts an operator's plain text (the alerts): the adapter escapes it
    for the platform and cuts it to the platform's limit, so nothing in it (a feed titled
    "M&A", an error naming ``<lambda>``, Slack's ``<!channel>``) is read as markup or makes
    the platform refuse the message. ``chat_kind`` is the chat as the ``Pacer`` sees it (a
    ``ChatKind`` value): only the adapter knows what a chat id says about its kind."""

    async def post_plain(self, chat_id: str, text: str) -> Outcome: ...

    def chat_kind(self, chat_id: str) -> str: ...


class Platform(Protocol):
    name: str
    limits: Limits  # the platform's pace; the dispatcher keeps to it

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def send(self, recipient: Recipient, message: Outgoing) -> Outcome: ...
