"""Slack delivery through slack-sdk's AsyncWebClient: render, post, map errors to outcomes.

The Web API base URL is a setting (NEWSBOT_SLACK_API_URL) so the tests' fake stands in for
slack.com. The core owns retries, so the client gets no retry handlers at all: slack-sdk's
default would quietly retry connection errors after sleeping, behind the dispatcher's back.
The client also gets one aiohttp session for its lifetime (without one it opens a session,
and a connection, per call), and that session carries the timeout: slack-sdk applies its own
``timeout`` only to the sessions it makes itself.

What Slack says, and what the core hears:

    HTTP 429 / ratelimited          RateLimited(Retry-After, scope "global")
    5xx, timeout, connection error  Transient
    internal_error, fatal_error …   Transient
    channel_not_found, is_archived,
    not_in_channel, user_not_found,
    cannot_dm_bot …                 ChatGone: this chat cannot receive; stop sending there
    invalid_auth, token_revoked,
    account_inactive, missing_scope Transient, logged as an error: the token or the app is
                                    wrong, not the chat, so no chat is deactivated; rows
                                    back off and are sent once the operator fixes the token
    msg_too_long, invalid_blocks …  PermanentFailure

A 429 is "global": chat.postMessage is limited per workspace as well as per channel, and since
the dispatcher already paces each channel to Slack's one message a second, a 429 most likely
means the workspace-wide limit, which holds for every channel this token posts to.
``account_inactive`` means the token belongs to a deleted bot user or workspace, so it is the
operator's problem too.

Message ids are ``CHANNEL:TS``: Slack names a message by its channel and timestamp, and the
channel in the answer (a DM's ``D…`` id when posting to a user) is the one chat.update and
chat.delete need.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Mapping
from zoneinfo import ZoneInfo

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from newsbot.delivery.outcomes import (
    DELETED,
    EDITED,
    REPLACED,
    REPLIED,
    ChatGone,
    Outcome,
    Outgoing,
    PermanentFailure,
    RateLimited,
    Recipient,
    Sent,
    Transient,
)
from newsbot.delivery.pacing import Limits
from newsbot.errors import ConfigError
from newsbot.platforms.slack_render import SlackPost, plain, render_post, render_retraction

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://slack.com/api/"
# Slack publishes one message a second per channel and an unpublished workspace-wide limit;
# this overall pace stays well inside what one workspace tolerates, and 429s correct the rest.
OVERALL_PER_SECOND = 20.0

GONE = frozenset(
    {
        "channel_not_found",
        "is_archived",
        "not_in_channel",
        "user_not_found",
        "user_disabled",
        "cannot_dm_bot",
        "messages_tab_disabled",
        "restricted_action",
        "restricted_action_read_only_channel",
        "restricted_action_thread_only_channel",
        "restricted_action_non_threadable_channel",
    }
)
OPERATOR = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "token_expired",
        "account_inactive",
        "missing_scope",
        "not_allowed_token_type",
        "no_permission",
        "ekm_access_denied",
        "team_added_to_org",
    }
)
# The copy cannot be changed any more (deleted, too old for the workspace's edit window, or
# not the bot's to change): the correction or notice goes as a reply in its thread.
UNTOUCHABLE = frozenset(
    {"message_not_found", "cant_update_message", "edit_window_closed", "cant_delete_message"}
)
TRANSIENT = frozenset(
    {"internal_error", "fatal_error", "service_unavailable", "request_timeout", "ratelimited"}
)


@functools.lru_cache(maxsize=512)
def _rendered(message: Outgoing, timezone: str, language: str) -> SlackPost:
    """A fan-out or a minute's digests send one message to many channels: rendered once
    per zone and language, not once per channel (the post is never changed once made)."""
    return render_post(message, ZoneInfo(timezone), language)


def slack_limits(channel_per_second: float = 1.0) -> Limits:
    """The dispatcher's pace for Slack: channels and DMs alike get ``channel_per_second``."""
    return Limits(
        overall_per_second=OVERALL_PER_SECOND,
        per_chat_per_second=channel_per_second,
        per_group_per_minute=channel_per_second * 60,
    )


