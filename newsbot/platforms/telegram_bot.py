"""The Telegram side readers talk to: updates in, replies out, through python-telegram-bot.

A thin translator. A PTB ``Application`` (sharing the delivery adapter's ``Bot``, so one
connection pool and one token) receives updates by long polling, or through a webhook: a route on
the process's one HTTP server (``newsbot.platforms.web``) that checks Telegram's secret header
on every request. Updates are taken only while this frontend runs (on the leader); another
process behind the same address answers 503 and Telegram sends the update again.
Each update becomes a neutral Command or ButtonPress for the ``Conversations`` it was given;
the Reply comes back as HTML with an inline keyboard, sent anew or edited in place. Who may
do what is not decided here: the permission gate asks ``telegram_directory``.

A reply is never dropped for flood control. It takes the chat's next slot from the same
``Pacer`` the dispatcher paces pushes with, so the two never collide: a reply goes at the
chat's next free slot, ahead of the pushes not yet sent there (the dispatcher finds the
slot taken and waits or puts its row back). When Telegram answers 429 anyway, the chat is
held for what Telegram said and the reply goes then; only after ``MAX_REPLY_WAIT`` seconds
of flood control is it given up, with the reason in the log.
"""

from __future__ import annotations

import asyncio
import hmac
import html
import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from aiohttp import web
from telegram import (
    BotCommand,
    CallbackQuery,
    ChatMember,
    LinkPreviewOptions,
    Message,
    ReplyParameters,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.ext import Application, ApplicationBuilder, ContextTypes, TypeHandler

from newsbot.conversation import Command, Conversations, Reply
from newsbot.delivery.pacing import Pacer
from newsbot.i18n import locale_of, t
from newsbot.platforms.telegram import TelegramPlatform, retry_after_of
from newsbot.platforms.telegram_replies import keyboard, render_reply
from newsbot.platforms.telegram_updates import PLATFORM, parse_message, parse_press
from newsbot.platforms.web import HttpServer, Listen

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name)
ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]
MAX_REPLY_WAIT = 600.0  # seconds of flood control a reply waits out before it is given up
_TAG = re.compile(r"<[^>]+>")


@dataclass(frozen=True, slots=True)
class WebhookConfig:
    url: str  # public URL Telegram posts to
    secret: str
    host: str
    port: int


