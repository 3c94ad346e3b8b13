"""The fake served over HTTP: ``FakeTelegram`` puts its parts together behind one route,
``POST /bot{token}/{method}``, where every request is recorded whole (form- or
JSON-encoded) before it is answered; the ``fake_telegram`` fixture serves it on loopback."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import ClassVar

import pytest
from aiohttp import web

from tests.fakes.loopback import serving
from tests.fakes.telegram_api.assertions import Assertions
from tests.fakes.telegram_api.chats import ChatMethods
from tests.fakes.telegram_api.getting_updates import GettingUpdatesMethods
from tests.fakes.telegram_api.messages import MessageMethods
from tests.fakes.telegram_api.profile import ProfileMethods
from tests.fakes.telegram_api.state import Recorded
from tests.fakes.telegram_api.updates import UpdateBuilders
from tests.fakes.telegram_api.wire import TOKEN, error


class FakeTelegram(
    Assertions,
    UpdateBuilders,
    MessageMethods,
    GettingUpdatesMethods,
    ChatMethods,
    ProfileMethods,
):
    """The whole fake: each base owns a part of the Bot API over the state they share."""

    async def handle(self, request: web.Request) -> web.StreamResponse:
        token, method = request.match_info["token"], request.match_info["method"]
        if request.content_type == "application/json":
            payload = await request.json() if request.can_read_body else {}
            fields = {k: v if isinstance(v, str) else json.dumps(v) for k, v in payload.items()}
        else:
            form = await request.post()
            fields = {k: str(v) for k, v in form.items()}
        record = Recorded(method, fields)
        self.requests.append(record)
        try:
            if token != TOKEN:
                return error(401, "Unauthorized")
            if method == "sendMessage":
                return await self._send(fields, record)
            if method == "getUpdates":
                return await self._get_updates(fields)
            answer = self._METHODS.get(method)
            if answer is None:
                return error(404, "Not Found")
            return answer(self, fields)
        finally:
            self._touch()

    _METHODS: ClassVar[dict[str, Callable[[FakeTelegram, dict[str, str]], web.Response]]] = {
        "getMe": ProfileMethods._get_me,
        "editMessageText": MessageMethods._edit_text,
        "editMessageReplyMarkup": MessageMethods._edit_markup,
        "deleteMessage": MessageMethods._delete,
        "deleteMessages": MessageMethods._delete_many,
        "answerCallbackQuery": MessageMethods._answer_query,
        "getChatMember": ChatMethods._get_chat_member,
        "getChat": ChatMethods._get_chat,
        "setMyCommands": ProfileMethods._set_commands,
        "getMyCommands": ProfileMethods._get_commands,
        "deleteMyCommands": ProfileMethods._delete_commands,
        "setMyDescription": ProfileMethods._set_description,
        "setMyShortDescription": ProfileMethods._set_short_description,
        "setWebhook": GettingUpdatesMethods._set_webhook,
        "deleteWebhook": GettingUpdatesMethods._delete_webhook,
        "getWebhookInfo": GettingUpdatesMethods._webhook_info,
    }


@pytest.fixture(name="fake_telegram")
async def fake_telegram_fixture() -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram()
    app = web.Application()
    app.router.add_post("/bot{token}/{method}", fake.handle)
    async with serving(app) as fake.port:
        yield fake
