"""What a platform is asked to send, built from claimed outbox rows.

The dispatcher moves rows through claim, pace, send and settle; which article columns make a
headline, how a correction finds the message it replaces and how a chat's held headlines
become one message are questions about the message, not about sending, so they live here.
Each claimed row (or held group) becomes one ``Job``: the rows it settles, whom it goes to
and the platform-neutral ``Outgoing`` to render.

Headlines held by a chat's quiet hours go out as one "while you were away" message when the
quiet hours end: ``outbox.claim_held`` leases all of a chat's due held rows as a group, and
the group becomes one ``Outgoing`` (kind ``away``; newest first, ``AWAY_LISTED`` listed and
the rest counted). A lone held headline goes out as an ordinary headline.

The loaders read columns for a whole batch in a few queries, never one per row: a fan-out
claims thousands of rows of one article, and a correction of it is a fan-out too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from newsbot.delivery import outbox
from newsbot.delivery.outcomes import AWAY, REPLIED, Headline, Outgoing, Recipient
from newsbot.store.delivery_models import Chat, Delivery, DeliveryKind, DeliveryState
from newsbot.store.models import Article

CORRECTION = DeliveryKind.CORRECTION.value
# Kinds that act on the copy sent before: they need its message id.
ON_A_COPY = (CORRECTION, DeliveryKind.EDIT.value, DeliveryKind.RETRACTION.value)
RETRACTION = DeliveryKind.RETRACTION.value
AWAY_LISTED = 10  # headlines named in one "while you were away" message; the rest are counted


@dataclass(frozen=True, slots=True)
class Job:
    """One message to send, and the outbox rows its outcome settles."""

    delivery_ids: tuple[int, ...]  # one row, or a held group sent as one message
    attempts: int
    chat_id: int
    platform: str
    recipient: Recipient
    message: Outgoing


def away_message(newest_first: Sequence[Article]) -> Outgoing:
    """A chat's held headlines as one message: the newest in the usual fields, the next
    ``AWAY_LISTED - 1`` in ``also``, the rest counted; a lone one is an ordinary headline."""
    newest = newest_first[0]
    listed = newest_first[1:AWAY_LISTED]
    return Outgoing(
        kind=AWAY if len(newest_first) > 1 else DeliveryKind.HEADLINE.value,
        title=newest.title,
        url=newest.url,
        lead=newest.lead,
        section=newest.section,
        published_at=newest.published_at,
        also=tuple(Headline(a.title, a.url, a.section, a.published_at) for a in listed),
        more=max(0, len(newest_first) - AWAY_LISTED),
    )


def _recipient(chat: Chat) -> Recipient:
    return Recipient(
        chat.platform_chat_id, chat.kind.value, chat.language, chat.timezone, chat.link_previews
    )


async def load_jobs(session: AsyncSession, claimed: list[outbox.Claimed]) -> list[Job]:
    """Jobs for claimed rows, in claim order. Columns, not ORM objects (a fan-out loads
    thousands of rows of one article), and one Outgoing per article, kind and revision."""
    if not claimed:
        return []
    chats = {
        row[0]: row[1:]
        for row in await session.execute(
            select(
                Chat.id,
                Chat.platform,
                Chat.platform_chat_id,
                Chat.kind,
                Chat.language,
                Chat.timezone,
                Chat.link_previews,
            ).where(outbox.ids_in(session, Chat.id, {c.chat_id for c in claimed}))
        )
    }
    articles = {
        a.id: a
        for a in await session.scalars(
            select(Article).where(
                outbox.ids_in(session, Article.id, {c.article_id for c in claimed})
            )
        )
    }
    replaced = await _replaced_messages(session, [c for c in claimed if c.kind in ON_A_COPY])
    related = await _related_messages(session, [c for c in claimed if c.kind == RETRACTION])
    messages: dict[tuple[int, str, int], Outgoing] = {}
    jobs = []
    for row in claimed:
        article, chat = articles.get(row.article_id), chats.get(row.chat_id)
        if article is None or chat is None:  # deleted since the claim; the cascade took the row
            continue
        if article.retracted_at is not None and row.kind != RETRACTION:
            continue  # retracted since the claim: the retraction dropped the row
        platform, platform_chat_id, chat_kind, language, timezone, link_previews = chat
        replaces = replaced.get((row.article_id, row.chat_id))
        also_sent = related.get((row.article_id, row.chat_id), ())
        key = (row.article_id, row.kind, row.revision)
        message = messages.get(key) if replaces is None else None
        if message is None:
            message = Outgoing(
                kind=row.kind,
                title=article.title,
                url=article.url,
                lead=article.lead,
                section=article.section,
                published_at=article.published_at,
                revision=row.revision,
                replaces_message_id=replaces,
                related_message_ids=also_sent,
            )
            if replaces is None:
                messages[key] = message
        recipient = Recipient(platform_chat_id, chat_kind.value, language, timezone, link_previews)
        jobs.append(Job((row.id,), row.attempts, row.chat_id, platform, recipient, message))
    return jobs


async def _replaced_messages(
    session: AsyncSession, corrections: list[outbox.Claimed]
) -> dict[tuple[int, int], str | None]:
    """(article, chat) → the message a correction replaces: one query for the batch, since
    a correction of a fanned-out article is itself a fan-out."""
    if not corrections:
        return {}
    rows = await session.execute(
        select(Delivery.article_id, Delivery.chat_id, Delivery.platform_message_id).where(
            outbox.ids_in(session, Delivery.article_id, {c.article_id for c in corrections}),
            outbox.ids_in(session, Delivery.chat_id, {c.chat_id for c in corrections}),
            Delivery.state == DeliveryState.SENT,
            Delivery.kind.in_([DeliveryKind.HEADLINE, DeliveryKind.BREAKING]),
        )
    )
    return {(article_id, chat_id): message_id for article_id, chat_id, message_id in rows}


async def _related_messages(
    session: AsyncSession, retractions: list[outbox.Claimed]
) -> dict[tuple[int, int], tuple[str, ...]]:
    """(article, chat) → the corrections a retraction takes back with the copy: those sent
    as new messages (replies), not the ones edited into the copy itself."""
    if not retractions:
        return {}
    rows = await session.execute(
        select(Delivery.article_id, Delivery.chat_id, Delivery.platform_message_id)
        .where(
            outbox.ids_in(session, Delivery.article_id, {c.article_id for c in retractions}),
            outbox.ids_in(session, Delivery.chat_id, {c.chat_id for c in retractions}),
            Delivery.state == DeliveryState.SENT,
            Delivery.platform_message_id.is_not(None),
            or_(
                Delivery.kind == DeliveryKind.CORRECTION,
                and_(Delivery.kind == DeliveryKind.EDIT, Delivery.settled_as == REPLIED),
            ),
        )
        .order_by(Delivery.id)
    )
    found: dict[tuple[int, int], list[str]] = {}
    for article_id, chat_id, message_id in rows:
        found.setdefault((article_id, chat_id), []).append(str(message_id))
    return {key: tuple(ids) for key, ids in found.items()}


async def load_held_jobs(session: AsyncSession, groups: dict[int, list[int]]) -> list[Job]:
    """One job per chat's held group (``outbox.claim_held``): its headlines newest first,
    as one message."""
    ids = [i for group in groups.values() for i in group]
    if not ids:
        return []
    rows = await session.execute(
        select(Delivery.id, Delivery.attempts, Article, Chat)
        .join(Article, Article.id == Delivery.article_id)
        .join(Chat, Chat.id == Delivery.chat_id)
        .where(outbox.ids_in(session, Delivery.id, ids))
        .order_by(Delivery.chat_id, Article.published_at.desc(), Delivery.id.desc())
    )
    by_chat: dict[int, list[tuple[int, int, Article, Chat]]] = {}
    for delivery_id, attempts, article, chat in rows:
        by_chat.setdefault(chat.id, []).append((delivery_id, attempts, article, chat))
    jobs = []
    for members in by_chat.values():
        chat = members[0][3]
        jobs.append(
            Job(
                tuple(m[0] for m in members),
                max(m[1] for m in members),
                chat.id,
                chat.platform,
                _recipient(chat),
                away_message([m[2] for m in members]),
            )
        )
    return jobs
