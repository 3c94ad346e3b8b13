"""Telegram HTML for outgoing headlines: every field escaped, 4,096 characters by construction.

Telegram counts the limit on the text after entity parsing, in code points; the markup we add
is a fixed handful of tags, and the fields are trimmed before escaping, so the parsed text
can never exceed the limit whatever an article contains.

A "while you were away" message lists at most ``MAX_AWAY_LISTED`` headlines whatever it is
given, with titles and section names trimmed, and counts the rest: at most about 2,700
characters of parsed text.

A digest lists at most ``MAX_DIGEST_ITEMS`` articles with trimmed titles, sections and
one-line leads: at most about 3,500 characters of parsed text. Should a digest's markup
still pass the byte limit below (ten links of the longest URLs, titles of ``&`` …), its
leads are left out, then its links: the message shrinks, it never fails.

Telegram also refuses a text over 32,768 bytes *before* parsing, markup included. Escaping
can make a character six bytes, so a URL escaping to more than ``MAX_HREF_BYTES`` is no link
(the title is shown without one): ten such links and ten trimmed titles stay under that.
"""

from __future__ import annotations

import html
import re
from zoneinfo import ZoneInfo

from newsbot.delivery.outcomes import AWAY, DigestBody, Headline, Outgoing
from newsbot.i18n import digest_title, t
from newsbot.platforms.labels import labelled

MAX_TEXT = 4096
MAX_TITLE = 300
MAX_LEAD = 600
MAX_AWAY_LISTED = 10
MAX_AWAY_TITLE = 200
MAX_SECTION = 40
MAX_HREF_BYTES = 1500
MAX_BYTES = 32_768  # raw text before parsing, markup included
MAX_DIGEST_ITEMS = 10
MAX_DIGEST_TITLE = 150
MAX_DIGEST_LEAD = 120


def one_line(text: str, limit: int) -> str:
    """White space folded to single spaces, cut to ``limit`` characters with a closing …"""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def plain(text: str) -> str:
    """An operator's plain text (an alert) as Telegram HTML: cut to the limit (lines kept),
    then escaped, so whatever a feed title or an error says is shown, never parsed. At most
    4,096 code points escape to at most 20,480 bytes: under the byte limit too."""
    if len(text) > MAX_TEXT:
        text = text[: MAX_TEXT - 1].rstrip() + "…"
    return html.escape(text, quote=False)


def link(url: str, text: str) -> str:
    """``text`` (already HTML) linked to ``url``, or left unlinked when the URL is too long."""
    href = html.escape(url, quote=True)
    if len(href.encode("utf-8")) > MAX_HREF_BYTES or not url.startswith(("http://", "https://")):
        # Telegram refuses other schemes; breaking news without a page has a urn: address
        return text
    return f'<a href="{href}">{text}</a>'


def render_headline(message: Outgoing, zone: ZoneInfo, language: str = "ko") -> str:
    when = message.published_at.astimezone(zone).strftime("%m-%d %H:%M")
    section = one_line(message.section, MAX_SECTION) if message.section else None
    label, title_text = labelled(
        message.kind, message.title, language, is_breaking=message.is_breaking
    )
    meta = " · ".join(part for part in (label, section, when) if part)
    title = html.escape(one_line(title_text, MAX_TITLE))
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


_TAG = re.compile(r"<[^>]*>")


def parsed_text(markup: str) -> str:
    """What Telegram counts against 4,096: the text with our tags removed, entities read."""
    return html.unescape(_TAG.sub("", markup))


def _digest_lines(body: DigestBody, language: str, *, leads: bool, links: bool) -> str:
    parts = [f"<b>{html.escape(digest_title(language, body.day, weekly=body.weekly))}</b>"]
    if body.fell_back:
        parts.append(f"<i>{html.escape(t(language, 'digest.fell_back'))}</i>")
    if not body.items:
        parts.append(html.escape(t(language, "digest.empty")))
    for rank, item in enumerate(body.items[:MAX_DIGEST_ITEMS], start=1):
        title = html.escape(one_line(item.title, MAX_DIGEST_TITLE))
        line = f"{rank}. {link(item.url, title) if links else title}"
        if item.section:
            line += f" · {html.escape(one_line(item.section, MAX_SECTION))}"
        if leads and (lead := one_line(item.lead, MAX_DIGEST_LEAD)):
            line += f"\n    {html.escape(lead)}"
        parts.append(line)
    return "\n".join(parts)


def render_digest(body: DigestBody, language: str) -> str:
    """The digest as one message: the dated title, then numbered linked titles, each with
    its section and one line of lead; within both of Telegram's limits whatever it holds."""
    for leads, links in ((True, True), (False, True), (False, False)):
        text = _digest_lines(body, language, leads=leads, links=links)
        if len(text.encode("utf-8")) <= MAX_BYTES and len(parsed_text(text)) <= MAX_TEXT:
            return text
    return text  # without leads and links it is under 2,500 characters, 15,000 bytes


def render_retraction(message: Outgoing, language: str) -> str:
    """What stands in place of a retracted copy that can no longer be deleted."""
    title = html.escape(one_line(message.title, MAX_TITLE))
    return f"<b>{html.escape(t(language, 'notice.retracted'))}</b>\n<s>{title}</s>"


def render_message(message: Outgoing, zone: ZoneInfo, language: str) -> str:
    if message.digest is not None:
        return render_digest(message.digest, language)
    if message.kind == AWAY:
        return render_away(message, zone, language)
    return render_headline(message, zone, language)
