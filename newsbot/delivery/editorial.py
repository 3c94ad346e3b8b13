"""What an editor's Send does to the store: breaking news stored and fanned out, a
correction edited into every copy, a retraction that takes every copy back.

Each function runs in the caller's transaction and returns what it wrote; the handler
commits it together with the draft's state change (``claim_draft``) and the audit entry,
so a press either did all of it or none. A double press, two editors or a retried request
all meet ``claim_draft``'s conditional UPDATE: one of them moves the draft on, the others
find it already sent.

* Breaking news is an article like any other (``store_drafts``), flagged ``is_breaking``,
  from the newsroom's own source: the matcher gives it to every active chat, ahead of
  queued headlines (priority 0), and quiet hours never hold it.
* An editor's correction is a new revision (as a feed's correction is); instead of the
  matcher's replies, every copy sent before gets an ``edit`` row: the platform edits the
  copy in place and replies to it only when it can no longer be edited.
* A retraction marks the article, drops whatever of it is still waiting to go, and gives
  every sent copy a ``retraction`` row: deleted where the platform still allows it,
  replaced by a short notice where not.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from newsbot.delivery.matcher import delivery_row, insert_deliveries
from newsbot.store.articles import Outcome, store_drafts
from newsbot.store.delivery_models import ArticleEvent, Delivery, DeliveryKind, DeliveryState
from newsbot.store.drafts import ArticleDraft
from newsbot.store.editorial import (
    NEWSROOM_SOURCE,
    Action,
    Broadcast,
    DraftState,
    EditorDraft,
    Step,
)
from newsbot.store.models import Article
from newsbot.text.analyzer import Analyzer

DRAFT_LIFETIME = timedelta(hours=1)
FIRST_COPIES = (DeliveryKind.HEADLINE, DeliveryKind.BREAKING)  # what edits and retractions reach
UNSENT = (DeliveryState.PENDING, DeliveryState.HELD)


def newsroom_url(draft_id: int) -> str:
    """A breaking alert without a page still needs a canonical address of its own."""
    return f"urn:newsbot:breaking:{draft_id}"


async def open_draft(
    session: AsyncSession,
    *,
    platform: str,
    chat_id: str,
    user_id: str,
    locale: str,
    action: Action,
    now: datetime,
    step: Step = Step.TITLE,
    article_id: int | None = None,
) -> EditorDraft:
    """A new exchange for this user; one they had open is cancelled (one at a time)."""
    await session.execute(
        update(EditorDraft)
        .where(
            EditorDraft.platform == platform,
            EditorDraft.user_id == user_id,
            EditorDraft.state == DraftState.OPEN,
        )
        .values(state=DraftState.CANCELLED)
    )
    draft = EditorDraft(
        platform=platform,
        chat_id=chat_id,
        user_id=user_id,
        locale=locale,
        action=action,
        article_id=article_id,
        step=step,
        state=DraftState.OPEN,
        title="",
        lead="",
        created_at=now,
        expires_at=now + DRAFT_LIFETIME,
    )
    session.add(draft)
    await session.flush()
    return draft


async def current_draft(
    session: AsyncSession, platform: str, user_id: str, now: datetime
) -> EditorDraft | None:
    """The user's open, unexpired exchange, if any."""
    return await session.scalar(
        select(EditorDraft)
        .where(
            EditorDraft.platform == platform,
            EditorDraft.user_id == user_id,
            EditorDraft.state == DraftState.OPEN,
            EditorDraft.expires_at > now,
        )
        .order_by(EditorDraft.id.desc())
        .limit(1)
    )


async def claim_draft(session: AsyncSession, draft_id: int, to: DraftState) -> bool:
    """Move an open draft at its preview to ``to``; False when someone else already did
    (a second press, another editor, a retry). Only the caller whose UPDATE matched goes on."""
    result = await session.execute(
        update(EditorDraft)
        .where(
            EditorDraft.id == draft_id,
            EditorDraft.state == DraftState.OPEN,
            EditorDraft.step == Step.PREVIEW,
        )
        .values(state=to)
        .execution_options(synchronize_session=False)
    )
    return bool(_rowcount(result))


