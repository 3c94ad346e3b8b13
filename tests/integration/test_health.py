"""The health check against real stores: 200 when the store answers at the current schema,
503 when it does not answer or is behind, 200 (but not current) when a newer release has
migrated it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
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
    assert (body["ok"], body["reason"]) == (False, "schema behind")
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


async def test_an_embedded_store_that_cannot_be_opened_is_503_with_the_reason_in_the_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    where = tmp_path / "newsbot.db"
    where.mkdir()  # a directory where the file should be: SQLite cannot open it
    url = f"sqlite:///{where}"
    async with open_app(make_settings(url), clock=FixedClock(START)) as app:
        health = health_of(app)
        status, body = await health.check()
        await health.check()  # asked again: the same detail is not logged twice

    assert status == 503
    assert body["reason"] == "store unreachable"
    assert body["store"] == {"reachable": False, "error": "unreachable"}
    assert str(tmp_path) not in json.dumps(body)
    details = [r.getMessage() for r in caplog.records if r.name == "newsbot.health"]
    assert details == ["healthz: the store cannot be read: unable to open database file"]
    assert body["schema"] == {"store": None, "code": migrate.head_revision(), "current": False}


async def test_a_database_server_nobody_answers_at_is_unreachable_without_naming_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = "postgresql://newsbot:db-secret@127.0.0.1:1/newsroom_db"  # nothing listens on port 1
    async with open_app(make_settings(url), clock=FixedClock(START)) as app:
        status, body = await health_of(app).check()

    shown = json.dumps(body)
    assert (status, body["reason"]) == (503, "store unreachable")
    assert body["store"] == {"reachable": False, "error": "unreachable"}
    assert not any(word in shown for word in ("127.0.0.1", "newsroom_db", "newsbot:", "secret"))
    assert any("127.0.0.1" in r.getMessage() for r in caplog.records if r.name == "newsbot.health")


async def test_a_down_platform_shows_a_class_of_error_not_its_words(app: App) -> None:
    down = {
        "state": "down",
        "down_seconds": 30,
        "waiting": 4,
        "error": "httpx.ConnectError: [Errno 111] Connect call failed ('10.1.2.3', 443)",
    }
    health = Health(
        app.engine,
        Activity(app.clock),
        platforms=lambda: {"telegram": down, "slack": {"state": "up"}},
    )

    status, body = await health.check()

    assert status == 200  # a platform that is down is not this process failing
    assert body["platforms"] == {
        "telegram": {"state": "down", "down_seconds": 30, "waiting": 4, "error": "unreachable"},
        "slack": {"state": "up"},
    }
