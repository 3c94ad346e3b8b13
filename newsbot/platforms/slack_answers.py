"""Answers to Slack readers: rendered as Block Kit, sent within the channel's pace.

Three ways out: Slack's ``response_url`` (answers to slash commands and buttons, and edits of
the message a button was on), ``chat.postMessage`` (DMs, greetings, changes everyone in a
channel sees) and ``chat.postEphemeral`` (an answer to a mention, for the asker alone).
Messages the channel sees take its slot in the ``Pacer`` the dispatcher paces pushes with;
answers to one person do not (they are no channel message); all wait out ``ratelimited``,
up to ``MAX_REPLY_WAIT`` seconds. A channel Slack says the bot is no longer in is reported
to ``Conversations.left``.

The catalogs name commands as Telegram has them (``/subscribe``); on Slack each is a word
after ``/news``, so known ones are rewritten here (``in_slack_words``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook.async_client import AsyncWebhookClient

from newsbot.conversation import Conversations, Reply
from newsbot.delivery.pacing import Pacer
from newsbot.platforms.slack import SlackPlatform, _api_error, _retry_after
from newsbot.platforms.slack_render import escape
from newsbot.platforms.slack_replies import render_reply

log = logging.getLogger(__name__)

PLATFORM = "slack"
SLASH_COMMAND = "/news"
MAX_REPLY_WAIT = 600.0  # seconds of ratelimited an answer waits out before it is given up
_SLASH_WORD = re.compile(r"(?<![\w/.:])/([a-z_]+)\b")


def chat_kind(channel: str) -> str:
    """A DM is the reader's own (``private``: plain text is a search, the reader is in
    charge); anything else is a channel."""
    return "private" if channel.startswith("D") else "slack_channel"


class SlackAnswers:
    def __init__(self, platform: SlackPlatform, conversations: Conversations, pacer: Pacer) -> None:
        self.platform = platform
        self.conversations = conversations
        self.pacer = pacer

    async def respond(
        self, url: str, channel: str, reply: Reply, *, public: bool, who: str, said: str
    ) -> None:
        rendered = render_reply(self.in_slack_words(reply))
        blocks = rendered.blocks
        if public:  # everyone sees who changed the channel's subscriptions, and how
            blocks = [*blocks[:49], _who(who, said)]
        payload = {
            "text": rendered.text,
            "blocks": blocks,
            "response_type": "in_channel" if public else "ephemeral",
            "unfurl_links": False,  # the card already shows the article
            "unfurl_media": False,
        }
        await self.post_url(url, channel, payload)

    def in_slack_words(self, reply: Reply) -> Reply:
        """The catalogs name commands as Telegram has them (``/subscribe``); on Slack each is
        a word after ``/news``. Only words the registry knows are rewritten."""

        def word(match: re.Match[str]) -> str:
            name = match.group(1)
            known = self.conversations.command_name(name) is not None
            return f"{SLASH_COMMAND} {name}" if known else match.group(0)

        return dataclasses.replace(
            reply,
            header=_SLASH_WORD.sub(word, reply.header),
            notice=_SLASH_WORD.sub(word, reply.notice),
            toast=_SLASH_WORD.sub(word, reply.toast),
        )

    async def post_url(self, url: str, channel: str, payload: dict[str, Any]) -> None:
        """A POST to Slack's ``response_url`` (answers and edits without a Web API call)."""
        if not url:
            return
        hook = AsyncWebhookClient(url, session=self.platform.client.session)

        async def call() -> None:
            response = await hook.send_dict(payload)
            if response.status_code == 429:
                raise _Limited(_retry_after(response.headers or {}))
            if response.status_code >= 400:
                log.warning(
                    "slack: response_url answered %s: %s", response.status_code, response.body
                )

        # Only what the channel sees takes the channel's slot; an answer to one person does not
        # (it is no channel message), but still waits out ratelimited.
        public = payload.get("response_type") == "in_channel"
        await self._paced(channel, call, reserve=public)

    async def post(
        self, channel: str, reply: Reply, *, user: str | None = None, who: str | None = None
    ) -> None:
        """chat.postMessage, or chat.postEphemeral to ``user`` alone."""
        rendered = render_reply(self.in_slack_words(reply))
        blocks = rendered.blocks if who is None else [*rendered.blocks[:49], _who(who, "")]
        client = self.platform.client

        async def call() -> None:
            try:
                if user is not None:
                    await client.chat_postEphemeral(
                        channel=channel, user=user, text=rendered.text, blocks=blocks
                    )
                else:
                    await client.chat_postMessage(
                        channel=channel,
                        text=rendered.text,
                        blocks=blocks,
                        unfurl_links=False,
                        unfurl_media=False,
                    )
            except SlackApiError as problem:
                status, error, headers = _api_error(problem)
                if status == 429 or error == "ratelimited":
                    raise _Limited(_retry_after(headers)) from None
                if error in ("not_in_channel", "channel_not_found", "is_archived"):
                    await self.conversations.left(PLATFORM, channel, f"slack: {error}")
                    return
                log.warning("slack: could not answer channel=%s: %s", channel, error)

        await self._paced(channel, call, reserve=user is None)

    async def _paced(
        self, channel: str, call: Callable[[], Awaitable[None]], *, reserve: bool = True
    ) -> None:
        """Make the call in the channel's next slot (``reserve``: a message the channel sees;
        else only once a hold Slack asked for is over); wait out ratelimited, try again."""
        limited = 0.0
        while True:
            wait = (
                self.pacer.reserve(channel, chat_kind(channel))
                if reserve
                else self.pacer.chat_wait(channel)
            )
            if wait > 0:
                await asyncio.sleep(wait)
            try:
                await call()
                return
            except _Limited as answer:
                limited += answer.seconds
                if limited > MAX_REPLY_WAIT:
                    log.warning("slack: gave up answering channel=%s after ratelimited", channel)
                    return
                log.info(
                    "slack: ratelimited in channel=%s; answering in %.0f s", channel, answer.seconds
                )
                self.pacer.hold_chat(channel, answer.seconds)
            except (aiohttp.ClientError, TimeoutError) as problem:
                log.warning("slack: could not answer channel=%s: %r", channel, problem)
                return


class _Limited(Exception):
    def __init__(self, seconds: float) -> None:
        super().__init__(seconds)
        self.seconds = seconds


def _who(user: str, said: str) -> dict[str, Any]:
    """A context line naming who asked, and what: ``<@U…> · /news subscribe 행정``."""
    text = (
        f"<@{user}>" + (f" · {escape(said)}" if said else "")
        if re.fullmatch(r"[A-Z0-9]+", user)
        else escape(said)
    )
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text[:2000]}]}
