"""The fake Bot API speaks well enough for the real python-telegram-bot client to read updates.

Every check goes through PTB 22 over loopback with the project's aiohttp transport, so what
passes here is what the bot's reader side will see: updates PTB parses into its own types,
errors it raises as BadRequest and Conflict.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from telegram import (
    Bot,
    BotCommand,
    ChatMemberAdministrator,
    ChatMemberBanned,
    ChatMemberMember,
    ChatMemberOwner,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    Update,
)
from telegram.error import BadRequest, Conflict
from telegram.ext import Application, ApplicationBuilder, CommandHandler, ContextTypes

from newsbot.platforms.telegram_request import AiohttpRequest
from tests.fakes.telegram_api import BOT_ID, TOKEN, FakeTelegram

GROUP = -1001234567890
READER = 4242


@pytest.fixture
async def bot(fake_telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Bot]:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # as TelegramPlatform opts in
    client = Bot(
        TOKEN,
        base_url=fake_telegram.api_url,
        request=AiohttpRequest(),
        get_updates_request=AiohttpRequest(),
    )
    async with client:
        yield client


def keyboard(*buttons: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data)] for label, data in buttons]
    )


async def test_get_updates_long_polls_until_an_update_arrives(
    fake_telegram: FakeTelegram, bot: Bot
) -> None:
    polling = asyncio.create_task(bot.get_updates(timeout=1))
    await fake_telegram.wait_for(lambda fake: fake.polling)

    update_id = fake_telegram.send_update(READER, "/search@newsbot_bot 판교 드론")
    [update] = await polling

    assert update.update_id == update_id
    message = update.message
    assert isinstance(message, Message)
    assert message.text == "/search@newsbot_bot 판교 드론"
    assert message.chat.id == READER
    assert message.chat.type == "private"
    assert message.from_user is not None
    assert (message.from_user.id, message.from_user.language_code) == (READER, "ko")
    assert list(message.parse_entities([MessageEntity.BOT_COMMAND]).values()) == [
        "/search@newsbot_bot"
    ]


async def test_an_idle_long_poll_waits_its_timeout_then_answers_nothing(
    fake_telegram: FakeTelegram, bot: Bot
) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()

    assert await bot.get_updates(timeout=1) == ()
    assert loop.time() - started >= 0.9


async def test_only_a_leading_latin_command_is_a_bot_command(
    fake_telegram: FakeTelegram, bot: Bot
) -> None:
    fake_telegram.send_update(READER, "/검색 판교")
    fake_telegram.send_update(READER, "안녕 /start")
    fake_telegram.send_update(READER, "/top 5")

    updates = await bot.get_updates(timeout=0)

    assert [u.message.entities if u.message else None for u in updates] == [
        (),
        (),
        (MessageEntity(type=MessageEntity.BOT_COMMAND, offset=0, length=4),),
    ]


async def test_an_offset_confirms_the_updates_before_it(
    fake_telegram: FakeTelegram, bot: Bot
) -> None:
    first = fake_telegram.send_update(READER, "/start")
    second = fake_telegram.send_update(READER, "/help")
    third = fake_telegram.send_update(READER, "/top")

    assert [u.update_id for u in await bot.get_updates(limit=2)] == [first, second]
    assert [u.update_id for u in await bot.get_updates(offset=second)] == [second, third]
    assert [u.update_id for u in await bot.get_updates(offset=third + 1)] == []
    assert [u.update_id for u in await bot.get_updates()] == []  # confirmed for good


async def test_messages_in_groups_and_channels_carry_their_chat(
    fake_telegram: FakeTelegram, bot: Bot
) -> None:
    fake_telegram.send_update(GROUP, "/subscribe 경제", user_id=READER, chat_type="supergroup")
    fake_telegram.push_update(fake_telegram.channel_post(-1009, "공지", chat_title="편집국"))

    group, channel = await bot.get_updates()

    assert group.effective_chat is not None and group.effective_user is not None
    assert (group.effective_chat.type, group.effective_chat.title) == ("supergroup", "뉴스 모임")
    assert group.effective_user.id == READER
    assert channel.channel_post is not None
    assert channel.channel_post.chat.title == "편집국"
    assert channel.channel_post.from_user is None


async def test_a_button_press_arrives_as_a_callback_query_on_the_message_as_sent(
    fake_telegram: FakeTelegram, bot: Bot
) -> None:
    sent = await bot.send_message(READER, "결과 1/3", reply_markup=keyboard(("다음", "p:2")))
    assert fake_telegram.buttons(READER) == [("다음", "p:2")]
    [recorded] = fake_telegram.sent_to(READER)
    assert recorded["reply_markup"] == {
        "inline_keyboard": [[{"text": "다음", "callback_data": "p:2"}]]
    }
    assert recorded["message_id"] == sent.message_id

    fake_telegram.press_button(READER, sent.message_id, "p:2", user_id=READER)
    [update] = await bot.get_updates()

    query = update.callback_query
    assert query is not None
    assert (query.data, query.from_user.id, query.from_user.language_code) == (
        "p:2",
        READER,
        "ko",
    )
    assert isinstance(query.message, Message)
    assert query.message.text == "결과 1/3"
    assert query.message.reply_markup == keyboard(("다음", "p:2"))
    assert await query.answer("불러오는 중") is True
    assert fake_telegram.calls("answerCallbackQuery")[-1]["text"] == "불러오는 중"


async def test_a_callback_query_the_fake_never_issued_cannot_be_answered(
    fake_telegram: FakeTelegram, bot: Bot
) -> None:
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query("999")


async def test_editing_changes_the_stored_message_and_an_idle_edit_is_refused(
    fake_telegram: FakeTelegram, bot: Bot
) -> None:
    sent = await bot.send_message(READER, "결과 1/3", reply_markup=keyboard(("다음", "p:2")))

    edited = await bot.edit_message_text(
        "결과 2/3",
        chat_id=READER,
        message_id=sent.message_id,
        reply_markup=keyboard(("이전", "p:1"), ("다음", "p:3")),
    )

    assert isinstance(edited, Message)
    assert edited.edit_date is not None
    assert fake_telegram.last_message(READER)["text"] == "결과 2/3"
    assert fake_telegram.buttons(READER) == [("이전", "p:1"), ("다음", "p:3")]
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text(
            "결과 2/3",
            chat_id=READER,
            message_id=sent.message_id,
            reply_markup=keyboard(("이전", "p:1"), ("다음", "p:3")),
        )
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("?", chat_id=READER, message_id=sent.message_id + 99)
    # as Telegram does, an edit that leaves out the keyboard removes it
    await bot.edit_message_text("끝", chat_id=READER, message_id=sent.message_id)
    assert fake_telegram.buttons(READER) == []
    assert fake_telegram.sent_to(READER)[0]["text"] == "결과 1/3"  # what was sent, unedited


async def test_a_deleted_message_is_gone(fake_telegram: FakeTelegram, bot: Bot) -> None:
    first = await bot.send_message(READER, "하나")
    await bot.send_message(READER, "둘")

    assert await bot.delete_message(READER, first.message_id + 1) is True

    assert fake_telegram.last_message(READER)["text"] == "하나"
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(READER, first.message_id + 1)


async def test_chat_members_are_admins_owners_or_members_as_configured(
    fake_telegram: FakeTelegram, bot: Bot
) -> None:
    chat = str(GROUP)
    fake_telegram.admins[chat] = {READER}
    fake_telegram.creators[chat] = 7
    fake_telegram.missing.add("-404")

    admin = await bot.get_chat_member(GROUP, READER)
    owner = await bot.get_chat_member(GROUP, 7)
    member = await bot.get_chat_member(GROUP, 8)
    itself = await bot.get_chat_member(GROUP, BOT_ID)
    fake_telegram.bot_admin_in.add(chat)
    promoted = await bot.get_chat_member(GROUP, BOT_ID)

    assert isinstance(admin, ChatMemberAdministrator) and admin.user.id == READER
    assert admin.can_delete_messages and admin.can_change_info
    assert isinstance(owner, ChatMemberOwner)
    assert isinstance(member, ChatMemberMember) and member.user.id == 8
    assert isinstance(itself, ChatMemberMember)
    assert isinstance(promoted, ChatMemberAdministrator) and promoted.user.is_bot
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.get_chat_member(-404, READER)


async def test_the_bot_added_or_removed_arrives_as_my_chat_member(
    fake_telegram: FakeTelegram, bot: Bot
) -> None:
    fake_telegram.push_update(
        fake_telegram.my_chat_member(
            GROUP,
            chat_type="supergroup",
            old_status="left",
            new_status="administrator",
            by_user_id=READER,
        )
    )
    fake_telegram.push_update(
        fake_telegram.my_chat_member(
            GROUP,
            chat_type="supergroup",
            old_status="administrator",
            new_status="kicked",
            by_user_id=7,
        )
    )

    added, removed = await bot.get_updates()

    assert added.my_chat_member is not None and removed.my_chat_member is not None
    assert added.my_chat_member.from_user.id == READER
    assert added.my_chat_member.old_chat_member.status == "left"
    assert isinstance(added.my_chat_member.new_chat_member, ChatMemberAdministrator)
    assert isinstance(removed.my_chat_member.new_chat_member, ChatMemberBanned)
    assert added.my_chat_member.chat.type == "supergroup"
    assert isinstance(await bot.get_chat_member(GROUP, BOT_ID), ChatMemberBanned)


async def test_get_chat_describes_a_known_chat(fake_telegram: FakeTelegram, bot: Bot) -> None:
    fake_telegram.send_update(GROUP, "/start", chat_type="supergroup", chat_title="경제부")

    chat = await bot.get_chat(GROUP)

    assert (chat.id, chat.type, chat.title) == (GROUP, "supergroup", "경제부")


async def test_commands_and_descriptions_are_recorded_per_language(
    fake_telegram: FakeTelegram, bot: Bot
) -> None:
    await bot.set_my_commands([BotCommand("search", "기사 검색")], language_code="ko")
    await bot.set_my_commands([BotCommand("search", "Search articles")])
    await bot.set_my_description("뉴스 알림 봇", language_code="ko")
    await bot.set_my_short_description("News alerts")

    assert fake_telegram.commands_for("ko") == [("search", "기사 검색")]
    assert fake_telegram.commands_for(None) == [("search", "Search articles")]
    assert fake_telegram.commands_for("en") == []
    assert await bot.get_my_commands(language_code="ko") == (BotCommand("search", "기사 검색"),)
    assert fake_telegram.descriptions == {"ko": "뉴스 알림 봇"}
    assert fake_telegram.short_descriptions == {None: "News alerts"}


async def test_a_webhook_excludes_polling_until_deleted(
    fake_telegram: FakeTelegram, bot: Bot
) -> None:
    fake_telegram.send_update(READER, "/start")
    await bot.set_webhook("https://bot.example.kr/hook", secret_token="s3cret")

    info = await bot.get_webhook_info()
    with pytest.raises(Conflict):
        await bot.get_updates()
    await bot.delete_webhook(drop_pending_updates=True)

    assert (info.url, info.pending_update_count) == ("https://bot.example.kr/hook", 1)
    assert (fake_telegram.webhook_url, fake_telegram.webhook_secret) == ("", None)
    assert fake_telegram.calls("setWebhook")[0]["secret_token"] == "s3cret"
    assert await bot.get_updates() == ()  # the pending one was dropped


async def test_post_update_to_delivers_an_update_with_the_secret_header(
    fake_telegram: FakeTelegram, bot: Bot
) -> None:
    received: list[dict[str, Any]] = []

    async def hook(request: web.Request) -> web.Response:
        if request.headers.get("X-Telegram-Bot-Api-Secret-Token") != "s3cret":
            return web.Response(status=403)
        received.append(await request.json())
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{site.port}/hook"
    try:
        press = fake_telegram.button_press(READER, 77, "p:2", user_id=READER)
        assert await fake_telegram.post_update_to(url, press, "s3cret") == 200
        assert await fake_telegram.post_update_to(url, press, None) == 403
    finally:
        await runner.cleanup()

    [data] = received
    update = Update.de_json(data, bot)
    assert update.callback_query is not None and update.callback_query.data == "p:2"
    assert update.callback_query.message is not None
    assert not update.callback_query.message.is_accessible  # a message the fake never sent


async def test_a_polling_application_answers_a_command(fake_telegram: FakeTelegram) -> None:
    """The whole PTB reader stack (Application, Updater, CommandHandler) runs on the fake."""

    async def ping(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_chat is not None
        await context.bot.send_message(update.effective_chat.id, "pong")

    application: Application[Any, Any, Any, Any, Any, Any] = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(fake_telegram.api_url)
        .request(AiohttpRequest())
        .get_updates_request(AiohttpRequest())
        .build()
    )
    application.add_handler(CommandHandler("ping", ping))
    async with application:
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0, timeout=1)
        await application.start()
        fake_telegram.send_update(READER, "/ping")
        [reply] = await fake_telegram.wait_for(lambda fake: fake.sent_to(READER))
        await application.updater.stop()
        await application.stop()

    assert reply["text"] == "pong"
    assert fake_telegram.calls("deleteWebhook")  # PTB's bootstrap before polling
    assert await fake_telegram.wait_for(lambda fake: not fake.polling)


async def test_wait_for_fails_the_test_when_nothing_happens(fake_telegram: FakeTelegram) -> None:
    with pytest.raises(AssertionError, match="timed out"):
        await fake_telegram.wait_for(lambda fake: fake.sent_to(READER), timeout=0.1)
