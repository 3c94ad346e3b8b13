"""Inbound requests claimed once: Slack's retried events and commands act once.

Revision ID: 0011s
Revises: 0011
Create Date: 2026-12-06

A row per platform request key; the first insert wins, across processes.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011s"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inbound_requests",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_inbound_requests")),
    )
    op.create_index(op.f("ix_inbound_requests_received_at"), "inbound_requests", ["received_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_inbound_requests_received_at"), table_name="inbound_requests")
    op.drop_table("inbound_requests")
