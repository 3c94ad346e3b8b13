"""Telegram updates as the neutral Command and ButtonPress the handlers take.

Pure translation, no I/O: what needs the network, such as whether a group member is an
administrator, is asked later, by the permission gate through ``telegram_directory``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from telegram import CallbackQuery, Message

from newsbot.conversation import ButtonPress, Command
from newsbot.i18n import locale_of

PLATFORM = "telegram"
MAX_ARGS = 50  # words of a command kept; a search reads at most 300 characters anyway


@dataclass(frozen=True, slots=True)
class ParsedText:
    command: Command | None  # None: plain text, or a command meant for another bot
    is_command: bool


def _chat_kind(kind: str) -> str:
    return kind if kind in ("private", "group", "supergroup", "channel") else "private"


def parse_message(message: Message, bot_username: str | None) -> ParsedText:
    """``/top@newsbot_bot 5 week`` → Command(name="top", args=("5", "week"))."""
    text = message.text or ""
    user = message.from_user
    locale = locale_of(user.language_code if user else None)
    chat = message.chat
    # An anonymous administrator writes as the group itself: its user is the group, which the
    # directory knows for an administrator.
    anonymous = message.sender_chat is not None and message.sender_chat.id == chat.id
    base = Command(
        platform=PLATFORM,
        chat_id=str(chat.id),
        user_id=str(chat.id if anonymous or user is None else user.id),
        name="",
        locale=locale,
        chat_kind=_chat_kind(chat.type),
        chat_title=chat.title or chat.username or chat.full_name,
        raw_text=text,
    )
    if not text.startswith("/"):
        return ParsedText(
            dataclasses.replace(base, name="", args=tuple(text.split()[:MAX_ARGS])), False
        )
    head, *args = text.split()
    name, _, addressee = head[1:].partition("@")
    if addressee and bot_username and addressee.lower() != bot_username.lower():
        return ParsedText(None, True)  # /top@other_bot in a group: not ours
    return ParsedText(
        dataclasses.replace(base, name=name.lower(), args=tuple(args[:MAX_ARGS])), True
    )


def parse_press(query: CallbackQuery) -> ButtonPress | None:
    message = query.message
    if query.data is None or message is None:
        return None
    return ButtonPress(
        platform=PLATFORM,
        chat_id=str(message.chat.id),
        user_id=str(query.from_user.id),
        token=query.data,
        locale=locale_of(query.from_user.language_code),
        chat_kind=_chat_kind(message.chat.type),
        message_id=str(message.message_id),
    )
