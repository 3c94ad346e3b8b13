"""A fake Telegram Bot API on loopback for the real python-telegram-bot client.

It answers the methods a news bot uses the way the Bot API does (form- or JSON-encoded
requests, JSON replies with ok/result or ok/error_code/description/parameters), records every
request whole, and can be told to misbehave: 429 with retry_after, 5xx, slow answers, blocked
users, chats that migrated to a supergroup, chats that do not exist.

Delivery side: getMe, sendMessage (``delivered()`` lists the successful ones).

Reader side: tests push updates built like Telegram's (``message``, ``button_press``,
``my_chat_member``, ``channel_post``) with ``push_update``; the bot receives them by long
polling ``getUpdates``, or a test posts them to the bot's own webhook with
``post_update_to``. The bot answers with sendMessage, editMessageText,
editMessageReplyMarkup, deleteMessage, answerCallbackQuery, and looks around with
getChatMember and getChat; on start it calls setMyCommands, setMyDescription,
setMyShortDescription, deleteWebhook or setWebhook. The fake keeps each message the bot sent
as it is now (after edits), so tests assert on ``sent_to``, ``last_message`` and ``buttons``
and wait for the bot with ``wait_for``.

Errors it gives, as the real API words them:

    401 Unauthorized                                 wrong token
    404 Not Found                                    a method the fake does not know
    409 Conflict: can't use getUpdates method ...    getUpdates while a webhook is set
    400 Bad Request: chat not found                  a chat in ``missing``
    400 Bad Request: message to edit not found       editing a message the bot never sent
    400 Bad Request: message is not modified: ...    an edit that changes nothing
    400 Bad Request: message to delete not found     deleting twice
    400 Bad Request: query is too old ...            answering a query the fake never issued
    400 Bad Request: can't parse entities: ...       sendMessage or an edit whose HTML does
                                                     not parse (``entities``)
    400 Bad Request: message is too long             over 4,096 characters once parsed
    400 Bad Request: message text is empty           nothing left once parsed
    sendMessage only: 429, 502 and slow (``then``, ``flood_every``), 403 blocked, 400 migrated,
    502 to every chat while ``down`` (an outage)

The fake checks HTML as Telegram parses it but keeps a message's ``text`` as the bot sent it.
(PTB raises these with "Bad Request: " cut and the first letter capitalised: match
"Message is not modified", not "message is not modified".)

Its parts, each a module of this package:

    wire               the bot's identity, ok/error replies, User and ChatMember JSON
    state              what the fake remembers (``Recorded`` requests, switches, chats…)
    assertions         what tests assert on, and ``wait_for``
    updates            updates built like Telegram's, pushed or posted to a webhook
    messages           sendMessage, edits, deleteMessage, answerCallbackQuery
    entities           what HTML parse mode refuses, and the parsed text's length
    getting_updates    getUpdates and the webhook methods
    chats              getChat, getChatMember
    profile            getMe, the bot's commands and descriptions
    server             ``FakeTelegram``: one HTTP route over all parts; the fixture
"""

from tests.fakes.telegram_api.messages import NOT_MODIFIED, QUERY_TOO_OLD
from tests.fakes.telegram_api.server import FakeTelegram, fake_telegram_fixture
from tests.fakes.telegram_api.state import Recorded
from tests.fakes.telegram_api.updates import SECRET_HEADER
from tests.fakes.telegram_api.wire import BOT_ID, BOT_USER, TOKEN, Json

__all__ = [
    "BOT_ID",
    "BOT_USER",
    "NOT_MODIFIED",
    "QUERY_TOO_OLD",
    "SECRET_HEADER",
    "TOKEN",
    "FakeTelegram",
    "Json",
    "Recorded",
    "fake_telegram_fixture",
]
