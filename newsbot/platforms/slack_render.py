"""Slack ``chat.postMessage`` arguments for outgoing headlines: escaped, and within limits by
construction.

Slack treats ``&``, ``<`` and ``>`` as control characters in mrkdwn: ``<url|text>`` is a link,
``<!channel>`` and ``<@U123>`` are mentions. Every article field is escaped with exactly those
three entities (``html.escape(s, quote=False)``; Slack shows any other entity literally), so no
title or lead can add a link or ping a channel. Block text objects are also ``verbatim``, which
stops Slack from turning a bare ``@here`` or ``#channel`` into a mention or a link.

The limits are Slack's: a section's text at most 3,000 characters, at most 50 blocks, and a
top-level ``text`` Slack truncates beyond 40,000. They are counted on the string sent (after
escaping, since ``&`` becomes five characters), so each field is trimmed by its escaped length
and never cut in the middle of an entity. A message is one section block, plus a context line
for a "while you were away" list: never near 50 blocks.

Link unfurling is off. The block already shows the title and the lead, so an unfurl would repeat
them as a large card under every headline of a busy channel, and Slack would fetch the article
page for each post; a correction would also unfurl the page's current title and image, which may
be the very thing being corrected.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from newsbot.delivery.outcomes import AWAY, DigestBody, Headline, Outgoing
from newsbot.i18n import digest_title, t
from newsbot.platforms.labels import labelled

MAX_TEXT = 40_000  # top-level text, as Slack truncates it
MAX_SECTION_TEXT = 3_000  # a section block's text object
MAX_BLOCKS = 50  # blocks in one message
MAX_SECTION_NAME = 60  # escaped characters of the section's name on the meta line
MAX_TITLE = 600  # escaped characters of the title
MAX_LEAD = 900  # escaped characters of the lead, if the section has room
MAX_AWAY_TITLE = 200  # escaped characters of each title in a "while you were away" list
MAX_AWAY_LISTED = 10  # headlines listed in one such message; the rest are counted
MAX_URL = 1_500  # a longer link target is not linked at all rather than cut
ELLIPSIS = "…"


def escape(text: str) -> str:
    """Slack mrkdwn escaping: the three control characters, nothing else."""
    return html.escape(text, quote=False)


def fit(text: str, limit: int) -> str:
    """Whitespace collapsed, escaped, and at most ``limit`` characters once escaped.

    Trimming happens on the raw text, so an entity is never cut in half; a trimmed text ends
    with an ellipsis that counts towards the limit.
    """
    return _escaped_within(" ".join(text.split()), limit)


def _escaped_within(text: str, limit: int) -> str:
    escaped = escape(text)
    if len(escaped) <= limit:
        return escaped
    if limit < 1:
        return ""
    kept: list[str] = []
    used = len(ELLIPSIS)
    for char in text:
        piece = escape(char)
        if used + len(piece) > limit:
            break
        kept.append(piece)
        used += len(piece)
    return "".join(kept).rstrip() + ELLIPSIS


MAX_PLAIN = 4_000  # an operator's message: Slack's advice for a readable top-level text


def plain(text: str, limit: int = MAX_PLAIN) -> str:
    """An operator's plain text (an alert) escaped, lines kept, at most ``limit`` characters
    once escaped: a feed titled ``<!channel>`` pings no one and links nowhere."""
    return _escaped_within(text, limit)


def link_target(url: str) -> str | None:
    """The URL as a mrkdwn link target, or None when it cannot be one safely.

    Only http(s) URLs are linked. ``|`` would end the target and whitespace would break it, so
    both are percent-encoded; ``&``, ``<`` and ``>`` are escaped like any text.
    """
    url = url.strip()
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:  # e.g. an unbalanced IPv6 bracket
        return None
    if scheme not in {"http", "https"}:
        return None
    target = escape(url.replace("|", "%7C").replace(" ", "%20"))
    if len(target) > MAX_URL or any(char.isspace() for char in target):
        return None
    return target


@dataclass(frozen=True, slots=True)
class SlackPost:
    """What ``chat.postMessage`` (or ``chat.update``) is given besides the channel."""

    text: str
    blocks: list[dict[str, Any]]
    unfurl_links: bool = False
    unfurl_media: bool = False

    def arguments(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "blocks": self.blocks,
            "unfurl_links": self.unfurl_links,
            "unfurl_media": self.unfurl_media,
            "link_names": False,  # a bare @name in the fallback text pings no one
        }


def _when(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%m-%d %H:%M")


def _headline(url: str, title: str) -> str:
    target = link_target(url)
    if target:
        return f"<{target}|{title}>" if title else f"<{target}>"
    return title


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text, "verbatim": True}}


def _away_item(item: Headline, zone: ZoneInfo) -> str:
    section = fit(item.section or "", MAX_SECTION_NAME)
    meta = " · ".join(part for part in (section, _when(item.published_at, zone)) if part)
    return f"• {_headline(item.url, fit(item.title, MAX_AWAY_TITLE))}  {meta}"


def render_headline(message: Outgoing, zone: ZoneInfo, language: str = "ko") -> SlackPost:
    """A headline, breaking alert, correction or digest entry: one section block with the meta
    line (label, section, time in the chat's zone), the bold linked title, then the lead.

    Its text is at most MAX_SECTION_TEXT: the meta line and the linked title take at most
    about 2,200 characters, and the lead gets what is left, up to MAX_LEAD. The fallback text
    (what notifications and screen readers show) is the meta line and the title: under 800
    characters whatever the article holds.
    """
    when = _when(message.published_at, zone)
    section = fit(message.section or "", MAX_SECTION_NAME)
    label, title_text = labelled(
        message.kind, message.title, language, is_breaking=message.is_breaking
    )
    meta = " · ".join(part for part in (label, section, when) if part)
    title = fit(title_text, MAX_TITLE)
    headline = _headline(message.url, title)
    body = "\n".join(part for part in (meta, f"*{headline}*" if headline else "") if part)
    room = MAX_SECTION_TEXT - len(body) - 1  # the newline before the lead
    lead = fit(message.lead, min(MAX_LEAD, room))
    if lead:
        body = f"{body}\n{lead}"
    fallback = "\n".join(part for part in (meta, title) if part)
    return SlackPost(text=fallback, blocks=[_section(body)])


def render_away(message: Outgoing, zone: ZoneInfo, language: str) -> SlackPost:
    """The headlines held during quiet hours, newest first: a header and a list in one
    section, then a context line counting the ones not listed. At most MAX_AWAY_LISTED are
    listed, and fewer if they would not fit one section's 3,000 characters."""
    header = escape(t(language, "away.header", count=message.total))
    newest = Headline(message.title, message.url, message.section, message.published_at)
    lines = [f"*{header}*"]
    used = len(lines[0])
    for item in (newest, *message.also)[:MAX_AWAY_LISTED]:
        line = _away_item(item, zone)
        if used + 1 + len(line) > MAX_SECTION_TEXT:
            break
        lines.append(line)
        used += 1 + len(line)
    blocks = [_section("\n".join(lines))]
    if rest := message.total - (len(lines) - 1):
        more = escape(t(language, "away.more", count=rest))
        blocks.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": more, "verbatim": True}]}
        )
    return SlackPost(text=header, blocks=blocks)


