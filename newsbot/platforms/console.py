"""The console platform: headlines printed to a stream, for the demo and for operators
trying newsbot without a bot token."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import TextIO
from zoneinfo import ZoneInfo

from newsbot.delivery.outcomes import (
    AWAY,
    DELETED,
    EDITED,
    DigestBody,
    Headline,
    Outcome,
    Outgoing,
    Recipient,
    Sent,
)
from newsbot.delivery.pacing import Limits
from newsbot.i18n import digest_title, t
from newsbot.platforms.labels import labelled

UNLIMITED = Limits(overall_per_second=1e9, per_chat_per_second=1e9, per_group_per_minute=1e9)


def _line(headline: Headline, zone: ZoneInfo) -> str:
    when = headline.published_at.astimezone(zone).strftime("%m-%d %H:%M")
    section = f"{headline.section} · " if headline.section else ""
    return f"{section}{when}  {headline.url}"


def render_digest(body: DigestBody, language: str = "ko") -> str:
    """The digest as plain lines: title, note, then number, title, section, URL and lead."""
    lines = [digest_title(language, body.day, weekly=body.weekly)]
    if body.fell_back:
        lines.append(f"  ({t(language, 'digest.fell_back')})")
    if not body.items:
        lines.append(f"  {t(language, 'digest.empty')}")
    for rank, item in enumerate(body.items, start=1):
        section = f" · {item.section}" if item.section else ""
        lines.append(f"  {rank}. {item.title}{section}")
        lines.append(f"      {item.url}")
        if item.lead:
            lines.append(f"      {item.lead}")
    return "\n".join(lines)


def render(message: Outgoing, zone: ZoneInfo, language: str = "ko") -> str:
    if message.digest is not None:
        return render_digest(message.digest, language)
    newest = Headline(message.title, message.url, message.section, message.published_at)
    if message.kind == AWAY:
        lines = [t(language, "away.header", count=message.total)]
        for headline in (newest, *message.also):
            lines += [f"  • {headline.title}", f"      {_line(headline, zone)}"]
        if message.more:
            lines.append(f"  {t(language, 'away.more', count=message.more)}")
        return "\n".join(lines)
    label, title = labelled(message.kind, message.title, language, is_breaking=message.is_breaking)
    return f"{label + ' ' if label else ''}{title}\n    {_line(newest, zone)}"


@dataclass
class ConsolePlatform:
    name: str = "console"
    limits: Limits = field(default_factory=lambda: UNLIMITED)
    stream: TextIO = field(default_factory=lambda: sys.stdout)
    count: int = 0

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        self.stream.flush()

    async def send(self, recipient: Recipient, message: Outgoing) -> Outcome:
        """A terminal keeps what it printed: an edit or a retraction is printed anew, and
        counts as done to the copy it names."""
        self.count += 1
        chat, copy = recipient.platform_chat_id, message.replaces_message_id
        if message.kind == "retraction":
            notice = t(recipient.language, "notice.retracted")
            self.stream.write(f"✕ {chat}: {notice} {message.title}\n")
            self.stream.flush()
            return Sent(copy, DELETED)
        text = render(message, ZoneInfo(recipient.timezone), recipient.language)
        self.stream.write(f"→ {chat}: {text}\n")
        self.stream.flush()
        if message.kind == "edit" and copy is not None:
            return Sent(copy, EDITED)
        return Sent(f"console-{self.count}")

    async def edit_notice(self, chat_id: str, message_id: str | None, text: str) -> Outcome:
        self.stream.write(f"… {chat_id}: {text}\n")
        self.stream.flush()
        return Sent(message_id, EDITED)

    async def post_plain(self, chat_id: str, text: str) -> Outcome:
        """An operator's message (an alert): a terminal shows any text as it is."""
        self.stream.write(f"! {chat_id}: {text}\n")
        self.stream.flush()
        return Sent(None)

    def chat_kind(self, chat_id: str) -> str:
        return "console"
