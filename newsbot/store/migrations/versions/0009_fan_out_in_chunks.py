"""Match a fan-out's first readers in a chunk of their own, committed with the matcher's place.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26

Writing 10,000 subscribers' rows in one transaction took 0.4 s on PostgreSQL before the
first of them could be claimed, and 100,000 took 3.4 s: the first reader's wait grew with
the audience. The matcher now writes all-news and section subscribers in chat id order, the
first 1,000 in a transaction of their own, and commits each chunk together with
``matched_through``, the last chat id it covered; the event is marked matched with its last
chunk. A matcher that dies mid fan-out resumes after the last committed chunk.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("article_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("matched_through", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("article_events", schema=None) as batch_op:
        batch_op.drop_column("matched_through")