MAX_DIGEST_ITEMS = 10
MAX_DIGEST_LEAD = 300


def render_digest(body: DigestBody, language: str) -> SlackPost:
    """The digest: a header block with the dated title, a context line when these are the
    latest rather than the most read, then one section per article (its number, linked
    title and section, and one line of lead). At most 13 blocks of at most ~1,000
    characters each, so always within Slack's 50 blocks and 3,000 characters a section."""
    title = digest_title(language, body.day, weekly=body.weekly)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": title[:150], "emoji": True}}
    ]
    notes = []
    if body.fell_back:
        notes.append(t(language, "digest.fell_back"))
    if not body.items:
        notes.append(t(language, "digest.empty"))
    for note in notes:
        blocks.append(
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": escape(note), "verbatim": True}],
            }
        )
    for rank, item in enumerate(body.items[:MAX_DIGEST_ITEMS], start=1):
        line = f"{rank}. *{_headline(item.url, fit(item.title, MAX_AWAY_TITLE))}*"
        if item.section:
            line += f" · {fit(item.section, MAX_SECTION_NAME)}"
        if lead := fit(item.lead, MAX_DIGEST_LEAD):
            line += f"\n{lead}"
        blocks.append(_section(line))
    return SlackPost(text=fit(title, MAX_TITLE), blocks=blocks)


def render_retraction(message: Outgoing, language: str) -> SlackPost:
    """What stands in place of a retracted copy that could not be deleted."""
    notice = escape(t(language, "notice.retracted"))
    title = fit(message.title, MAX_TITLE)
    return SlackPost(text=notice, blocks=[_section(f"*{notice}*\n~{title}~")])


def render_post(message: Outgoing, zone: ZoneInfo, language: str = "ko") -> SlackPost:
    """Slack arguments for one outgoing message, in the chat's zone and language."""
    if message.digest is not None:
        return render_digest(message.digest, language)
    if message.kind == AWAY:
        return render_away(message, zone, language)
    return render_headline(message, zone, language)
