"""Schema migrations, run from code so `newsbot db upgrade` needs no alembic.ini."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.exc import OperationalError

from newsbot.errors import StoreError
from newsbot.store import (  # noqa: F401  (every table in Base.metadata)
    alerts,
    delivery_models,
    editorial,
    inbound,
    models,
    staff,
)
from newsbot.store.engine import backend_name, make_sync_engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


# Backend-specific parts of the search index that the models do not describe.
_UNMODELLED_TABLES = ("search_fts", "search_terms", "search_totals", "search_keys")
_UNMODELLED_COLUMNS = {("search_docs", "tsv"), ("search_docs", "doclen")}


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Leave FTS5 shadow tables and PostgreSQL's tsvector, search keys and bm25 statistics out
    of schema comparisons."""
    if type_ == "table" and name and name.startswith(_UNMODELLED_TABLES):
        return False
    if type_ == "column":
        table = getattr(getattr(obj, "table", None), "name", None)
        if (table, name) in _UNMODELLED_COLUMNS:
            return False
    return not (type_ == "index" and name in ("ix_search_docs_tsv", "ix_search_keys_keys"))


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def all_revisions() -> list[str]:
    """Every revision from the first to head, in upgrade order."""
    script = ScriptDirectory.from_config(alembic_config())
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def _describe(url: str, exc: OperationalError) -> StoreError:
    reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
    return StoreError(f"cannot use the {backend_name(url)} store: {reason}")


def upgrade(url: str, revision: str = "head", *, busy_timeout_ms: int = 5000) -> None:
    engine = make_sync_engine(url, busy_timeout_ms=busy_timeout_ms)
    try:
        with engine.begin() as connection:
            cfg = alembic_config()
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, revision)
    except OperationalError as exc:
        raise _describe(url, exc) from None
    finally:
        engine.dispose()


def current_revision(url: str) -> str | None:
    engine = make_sync_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    except OperationalError as exc:
        raise _describe(url, exc) from None
    finally:
        engine.dispose()
