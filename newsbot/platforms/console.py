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
    Headline,
    Outcome,
    Outgoing,
    Recipient,
    Sent,
)
from newsbot.delivery.pacing import Limits
from newsbot.i18n import t

UNLIMITED = Limits(overall_per_second=1e9, per_chat_per_second=1e9, per_group_per_minute=1e9)
_LABELS = {
    "breaking": "[속보] ",
    "correction": "[정정] ",
    "edit": "[정정] ",
    "headline": "",
    "digest": "",
}


def _line(headline: Headline, zone: ZoneInfo) -> str:
    when = headline.published_at.astimezone(zone).strftime("%m-%d %H:%M")
    section = f"{headline.section} · " if headline.section else ""
    return f"{section}{when}  {headline.url}"


def render(message: Outgoing, zone: ZoneInfo, language: str = "ko") -> str:
    newest = Headline(message.title, message.url, message.section, message.published_at)
    if message.kind == AWAY:
        lines = [t(language, "away.header", count=message.total)]
        for headline in (newest, *message.also):
            lines += [f"  • {headline.title}", f"      {_line(headline, zone)}"]
        if message.more:
            lines.append(f"  {t(language, 'away.more', count=message.more)}")
        return "\n".join(lines)
    label = _LABELS.get(message.kind, "")
    if label and message.title.startswith(label.strip()):
        label = ""
    return f"{label}{message.title}\n    {_line(newest, zone)}"


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
