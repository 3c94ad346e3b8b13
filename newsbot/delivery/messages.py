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

A digest row names its ``digests`` row (the day, and the article ids in rank order) rather
than an article; every digest with the same articles, day and kind is one ``Outgoing``, so
the platforms render it once per language and zone (their render caches key on it).

The loaders read columns for a whole batch in a few queries, never one per row: a fan-out
claims thousands of rows of one article, and a correction of it is a fan-out too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import cast

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from newsbot.delivery import outbox
from newsbot.delivery.outcomes import (
    AWAY,
    REPLIED,
    DigestBody,
    DigestItem,
    Headline,
    Outgoing,
    Recipient,
)
from newsbot.store.delivery_models import Chat, Delivery, DeliveryKind, DeliveryState, Digest
from newsbot.store.models import Article
from newsbot.text.bylines import strip_bylines

CORRECTION = DeliveryKind.CORRECTION.value
DIGEST = DeliveryKind.DIGEST.value
DIGEST_LEAD = 120  # characters of lead a digest item shows: one line
# Kinds that act on the copy sent before: they need its message id.
ON_A_COPY = (CORRECTION, DeliveryKind.EDIT.value, DeliveryKind.RETRACTION.value)
RETRACTION = DeliveryKind.RETRACTION.value
AWAY_LISTED = 10  # headlines named in one "while you were away" message; the rest are counted
# A row written this long after its article's revision was stored was not written by the
# article's fan-out (a new subscriber's latest headlines, say): its wait is no measure of
# how fast news goes out, so its Job has no ``stored_at``.
FAN_OUT_WITHIN = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Job:
    """One message to send, and the outbox rows its outcome settles."""

    delivery_ids: tuple[int, ...]  # one row, or a held group sent as one message
    attempts: int
    chat_id: int
    platform: str
    recipient: Recipient
    message: Outgoing
    # When the article's revision this message carries was stored (retracted, for a
    # retraction): where the article-to-send latency starts. None for digests, held groups
    # and rows written long after (``FAN_OUT_WITHIN``).
    stored_at: datetime | None = None


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
    digests = await _digests(session, [c.digest_id for c in claimed if c.digest_id is not None])
    wanted = {c.article_id for c in claimed if c.article_id is not None}
    wanted.update(i for _, ids, _, _ in digests.values() for i in ids)
    articles = {
        a.id: a
        for a in await session.scalars(
            select(Article).where(outbox.ids_in(session, Article.id, wanted))
        )
    }
    bodies: dict[tuple[object, ...], Outgoing] = {}
    replaced = await _replaced_messages(session, [c for c in claimed if c.kind in ON_A_COPY])
    related = await _related_messages(session, [c for c in claimed if c.kind == RETRACTION])
    messages: dict[tuple[int, str, int], Outgoing] = {}
    jobs = []
    for row in claimed:
        chat = chats.get(row.chat_id)
        if chat is None:  # deleted since the claim; the cascade took the row
            continue
        platform, platform_chat_id, chat_kind, language, timezone, link_previews = chat
        recipient = Recipient(platform_chat_id, chat_kind.value, language, timezone, link_previews)
        if row.digest_id is not None:
            found = digests.get(row.digest_id)
            if found is not None:
                body = _digest_message(found, articles, bodies)
                jobs.append(Job((row.id,), row.attempts, row.chat_id, platform, recipient, body))
            continue
        article = articles.get(row.article_id) if row.article_id is not None else None
        if article is None:
            continue
        if article.retracted_at is not None and row.kind != RETRACTION:
            continue  # retracted since the claim: the retraction dropped the row
        replaces = replaced.get((article.id, row.chat_id))
        also_sent = related.get((article.id, row.chat_id), ())
        key = (article.id, row.kind, row.revision)
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
                is_breaking=article.is_breaking,
            )
            if replaces is None:
                messages[key] = message
        stored: datetime | None = article.changed_at
        if row.kind == RETRACTION and article.retracted_at is not None:
            stored = article.retracted_at
        if stored is not None and row.created_at - stored > FAN_OUT_WITHIN:
            stored = None
        jobs.append(Job((row.id,), row.attempts, row.chat_id, platform, recipient, message, stored))
    return jobs


_DigestRow = tuple[date, tuple[int, ...], bool, bool]


async def _digests(session: AsyncSession, ids: list[int]) -> dict[int, _DigestRow]:
    """digest id → (local date, article ids in rank order, weekly, fell back)."""
    if not ids:
        return {}
    rows = await session.execute(
        select(
            Digest.id,
            Digest.local_date,
            Digest.article_ids,
            Digest.weekly,
            Digest.fell_back,
        ).where(outbox.ids_in(session, Digest.id, ids))
    )
    return {
        i: (day, tuple(int(a) for a in listed.split(",") if a), weekly, fell_back)
        for i, day, listed, weekly, fell_back in rows
    }


def digest_item(article: Article) -> DigestItem:
    """An article as a digest lists it: one line of lead, no byline or photo credit."""
    lead = " ".join(strip_bylines(article.lead).text.split())
    if len(lead) > DIGEST_LEAD:
        lead = lead[: DIGEST_LEAD - 1].rstrip() + "…"
    return DigestItem(article.title, article.url, article.section, lead)


def digest_message(body: DigestBody) -> Outgoing:
    """A digest as an ``Outgoing``: the first item also in the usual fields, so a renderer
    that knows only headlines still shows something true. Nothing in it depends on the
    chat, so chats with the same digest share one message (and one render per zone)."""
    first = body.items[0] if body.items else DigestItem("", "", None, "")
    due_at = datetime.combine(body.day, time(0), tzinfo=UTC)
    return Outgoing(
        kind=DIGEST,
        title=first.title,
        url=first.url,
        lead=first.lead,
        section=first.section,
        published_at=due_at,
        digest=body,
    )


def _digest_message(
    found: _DigestRow, articles: dict[int, Article], bodies: dict[tuple[object, ...], Outgoing]
) -> Outgoing:
    day, ids, weekly, fell_back = found
    key = (day, ids, weekly, fell_back)
    message = bodies.get(key)
    if message is None:
        # An article deleted or retracted since the digest was chosen is left out, not sent
        # as a gap.
        items = tuple(
            digest_item(articles[i])
            for i in ids
            if i in articles and articles[i].retracted_at is None
        )
        message = bodies[key] = digest_message(DigestBody(day, items, weekly, fell_back))
    return message


async def _replaced_messages(
    session: AsyncSession, corrections: list[outbox.Claimed]
) -> dict[tuple[int, int], str | None]:
    """(article, chat) → the message a correction replaces: one query for the batch, since
    a correction of a fanned-out article is itself a fan-out."""
    if not corrections:
        return {}
    rows = await session.execute(
        select(Delivery.article_id, Delivery.chat_id, Delivery.platform_message_id).where(
            outbox.ids_in(
                session,
                cast(ColumnElement[int], Delivery.article_id),
                {c.article_id for c in corrections if c.article_id is not None},
            ),
            outbox.ids_in(session, Delivery.chat_id, {c.chat_id for c in corrections}),
            Delivery.state == DeliveryState.SENT,
            Delivery.kind.in_([DeliveryKind.HEADLINE, DeliveryKind.BREAKING]),
        )
    )
    return {
        (article_id, chat_id): message_id
        for article_id, chat_id, message_id in rows
        if article_id is not None
    }


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
            outbox.ids_in(
                session,
                cast(ColumnElement[int], Delivery.article_id),
                {c.article_id for c in retractions if c.article_id is not None},
            ),
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
        if article_id is not None:
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
