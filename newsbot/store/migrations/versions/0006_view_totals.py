"""Per-window view totals for "most viewed", rebuilt when the view counts change.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    view_state = op.create_table(
        "view_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_view_state")),
    )
    op.bulk_insert(view_state, [{"id": 1, "generation": 0}])
    op.create_table(
        "view_windows",
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("first_day", "last_day", name=op.f("pk_view_windows")),
    )
    op.create_table(
        "view_totals",
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("views", sa.Integer(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_view_totals_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("first_day", "last_day", "article_id", name=op.f("pk_view_totals")),
    )
    with op.batch_alter_table("view_totals", schema=None) as batch_op:
        batch_op.create_index(
            "ix_view_totals_rank",
            ["first_day", "last_day", "views", "published_at", "article_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("view_totals", schema=None) as batch_op:
        batch_op.drop_index("ix_view_totals_rank")
    op.drop_table("view_totals")
    op.drop_table("view_windows")
    op.drop_table("view_state")
