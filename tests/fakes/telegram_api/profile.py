"""What the bot tells Telegram about itself and asks back: getMe, the commands per scope
and language (setMyCommands, getMyCommands, deleteMyCommands), setMyDescription and
setMyShortDescription."""

from __future__ import annotations

from aiohttp import web

from tests.fakes.telegram_api.state import TelegramState
from tests.fakes.telegram_api.wire import BOT_USER, decoded, ok


class ProfileMethods(TelegramState):
    def _get_me(self, fields: dict[str, str]) -> web.Response:
        return ok(BOT_USER)

    @staticmethod
    def _scope(fields: dict[str, str]) -> str:
        scope = decoded(fields.get("scope")) or {"type": "default"}
        return str(scope["type"]) + (f":{scope['chat_id']}" if "chat_id" in scope else "")

    def _set_commands(self, fields: dict[str, str]) -> web.Response:
        key = (self._scope(fields), fields.get("language_code") or None)
        self.commands[key] = [
            (c["command"], c["description"]) for c in decoded(fields.get("commands")) or []
        ]
        return ok(True)

    def _get_commands(self, fields: dict[str, str]) -> web.Response:
        key = (self._scope(fields), fields.get("language_code") or None)
        return ok([{"command": c, "description": d} for c, d in self.commands.get(key, [])])

    def _delete_commands(self, fields: dict[str, str]) -> web.Response:
        self.commands.pop((self._scope(fields), fields.get("language_code") or None), None)
        return ok(True)

    def _set_description(self, fields: dict[str, str]) -> web.Response:
        self.descriptions[fields.get("language_code") or None] = fields.get("description", "")
        return ok(True)

    def _set_short_description(self, fields: dict[str, str]) -> web.Response:
        language = fields.get("language_code") or None
        self.short_descriptions[language] = fields.get("short_description", "")
        return ok(True)
