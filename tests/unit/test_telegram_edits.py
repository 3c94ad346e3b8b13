"""An edit that would change nothing is not sent: Telegram refuses it ("message is not
modified"), and every refused call counts against the chat's limits all the same."""

from __future__ import annotations

from datetime import UTC, datetime

from telegram import Chat, Message

from newsbot.conversation import Button, Reply
from newsbot.platforms.telegram_bot import already_shows
from newsbot.platforms.telegram_replies import keyboard, render_reply

SETTINGS = Reply(
    header="설정",
    notice="방해 금지: 23:00-07:00 & 미리보기 <켜짐>",
    buttons=(Button("🔕 23:00-07:00", "set:q:1380-420"), Button("끄기", "set:q:off")),
)


def shown_as_telegram_does(reply: Reply) -> Message:
    """The message as a callback query carries it: plain text (the HTML's markup is in
    entities, not in ``text``) and the keyboard."""
    plain = "설정\n\n방해 금지: 23:00-07:00 & 미리보기 <켜짐>"
    return Message(
        1,
        datetime(2026, 12, 6, tzinfo=UTC),
        Chat(5151, "private"),
        text=plain,
        reply_markup=keyboard(reply.buttons),
    )


def test_the_same_text_and_keyboard_is_not_edited_again() -> None:
    message = shown_as_telegram_does(SETTINGS)

    assert already_shows(message, render_reply(SETTINGS), keyboard(SETTINGS.buttons))


def test_a_changed_text_or_keyboard_is_edited() -> None:
    message = shown_as_telegram_does(SETTINGS)
    other_buttons = (Button("🔕 22:00-08:00", "set:q:1320-480"),)

    assert not already_shows(message, render_reply(Reply(header="설정", notice="달라짐")), None)
    assert not already_shows(message, render_reply(SETTINGS), keyboard(other_buttons))