class TelegramFrontend:
    def __init__(
        self,
        platform: TelegramPlatform,
        conversations: Conversations,
        *,
        webhook: WebhookConfig | None = None,
        pacer: Pacer | None = None,
        server: HttpServer | None = None,
    ) -> None:
        """``server``: the process's HTTP server, which the webhook is a route on (it is
        started by its owner); without one, a webhook gets a server of its own."""
        self.platform = platform
        self.conversations = conversations
        # Shared with the dispatcher's pushes (the composition root hands both the same one).
        self.pacer = pacer or Pacer(platform.limits)
        self.webhook = webhook
        builder = ApplicationBuilder().bot(platform.bot).concurrent_updates(64)
        if webhook is not None:
            builder = builder.updater(None)
        self.application: Application = builder.build()  # type: ignore[type-arg]
        self.application.add_handler(TypeHandler(Update, self._on_update))
        self.application.add_error_handler(self._on_error)
        self._own_server: HttpServer | None = None
        if webhook is not None:
            if server is None:
                server = self._own_server = HttpServer(Listen(webhook.host, webhook.port))
            server.route("POST", urlsplit(webhook.url).path or "/", self._on_webhook)

    # --- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        await self.application.initialize()
        await self._describe()
        await self.application.start()
        if self.webhook is None:
            assert self.application.updater is not None
            await self.application.updater.start_polling(
                allowed_updates=ALLOWED_UPDATES, timeout=20
            )
        else:
            if self._own_server is not None:
                await self._own_server.start()
            await self.platform.bot.set_webhook(
                url=self.webhook.url,
                secret_token=self.webhook.secret,
                allowed_updates=ALLOWED_UPDATES,
            )
        log.info("telegram: reading updates by %s", "webhook" if self.webhook else "polling")

    async def stop(self) -> None:
        if self.application.updater is not None and self.application.updater.running:
            await self.application.updater.stop()
        if self._own_server is not None:
            await self._own_server.stop()
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()

    async def _describe(self) -> None:
        """The command menu and description, in Korean (the default) and English."""
        bot = self.platform.bot
        try:
            for language in (None, "ko", "en"):
                locale = language or "ko"
                menu = self.conversations.menu(locale)
                commands = [BotCommand(e.command, e.description) for e in menu]
                await bot.set_my_commands(commands, language_code=language)
                await bot.set_my_description(t(locale, "bot.description"), language_code=language)
                await bot.set_my_short_description(
                    t(locale, "bot.short_description"), language_code=language
                )
        except TelegramError as problem:  # cosmetic: the bot works without its menu
            log.warning("telegram: could not set the command menu: %s", problem)

    # --- webhook -------------------------------------------------------------------------

    async def _on_webhook(self, request: web.Request) -> web.Response:
        assert self.webhook is not None
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.webhook.secret.encode()):
            log.warning("telegram webhook: refused a request without the right secret token")
            return web.Response(status=403)
        if not self.application.running:  # another process leads; Telegram will resend
            return web.Response(status=503)
        try:
            data = await request.json(loads=json.loads)
            update = Update.de_json(data, self.platform.bot)
        except (ValueError, TypeError, KeyError):
            return web.Response(status=400)
        await self.application.update_queue.put(update)
        return web.Response(status=200)

    # --- updates -------------------------------------------------------------------------

    async def _on_update(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.callback_query is not None:
            await self._on_press(update.callback_query)
        elif update.my_chat_member is not None:
            await self._on_membership(update)
        elif update.message is not None and update.message.text:
            await self._on_message(update.message)

    async def _on_message(self, message: Message) -> None:
        parsed = parse_message(message, self.platform.bot.username)
        if parsed.command is None:
            return
        command = parsed.command
        if parsed.is_command:
            reply = await self.conversations.command(command)
        else:
            reply = await self.conversations.text(command)
        if reply is not None:
            # In a group the answer quotes the command, so members can tell whose it is.
            in_group = message.chat.type in ("group", "supergroup")
            await self._send(
                message.chat.id,
                reply,
                quote=message.id if in_group else None,
                kind=message.chat.type,
            )

    async def _on_press(self, query: CallbackQuery) -> None:
        press = parse_press(query)
        if press is None:
            await query.answer()
            return
        reply = await self.conversations.press(press)
        await query.answer(text=(reply.toast if reply else "")[:200] or None)
        if reply is None or not (reply.header or reply.cards or reply.notice):
            return
        message = query.message
        if reply.edit and isinstance(message, Message):
            await self._edit(message, reply)
        elif message is not None:
            await self._send(message.chat.id, reply, kind=message.chat.type)

    async def _on_membership(self, update: Update) -> None:
        change = update.my_chat_member
        assert change is not None
        chat = change.chat
        status = change.new_chat_member.status
        if chat.type not in ("group", "supergroup", "channel"):
            if status in (ChatMember.BANNED, ChatMember.LEFT):  # a private chat blocked us
                await self.conversations.left(PLATFORM, str(chat.id), "blocked the bot")
            return
        if status in (ChatMember.BANNED, ChatMember.LEFT):
            await self.conversations.left(PLATFORM, str(chat.id), "removed the bot from the chat")
            return
        was = change.old_chat_member.status
        if was in (ChatMember.BANNED, ChatMember.LEFT) and chat.type != "channel":
            locale = locale_of(change.from_user.language_code)
            command = Command(
                platform=PLATFORM,
                chat_id=str(chat.id),
                user_id=str(change.from_user.id),
                name="joined",
                locale=locale,
                chat_kind=chat.type,
                chat_title=chat.title,
            )
            reply = await self.conversations.joined(command)
            if reply is not None:
                await self._send(chat.id, reply, kind=chat.type)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat = (
            update.effective_chat.id
            if isinstance(update, Update) and update.effective_chat
            else None
        )
        log.error("telegram: update for chat=%s failed: %r", chat, context.error)

    # --- replies -------------------------------------------------------------------------

    async def _send(
        self, chat_id: int, reply: Reply, *, quote: int | None = None, kind: str = "private"
    ) -> None:
        text = render_reply(reply)
        if not text:
            return
        try:
            await self._paced(
                chat_id,
                kind,
                lambda: self.platform.bot.send_message(
                    chat_id=chat_id,
                    text=text,
                    parse_mode=ParseMode.HTML,
                    reply_markup=keyboard(reply.buttons),
                    link_preview_options=LinkPreviewOptions(is_disabled=True),
                    # The command may be deleted meanwhile: answer anyway, unquoted.
                    reply_parameters=None
                    if quote is None
                    else ReplyParameters(message_id=quote, allow_sending_without_reply=True),
                ),
            )
        except Forbidden:
            await self.conversations.left(PLATFORM, str(chat_id), "blocked the bot")
        except TelegramError as problem:
            log.warning("telegram: could not answer chat=%s: %s", chat_id, problem)

    async def _edit(self, message: Message, reply: Reply) -> None:
        text, markup = render_reply(reply), keyboard(reply.buttons)
        if already_shows(message, text, markup):
            return  # Telegram refuses an edit that changes nothing ("message is not modified")
        try:
            await self._paced(
                message.chat.id,
                message.chat.type,
                lambda: message.edit_text(
                    text,
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,
                    link_preview_options=LinkPreviewOptions(is_disabled=True),
                ),
            )
        except BadRequest as problem:
            if "not modified" not in str(problem).lower():
                log.warning("telegram: could not edit in chat=%s: %s", message.chat.id, problem)
        except TelegramError as problem:
            log.warning("telegram: could not edit in chat=%s: %s", message.chat.id, problem)

    async def _paced(self, chat_id: int, kind: str, call: Callable[[], Awaitable[object]]) -> None:
        """Make the call in the chat's next slot; wait out flood control and try again."""
        key, flooded = str(chat_id), 0.0
        while True:
            if (wait := self.pacer.reserve(key, kind)) > 0:
                await asyncio.sleep(wait)
            try:
                await call()
                return
            except RetryAfter as limited:
                seconds = retry_after_of(limited)
                flooded += seconds
                if flooded > MAX_REPLY_WAIT:
                    raise
                log.info("telegram: chat=%s under flood control; answering in %.0f s", key, seconds)
                self.pacer.hold_chat(key, seconds)


def already_shows(message: Message, text: str, markup: object) -> bool:
    """Whether the message already shows this HTML text and keyboard."""
    plain = html.unescape(_TAG.sub("", text)).strip()
    return (message.text or "").strip() == plain and message.reply_markup == markup
