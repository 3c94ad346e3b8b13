"""The Telegram side readers talk to: updates in, replies out, through python-telegram-bot.

A thin translator. A PTB ``Application`` (sharing the delivery adapter's ``Bot``, so one
connection pool and one token) receives updates by long polling, or through a webhook served
by the bot's own aiohttp server that checks Telegram's secret header on every request.
Each update becomes a neutral Command or ButtonPress for handlers.router; the Reply comes back
as HTML with an inline keyboard, sent anew or edited in place.

What needs the network stays here: whether a group member is an administrator (asked of
Telegram, remembered for a minute), and what a channel is and who runs it.
"""

from __future__ import annotations

import dataclasses
import hmac
import json
import logging
import time
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
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import Application, ApplicationBuilder, ContextTypes, TypeHandler

from handlers.chats import MANAGING, ChannelInfo
from handlers.replies import Command, Reply
from handlers.router import Router
from newsbot.i18n import locale_of, t
from newsbot.platforms.telegram import TelegramPlatform
from newsbot.platforms.telegram_replies import keyboard, render_reply
from newsbot.platforms.telegram_updates import PLATFORM, parse_message, parse_press

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name)
ADMIN_STATUSES = frozenset({ChatMember.ADMINISTRATOR, ChatMember.OWNER})
ADMIN_CACHE_SECONDS = 60.0
MAX_ADMIN_CACHE = 10_000
ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]
MAX_WEBHOOK_BODY = 1_000_000
# The menu Telegram shows beside the text box, in each language.
COMMANDS = (
    "start",
    "subscribe",
    "unsubscribe",
    "list",
    "settings",
    "top",
    "latest",
    "search",
    "help",
)


@dataclass(frozen=True, slots=True)
class WebhookConfig:
    url: str  # public URL Telegram posts to
    secret: str
    host: str
    port: int