def message_ref(channel: str, ts: str) -> str:
    return f"{channel}:{ts}"


def parse_message_ref(message_id: str) -> tuple[str, str]:
    """``CHANNEL:TS`` back into its parts (ValueError for anything else)."""
    channel, sep, ts = message_id.partition(":")
    if not (channel and sep and ts):
        raise ValueError(f"not a Slack message id: {message_id!r}")
    return channel, ts


def _retry_after(headers: Mapping[str, str]) -> float:
    try:
        return max(0.0, float(headers.get("Retry-After", "")))
    except ValueError:
        return 1.0  # Slack always sends seconds; a missing header means "soon"


def outcome_of(status: int | None, error: str | None, headers: Mapping[str, str]) -> Outcome:
    """A failed Web API call onto the core's outcomes (see the module docstring)."""
    if status == 429 or error == "ratelimited":
        return RateLimited(_retry_after(headers), scope="global")
    if error in GONE:
        return ChatGone(f"slack: {error}")
    if error in OPERATOR:
        return Transient(
            f"slack rejected the token or app: {error} (check NEWSBOT_SLACK_BOT_TOKEN)"
        )
    if (status is not None and status >= 500) or error in TRANSIENT:
        return Transient(f"slack: {error or f'HTTP {status}'}")
    return PermanentFailure(f"slack: {error or f'HTTP {status}'}")


def chat_kind(chat_id: str) -> str:
    """A conversation as the pacer sees it from its id alone: a DM (``D…``) is a person's,
    anything else a channel."""
    return "slack_dm" if chat_id.startswith("D") else "slack_channel"


def _untouchable(outcome: Outcome) -> bool:
    return isinstance(outcome, PermanentFailure) and any(
        outcome.reason == f"slack: {error}" for error in UNTOUCHABLE
    )


def _api_error(exc: SlackApiError) -> tuple[int | None, str | None, Mapping[str, str]]:
    # Usually an AsyncSlackResponse; an aiohttp ClientResponse when the body was not JSON.
    response = exc.response
    status = getattr(response, "status_code", None) or getattr(response, "status", None)
    data = getattr(response, "data", None)
    error = data.get("error") if isinstance(data, dict) else None
    headers = getattr(response, "headers", None) or {}
    return status, (str(error) if error else None), headers


