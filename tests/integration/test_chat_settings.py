"""Chat settings in the store: what 0005 gives existing chats, and what readers set survives."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import inspect, text

from newsbot.app import App
from newsbot.delivery.chat_settings import (
    ChatSettings,
    SettingError,
    set_digest_time,
    set_language,
    set_link_previews,
    set_quiet_hours,
)
from newsbot.store import migrate
from newsbot.store.delivery_models import Chat
from newsbot.store.engine import make_sync_engine
from tests.builders import chat_in

SETTINGS_COLUMNS = {"quiet_start", "quiet_end", "link_previews", "digest_time"}


def chat_columns(url: str) -> set[str]:
    engine = make_sync_engine(url)
    try:
        return {column["name"] for column in inspect(engine).get_columns("chats")}
    finally:
        engine.dispose()


def test_chats_from_before_0005_get_previews_on_and_no_quiet_hours(empty_url: str) -> None:
    migrate.upgrade(empty_url, "0004")
    engine = make_sync_engine(empty_url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO chats (platform, platform_chat_id, kind, language, timezone,"
                " active, created_at, updated_at) VALUES ('telegram', '1', 'private', 'ko',"
                " 'Asia/Seoul', true, '2026-11-01 00:00:00', '2026-11-01 00:00:00')"
            )
        )

    migrate.upgrade(empty_url, "0005")
    with engine.connect() as connection:
        row = connection.execute(
            text("SELECT quiet_start, quiet_end, link_previews, digest_time FROM chats")
        ).one()
    with engine.begin() as connection:
        cfg = migrate.alembic_config()
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "0004")
    engine.dispose()

    assert (row[0], row[1], bool(row[2]), row[3]) == (None, None, True, None)
    assert not SETTINGS_COLUMNS & chat_columns(empty_url)


async def test_what_a_reader_sets_is_kept(app: App) -> None:
    now = app.clock.now()
    async with app.sessions() as session:
        chat = await chat_in(session, "1", now=now)
        await set_quiet_hours(session, chat, "23:30-06:30", now=now)
        set_link_previews(chat, False, now=now)
        set_language(chat, "en", now=now)
        set_digest_time(chat, "7시 30분", now=now)
        await session.commit()
        chat_id = chat.id

    async with app.sessions() as session:
        stored = await session.get(Chat, chat_id)
        assert stored is not None
        assert ChatSettings.of(stored) == ChatSettings(
            language="en",
            timezone="Asia/Seoul",
            quiet_hours=(23 * 60 + 30, 6 * 60 + 30),
            link_previews=False,
            digest_time=7 * 60 + 30,
        )


async def test_a_refused_setting_changes_nothing(app: App) -> None:
    now = app.clock.now()
    async with app.sessions() as session:
        chat = await chat_in(session, "1", now=now)
        await set_quiet_hours(session, chat, "23:00-07:00", now=now)
        with pytest.raises(SettingError):
            await set_quiet_hours(session, chat, "23:00-31:00", now=now)
        with pytest.raises(SettingError):
            await set_quiet_hours(session, chat, (23 * 60, 23 * 60), now=now)

        assert ChatSettings.of(chat).quiet_hours == (23 * 60, 7 * 60)