def _rowcount(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


async def publish_breaking(
    session: AsyncSession, draft: EditorDraft, *, now: datetime, analyzer: Analyzer
) -> int | None:
    """Store the draft as breaking news; the matcher fans it out. Returns the article id, or
    None when its URL is an article's already (the caller rolls back: that is /correct's)."""
    stored = await store_drafts(
        session,
        [
            ArticleDraft(
                source=NEWSROOM_SOURCE,
                guid=f"draft:{draft.id}",
                url=draft.url or newsroom_url(draft.id),
                title=draft.title,
                lead=draft.lead,
                section=draft.section,
                published_at=now,
                is_breaking=True,
            )
        ],
        now=now,
        analyzer=analyzer,
    )
    return stored[0].article_id if stored[0].outcome is Outcome.NEW else None


async def sent_copies(session: AsyncSession, article_id: int) -> list[int]:
    """Chats holding a sent copy of the article (headline or breaking alert)."""
    chats = await session.scalars(
        select(Delivery.chat_id)
        .where(
            Delivery.article_id == article_id,
            Delivery.state == DeliveryState.SENT,
            Delivery.kind.in_(FIRST_COPIES),
        )
        .distinct()
    )
    return sorted(chats)


async def correct(
    session: AsyncSession,
    article: Article,
    *,
    title: str,
    lead: str,
    now: datetime,
    analyzer: Analyzer,
) -> tuple[int, int] | None:
    """Store a new revision and give every sent copy an ``edit`` row. Returns (revision,
    copies), or None when the text did not change."""
    stored = await store_drafts(
        session,
        [
            ArticleDraft(
                source=article.source,
                guid=article.guid,
                url=article.url,
                title=title or article.title,
                lead=lead or article.lead,
                body=article.body,
                author=article.author,
                section=article.section,
                image_url=article.image_url,
                published_at=article.published_at,
                updated_at=max(now, article.updated_at or now),
                date_source=article.date_source,
                is_breaking=article.is_breaking,
            )
        ],
        now=now,
        analyzer=analyzer,
    )
    if stored[0].outcome is not Outcome.CORRECTED:
        return None
    await session.refresh(article)
    # The matcher would answer this revision with replies; the edits below stand for them.
    await session.execute(
        update(ArticleEvent)
        .where(ArticleEvent.article_id == article.id, ArticleEvent.revision == article.revision)
        .values(matched=True)
    )
    chats = await sent_copies(session, article.id)
    rows = [
        delivery_row(article.id, chat, DeliveryKind.EDIT, now=now, revision=article.revision)
        for chat in chats
    ]
    await insert_deliveries(session, rows)
    return article.revision, len(chats)


async def retract(session: AsyncSession, article: Article, *, now: datetime) -> tuple[int, int]:
    """Mark the article retracted, drop what of it still waits, and give every sent copy a
    ``retraction`` row. Returns (copies to take back, deliveries dropped)."""
    article.retracted_at = now
    dropped = await session.execute(
        update(Delivery)
        .where(Delivery.article_id == article.id, Delivery.state.in_(UNSENT))
        # Leases stay: a row already on its way is still "in flight" to the progress
        # message, which waits for it and then takes that copy back too.
        .values(state=DeliveryState.DROPPED, last_error="retracted")
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(ArticleEvent)
        .where(ArticleEvent.article_id == article.id, ArticleEvent.matched.is_(False))
        .values(matched=True)
    )
    chats = await sent_copies(session, article.id)
    rows = [
        delivery_row(article.id, chat, DeliveryKind.RETRACTION, now=now, revision=article.revision)
        for chat in chats
    ]
    await insert_deliveries(session, rows)
    return len(chats), _rowcount(dropped)


async def start_broadcast(
    session: AsyncSession,
    *,
    action: Action,
    article_id: int,
    kind: DeliveryKind,
    revision: int,
    platform: str,
    chat_id: str,
    user_id: str,
    message_id: str | None,
    locale: str,
    now: datetime,
) -> Broadcast:
    """The fan-out an editor started, and the message that will show its progress."""
    broadcast = Broadcast(
        action=action,
        article_id=article_id,
        kind=kind.value,
        revision=revision,
        platform=platform,
        chat_id=chat_id,
        user_id=user_id,
        message_id=message_id,
        locale=locale,
        started_at=now,
        last_edit_at=now,  # the press's own answer edits the message now: the next in 3 s
    )
    session.add(broadcast)
    await session.flush()
    return broadcast
