"""The newsroom's own actions: editors' exchanges, their fan-outs, the audit trail;
retracted articles, how an edit or retraction reached each copy, and chats that opted out
of the newsroom's breaking news.

Revision ID: 0011e
Revises: 0011s
Create Date: 2026-12-06

Written beside the daily digest's (0011) and Slack's (0011s) migrations on other branches,
and chained after them when the three were merged.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011e"
down_revision: str | None = "0011s"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=16)


def upgrade() -> None:
    now = sa.DateTime(timezone=True)
    op.create_table(
        "editor_drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("chat_id", sa.String(length=100), nullable=False),
        sa.Column("user_id", sa.String(length=100), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("action", _enum("action", "breaking", "correct", "retract"), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=True),
        sa.Column(
            "step", _enum("step", "title", "lead", "url", "section", "preview"), nullable=False
        ),
        sa.Column("state", _enum("draftstate", "open", "sent", "cancelled"), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("lead", sa.Text(), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("section", sa.String(length=100), nullable=True),
        sa.Column("created_at", now, nullable=False),
        sa.Column("expires_at", now, nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_editor_drafts_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_editor_drafts")),
    )
    op.create_index(
        "ix_editor_drafts_user_state", "editor_drafts", ["platform", "user_id", "state"]
    )
    op.create_table(
        "broadcasts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action", _enum("action", "breaking", "correct", "retract"), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("chat_id", sa.String(length=100), nullable=False),
        sa.Column("user_id", sa.String(length=100), nullable=False),
        sa.Column("message_id", sa.String(length=100), nullable=True),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("started_at", now, nullable=False),
        sa.Column("last_edit_at", now, nullable=True),
        sa.Column("last_text", sa.Text(), nullable=True),
        sa.Column("finished_at", now, nullable=True),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_broadcasts_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcasts")),
    )
    op.create_index("ix_broadcasts_unfinished", "broadcasts", ["finished_at", "id"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", now, nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("user_id", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("outcome", sa.String(length=40), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=True),
        sa.Column("copies", sa.Integer(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retracted_at", now, nullable=True))
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("settled_as", sa.String(length=16), nullable=True))
    with op.batch_alter_table("chats", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("breaking_alerts", sa.Boolean(), server_default=sa.true(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("chats", schema=None) as batch_op:
        batch_op.drop_column("breaking_alerts")
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_column("settled_as")
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_column("retracted_at")
    op.drop_index("ix_audit_log_at", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_index("ix_broadcasts_unfinished", table_name="broadcasts")
    op.drop_table("broadcasts")
    op.drop_index("ix_editor_drafts_user_state", table_name="editor_drafts")
    op.drop_table("editor_drafts")
