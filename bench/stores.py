"""Throwaway stores for the benchmarks: a SQLite file in a temporary folder, or a PostgreSQL
database created for one run on the server an admin URL points at and dropped after it."""

from __future__ import annotations

import contextlib
import tempfile
import uuid
from collections.abc import Iterator

import psycopg
from sqlalchemy.engine import make_url


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
