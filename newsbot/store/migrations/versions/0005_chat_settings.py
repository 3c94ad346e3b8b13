"""Per-chat settings: quiet hours, link previews and the daily digest time.

Times of day are minutes after local midnight (0-1439) in the chat's own ``timezone``; a
quiet-hours start later than its end spans midnight (23:00-07:00). Both quiet columns null
means no quiet hours. Ranges are checked where settings are written
(``newsbot.delivery.chat_settings``), not by CHECK constraints: SQLite batch migrations drop
named CHECK constraints unless every later revision re-states them.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("chats", schema=None) as batch_op:
        batch_op.add_column(sa.Column("quiet_start", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("quiet_end", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("link_previews", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
        batch_op.add_column(sa.Column("digest_time", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("chats", schema=None) as batch_op:
        batch_op.drop_column("digest_time")
        batch_op.drop_column("link_previews")
        batch_op.drop_column("quiet_end")
        batch_op.drop_column("quiet_start")
