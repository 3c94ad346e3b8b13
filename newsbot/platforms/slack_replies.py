"""Replies to readers as Slack Block Kit, within Slack's limits by construction.

A Reply becomes: a header block (plain text, at most 150 characters, one line) or, for a
longer header, a section; the notice as a section; an editor's preview as the delivery
renderer draws it; each article as a section (rank, linked
title, snippet) with a context line under it (section, time in the reader's zone, views), or,
for compact lists, one line each in shared sections; then the buttons, a row an actions block
of at most 25. Every text passes through ``slack_render.fit`` (the three mrkdwn control
characters escaped, trimmed by escaped length) and text objects are ``verbatim``, so no
article or query can link, ping ``@channel`` or reach past a limit. Cards that would pass the
block budget (50 in a message, 100 in a Home tab) are left out for a closing "…".

Button ``action_id``s are ``nb:<part>:<n>``: unique in a message and a Home tab, and one
listener pattern (``ACTION_PATTERN``) catches them all; the token rides in ``value``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import groupby
from typing import Any
from zoneinfo import ZoneInfo

from newsbot.conversation import ArticleCard, Button, Preview, Reply
from newsbot.delivery.outcomes import Outgoing
from newsbot.platforms.slack_render import ELLIPSIS, escape, fit, link_target, render_post

MAX_BLOCKS = 50  # in a message
MAX_VIEW_BLOCKS = 100  # in a Home tab or modal
MAX_HEADER = 150  # a header block's plain text
MAX_SECTION_TEXT = 3_000
MAX_CONTEXT_TEXT = 2_000
MAX_ACTIONS = 25  # elements in one actions block
MAX_LABEL = 75  # a button's text
MAX_FALLBACK = 3_000  # the notification text; Slack truncates far later
MAX_TITLE = 300
MAX_SNIPPET = 500
MAX_META = 200
ACTION_PATTERN = re.compile(r"^nb:")
Block = dict[str, Any]


@dataclass(frozen=True, slots=True)
class SlackReply:
    text: str  # the fallback for notifications and screen readers
    blocks: list[Block]


def _mrkdwn(text: str) -> Block:
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def _section(text: str) -> Block:
    return {"type": "section", "text": _mrkdwn(text)}


def _context(text: str) -> Block:
    return {"type": "context", "elements": [_mrkdwn(text)]}


def _plain(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + ELLIPSIS


def _title(card: ArticleCard) -> str:
    title = fit(card.title, MAX_TITLE) or escape(card.url[:100])
    target = link_target(card.url)
    linked = f"<{target}|{title}>" if target else title
    rank = f"{card.rank}. " if card.rank is not None else ""
    return f"{rank}{'🔴 ' if card.is_breaking else ''}*{linked}*"


def _meta(card: ArticleCard) -> str:
    parts = [card.section or "", card.published]
    if card.views is not None:
        parts.append(f"👁 {card.views:,}")
    return fit(" · ".join(p for p in parts if p), MAX_META)


def _card_blocks(card: ArticleCard) -> list[Block]:
    body = _title(card)
    if card.snippet:
        body += "\n" + fit(card.snippet, MAX_SNIPPET)
    blocks = [_section(body)]
    if meta := _meta(card):
        blocks.append(_context(meta))
    return blocks


def _compact_sections(cards: tuple[ArticleCard, ...], room: int) -> tuple[list[Block], int]:
    """Compact cards, a line each, packed into as few sections as fit; (blocks, cards used)."""
    blocks: list[Block] = []
    lines: list[str] = []
    used = 0
    shown = 0
    for card in cards:
        line = f"{_title(card)}  {_meta(card)}"
        if lines and used + 1 + len(line) > MAX_SECTION_TEXT:
            if len(blocks) + 1 >= room:
                break
            blocks.append(_section("\n".join(lines)))
            lines, used = [], 0
        lines.append(line)
        used += len(line) + (1 if len(lines) > 1 else 0)
        shown += 1
    if lines and len(blocks) < room:
        blocks.append(_section("\n".join(lines)))
    elif lines:
        shown -= len(lines)
    return blocks, shown


def preview_blocks(preview: Preview) -> list[Block]:
    """The message readers will get, rendered as deliveries are (one section block)."""
    return render_post(Outgoing.of_preview(preview), ZoneInfo(preview.zone)).blocks


def button_blocks(buttons: tuple[Button, ...], part: int = 0) -> list[Block]:
    """A row of buttons per actions block, split at 25; labels at most 75 characters."""
    blocks: list[Block] = []
    number = 0
    ordered = sorted(buttons, key=lambda b: b.row)
    for _, row in groupby(ordered, key=lambda b: b.row):
        row_buttons = list(row)
        for start in range(0, len(row_buttons), MAX_ACTIONS):
            elements = []
            for button in row_buttons[start : start + MAX_ACTIONS]:
                label = _plain(button.label, MAX_LABEL) or "·"
                elements.append(
                    {
                        "type": "button",
                        "action_id": f"nb:{part}:{number}",
                        "text": {"type": "plain_text", "text": label, "emoji": True},
                        "value": button.token,
                    }
                )
                number += 1
            blocks.append({"type": "actions", "elements": elements})
    return blocks


def reply_blocks(reply: Reply, *, budget: int = MAX_BLOCKS, part: int = 0) -> list[Block]:
    """The reply's blocks, at most ``budget`` of them (buttons and the header always fit
    first; articles fill what is left)."""
    head: list[Block] = []
    header = reply.header.strip()
    if header and "\n" not in header and len(header) <= MAX_HEADER:
        head.append(
            {"type": "header", "text": {"type": "plain_text", "text": header, "emoji": True}}
        )
    elif header:
        head.append(_section(fit_lines(header)))
    if reply.notice.strip():
        head.append(_section(fit_lines(reply.notice.strip())))
    if reply.preview is not None:  # an editor's draft, exactly as readers will see it
        head.extend(preview_blocks(reply.preview))
    tail = button_blocks(reply.buttons, part)
    # Buttons beyond the budget are dropped from the end (no reply has that many rows).
    tail = tail[: max(0, budget - len(head))]
    head = head[: budget - len(tail)]
    room = budget - len(head) - len(tail)
    cards: list[Block] = []
    left_out = False
    compact = tuple(c for c in reply.cards if c.compact)
    if compact and len(compact) == len(reply.cards):
        cards, shown = _compact_sections(compact, room - 1 if room > 1 else room)
        left_out = shown < len(compact)
    else:
        for index, card in enumerate(reply.cards):
            blocks = _card_blocks(card)
            last = index == len(reply.cards) - 1
            if len(cards) + len(blocks) + (0 if last else 1) > room:
                left_out = True
                break
            cards.extend(blocks)
    if left_out and len(cards) < room:
        cards.append(_context(ELLIPSIS))
    return head + cards + tail


def fit_lines(text: str, limit: int = MAX_SECTION_TEXT) -> str:
    """Like ``fit`` but keeping line breaks (help, lists): escaped, at most ``limit``."""
    lines = [" ".join(line.split()) for line in text.splitlines()]
    out: list[str] = []
    used = 0
    for number, line in enumerate(lines):
        piece = escape(line)
        cost = len(piece) + (1 if out else 0)
        if used + cost > limit:
            room = limit - used - (1 if out else 0)
            if room > len(ELLIPSIS):
                out.append(fit(line, room))
            elif out:  # no room for even "…" here: the line before ends in it instead,
                # trimmed on its raw text so an entity such as &lt; is never cut in half
                out[-1] = fit(lines[number - 1], len(out[-1]) - 1)
            break
        out.append(piece)
        used += cost
    return "\n".join(out)


def fallback_text(reply: Reply) -> str:
    """What a notification shows: the header, else the notice, else the first title."""
    for text in (reply.header, reply.notice, *(c.title for c in reply.cards), reply.toast):
        if text.strip():
            return fit(text, MAX_FALLBACK)
    return ELLIPSIS


def render_reply(reply: Reply, *, budget: int = MAX_BLOCKS, part: int = 0) -> SlackReply:
    return SlackReply(fallback_text(reply), reply_blocks(reply, budget=budget, part=part))


def shows_anything(reply: Reply) -> bool:
    return bool(reply.header.strip() or reply.notice.strip() or reply.cards or reply.buttons)
