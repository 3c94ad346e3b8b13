"""Telegram HTML for outgoing headlines: every field escaped, 4,096 characters by construction.

Telegram counts the limit on the text after entity parsing, in code points; the markup we add
is a fixed handful of tags, and the fields are trimmed before escaping, so the parsed text
can never exceed the limit whatever an article contains.

A "while you were away" message lists at most ``MAX_AWAY_LISTED`` headlines whatever it is
given, with titles and section names trimmed, and counts the rest: at most about 2,700
characters of parsed text.

Telegram also refuses a text over 32,768 bytes *before* parsing, markup included. Escaping
can make a character six bytes, so a URL escaping to more than ``MAX_HREF_BYTES`` is no link
(the title is shown without one): ten such links and ten trimmed titles stay under that.
"""

from __future__ import annotations

import html
from zoneinfo import ZoneInfo

from newsbot.delivery.outcomes import AWAY, Headline, Outgoing
from newsbot.i18n import t

MAX_TEXT = 4096
MAX_TITLE = 300
MAX_LEAD = 600
MAX_AWAY_LISTED = 10
MAX_AWAY_TITLE = 200
MAX_SECTION = 40
MAX_HREF_BYTES = 1500
_LABELS = {"breaking": "🔴 속보", "correction": "✏️ 정정", "edit": "✏️ [정정]"}


def one_line(text: str, limit: int) -> str:
    """White space folded to single spaces, cut to ``limit`` characters with a closing …"""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def link(url: str, text: str) -> str:
    """``text`` (already HTML) linked to ``url``, or left unlinked when the URL is too long."""
    href = html.escape(url, quote=True)
    if len(href.encode("utf-8")) > MAX_HREF_BYTES or not url.startswith(("http://", "https://")):
        # Telegram refuses other schemes; breaking news without a page has a urn: address
        return text
    return f'<a href="{href}">{text}</a>'


def render_headline(message: Outgoing, zone: ZoneInfo) -> str:
    when = message.published_at.astimezone(zone).strftime("%m-%d %H:%M")
    section = one_line(message.section, MAX_SECTION) if message.section else None
    meta = " · ".join(part for part in (_LABELS.get(message.kind), section, when) if part)
    title = html.escape(one_line(message.title, MAX_TITLE))
    parts = [html.escape(meta), f"<b>{link(message.url, title)}</b>"]
    if message.lead:
        parts.append(html.escape(one_line(message.lead, MAX_LEAD)))
    return "\n".join(parts)


def _away_item(headline: Headline, zone: ZoneInfo) -> str:
    when = headline.published_at.astimezone(zone).strftime("%m-%d %H:%M")
    section = one_line(headline.section, MAX_SECTION) if headline.section else None
    meta = " · ".join(part for part in (section, when) if part)
    title = html.escape(one_line(headline.title, MAX_AWAY_TITLE))
    return f"• {link(headline.url, title)}\n   {html.escape(meta)}"


def render_away(message: Outgoing, zone: ZoneInfo, language: str) -> str:
    """The headlines held during quiet hours, newest first, as one message."""
    newest = Headline(message.title, message.url, message.section, message.published_at)
    listed = (newest, *message.also)[:MAX_AWAY_LISTED]
    parts = [f"<b>{html.escape(t(language, 'away.header', count=message.total))}</b>"]
    parts += [_away_item(headline, zone) for headline in listed]
    if rest := message.total - len(listed):
        parts.append(html.escape(t(language, "away.more", count=rest)))
    return "\n".join(parts)


def render_retraction(message: Outgoing, language: str) -> str:
    """What stands in place of a retracted copy that can no longer be deleted."""
    title = html.escape(one_line(message.title, MAX_TITLE))
    return f"<b>{html.escape(t(language, 'notice.retracted'))}</b>\n<s>{title}</s>"


def render_message(message: Outgoing, zone: ZoneInfo, language: str) -> str:
    if message.kind == AWAY:
        return render_away(message, zone, language)
    return render_headline(message, zone)
