"""The Bot API's wire format as every part of the fake speaks it: the bot's identity, the
``ok``/``result`` and ``ok``/``error_code`` replies, JSON-serialized parameters, and the
User and ChatMember objects PTB parses."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

TOKEN = "123456:TEST-token"
BOT_ID = 123456
BOT_USER: dict[str, Any] = {
    "id": BOT_ID,
    "is_bot": True,
    "first_name": "newsbot",
    "username": "newsbot_bot",
}
_ADMIN_RIGHTS = (  # the booleans PTB 22's ChatMemberAdministrator requires, then optional ones
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
    "can_pin_messages",
)
Json = dict[str, Any]


def error(code: int, description: str, **parameters: Any) -> web.Response:
    body: Json = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=code)


def ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def decoded(value: str | None) -> Any:
    """A JSON-serialized parameter (reply_markup, commands, scope…) as Python data."""
    return json.loads(value) if value else None


def user_json(user_id: int, language: str | None = "ko") -> Json:
    user: Json = {
        "id": user_id,
        "is_bot": False,
        "first_name": f"독자{user_id}",
        "username": f"reader{user_id}",
    }
    if language:
        user["language_code"] = language
    return user


def member_json(user: Json, status: str) -> Json:
    """ChatMember JSON that PTB parses into the subclass for ``status``."""
    member: Json = {"user": user, "status": status}
    if status == "creator":
        member["is_anonymous"] = False
    elif status == "administrator":
        member |= {"can_be_edited": False, "is_anonymous": False}
        member |= dict.fromkeys(_ADMIN_RIGHTS, True)
    elif status == "kicked":
        member["until_date"] = 0  # banned for ever
    return member
