"""Tables of the newsroom's own actions: an editor's exchange in progress, the fan-outs it
started (with the message that shows their progress), and the audit trail.

An exchange with an editor (``/breaking``: title → lead → URL → section → preview) is a
row, not memory: any process may receive the editor's next message, and a restart loses
nothing. Its ``state`` moves ``open`` → ``sent`` or ``cancelled`` by one conditional UPDATE,
so a double press, two editors pressing at once or a retried request sends once.

A ``Broadcast`` is what an editor's Send started: a breaking alert, a correction edited into
every copy, a retraction. It names the deliveries it follows ((article, kind, revision))
and the message that shows its progress, which every process may edit (at most once every
few seconds, decided by a conditional UPDATE of ``last_edit_at``) until one marks it
finished: a process that dies mid fan-out leaves the rest to the others or to its restart.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from newsbot.store.base import Base, text_enum
from newsbot.store.models import Article

# The source of the articles editors write in the chat. Breaking news from it goes to every
# active chat, not only to subscribers (newsbot.delivery.matcher).
NEWSROOM_SOURCE = "newsroom"


class Action(enum.StrEnum):
    BREAKING = "breaking"
    CORRECT = "correct"
    RETRACT = "retract"


class DraftState(enum.StrEnum):
    OPEN = "open"  # being written, or shown as a preview
    SENT = "sent"
    CANCELLED = "cancelled"


class Step(enum.StrEnum):
    TITLE = "title"
    LEAD = "lead"
    URL = "url"
    SECTION = "section"
    PREVIEW = "preview"  # complete: waiting for Send or Cancel


class EditorDraft(Base):
    __tablename__ = "editor_drafts"
    __table_args__ = (Index("ix_editor_drafts_user_state", "platform", "user_id", "state"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    chat_id: Mapped[str] = mapped_column(String(100))  # where the exchange happens
    user_id: Mapped[str] = mapped_column(String(100))
    locale: Mapped[str] = mapped_column(String(8), default="ko")
    action: Mapped[Action] = mapped_column(text_enum(Action))
    article_id: Mapped[int | None] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE")
    )  # what /correct and /retract act on
    step: Mapped[Step] = mapped_column(text_enum(Step))
    state: Mapped[DraftState] = mapped_column(text_enum(DraftState))
    title: Mapped[str] = mapped_column(Text, default="")
    lead: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str | None] = mapped_column(String(2000))
    section: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class Broadcast(Base):
    __tablename__ = "broadcasts"
    __table_args__ = (Index("ix_broadcasts_unfinished", "finished_at", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    action: Mapped[Action] = mapped_column(text_enum(Action))
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # the DeliveryKind it follows
    revision: Mapped[int] = mapped_column(Integer)  # the deliveries' revision (0: breaking)
    # The progress message: where the editor pressed Send. No id: the platform cannot edit
    # (the console prints each step instead).
    platform: Mapped[str] = mapped_column(String(20))
    chat_id: Mapped[str] = mapped_column(String(100))
    user_id: Mapped[str] = mapped_column(String(100))  # the editor who pressed Send
    message_id: Mapped[str | None] = mapped_column(String(100))
    locale: Mapped[str] = mapped_column(String(8), default="ko")
    started_at: Mapped[datetime]
    last_edit_at: Mapped[datetime | None]
    last_text: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[datetime | None]


class AuditEntry(Base):
    """One editor action or refused attempt. No foreign keys: the trail outlives what it
    names."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_at", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime]
    platform: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(40))  # the command or button, or a CLI verb
    outcome: Mapped[str] = mapped_column(String(40))  # done, refused, cancelled, …
    article_id: Mapped[int | None] = mapped_column(Integer)
    copies: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[str | None] = mapped_column(Text)


async def find_draft(session: AsyncSession, draft_id: int) -> EditorDraft | None:
    """An editor's exchange by the id its buttons carry."""
    return await session.get(EditorDraft, draft_id)


async def find_article(session: AsyncSession, article_id: int) -> Article | None:
    """The article an editor names by id (``/correct 123``); None when there is none."""
    return await session.get(Article, article_id) if article_id > 0 else None
