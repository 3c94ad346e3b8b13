"""The doctor's check of the store, on SQLite and PostgreSQL: what passes, what fails, and
the fix it names."""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import create_engine, text

from newsbot.cli.doctor import store_check
from newsbot.config import mask_url
from newsbot.platforms.probes import Status
from newsbot.store import migrate
from newsbot.store.engine import sync_url
from tests.conftest import make_settings


async def test_a_migrated_store_passes(database_url: str) -> None:
    check = await store_check(make_settings(database_url), seconds=10)

    assert (check.status, check.detail) == (
        Status.PASSED,
        f"{mask_url(database_url)}: schema {migrate.head_revision()}, the newest",
    )


async def test_an_empty_postgresql_store_fails_until_db_upgrade(empty_pg_url: str) -> None:
    check = await store_check(make_settings(empty_pg_url), seconds=10)

    assert check.status is Status.FAILED
    assert check.detail.endswith(f"schema empty, this newsbot needs {migrate.head_revision()}")
    assert check.fix.startswith("run `newsbot db upgrade`")


def _set_revision(url: str, revision: str) -> None:
    engine = create_engine(sync_url(url))
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})
    engine.dispose()


async def test_an_embedded_store_behind_passes_because_the_next_command_upgrades_it(
    sqlite_template: Path, tmp_path: Path
) -> None:
    database_url = f"sqlite:///{tmp_path / 'old.db'}"
    shutil.copyfile(sqlite_template, tmp_path / "old.db")
    first = migrate.all_revisions()[0]
    _set_revision(database_url, first)

    check = await store_check(make_settings(database_url), seconds=10)

    assert (check.status, check.detail.split(": ", 1)[1]) == (
        Status.PASSED,
        f"schema {first}; the next command upgrades it",
    )


async def test_a_store_migrated_by_a_newer_newsbot_fails(database_url: str) -> None:
    _set_revision(database_url, "9999z")

    check = await store_check(make_settings(database_url), seconds=10)

    assert check.status is Status.FAILED
    assert "schema 9999z, which this newsbot does not know" in check.detail


async def test_an_unreachable_postgresql_server_fails_naming_the_setting() -> None:
    url = "postgresql://newsbot:hunter2@127.0.0.1:9/none"

    check = await store_check(make_settings(url), seconds=10)

    assert check.status is Status.FAILED
    assert check.detail.startswith("postgresql://newsbot:***@127.0.0.1:9/none: ")
    assert "hunter2" not in check.detail
    assert "NEWSBOT_DATABASE_URL" in check.fix
