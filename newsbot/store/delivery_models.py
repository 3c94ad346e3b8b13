"""Tables of the delivery engine: chats, what they subscribed to, and the outbox.

Everything that goes out is a ``Delivery`` row, unique per (article, chat, kind, revision):
idempotency lives in that constraint, not in memory, so re-running the matcher or a restart
can never double a message. ``ArticleEvent`` rows are the matcher's queue: one per new or
corrected article, written in the article's own transaction and marked matched in the same
transaction that writes its deliveries. A headline matched while its chat is inside its
quiet hours is written ``held`` rather than ``pending``, due when the quiet hours end.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from newsbot.store.base import Base, text_enum


class ChatKind(enum.StrEnum):
    PRIVATE = "private"
    GROUP = "group"
    SUPERGROUP = "supergroup"
    CHANNEL = "channel"
    SLACK_CHANNEL = "slack_channel"
    SLACK_DM = "slack_dm"
    CONSOLE = "console"


class SubscriptionKind(enum.StrEnum):
    ALL = "all"
    SECTION = "section"
    KEYWORD = "keyword"


class EventKind(enum.StrEnum):
    NEW = "new"
    CORRECTED = "corrected"


class DeliveryKind(enum.StrEnum):
    BREAKING = "breaking"
    HEADLINE = "headline"
    CORRECTION = "correction"
    DIGEST = "digest"
    EDIT = "edit"  # an editor's correction, edited into the copy sent before
    RETRACTION = "retraction"  # an editor's retraction: the copy deleted, or replaced


# Lower goes first: breaking before headlines before digests.
PRIORITY = {
    DeliveryKind.BREAKING: 0,
    DeliveryKind.CORRECTION: 1,
    DeliveryKind.HEADLINE: 2,
    DeliveryKind.DIGEST: 3,
    DeliveryKind.EDIT: 1,
    DeliveryKind.RETRACTION: 1,
}


class DeliveryState(enum.StrEnum):
    PENDING = "pending"  # waiting for its due time, or claimed under a lease
    # A headline kept back by the chat's quiet hours until ``due_at``; all of a chat's due
    # held rows are claimed together and sent as one message (newsbot.delivery.dispatcher).
    HELD = "held"
    SENT = "sent"
    FAILED = "failed"  # a permanent failure, with the reason
    DROPPED = "dropped"  # the chat went away before it could be sent


class Chat(Base):
    __tablename__ = "chats"
    __table_args__ = (UniqueConstraint("platform", "platform_chat_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    platform_chat_id: Mapped[str] = mapped_column(String(100))
    kind: Mapped[ChatKind] = mapped_column(text_enum(ChatKind))
    title: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8), default="ko")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Seoul")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    inactive_reason: Mapped[str | None] = mapped_column(Text)
    # Times of day are minutes after local midnight (0-1439) in ``timezone``. Quiet hours are
    # both set or both null; a start later than the end spans midnight (23:00-07:00).
    quiet_start: Mapped[int | None] = mapped_column(Integer)
    quiet_end: Mapped[int | None] = mapped_column(Integer)
    link_previews: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    digest_time: Mapped[int | None] = mapped_column(Integer)  # the daily digest, local time
    # The digest's other settings (migration 0011): how many articles (1-10), a weekday for a
    # weekly digest (0 Monday … 6 Sunday; null: daily over the last 24 h), whether it is
    # limited to the chat's own sections ("subscriptions") or the whole paper ("all"), and
    # whether an empty window still sends a one-line note.
    digest_size: Mapped[int] = mapped_column(Integer, default=7, server_default=text("7"))
    digest_weekday: Mapped[int | None] = mapped_column(Integer)
    digest_scope: Mapped[str] = mapped_column(
        String(16), default="subscriptions", server_default="subscriptions"
    )
    digest_empty_note: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # When the next digest falls due (UTC), kept with the settings (newsbot.digest.schedule):
    # the minute tick reads only the chats whose moment has come, through this index.
    digest_next_at: Mapped[datetime | None] = mapped_column(index=True)
    # The newsroom's breaking news reaches every chat but those that opted out (migration
    # 0011e); those still get it through their own subscriptions.
    breaking_alerts: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Subscription(Base):
    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("chat_id", "kind", "value"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"), index=True)
    kind: Mapped[SubscriptionKind] = mapped_column(text_enum(SubscriptionKind))
    value: Mapped[str] = mapped_column(String(200), default="")  # section or keyword
    created_at: Mapped[datetime]


class ArticleEvent(Base):
    __tablename__ = "article_events"
    __table_args__ = (Index("ix_article_events_unmatched", "matched", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    revision: Mapped[int] = mapped_column(Integer)
    kind: Mapped[EventKind] = mapped_column(text_enum(EventKind))
    matched: Mapped[bool] = mapped_column(Boolean, default=False)
    # While a fan-out is matched a chunk at a time: the last chat id whose rows are written
    # (migration 0009). Null before the first chunk.
    matched_through: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime]


class DigestState(enum.StrEnum):
    QUEUED = "queued"  # its delivery is in the outbox
    DROPPED = "dropped"  # due longer ago than NEWSBOT_DIGEST_GRACE when a tick saw it
    EMPTY = "empty"  # nothing in its window, and the chat wants no note of that


class Digest(Base):
    """One chat's digest for one local date: what makes it exactly once.

    The unique (chat, local date) is the guarantee: a tick after a restart, a second leader
    or a second process on PostgreSQL inserts nothing the first one inserted, and only a row
    it did insert gets a delivery (migration 0011). The articles are chosen when it falls
    due (ids in rank order), so a digest deferred by quiet hours shows the list of its minute.
    """

    __tablename__ = "digests"
    __table_args__ = (UniqueConstraint("chat_id", "local_date"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"))
    local_date: Mapped[date] = mapped_column(Date)
    due_at: Mapped[datetime]  # the moment it fell due, UTC
    state: Mapped[DigestState] = mapped_column(text_enum(DigestState))
    weekly: Mapped[bool] = mapped_column(Boolean, default=False)
    article_ids: Mapped[str] = mapped_column(Text, default="")  # "12,5,9": rank order
    fell_back: Mapped[bool] = mapped_column(Boolean, default=False)  # no views: the latest
    created_at: Mapped[datetime]


class Delivery(Base):
    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("article_id", "chat_id", "kind", "revision"),
        # A digest has no article: its row points at the chat's digest for the day instead.
        UniqueConstraint("digest_id"),
        # What claims walk (migration 0008): pending rows in claim order, held rows by
        # chat. Queries spell the state out as a literal (see newsbot.delivery.outbox).
        Index(
            "ix_deliveries_claim",
            "priority",
            "id",
            postgresql_where=text("state = 'pending'"),
            sqlite_where=text("state = 'pending'"),
        ),
        Index(
            "ix_deliveries_held",
            "chat_id",
            "due_at",
            postgresql_where=text("state = 'held'"),
            sqlite_where=text("state = 'held'"),
        ),
        Index("ix_deliveries_chat_state", "chat_id", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Null for a digest, which names its ``digest_id`` instead (migration 0011).
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    digest_id: Mapped[int | None] = mapped_column(ForeignKey("digests.id", ondelete="CASCADE"))
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"))
    kind: Mapped[DeliveryKind] = mapped_column(text_enum(DeliveryKind))
    revision: Mapped[int] = mapped_column(Integer, default=0)  # the article revision corrected
    priority: Mapped[int] = mapped_column(Integer)
    state: Mapped[DeliveryState] = mapped_column(text_enum(DeliveryState))
    due_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_expires_at: Mapped[datetime | None]
    platform_message_id: Mapped[str | None] = mapped_column(String(100))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    # How an edit or retraction reached the copy (migration 0011e): edited, replied,
    # deleted, replaced. Null for everything sent as a new message.
    settled_as: Mapped[str | None] = mapped_column(String(16))
