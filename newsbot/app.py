"""The composition root: everything a command needs, built from Settings in one place.

Tests build an App with their own clock or database URL; nothing else reads the environment.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from newsbot.clock import Clock, SystemClock
from newsbot.config import Settings
from newsbot.errors import StoreError
from newsbot.store import migrate
from newsbot.store.engine import backend_name, make_async_engine, make_sessionmaker


@dataclass(slots=True)
class App:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    clock: Clock


def prepare_store(settings: Settings) -> bool:
    """Make sure the schema is current before anything reads it.

    The embedded SQLite store is created and migrated on first use, so the first command a
    newcomer types works. A shared PostgreSQL store is migrated only on purpose
    (`newsbot db upgrade`), because other processes may be running against it.
    Returns True when the schema was upgraded (so the search index may need filling).
    """
    url = settings.database_url
    current = migrate.current_revision(url)
    head = migrate.head_revision()
    if current == head:
        return False
    if backend_name(url) == "sqlite":
        migrate.upgrade(url, busy_timeout_ms=settings.sqlite_busy_timeout_ms)
        return True
    raise StoreError(
        f"the store is at schema revision {current or 'none'}, this newsbot needs {head}: "
        "run `newsbot db upgrade`"
    )


async def index_missing(app: App) -> int:
    """Index articles stored before the search index existed (or before a reindex)."""
    from newsbot.store.search_index import reindex
    from newsbot.text.analyzer import default_analyzer

    async with app.sessions() as session:
        return await reindex(session, default_analyzer(), only_missing=True)


@asynccontextmanager
async def open_app(settings: Settings, *, clock: Clock | None = None) -> AsyncIterator[App]:
    engine = make_async_engine(
        settings.database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms
    )
    try:
        yield App(
            settings=settings,
            engine=engine,
            sessions=make_sessionmaker(engine),
            clock=clock or SystemClock(),
        )
    finally:
        await engine.dispose()
