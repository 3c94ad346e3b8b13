"""The App Home tab: a reader's own page in Slack, published with ``views.publish``.

It is made of what the reader would get by asking in their DM with the bot: their
subscriptions (``list``), the sections to subscribe to and the ones to drop (``subscribe``,
``unsubscribe`` without words: their buttons), today's most read (``top 7``) and the latest
headlines; each a Reply from the same Router, rendered by ``slack_replies`` with a dividing
line between. The whole view stays within Slack's 100 blocks: each part gets what the parts
before it left. The DM's channel id rides in ``private_metadata``, so a button pressed on the
tab acts on the reader's DM subscriptions, after which the tab is published again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from newsbot.conversation import Command, Conversations, Reply
from newsbot.platforms.slack_replies import MAX_VIEW_BLOCKS, reply_blocks, shows_anything

TOP = 7
LATEST = 5
# (command, its words) in the order shown, and the most blocks each may take
PARTS: tuple[tuple[str, tuple[str, ...], int], ...] = (
    ("list", (), 6),
    ("subscribe", (), 8),
    ("unsubscribe", (), 8),
    ("top", (str(TOP),), 2 * TOP + 3),
    ("latest", (str(LATEST),), 2 * LATEST + 3),
)


async def home_blocks(
    conversations: Conversations,
    user: str,
    channel: str,
    locale: str,
    words: Callable[[Reply], Reply] = lambda reply: reply,
) -> list[dict[str, Any]]:
    """``words``: how the platform words a reply (Slack's ``/news <word>``)."""
    blocks: list[dict[str, Any]] = []
    for part, (name, args, most) in enumerate(PARTS):
        command = Command("slack", channel, user, name, args, locale, chat_kind="private")
        reply = await conversations.command(command)
        if reply is None or not shows_anything(reply):
            continue
        if name == "unsubscribe" and not reply.buttons:
            continue  # nothing to drop: the list already says so
        room = MAX_VIEW_BLOCKS - len(blocks) - (1 if blocks else 0)
        if room < 1:
            break
        if blocks:
            blocks.append({"type": "divider"})
        blocks += reply_blocks(words(_for_home(reply)), budget=min(room, most), part=part)
    return blocks


def _for_home(reply: Reply) -> Reply:
    return Reply(header=reply.header, cards=reply.cards, notice=reply.notice, buttons=reply.buttons)


async def publish_home(
    client: AsyncWebClient,
    conversations: Conversations,
    user: str,
    channel: str,
    locale: str,
    *,
    words: Callable[[Reply], Reply] = lambda reply: reply,
) -> None:
    blocks = await home_blocks(conversations, user, channel, locale, words)
    await client.views_publish(
        user_id=user,
        view={"type": "home", "private_metadata": channel, "blocks": blocks},
    )
