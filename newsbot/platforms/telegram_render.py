"""Telegram HTML for outgoing headlines: every field escaped, 4,096 characters by construction.

Telegram counts the limit on the text after entity parsing, in code points; the markup we add
is a fixed handful of tags, and the fields are trimmed before escaping, so the parsed text
can never exceed the limit whatever an article contains.
"""

from __future__ import annotations

import html
from zoneinfo import ZoneInfo

from newsbot.delivery.outcomes import Outgoing

MAX_TEXT = 4096
MAX_TITLE = 300
MAX_LEAD = 600
_LABELS = {"breaking": "🔴 속보", "correction": "✏️ 정정"}


def _trim(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def render_headline(message: Outgoing, zone: ZoneInfo) -> str:
    when = message.published_at.astimezone(zone).strftime("%m-%d %H:%M")
    meta = " · ".join(part for part in (_LABELS.get(message.kind), message.section, when) if part)
    title = html.escape(_trim(message.title, MAX_TITLE))
    url = html.escape(message.url, quote=True)
    parts = [html.escape(meta), f'<b><a href="{url}">{title}</a></b>']
    if message.lead:
        parts.append(html.escape(_trim(message.lead, MAX_LEAD)))
    return "\n".join(parts)
