"""Claim due deliveries from indexes of pending and of held rows only.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26

A claim takes the first 500 due rows in (priority, id) order. The old index on (state,
priority, due_at) made both databases read and sort every pending row for that: at
Telegram's default 30 messages/s a day's fan-out leaves hundreds of thousands waiting, and
with 520,000 pending rows on PostgreSQL one claim took 285 ms (an external sort). With a
partial index of pending rows in claim order it took 0.8 ms. Held rows (quiet hours) get
their own partial index, by chat as they are claimed. Sent, failed and dropped rows, the
bulk of the table over time, are in neither. The old index goes: SQLite's planner
preferred it to the new one.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = sa.text("state = 'pending'")
HELD = sa.text("state = 'held'")


def upgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_deliveries_due")
        batch_op.create_index(
            "ix_deliveries_claim",
            ["priority", "id"],
            postgresql_where=PENDING,
            sqlite_where=PENDING,
        )
        batch_op.create_index(
            "ix_deliveries_held", ["chat_id", "due_at"], postgresql_where=HELD, sqlite_where=HELD
        )


def downgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_deliveries_held")
        batch_op.drop_index("ix_deliveries_claim")
        batch_op.create_index("ix_deliveries_due", ["state", "priority", "due_at"])
