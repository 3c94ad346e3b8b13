"""The health check against real stores: 200 when the store answers at the current schema,
503 when it does not answer or is behind, 200 (but not current) when a newer release has
migrated it."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from newsbot.app import App, open_app
from newsbot.clock import FixedClock
from newsbot.health import Health
from newsbot.store import migrate
from newsbot.telemetry import Activity
from tests.conftest import START, make_settings


def health_of(app: App) -> Health:
    return Health(app.engine, Activity(app.clock), leading=lambda: True)


async def test_a_store_at_the_current_schema_is_healthy(app: App) -> None:
    status, body = await health_of(app).check()

    head = migrate.head_revision()
    assert status == 200
    assert body["ok"] is True
    assert body["store"] == {"reachable": True, "error": None}
    assert body["schema"] == {"store": head, "code": head, "current": True}
    assert body["leader"] is True
    assert (body["last_poll"], body["last_send"]) == (None, None)


async def test_a_store_behind_this_code_is_503_naming_both_revisions(empty_url: str) -> None:
    older = migrate.all_revisions()[-2]
    migrate.upgrade(empty_url, older)
    async with open_app(make_settings(empty_url), clock=FixedClock(START)) as app:
        status, body = await health_of(app).check()

    assert status == 503
    assert body["ok"] is False
    assert body["schema"] == {"store": older, "code": migrate.head_revision(), "current": False}


async def test_an_empty_store_is_behind(empty_url: str) -> None:
    async with open_app(make_settings(empty_url), clock=FixedClock(START)) as app:
        status, body = await health_of(app).check()

    assert status == 503
    assert body["schema"] == {"store": None, "code": migrate.head_revision(), "current": False}


async def test_a_store_migrated_by_a_newer_release_is_not_behind(app: App) -> None:
    async with app.engine.begin() as connection:
        await connection.execute(text("UPDATE alembic_version SET version_num = 'fffffffff'"))

    status, body = await health_of(app).check()

    assert status == 200
    assert body["schema"] == {
        "store": "fffffffff",
        "code": migrate.head_revision(),
        "current": False,
    }


async def test_an_embedded_store_that_cannot_be_opened_is_503_with_the_reason(
    tmp_path: Path,
) -> None:
    where = tmp_path / "newsbot.db"
    where.mkdir()  # a directory where the file should be: SQLite cannot open it
    url = f"sqlite:///{where}"
    async with open_app(make_settings(url), clock=FixedClock(START)) as app:
        status, body = await health_of(app).check()

    assert status == 503
    assert body["store"] == {"reachable": False, "error": "unable to open database file"}
    assert body["schema"] == {"store": None, "code": migrate.head_revision(), "current": False}