class TelegramFrontend:
    def __init__(
        self, platform: TelegramPlatform, router: Router, *, webhook: WebhookConfig | None = None
    ) -> None:
        self.platform = platform
        self.router = router
        self.webhook = webhook
        builder = ApplicationBuilder().bot(platform.bot).concurrent_updates(64)
        if webhook is not None:
            builder = builder.updater(None)
        self.application: Application = builder.build()  # type: ignore[type-arg]
        self.application.add_handler(TypeHandler(Update, self._on_update))
        self.application.add_error_handler(self._on_error)
        self._admins: dict[tuple[int, int], tuple[bool, float]] = {}
        self._runner: web.AppRunner | None = None
        self.webhook_port: int | None = None  # the port bound (useful when 0 was asked)

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
            await self._serve_webhook(self.webhook)
            await self.platform.bot.set_webhook(
                url=self.webhook.url,
                secret_token=self.webhook.secret,
                allowed_updates=ALLOWED_UPDATES,
            )
        log.info("telegram: reading updates by %s", "webhook" if self.webhook else "polling")

    async def stop(self) -> None:
        if self.application.updater is not None and self.application.updater.running:
            await self.application.updater.stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()

    async def _describe(self) -> None:
        """The command menu and description, in Korean (the default) and English."""
        bot = self.platform.bot
        try:
            for language in (None, "ko", "en"):
                locale = language or "ko"
                commands = [BotCommand(c, t(locale, f"menu.{c}")) for c in COMMANDS]
                await bot.set_my_commands(commands, language_code=language)
                await bot.set_my_description(t(locale, "bot.description"), language_code=language)
                await bot.set_my_short_description(
                    t(locale, "bot.short_description"), language_code=language
                )
        except TelegramError as problem:  # cosmetic: the bot works without its menu
            log.warning("telegram: could not set the command menu: %s", problem)

    # --- webhook -------------------------------------------------------------------------

    async def _serve_webhook(self, config: WebhookConfig) -> None:
        app = web.Application(client_max_size=MAX_WEBHOOK_BODY)
        app.router.add_post(urlsplit(config.url).path or "/", self._on_webhook)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, config.host, config.port)
        await site.start()
        addresses = self._runner.addresses
        self.webhook_port = int(addresses[0][1]) if addresses else config.port

    async def _on_webhook(self, request: web.Request) -> web.Response:
        assert self.webhook is not None
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.webhook.secret.encode()):
            log.warning("telegram webhook: refused a request without the right secret token")
            return web.Response(status=403)
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
            if command.name in MANAGING and command.chat_kind in ("group", "supergroup"):
                command = dataclasses.replace(command, is_admin=await self._is_admin(message))
            reply = await self.router.command(command)
        else:
            reply = await self.router.text(command)
        if reply is not None:
            # In a group the answer quotes the command, so members can tell whose it is.
            in_group = message.chat.type in ("group", "supergroup")
            await self._send(message.chat.id, reply, quote=message.id if in_group else None)

    async def _on_press(self, query: CallbackQuery) -> None:
        press = parse_press(query)
        if press is None:
            await query.answer()
            return
        if press.chat_kind in ("group", "supergroup") and query.message is not None:
            chat_id, user_id = int(press.chat_id), query.from_user.id
            press = dataclasses.replace(press, is_admin=await self._admin(chat_id, user_id))
        reply = await self.router.press(press)
        await query.answer(text=(reply.toast if reply else "")[:200] or None)
        if reply is None or not (reply.header or reply.cards or reply.notice):
            return
        message = query.message
        if reply.edit and isinstance(message, Message):
            await self._edit(message, reply)
        elif message is not None:
            await self._send(message.chat.id, reply)

    async def _on_membership(self, update: Update) -> None:
        change = update.my_chat_member
        assert change is not None
        chat = change.chat
        status = change.new_chat_member.status
        if chat.type not in ("group", "supergroup", "channel"):
            if status in (ChatMember.BANNED, ChatMember.LEFT):  # a private chat blocked us
                await self.router.chats.left(PLATFORM, str(chat.id), "blocked the bot")
            return
        if status in (ChatMember.BANNED, ChatMember.LEFT):
            await self.router.chats.left(PLATFORM, str(chat.id), "removed the bot from the chat")
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
            try:
                reply = await self.router.chats.joined(command)
            except Exception:
                log.exception("telegram: greeting chat=%s failed", chat.id)
                return
            await self._send(chat.id, reply)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat = (
            update.effective_chat.id
            if isinstance(update, Update) and update.effective_chat
            else None
        )
        log.error("telegram: update for chat=%s failed: %r", chat, context.error)

    # --- replies -------------------------------------------------------------------------

    async def _send(self, chat_id: int, reply: Reply, *, quote: int | None = None) -> None:
        text = render_reply(reply)
        if not text:
            return
        try:
            await self.platform.bot.send_message(
                chat_id=chat_id,
                text=text,
                parse_mode=ParseMode.HTML,
                reply_markup=keyboard(reply.buttons),
                link_preview_options=LinkPreviewOptions(is_disabled=True),
                # The command may be deleted meanwhile: answer anyway, unquoted.
                reply_parameters=None
                if quote is None
                else ReplyParameters(message_id=quote, allow_sending_without_reply=True),
            )
        except Forbidden:
            await self.router.chats.left(PLATFORM, str(chat_id), "blocked the bot")
        except TelegramError as problem:
            log.warning("telegram: could not answer chat=%s: %s", chat_id, problem)

    async def _edit(self, message: Message, reply: Reply) -> None:
        try:
            await message.edit_text(
                render_reply(reply),
                parse_mode=ParseMode.HTML,
                reply_markup=keyboard(reply.buttons),
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        except BadRequest as problem:
            if "not modified" not in str(problem).lower():
                log.warning("telegram: could not edit in chat=%s: %s", message.chat.id, problem)
        except TelegramError as problem:
            log.warning("telegram: could not edit in chat=%s: %s", message.chat.id, problem)

    # --- who may do what -----------------------------------------------------------------

    async def _is_admin(self, message: Message) -> bool:
        if message.sender_chat is not None and message.sender_chat.id == message.chat.id:
            return True  # an anonymous administrator posts as the group itself
        if message.from_user is None:
            return False
        return await self._admin(message.chat.id, message.from_user.id)

    async def _admin(self, chat_id: int, user_id: int) -> bool:
        key = (chat_id, user_id)
        cached = self._admins.get(key)
        now = time.monotonic()
        if cached is not None and now - cached[1] < ADMIN_CACHE_SECONDS:
            return cached[0]
        try:
            member = await self.platform.bot.get_chat_member(chat_id, user_id)
        except TelegramError as problem:
            log.warning("telegram: could not check admins of chat=%s: %s", chat_id, problem)
            return False
        allowed = member.status in ADMIN_STATUSES
        if len(self._admins) > MAX_ADMIN_CACHE:  # forget the stale answers now and then
            self._admins = {
                k: v for k, v in self._admins.items() if now - v[1] < ADMIN_CACHE_SECONDS
            }
        self._admins[key] = (allowed, now)
        return allowed

    async def inspect(self, reference: str, user_id: str) -> ChannelInfo | None:
        """handlers.chats.Channels: the channel behind ``@name`` (or an id), and its admins."""
        bot = self.platform.bot
        target: str | int = reference if reference.startswith("@") else "@" + reference
        if reference.lstrip("-").isdigit():
            target = int(reference)
        try:
            chat = await bot.get_chat(target)
        except TelegramError:
            return None
        if chat.type != "channel":
            return None
        return ChannelInfo(
            chat_id=str(chat.id),
            title=chat.title,
            bot_is_admin=await self._status_is_admin(chat.id, bot.id),
            user_is_admin=await self._status_is_admin(chat.id, int(user_id)),
        )

    async def _status_is_admin(self, chat_id: int, user_id: int) -> bool:
        try:
            member = await self.platform.bot.get_chat_member(chat_id, user_id)
        except TelegramError:
            return False  # not a member, or the bot may not look: not an admin either way
        return member.status in ADMIN_STATUSES
