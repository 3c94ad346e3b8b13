"""Shared fixtures: a migrated store on SQLite and PostgreSQL, a fixed clock, and no network.

PostgreSQL tests run when NEWSBOT_TEST_POSTGRES_URL names a server where the user may create
databases; each test gets its own database cloned from a migrated template. With CI=true a
missing PostgreSQL is an error, not a skip.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy.engine import make_url

from newsbot.app import App, open_app
from newsbot.clock import FixedClock
from newsbot.config import Settings
from newsbot.store import migrate
from tests.fakes.feed_server import feed_server_fixture  # noqa: F401  (fixture feed_server)
from tests.fakes.telegram_api import fake_telegram_fixture  # noqa: F401  (fixture fake_telegram)

PG_ENV = "NEWSBOT_TEST_POSTGRES_URL"
SAMPLES = Path(__file__).resolve().parent.parent / "newsbot" / "data" / "samples"
SEED = (
    Path(__file__).resolve().parent.parent.parent / "shared" / "seed" / "000_5b0afd051804e015.txt"
)
START = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)  # 12:00 KST, the day after the samples end


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("CI", "").lower() == "true" and not os.environ.get(PG_ENV):
        raise pytest.UsageError(f"CI=true but {PG_ENV} is not set: PostgreSQL tests must run")


# --- no network beyond loopback ---------------------------------------------------------

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _check_address(sock: socket.socket, address: Any) -> None:
    if sock.family not in (socket.AF_INET, socket.AF_INET6):
        return
    host = address[0]
    try:
        if ipaddress.ip_address(host).is_loopback:
            return
    except ValueError:
        if host == "localhost":
            return
    raise RuntimeError(f"tests may not reach beyond loopback (tried {address!r})")


def _guarded_connect(self: socket.socket, address: Any) -> None:
    _check_address(self, address)
    _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    _check_address(self, address)
    return _real_connect_ex(self, address)


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", _guarded_connect_ex)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No developer .env or NEWSBOT_* variable leaks into a test."""
    for key in list(os.environ):
        if key.startswith("NEWSBOT_") and key != PG_ENV:
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)


# --- stores -------------------------------------------------------------------------------


def _pg_admin_url() -> str | None:
    return os.environ.get(PG_ENV) or None


def _pg_conninfo(url: str) -> str:
    parsed = make_url(url.replace("postgres://", "postgresql://", 1))
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def _with_database(url: str, name: str) -> str:
    parsed = make_url(url.replace("postgres://", "postgresql://", 1))
    return parsed.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """A migrated template database, made once per run."""
    admin = _pg_admin_url()
    if admin is None:
        pytest.skip(f"{PG_ENV} not set")
    name = f"newsbot_tpl_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_pg_conninfo(admin), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    migrate.upgrade(_with_database(admin, name))
    yield name
    with psycopg.connect(_pg_conninfo(admin), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def new_pg_database(template: str | None = None) -> str:
    admin = _pg_admin_url()
    assert admin is not None
    name = f"newsbot_t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_pg_conninfo(admin), autocommit=True) as conn:
        suffix = f' TEMPLATE "{template}"' if template else ""
        conn.execute(f'CREATE DATABASE "{name}"{suffix}')
    return name


def drop_pg_database(name: str) -> None:
    admin = _pg_admin_url()
    assert admin is not None
    with psycopg.connect(_pg_conninfo(admin), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def empty_pg_url() -> Iterator[str]:
    """A brand-new, empty PostgreSQL database (for migration tests)."""
    admin = _pg_admin_url()
    if admin is None:
        pytest.skip(f"{PG_ENV} not set")
    name = new_pg_database()
    yield _with_database(admin, name)
    drop_pg_database(name)


BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty store on each backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'newsbot.db'}"
        migrate.upgrade(url)
        yield url
        return
    admin = _pg_admin_url()
    if admin is None:
        pytest.skip(f"{PG_ENV} not set")
    template = request.getfixturevalue("pg_template")
    name = new_pg_database(template)
    yield _with_database(admin, name)
    drop_pg_database(name)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


def make_settings(database_url: str, **overrides: Any) -> Settings:
    return Settings(_env_file=None, database_url=database_url, **overrides)  # type: ignore[call-arg]


@pytest.fixture
async def app(database_url: str, clock: FixedClock) -> AsyncIterator[App]:
    async with open_app(make_settings(database_url), clock=clock) as opened:
        yield opened
