"""The daily digest: a chat's digest settings, one digest row per chat and local date, and
outbox rows that point at a digest instead of an article.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06

Everything that goes out is a delivery row, and a digest too: ``deliveries.article_id``
becomes nullable and ``deliveries.digest_id`` names the digest (unique, so one row each).
What makes a digest exactly once is ``digests``' unique (chat_id, local_date): the tick
inserts the day's row with ON CONFLICT DO NOTHING and writes a delivery only for a row it
did insert. ``chats.digest_next_at`` (indexed) is when the chat's next digest falls due, so
a minute's tick reads only the chats that are due rather than every chat.

SQLite rebuilds ``deliveries`` for the nullable column (batch mode); its two partial
indexes are dropped first and made again after, as migration 0008 made them.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = sa.text("state = 'pending'")
HELD = sa.text("state = 'held'")


def _partial_indexes() -> None:
    op.create_index(
        "ix_deliveries_claim",
        "deliveries",
        ["priority", "id"],
        postgresql_where=PENDING,
        sqlite_where=PENDING,
    )
    op.create_index(
        "ix_deliveries_held",
        "deliveries",
        ["chat_id", "due_at"],
        postgresql_where=HELD,
        sqlite_where=HELD,
    )


def upgrade() -> None:
    with op.batch_alter_table("chats", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("digest_size", sa.Integer(), server_default=sa.text("7"), nullable=False)
        )
        batch_op.add_column(sa.Column("digest_weekday", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "digest_scope",
                sa.String(length=16),
                server_default="subscriptions",
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column("digest_empty_note", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("digest_next_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_chats_digest_next_at"), ["digest_next_at"])

    op.create_table(
        "digests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.Integer(), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "state",
            sa.Enum("queued", "dropped", "empty", name="digeststate", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("weekly", sa.Boolean(), nullable=False),
        sa.Column("article_ids", sa.Text(), nullable=False),
        sa.Column("fell_back", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["chat_id"],
            ["chats.id"],
            name=op.f("fk_digests_chat_id_chats"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digests")),
        sa.UniqueConstraint("chat_id", "local_date", name=op.f("uq_digests_chat_id_local_date")),
    )

    op.drop_index("ix_deliveries_claim", table_name="deliveries")
    op.drop_index("ix_deliveries_held", table_name="deliveries")
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.alter_column("article_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("digest_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_deliveries_digest_id_digests"),
            "digests",
            ["digest_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_unique_constraint(batch_op.f("uq_deliveries_digest_id"), ["digest_id"])
    _partial_indexes()


def downgrade() -> None:
    op.execute("DELETE FROM deliveries WHERE article_id IS NULL")
    op.drop_index("ix_deliveries_claim", table_name="deliveries")
    op.drop_index("ix_deliveries_held", table_name="deliveries")
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_deliveries_digest_id"), type_="unique")
        batch_op.drop_constraint(batch_op.f("fk_deliveries_digest_id_digests"), type_="foreignkey")
        batch_op.drop_column("digest_id")
        batch_op.alter_column("article_id", existing_type=sa.Integer(), nullable=False)
    _partial_indexes()
    op.drop_table("digests")
    with op.batch_alter_table("chats", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_chats_digest_next_at"))
        batch_op.drop_column("digest_next_at")
        batch_op.drop_column("digest_empty_note")
        batch_op.drop_column("digest_scope")
        batch_op.drop_column("digest_weekday")
        batch_op.drop_column("digest_size")
