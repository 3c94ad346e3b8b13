"""Alembic environment: runs on a connection handed over by newsbot.store.migrate."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from newsbot.store import (  # noqa: F401  (registers the tables)
    alerts,
    delivery_models,
    editorial,
    inbound,
    models,
    staff,
)
from newsbot.store.base import Base
from newsbot.store.migrate import include_object

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is None:
    from newsbot.config import load_settings
    from newsbot.store.engine import make_sync_engine

    engine = make_sync_engine(load_settings().database_url)
    with engine.connect() as fresh:
        _run(fresh)
    engine.dispose()
else:
    _run(connection)