class SlackPlatform:
    name = "slack"

    def __init__(
        self,
        token: str,
        *,
        api_url: str = DEFAULT_API_URL,
        limits: Limits | None = None,
        timeout: float = 10.0,
        connections: int = 64,
    ) -> None:
        self.client = AsyncWebClient(
            token=token, base_url=api_url, timeout=max(1, round(timeout)), retry_handlers=[]
        )
        self.limits = limits or slack_limits()
        self._timeout = timeout
        self._connections = connections
        self._session: aiohttp.ClientSession | None = None
        self._operator_error: str | None = None

    async def start(self) -> None:
        """Open the session and check the token once, so a wrong one stops `newsbot run`."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._connections),
                timeout=aiohttp.ClientTimeout(total=self._timeout),
            )
            self.client.session = self._session
        try:
            who = await self.client.auth_test()
        except SlackApiError as exc:
            _, error, _ = _api_error(exc)
            if error in OPERATOR:
                await self.stop()
                raise ConfigError(
                    f"NEWSBOT_SLACK_BOT_TOKEN was rejected by Slack: {error}"
                ) from None
            log.warning("Slack auth.test failed (%s); sending anyway", error or exc)
        except (TimeoutError, aiohttp.ClientError) as exc:
            log.warning("Slack is unreachable at start (%s); sending anyway", type(exc).__name__)
        else:
            log.info("posting to Slack team %s as %s", who.get("team"), who.get("user"))

    async def stop(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None
        self.client.session = None

    async def send(self, recipient: Recipient, message: Outgoing) -> Outcome:
        copy = message.replaces_message_id
        if message.kind == "edit":
            if copy is not None:
                outcome = await self.edit(copy, recipient, message)
                if isinstance(outcome, Sent):
                    return Sent(copy, EDITED)
                if not _untouchable(outcome):
                    return outcome
            post = render_post(message, ZoneInfo(recipient.timezone), recipient.language)
            return await self._thread_reply(recipient, copy, post, REPLIED)
        if message.kind == "retraction":
            notice = render_retraction(message, recipient.language)
            for related in message.related_message_ids:  # corrections replied in its thread
                await self.delete(related)
            if copy is None:
                return await self._thread_reply(recipient, None, notice, REPLACED)
            outcome = await self.delete(copy)
            if isinstance(outcome, Sent) or outcome == PermanentFailure("slack: message_not_found"):
                return Sent(copy, DELETED)
            if not _untouchable(outcome):
                return outcome
            channel, ts = parse_message_ref(copy)
            updated = await self._call(
                channel,
                self.client.chat_update(
                    channel=channel, ts=ts, text=notice.text, blocks=notice.blocks
                ),
            )
            if isinstance(updated, Sent):
                return Sent(copy, REPLACED)
            if not _untouchable(updated):
                return updated
            return await self._thread_reply(recipient, copy, notice, REPLACED)
        post = _rendered(message, recipient.timezone, recipient.language)
        channel = recipient.platform_chat_id
        return await self._call(
            channel, self.client.chat_postMessage(channel=channel, **post.arguments())
        )

    async def edit(self, message_id: str, recipient: Recipient, message: Outgoing) -> Outcome:
        """Replace a message sent before (chat.update), e.g. with its correction."""
        channel, ts = parse_message_ref(message_id)
        post = render_post(message, ZoneInfo(recipient.timezone), recipient.language)
        return await self._call(
            channel,
            self.client.chat_update(channel=channel, ts=ts, text=post.text, blocks=post.blocks),
        )

    async def delete(self, message_id: str) -> Outcome:
        """Remove a message sent before (chat.delete), e.g. for a retraction."""
        channel, ts = parse_message_ref(message_id)
        return await self._call(channel, self.client.chat_delete(channel=channel, ts=ts))

    async def _thread_reply(
        self, recipient: Recipient, copy: str | None, post: SlackPost, how: str
    ) -> Outcome:
        channel = recipient.platform_chat_id
        thread = parse_message_ref(copy)[1] if copy is not None else None
        outcome = await self._call(
            channel,
            self.client.chat_postMessage(channel=channel, thread_ts=thread, **post.arguments()),
        )
        return Sent(outcome.message_id, how) if isinstance(outcome, Sent) else outcome

    async def edit_notice(self, chat_id: str, message_id: str | None, text: str) -> Outcome:
        """Rewrite a plain text message (an editor's progress) with chat.update."""
        if message_id is None:
            return await self._call(
                chat_id, self.client.chat_postMessage(channel=chat_id, text=text)
            )
        channel, ts = parse_message_ref(message_id)
        return await self._call(
            channel, self.client.chat_update(channel=channel, ts=ts, text=text, blocks=[])
        )

    async def post_plain(self, chat_id: str, text: str) -> Outcome:
        """An operator's plain text (an alert): ``&<>`` escaped, so nothing in it is a
        mention or a link, and cut to a readable length."""
        return await self._call(
            chat_id,
            self.client.chat_postMessage(channel=chat_id, text=plain(text), unfurl_links=False),
        )

    def chat_kind(self, chat_id: str) -> str:
        return chat_kind(chat_id)

    async def _call(self, channel: str, call: Awaitable[AsyncSlackResponse]) -> Outcome:
        try:
            response = await call
        except SlackApiError as exc:
            status, error, headers = _api_error(exc)
            if error in OPERATOR and error != self._operator_error:
                log.error("Slack rejected the token or app (%s): deliveries wait and retry", error)
            self._operator_error = error if error in OPERATOR else None
            return outcome_of(status, error, headers)
        except TimeoutError:
            return Transient(f"slack: no answer within {self._timeout:g} s")
        except aiohttp.ClientError as exc:
            return Transient(f"slack: aiohttp.{type(exc).__name__}: {exc}")
        self._operator_error = None
        ts = response.get("ts")
        answered = response.get("channel") or channel
        return Sent(message_ref(str(answered), str(ts)) if ts else None)
