"""The Slack side readers talk to: slack-bolt's ``AsyncApp`` in, Block Kit replies out.

A thin translator, like ``telegram_bot``. Slash commands (``/news <word> …``), buttons
(``block_actions``), mentions, DMs, the App Home and channel membership reach one ``AsyncApp``,
either over HTTP (a ``POST /slack/events`` route on the process's one server, each request
handed to ``AsyncApp.async_dispatch`` through bolt's aiohttp converters; bolt checks the
signing secret and the five-minute window, 401 otherwise) or over Socket Mode
(``slack_socket``). Each becomes a neutral Command or ButtonPress for the ``Conversations``
it was given; the words after ``/news`` are looked up through it, so ``/news 검색 드론`` is the
same command as Telegram's ``/search 드론``.

Every listener acknowledges first (bolt answers Slack as soon as ``ack()`` is called; the work
goes on after), then claims the request once (``claim``: a row per event id or trigger id in
the store), so an event Slack sends again, to this process or another, is acted on once.
Answers only the asker needs are ephemeral; subscription changes in a channel are posted
there with who made them (``slack_answers`` sends both, within the channel's pace).
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError

from newsbot.conversation import ButtonPress, Command, Conversations, Reply
from newsbot.delivery.pacing import Pacer
from newsbot.platforms.slack import SlackPlatform
from newsbot.platforms.slack_answers import (
    PLATFORM,
    SLASH_COMMAND,
    SlackAnswers,
    chat_kind,
)
from newsbot.platforms.slack_directory import SlackDirectory
from newsbot.platforms.slack_home import publish_home
from newsbot.platforms.slack_render import escape
from newsbot.platforms.slack_replies import ACTION_PATTERN, render_reply, shows_anything
from newsbot.platforms.web import HttpServer

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
PUBLIC = frozenset({"subscribe", "unsubscribe"})  # changes everyone in the channel sees
HOME_CHANGES = PUBLIC | {"settings"}  # what the Home tab shows of a DM, changed by typing
_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
Claim = Callable[[str], Awaitable[bool]]


class SlackFrontend:
    """Readers on Slack. ``server``: HTTP mode, a route on the process's one server (added
    here, served by its owner); None in Socket Mode (``slack_socket`` feeds ``self.app``)."""

    def __init__(
        self,
        platform: SlackPlatform,
        conversations: Conversations,
        directory: SlackDirectory,
        *,
        claim: Claim,
        signing_secret: str | None,
        pacer: Pacer | None = None,
        server: HttpServer | None = None,
    ) -> None:
        self.platform = platform
        self.conversations = conversations
        self.directory = directory
        self.claim = claim
        self.pacer = pacer or Pacer(platform.limits)
        self.app = AsyncApp(
            client=platform.client,
            signing_secret=signing_secret or "",
            # Socket Mode requests carry no signature (bolt skips the check for them).
            request_verification_enabled=signing_secret is not None,
            process_before_response=False,
            logger=logging.getLogger("slack_bolt"),
        )
        self.answers = SlackAnswers(platform, conversations, self.pacer)
        self._register()
        if server is not None:
            server.route("POST", EVENTS_PATH, self.handle_http)

    async def start(self) -> None:
        return None  # bolt needs no start: requests arrive on the server or the socket

    async def stop(self) -> None:
        return None

    async def handle_http(self, request: web.Request) -> web.Response:
        """One request from Slack: bolt verifies, acknowledges and routes it."""
        response = await self.app.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(response)

    def _register(self) -> None:
        self.app.command(SLASH_COMMAND)(self._on_command)
        self.app.action(ACTION_PATTERN)(self._on_action)
        self.app.event("app_mention")(self._on_mention)
        self.app.event("message")(self._on_message)
        self.app.event("app_home_opened")(self._on_home)
        self.app.event("member_joined_channel")(self._on_joined)
        self.app.event("member_left_channel")(self._on_left)
        self.app.event("channel_archive")(self._on_archived)
        self.app.event("group_archive")(self._on_archived)
        self.app.event("app_uninstalled")(self._on_uninstalled)
        self.app.event("tokens_revoked")(self._on_uninstalled)

    # --- once ----------------------------------------------------------------------------

    async def _first(self, key: str | None) -> bool:
        """Whether this request is new (a retry, or one another process took, is not)."""
        if not key:
            return True
        try:
            return await self.claim(f"{PLATFORM}:{key}")
        except Exception:  # the store is down: better to answer twice than never
            log.exception("slack: could not record request %s; acting on it anyway", key)
            return True

    # --- commands ------------------------------------------------------------------------

    async def _on_command(self, ack: Callable[..., Awaitable[Any]], body: dict[str, Any]) -> None:
        await ack()
        if not await self._first(f"trigger:{body.get('trigger_id', '')}"):
            return
        channel, user = str(body.get("channel_id", "")), str(body.get("user_id", ""))
        words = tuple(str(body.get("text", "")).split())
        locale = await self.directory.locale(user)
        name, reply = await self._ask(channel, user, words, locale, plain_is_search=False)
        if reply is None or not shows_anything(reply):
            return
        public = await self._is_public(name, channel, user, words)
        said = f"{SLASH_COMMAND} {' '.join(words)}".strip()
        await self.answers.respond(
            str(body.get("response_url", "")), channel, reply, public=public, who=user, said=said
        )
        await self._refresh_home(name, channel, user, locale)

    async def _refresh_home(self, name: str | None, channel: str, user: str, locale: str) -> None:
        """A reader who changed their DM subscriptions by typing sees it on the Home tab."""
        if name in HOME_CHANGES and chat_kind(channel) == "private":
            await self.publish_home(user, channel, locale)

    async def _ask(
        self,
        channel: str,
        user: str,
        words: tuple[str, ...],
        locale: str,
        *,
        plain_is_search: bool,
    ) -> tuple[str | None, Reply | None]:
        """The words as a command (the first names it), or, when it names none, a search
        (``plain_is_search``) or what the router says to plain text."""
        first = words[0].lstrip("/") if words else ""
        name = self.conversations.command_name(first) if first else "help"
        if name == "help":
            return name, self._help(locale)
        command = Command(
            platform=PLATFORM,
            chat_id=channel,
            user_id=user,
            name=name or first,
            args=words[1:] if name else words,
            locale=locale,
            chat_kind=chat_kind(channel),
        )
        if name is None and plain_is_search:
            command = dataclasses.replace(command, name="search", args=words)
            return "search", await self.conversations.command(command)
        if name is None and chat_kind(channel) == "private":
            return None, await self.conversations.text(command)
        return name, await self.conversations.command(command)

    async def _is_public(
        self, name: str | None, channel: str, user: str, words: tuple[str, ...]
    ) -> bool:
        """Whether the answer goes to the whole channel: a change to its subscriptions by
        someone Slack says runs it (a refusal, or the menu alone, stays with the asker)."""
        if name not in PUBLIC or len(words) < 2 or chat_kind(channel) == "private":
            return False
        return await self.directory.is_chat_admin(channel, user)

    def _help(self, locale: str) -> Reply:
        """``/news help``: the registry's menu, as ``/news <word>`` lines."""
        lines = [
            f"{SLASH_COMMAND} {e.command} — {e.description}"
            for e in self.conversations.menu(locale)
        ]
        return Reply(header=SLASH_COMMAND, notice="\n".join(lines))

    # --- buttons -------------------------------------------------------------------------

    async def _on_action(self, ack: Callable[..., Awaitable[Any]], body: dict[str, Any]) -> None:
        await ack()
        if not await self._first(f"trigger:{body.get('trigger_id', '')}"):
            return
        user = str((body.get("user") or {}).get("id", ""))
        actions = body.get("actions") or [{}]
        token = str(actions[0].get("value", ""))
        view = body.get("view") or {}
        in_home = (body.get("container") or {}).get("type") == "view"
        channel = str(
            view.get("private_metadata") if in_home else (body.get("channel") or {}).get("id", "")
        )
        if not token or not channel:
            return
        locale = await self.directory.locale(user)
        press = ButtonPress(PLATFORM, channel, user, token, locale, chat_kind(channel))
        reply = await self.conversations.press(press)
        if in_home:
            await self.publish_home(user, channel, locale)
            return
        if reply is None:
            return
        url = str(body.get("response_url", ""))
        if reply.toast and not shows_anything(reply):
            await self.answers.post_url(
                url,
                channel,
                {
                    "text": escape(self.answers.in_slack_words(reply).toast),
                    "replace_original": False,
                    "response_type": "ephemeral",
                },
            )
            return
        if shows_anything(reply):
            rendered = render_reply(self.answers.in_slack_words(reply))
            payload: dict[str, Any] = {"text": rendered.text, "blocks": rendered.blocks}
            if reply.edit:
                payload["replace_original"] = True
            else:
                payload |= {"replace_original": False, "response_type": "ephemeral"}
            await self.answers.post_url(url, channel, payload)

    # --- events --------------------------------------------------------------------------

    async def _on_mention(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        if not await self._first(f"event:{body.get('event_id', '')}"):
            return
        channel, user = str(event.get("channel", "")), str(event.get("user", ""))
        words = tuple(_MENTION.sub(" ", str(event.get("text", ""))).split())
        locale = await self.directory.locale(user)
        name, reply = await self._ask(channel, user, words, locale, plain_is_search=True)
        if reply is None or not shows_anything(reply):
            return
        public = await self._is_public(name, channel, user, words)
        await self.answers.post(
            channel, reply, user=None if public else user, who=user if public else None
        )

    async def _on_message(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
            return  # only what a person types in their DM with the bot
        if not await self._first(f"event:{body.get('event_id', '')}"):
            return
        channel, user = str(event.get("channel", "")), str(event.get("user", ""))
        words = tuple(str(event.get("text", "")).split())
        locale = await self.directory.locale(user)
        name, reply = await self._ask(channel, user, words, locale, plain_is_search=False)
        if reply is not None and shows_anything(reply):
            await self.answers.post(channel, reply)
        await self._refresh_home(name, channel, user, locale)

    async def _on_home(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        if event.get("tab", "home") != "home":
            return
        if not await self._first(f"event:{body.get('event_id', '')}"):
            return
        user, channel = str(event.get("user", "")), str(event.get("channel", ""))
        await self.publish_home(user, channel, await self.directory.locale(user))

    async def publish_home(self, user: str, channel: str, locale: str) -> None:
        try:
            await publish_home(
                self.platform.client,
                self.conversations,
                user,
                channel,
                locale,
                words=self.answers.in_slack_words,
            )
        except SlackApiError as problem:
            log.warning("slack: could not publish the home tab of %s: %s", user, problem)

    async def _on_joined(
        self, body: dict[str, Any], event: dict[str, Any], context: dict[str, Any]
    ) -> None:
        if event.get("user") != context.get("bot_user_id"):
            return
        if not await self._first(f"event:{body.get('event_id', '')}"):
            return
        channel = str(event.get("channel", ""))
        inviter = str(event.get("inviter") or event.get("user") or "")
        command = Command(
            platform=PLATFORM,
            chat_id=channel,
            user_id=inviter,
            name="joined",
            locale=await self.directory.locale(inviter) if inviter else "ko",
            chat_kind=chat_kind(channel),
        )
        reply = await self.conversations.joined(command)
        if reply is not None:
            await self.answers.post(channel, reply)

    async def _on_left(
        self, body: dict[str, Any], event: dict[str, Any], context: dict[str, Any]
    ) -> None:
        if event.get("user") == context.get("bot_user_id"):
            await self.conversations.left(
                PLATFORM, str(event.get("channel", "")), "removed the app from the channel"
            )

    async def _on_uninstalled(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        """The workspace removed the app: an operator's matter, as ``invalid_auth`` is to the
        dispatcher (#4): chats are kept, deliveries wait and retry until it is reinstalled."""
        log.error(
            "slack: %s in team %s: Slack readers and deliveries wait until the app is "
            "installed again (then set the new NEWSBOT_SLACK_BOT_TOKEN)",
            event.get("type"),
            body.get("team_id"),
        )

    async def _on_archived(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        await self.conversations.left(PLATFORM, str(event.get("channel", "")), "channel archived")
