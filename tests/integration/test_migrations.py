"""The Alembic chain: linear, and every revision upgrades to a schema equal to the models."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from newsbot.store import migrate
from newsbot.store.base import Base
from newsbot.store.engine import make_sync_engine


def schema_differences(url: str) -> list[object]:
    engine = make_sync_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection,
                opts={"compare_type": True, "include_object": migrate.include_object},
            )
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


def test_the_revision_chain_is_linear() -> None:
    script = ScriptDirectory.from_config(migrate.alembic_config())
    assert len(script.get_heads()) == 1
    assert len(script.get_bases()) == 1


def test_an_empty_store_upgrades_to_a_schema_matching_the_models(empty_url: str) -> None:
    migrate.upgrade(empty_url)

    assert migrate.current_revision(empty_url) == migrate.head_revision()
    assert schema_differences(empty_url) == []


@pytest.mark.parametrize("start", migrate.all_revisions())
def test_every_earlier_revision_upgrades_to_head(empty_url: str, start: str) -> None:
    migrate.upgrade(empty_url, start)
    assert migrate.current_revision(empty_url) == start

    migrate.upgrade(empty_url)

    assert migrate.current_revision(empty_url) == migrate.head_revision()
    assert schema_differences(empty_url) == []


def test_upgrading_twice_changes_nothing(empty_url: str) -> None:
    migrate.upgrade(empty_url)
    migrate.upgrade(empty_url)

    assert migrate.current_revision(empty_url) == migrate.head_revision()


def test_sqlite_store_runs_in_wal_mode(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'wal.db'}"
    migrate.upgrade(url)
    engine = make_sync_engine(url)
    with engine.connect() as connection:
        mode = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
        timeout = connection.exec_driver_sql("PRAGMA busy_timeout").scalar()
    engine.dispose()
    assert mode == "wal"
    assert timeout == 5000
