"""How the bot looks around a chat: getChat, and getChatMember from the tests' ``admins``,
``creators`` and ``bot_admin_in`` and the bot's own status after ``my_chat_member``."""

from __future__ import annotations

from aiohttp import web

from tests.fakes.telegram_api.state import TelegramState
from tests.fakes.telegram_api.wire import BOT_ID, BOT_USER, error, member_json, ok, user_json


class ChatMethods(TelegramState):
    def _get_chat_member(self, fields: dict[str, str]) -> web.Response:
        chat, user_id = fields.get("chat_id", ""), int(fields.get("user_id") or 0)
        if chat in self.missing:
            return error(400, "Bad Request: chat not found")
        if user_id == BOT_ID:
            status = self._bot_status.get(chat, "member")
            status = "administrator" if chat in self.bot_admin_in else status
            return ok(member_json(BOT_USER, status))
        user = self._users.get(user_id) or user_json(user_id, None)
        if self.creators.get(chat) == user_id:
            return ok(member_json(user, "creator"))
        if user_id in self.admins.get(chat, ()):
            return ok(member_json(user, "administrator"))
        return ok(member_json(user, "member"))

    def _get_chat(self, fields: dict[str, str]) -> web.Response:
        chat = fields.get("chat_id", "")
        if chat in self.missing or not chat.lstrip("-").isdigit():
            return error(400, "Bad Request: chat not found")
        gifts = ("unlimited_gifts", "limited_gifts", "unique_gifts", "premium_subscription")
        return ok(
            self._chat_json(chat)
            | {
                "accent_color_id": 0,
                "max_reaction_count": 11,
                "accepted_gift_types": dict.fromkeys((*gifts, "gifts_from_channels"), False),
            }
        )
