"""A consistent copy of the embedded store, and putting one back.

A file copy of a live SQLite database in WAL mode can miss what is still in the -wal file
or catch a page half written, so the copy is made with SQLite's online backup API: it
reads a consistent snapshot while ``newsbot run`` keeps writing, and the result is one
self-contained file. The outbox is in the copy too, with the message ids that corrections
and retractions edit: a store restored from it knows what it has already sent.

PostgreSQL is backed up with its own tools (``pg_dump``); the README says how.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from newsbot.errors import InputError, StoreError
from newsbot.store import migrate
from newsbot.store.engine import backend_name, sync_url

PAGES_PER_STEP = 1024  # copied between yields to writers (about 4 MB at SQLite's page size)


@dataclass(frozen=True, slots=True)
class Copied:
    path: Path
    bytes: int
    revision: str | None


def store_path(database_url: str) -> Path:
    if backend_name(database_url) != "sqlite":
        raise StoreError(
            "backup and restore are for the embedded SQLite store; back up PostgreSQL with "
            "pg_dump (see the README)"
        )
    return Path(sync_url(database_url).database or "newsbot.db")


def backup(database_url: str, destination: Path, *, busy_timeout_ms: int = 5000) -> Copied:
    """Copy the store to ``destination`` (which must not exist yet) while it may be in use."""
    source = store_path(database_url)
    if not source.exists():
        raise InputError(f"no store at {source}")
    if destination.exists():
        raise InputError(f"{destination} already exists: choose a new file for the backup")
    partial = destination.with_name(destination.name + ".partial")
    try:
        with _connect(source, busy_timeout_ms) as live, _connect(partial, busy_timeout_ms) as out:
            live.backup(out, pages=PAGES_PER_STEP)
            out.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
    except sqlite3.Error as problem:
        partial.unlink(missing_ok=True)
        raise StoreError(f"could not back up {source}: {problem}") from None
    partial.replace(destination)
    return Copied(destination, destination.stat().st_size, _revision(destination))


def restore(backup_file: Path, database_url: str, *, busy_timeout_ms: int = 5000) -> Copied:
    """Replace the store's contents with a backup. The caller holds the store's run lock,
    so no bot is writing meanwhile."""
    target = store_path(database_url)
    if not backup_file.is_file():
        raise InputError(f"no backup at {backup_file}")
    revision = _checked_revision(backup_file)
    try:
        with (
            _connect(backup_file, busy_timeout_ms) as saved,
            _connect(target, busy_timeout_ms) as live,
        ):
            saved.backup(live, pages=PAGES_PER_STEP)
    except sqlite3.Error as problem:
        raise StoreError(f"could not restore {target} from {backup_file}: {problem}") from None
    return Copied(target, backup_file.stat().st_size, revision)


def _checked_revision(path: Path) -> str | None:
    """The backup's schema revision, once it is known to be a whole newsbot store."""
    try:
        with _connect(path, 5000) as db:
            ok = db.execute("PRAGMA integrity_check").fetchone()
            revision = _revision_of(db)
    except sqlite3.DatabaseError as problem:
        raise InputError(f"{path} is not a SQLite database: {problem}") from None
    if not ok or ok[0] != "ok":
        raise InputError(f"{path} is damaged: {ok[0] if ok else 'no answer'}")
    if revision is None:
        raise InputError(f"{path} is not a newsbot store (it has no schema revision)")
    if revision not in migrate.all_revisions():
        raise InputError(
            f"{path} is at schema revision {revision}, which this newsbot does not know: "
            "restore it with the newsbot version that made it"
        )
    return revision


def _revision(path: Path) -> str | None:
    with _connect(path, 5000) as db:
        return _revision_of(db)


def _revision_of(db: sqlite3.Connection) -> str | None:
    try:
        row = db.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.OperationalError:
        return None
    return str(row[0]) if row else None


class _connect:
    """A sqlite3 connection that is closed (not only committed) when the block ends."""

    def __init__(self, path: Path, busy_timeout_ms: int) -> None:
        self.connection = sqlite3.connect(path, timeout=busy_timeout_ms / 1000)

    def __enter__(self) -> sqlite3.Connection:
        return self.connection

    def __exit__(self, *_: object) -> None:
        self.connection.close()
