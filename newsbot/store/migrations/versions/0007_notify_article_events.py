"""Wake the matcher at once on PostgreSQL: NOTIFY newsbot_events when article events are queued.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26

A trigger rather than a NOTIFY in newsbot's own code, so every writer wakes the matcher,
programs outside newsbot included. It runs once per statement, not per row, and only when
the statement inserted something: a 500-article import sends one notification. PostgreSQL
delivers it when the writer's transaction commits, and not at all on rollback. The channel
name is the one `newsbot.delivery.wakeup` listens on. SQLite has no NOTIFY: there this
revision changes nothing (the single process wakes its matcher itself).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        """
        CREATE FUNCTION newsbot_notify_article_events() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF EXISTS (SELECT 1 FROM inserted) THEN
                PERFORM pg_notify('newsbot_events', '');
            END IF;
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        """
        CREATE TRIGGER article_events_notify
        AFTER INSERT ON article_events
        REFERENCING NEW TABLE AS inserted
        FOR EACH STATEMENT EXECUTE FUNCTION newsbot_notify_article_events()
        """
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS article_events_notify ON article_events")
    op.execute("DROP FUNCTION IF EXISTS newsbot_notify_article_events()")
