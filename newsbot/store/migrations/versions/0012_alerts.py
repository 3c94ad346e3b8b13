"""Operators' alerts: open alerts by key, their queued messages, and when a feed began
failing.

Revision ID: 0012a
Revises: 0011e
Create Date: 2026-12-06

``feeds.failing_since`` is set by the first failure after a success and cleared by the next
success: "a feed failing for an hour" is read from it (``last_checked_at`` moves with every
attempt, and backoff spaces attempts out). Feeds already failing get it on their next
failure.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012a"
down_revision: str | None = "0011e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    now = sa.DateTime(timezone=True)
    op.create_table(
        "alert_states",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("opened_at", now, nullable=False),
        sa.Column("seen_at", now, nullable=False),
        sa.Column("notified_at", now, nullable=True),
        sa.Column("resolved_at", now, nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_alert_states")),
    )
    op.create_table(
        "alert_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column(
            "event",
            sa.Enum(
                "started",
                "repeated",
                "resolved",
                "notice",
                name="alertevent",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("created_at", now, nullable=False),
        sa.Column("due_at", now, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_expires_at", now, nullable=True),
        sa.Column("sent_at", now, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_messages")),
    )
    op.create_index("ix_alert_messages_unsent", "alert_messages", ["sent_at", "due_at"])
    with op.batch_alter_table("feeds", schema=None) as batch_op:
        batch_op.add_column(sa.Column("failing_since", now, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("feeds", schema=None) as batch_op:
        batch_op.drop_column("failing_since")
    op.drop_index("ix_alert_messages_unsent", table_name="alert_messages")
    op.drop_table("alert_messages")
    op.drop_table("alert_states")
