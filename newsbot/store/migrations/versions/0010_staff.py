"""Newsroom roles: who is an editor or an admin, per platform user.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06

Commands declare the role they need (reader, chat admin, editor, admin); chat roles are
the platform's to say, newsroom roles live here. ``NEWSBOT_ADMINS`` bootstraps admins
without a row.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "staff",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("user_id", sa.String(length=100), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "reader",
                "chat_admin",
                "editor",
                "admin",
                name="role",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("added_by", sa.String(length=130), nullable=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff")),
        sa.UniqueConstraint("platform", "user_id", name=op.f("uq_staff_platform_user_id")),
    )


def downgrade() -> None:
    op.drop_table("staff")
