"""Tables of the operators' alerts: which alerts are open, and the messages queued for the
alert chat.

Both live in the store so that what an alert has already said holds across restarts and
across several processes sharing one PostgreSQL: ``alert_states`` has one row per alert key
(a feed, a platform, "chats gone"…), and a key's row is what makes an outage send one
"started" message rather than one per check or per process. ``alert_messages`` is a small
outbox of its own: a message is a row until the alert chat's platform has taken it, so a
429 or an outage of that platform delays it and never loses it. Alerts are not deliveries:
they name no article, digest or subscribed chat, and they must not compete with the
newsroom's fan-outs for claim order.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from newsbot.store.base import Base, text_enum


class AlertEvent(enum.StrEnum):
    STARTED = "started"  # the alert opened (or the first time the hourly cap let it say so)
    REPEATED = "repeated"  # still open, at most once per NEWSBOT_ALERT_REPEAT
    RESOLVED = "resolved"  # closed: sent for every alert that was announced
    NOTICE = "notice"  # a one-off event with nothing to resolve (the leader changed)


class AlertState(Base):
    """One alert key: open while ``resolved_at`` is null. ``notified_at`` is when its last
    message was queued (null: never announced, so its resolution is not announced either)."""

    __tablename__ = "alert_states"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    params: Mapped[str] = mapped_column(Text, default="{}")  # JSON, for the message's blanks
    opened_at: Mapped[datetime]
    seen_at: Mapped[datetime]  # the last check or signal that found it firing
    notified_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]


class AlertMessage(Base):
    """A message for the alert chat, worded when sent (NEWSBOT_ALERT_LANGUAGE)."""

    __tablename__ = "alert_messages"
    __table_args__ = (Index("ix_alert_messages_unsent", "sent_at", "due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    event: Mapped[AlertEvent] = mapped_column(text_enum(AlertEvent))
    params: Mapped[str] = mapped_column(Text, default="{}")
    created_at: Mapped[datetime]
    due_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_expires_at: Mapped[datetime | None]  # claimed by a sender until then
    # Settled: the platform took it, or refused this text for good (then ``last_error``
    # starts with "refused:"); an unsettled message is never forgotten.
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
