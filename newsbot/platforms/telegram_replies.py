"""Replies to readers as Telegram HTML with inline keyboards, within limits by construction.

Every piece of text is escaped; matched words (character ranges from search) become <b>.
The parsed text is counted in UTF-16 code units (at least Telegram's count) and the raw text
in bytes; cards that would pass ``MAX_TEXT`` or ``MAX_RAW_BYTES`` are left out for a
closing "…", so no reply can be refused as too long.
Buttons carry tokens of at most 64 bytes already (handlers.replies.Button checks).
"""

from __future__ import annotations

import html
from itertools import groupby
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from newsbot.conversation import ArticleCard, Button, Marks, Preview, Reply
from newsbot.delivery.outcomes import Outgoing
from newsbot.platforms.telegram_render import link, one_line, render_message

MAX_TEXT = 4096
MAX_RAW_BYTES = 32_768  # the message as sent, markup and entities included
MAX_HEADER = 300
MAX_NOTICE = 1500
MAX_TITLE = 200
MAX_SNIPPET = 220
MAX_SECTION = 40
MAX_BUTTON_LABEL = 40
ELLIPSIS = "…"


def units(text: str) -> int:
    """Length as Telegram measures messages: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _trim(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + ELLIPSIS


def _with_marks(text: str, marks: Marks, limit: int) -> tuple[str, str]:
    """(escaped HTML with <b> around the marks, the visible text), cut to `limit` chars."""
    cut = len(text) > limit
    shown = text[: limit - 1] if cut else text
    out: list[str] = []
    position = 0
    for start, end in sorted(marks):
        start, end = max(start, position), min(end, len(shown))
        if start >= end:
            continue
        out.append(html.escape(shown[position:start]))
        out.append("<b>" + html.escape(shown[start:end]) + "</b>")
        position = end
    out.append(html.escape(shown[position:]))
    if cut:
        out.append(ELLIPSIS)
        shown += ELLIPSIS
    return "".join(out), shown


def _card(card: ArticleCard) -> tuple[str, str]:
    """(HTML, visible text) of one article in a list."""
    title_html, title_text = _with_marks(card.title, card.title_marks, MAX_TITLE)
    rank = f"{card.rank}. " if card.rank is not None else ""
    breaking = "🔴 " if card.is_breaking else ""
    meta_parts = [one_line(card.section, MAX_SECTION) if card.section else "", card.published]
    if card.views is not None:
        meta_parts.append(f"👁 {card.views:,}")
    meta = " · ".join(p for p in meta_parts if p)
    if card.compact:
        line = f"{rank}{breaking}{link(card.url, title_html)} · {html.escape(meta)}"
        return line, f"{rank}{breaking}{title_text} · {meta}"
    parts_html = [f"{rank}{breaking}{link(card.url, title_html)}", html.escape(meta)]
    parts_text = [f"{rank}{breaking}{title_text}", meta]
    if card.snippet:
        snippet = " ".join(card.snippet.split())
        marks = card.snippet_marks if snippet == card.snippet else ()
        snippet_html, snippet_text = _with_marks(snippet, marks, MAX_SNIPPET)
        parts_html.append(snippet_html)
        parts_text.append(snippet_text)
    return "\n".join(parts_html), "\n".join(parts_text)


def render_preview(preview: Preview) -> str:
    """The message readers will get, rendered as deliveries are."""
    outgoing = Outgoing.of_preview(preview)
    return render_message(outgoing, ZoneInfo(preview.zone), "ko")


def render_reply(reply: Reply) -> str:
    """The message text; empty when the reply has nothing to show (a toast only)."""
    blocks_html: list[str] = []
    blocks_text: list[str] = []
    if reply.header:
        header = _trim(reply.header.strip(), MAX_HEADER)
        blocks_html.append(f"<b>{html.escape(header)}</b>")
        blocks_text.append(header)
    if reply.notice:
        notice = _trim(reply.notice.strip(), MAX_NOTICE)
        blocks_html.append(html.escape(notice))
        blocks_text.append(notice)
    if reply.preview is not None:
        # As the delivery will render it (at most ~1,000 characters: title and lead trimmed).
        preview = render_preview(reply.preview)
        blocks_html.append(preview)
        blocks_text.append(preview)
    used = units("\n\n".join(blocks_text))
    used_bytes = len("\n\n".join(blocks_html).encode("utf-8"))
    reserve = units("\n\n" + ELLIPSIS)
    for card in reply.cards:
        card_html, card_text = _card(card)
        cost = units("\n\n" + card_text)
        cost_bytes = len(("\n\n" + card_html).encode("utf-8"))
        if used + cost + reserve > MAX_TEXT or used_bytes + cost_bytes + 16 > MAX_RAW_BYTES:
            blocks_html.append(ELLIPSIS)
            break
        blocks_html.append(card_html)
        used += cost
        used_bytes += cost_bytes
    return "\n\n".join(blocks_html)


def keyboard(buttons: tuple[Button, ...]) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    rows = [
        [
            InlineKeyboardButton(one_line(b.label, MAX_BUTTON_LABEL), callback_data=b.token)
            for b in row
        ]
        for _, row in groupby(sorted(buttons, key=lambda b: b.row), key=lambda b: b.row)
    ]
    return InlineKeyboardMarkup(rows)
