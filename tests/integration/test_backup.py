"""Backing up the embedded store while the bot runs on it, and putting a backup back.

What matters in a backup beyond the articles is the outbox: it holds the message ids that
corrections edit and the record of what was sent, so a store restored from a backup does
not send again what it had sent.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import String, cast, literal, select, update

from newsbot.app import App
from newsbot.leadership import sqlite_single_process
from newsbot.store import backup as backups
from newsbot.store.delivery_models import Delivery, DeliveryState
from newsbot.store.engine import sync_url
from tests.builders import ALL_NEWS, add_chat, draft, publish
from tests.helpers import run_cli


@pytest.fixture
def sqlite_url(database_url: str) -> str:
    if not database_url.startswith("sqlite"):
        pytest.skip("backup and restore are for the embedded store")
    return database_url


async def sent_copies(app: App) -> list[tuple[int, str | None]]:
    async with app.sessions() as session:
        rows = await session.execute(
            select(Delivery.chat_id, Delivery.platform_message_id).order_by(Delivery.chat_id)
        )
        return [(chat, message) for chat, message in rows]


async def a_sent_fan_out(app: App) -> None:
    for name in ("a", "b", "c"):
        await add_chat(app, name, ALL_NEWS)
    await publish(app, draft(1, "성남시 드론 배송"))
    async with app.sessions() as session:
        await session.execute(
            update(Delivery).values(
                state=DeliveryState.SENT,
                platform_message_id=literal("m-") + cast(Delivery.chat_id, String),
            )
        )
        await session.commit()


async def test_a_backup_taken_while_another_writer_is_mid_transaction_is_consistent(
    app: App, sqlite_url: str, tmp_path: Path
) -> None:
    await a_sent_fan_out(app)
    writer = sqlite3.connect(sync_url(sqlite_url).database or "")
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("DELETE FROM deliveries")  # not committed when the backup is taken

    copied = backups.backup(sqlite_url, tmp_path / "newsbot.backup")
    writer.rollback()
    writer.close()

    with sqlite3.connect(copied.path) as saved:
        kept = saved.execute("SELECT count(*) FROM deliveries WHERE state = 'sent'").fetchone()
        wal = saved.execute("PRAGMA journal_mode").fetchone()
    assert kept == (3,) and wal == ("delete",)
    assert not (tmp_path / "newsbot.backup-wal").exists()
    assert copied.revision is not None


async def test_a_restored_store_remembers_what_it_had_sent(
    app: App, sqlite_url: str, tmp_path: Path
) -> None:
    await a_sent_fan_out(app)
    before = await sent_copies(app)
    copied = backups.backup(sqlite_url, tmp_path / "newsbot.backup")
    async with app.sessions() as session:  # something goes badly wrong afterwards
        await session.execute(update(Delivery).values(platform_message_id=None))
        await session.commit()
    await app.engine.dispose()

    with sqlite_single_process(sqlite_url):
        backups.restore(copied.path, sqlite_url)

    assert await sent_copies(app) == before


def test_restore_is_refused_while_a_bot_runs_on_the_store(
    capsys: pytest.CaptureFixture[str], sqlite_url: str, tmp_path: Path
) -> None:
    backup_file = tmp_path / "newsbot.backup"
    assert run_cli(capsys, "--database-url", sqlite_url, "db", "backup", str(backup_file))[0] == 0

    with sqlite_single_process(sqlite_url):  # what `newsbot run` holds
        code, _, err = run_cli(
            capsys, "--database-url", sqlite_url, "db", "restore", str(backup_file)
        )

    assert code == 2
    assert err == (
        "newsbot: error: a newsbot process is running on this store: stop it before restoring\n"
    )


def test_what_cannot_be_backed_up_or_restored_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], sqlite_url: str, tmp_path: Path
) -> None:
    not_a_store = tmp_path / "notes.txt"
    not_a_store.write_text("hello")
    taken = tmp_path / "taken.backup"
    taken.write_text("")

    postgres = run_cli(
        capsys, "--database-url", "postgresql://x@127.0.0.1:1/n", "db", "backup", "b"
    )
    exists = run_cli(capsys, "--database-url", sqlite_url, "db", "backup", str(taken))
    garbage = run_cli(capsys, "--database-url", sqlite_url, "db", "restore", str(not_a_store))

    assert postgres[0] == exists[0] == garbage[0] == 2
    assert "pg_dump" in postgres[2]
    assert "already exists" in exists[2]
    assert "is not a SQLite database" in garbage[2]
    assert all(err.count("\n") == 1 for _, _, err in (postgres, exists, garbage))
