"""Throwaway stores for the benchmarks: a SQLite file in a temporary folder, or a PostgreSQL
database created for one run on the server an admin URL points at and dropped after it."""

from __future__ import annotations

import argparse
import contextlib
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator

import psycopg
from sqlalchemy.engine import make_url

from newsbot.app import App, open_app
from newsbot.clock import SystemClock
from newsbot.config import Settings
from newsbot.store import migrate
from tests.bulk import add_chats_taking_all_news


@contextlib.contextmanager
def postgres_database(admin: str, prefix: str) -> Iterator[str]:
    """A new database named ``prefix_…``; its URL; dropped (WITH FORCE) afterwards."""
    url = make_url(admin.replace("postgres://", "postgresql://", 1))
    conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def fresh_store(store: str, admin: str | None, prefix: str) -> Iterator[str]:
    """The URL of an empty store: ``store`` is "sqlite" or "postgresql" (needs ``admin``)."""
    if store == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/{prefix}.db"
        return
    if admin is None:
        raise ValueError("a PostgreSQL store needs an admin URL (--postgres)")
    with postgres_database(admin, prefix) as url:
        yield url


def stores_to_run(
    parser: argparse.ArgumentParser, only: str | None, postgres: str | None
) -> list[str]:
    """The stores a bench measures: ``--only`` one, else both, PostgreSQL when it has a URL."""
    stores = [only] if only else ["sqlite", "postgresql"]
    if "postgresql" in stores and not postgres:
        if only:
            parser.error("--only postgresql needs --postgres URL (or NEWSBOT_TEST_POSTGRES_URL)")
        stores.remove("postgresql")
    return stores


@contextlib.asynccontextmanager
async def app_with_readers(url: str, chats: int) -> AsyncIterator[App]:
    """The store at ``url`` migrated and opened on the real clock, with ``chats`` Telegram
    chats (ids 1,000,000 on) taking all news, committed."""
    migrate.upgrade(url)
    settings = Settings(_env_file=None, database_url=url)  # type: ignore[call-arg]
    async with open_app(settings, clock=SystemClock()) as app:
        async with app.sessions() as session:
            await add_chats_taking_all_news(
                session, "telegram", (str(10**6 + n) for n in range(chats)), now=app.clock.now()
            )
            await session.commit()
        yield app
