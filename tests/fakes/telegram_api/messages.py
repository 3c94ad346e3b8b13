"""The bot's messages: sendMessage (and the ways it is told to fail), editMessageText,
editMessageReplyMarkup, deleteMessage(s), and answerCallbackQuery for buttons on them. Each
message is kept as it is now, after edits.

Telegram's rules for taking a message back, as the fake keeps them: a bot may delete its own
messages in private chats and groups for 48 hours (``age_messages`` moves them past that);
after that deleteMessage says "message can't be deleted for everyone", while editing has no
such limit. deleteMessages takes 1-100 ids of one chat, skips those it cannot delete, and
answers True all the same.
"""

from __future__ import annotations

import asyncio
import time

from aiohttp import web

from tests.fakes.telegram_api.entities import refusal
from tests.fakes.telegram_api.state import Recorded, TelegramState
from tests.fakes.telegram_api.wire import BOT_USER, Json, decoded, error, ok

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
DELETE_WINDOW = 48 * 3600
CANT_DELETE = "Bad Request: message can't be deleted for everyone"
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"


class MessageMethods(TelegramState):
    async def _send(self, fields: dict[str, str], record: Recorded) -> web.StreamResponse:
        chat = fields.get("chat_id", "")
        self._sends += 1
        behaviour = self.behaviours[chat].popleft() if self.behaviours.get(chat) else ""
        if behaviour == "slow":
            await asyncio.sleep(self.slow_seconds)
        if behaviour == "429" or (self.flood_every and self._sends % self.flood_every == 0):
            return error(
                429,
                f"Too Many Requests: retry after {self.retry_after}",
                retry_after=self.retry_after,
            )
        if behaviour == "502" or self.down:
            return error(502, "Bad Gateway")
        if chat in self.blocked:
            return error(403, "Forbidden: bot was blocked by the user")
        if chat in self.migrated:
            return error(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                migrate_to_chat_id=self.migrated[chat],
            )
        if chat in self.missing or not chat.lstrip("-").isdigit():
            return error(400, "Bad Request: chat not found")
        if (problem := refusal(fields)) is not None:
            return error(400, problem)
        self._message_id += 1
        record.fields["_ok"] = "1"
        record.fields["_message_id"] = str(self._message_id)
        message: Json = {
            "message_id": self._message_id,
            "from": BOT_USER,
            "date": int(time.time()),
            "chat": self._chat_json(chat),
            "text": fields.get("text", ""),
        }
        if markup := decoded(fields.get("reply_markup")):
            message["reply_markup"] = markup
        self._messages[(chat, self._message_id)] = message
        return ok(message)

    def _edit(self, fields: dict[str, str], *, text: bool) -> web.Response:
        chat = fields.get("chat_id", "")
        if chat in self.missing:
            return error(400, "Bad Request: chat not found")
        key = (chat, int(fields.get("message_id") or 0))
        current = self._messages.get(key)
        if current is None:
            return error(400, "Bad Request: message to edit not found")
        if text and (problem := refusal(fields)) is not None:
            return error(400, problem)
        new_text = fields.get("text", "") if text else current["text"]
        # Telegram drops the inline keyboard of an edit that does not repeat it
        new_markup = decoded(fields.get("reply_markup"))
        if new_text == current["text"] and new_markup == current.get("reply_markup"):
            return error(400, NOT_MODIFIED)
        edited = {k: v for k, v in current.items() if k != "reply_markup"}
        edited |= {"text": new_text, "edit_date": int(time.time())}
        if new_markup:
            edited["reply_markup"] = new_markup
        self._messages[key] = edited
        return ok(edited)

    def _edit_text(self, fields: dict[str, str]) -> web.Response:
        return self._edit(fields, text=True)

    def _edit_markup(self, fields: dict[str, str]) -> web.Response:
        return self._edit(fields, text=False)

    def age_messages(self, seconds: float, chat: int | str | None = None) -> None:
        """Make the bot's messages (in one chat, or all) ``seconds`` older."""
        for (where, _), message in self._messages.items():
            if chat is None or where == str(chat):
                message["date"] -= int(seconds)

    def delete_for_everyone(self, chat: int | str, message_id: int) -> None:
        """The message is gone as if deleted in the app: edits and deletes no longer find it."""
        del self._messages[(str(chat), message_id)]

    def _deletable(self, key: tuple[str, int]) -> str | None:
        """Why this message cannot be deleted, or None."""
        message = self._messages.get(key)
        if message is None:
            return "Bad Request: message to delete not found"
        kind = message["chat"].get("type")
        if kind != "channel" and time.time() - message["date"] > DELETE_WINDOW:
            return CANT_DELETE
        return None

    def _delete(self, fields: dict[str, str]) -> web.Response:
        key = (fields.get("chat_id", ""), int(fields.get("message_id") or 0))
        if fields.get("chat_id", "") in self.missing:
            return error(400, "Bad Request: chat not found")
        if (problem := self._deletable(key)) is not None:
            return error(400, problem)
        del self._messages[key]
        self.deleted.append(key)
        return ok(True)

    def _delete_many(self, fields: dict[str, str]) -> web.Response:
        chat = fields.get("chat_id", "")
        ids = decoded(fields.get("message_ids")) or []
        if not 1 <= len(ids) <= 100:
            return error(400, "Bad Request: too many messages to delete")
        if chat in self.missing:
            return error(400, "Bad Request: chat not found")
        for message_id in ids:
            key = (chat, int(message_id))
            if self._deletable(key) is None:
                del self._messages[key]
                self.deleted.append(key)
        return ok(True)

    def _answer_query(self, fields: dict[str, str]) -> web.Response:
        if fields.get("callback_query_id") not in self._queries:
            return error(400, QUERY_TOO_OLD)
        return ok(True)
