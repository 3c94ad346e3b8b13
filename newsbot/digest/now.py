"""A chat's digest on demand: what it would list now (``/digest``, ``newsbot digest
preview``), and today's digest put in the outbox now (``newsbot digest send``).

A preview changes nothing. ``enqueue_today`` writes the chat's digest for its local date as
the tick would, so it is still one a day: once sent this way the tick finds it done, and a
day that already had its digest gets no second one.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from newsbot.delivery.messages import digest_item
from newsbot.delivery.outcomes import DigestBody
from newsbot.delivery.quiet import quiet_release
from newsbot.digest.content import Chosen, Scope, choose, variant
from newsbot.digest.schedule import next_after
from newsbot.digest.tick import write_one
from newsbot.store.delivery_models import Chat, Subscription
from newsbot.store.models import Article


async def chat_scope(session: AsyncSession, chat: Chat) -> Scope:
    takes = await session.execute(
        select(Subscription.kind, Subscription.value).where(Subscription.chat_id == chat.id)
    )
    return Scope.of(chat.digest_scope, [(kind, value) for kind, value in takes])


async def choose_for(session: AsyncSession, chat: Chat, *, now: datetime, zone: ZoneInfo) -> Chosen:
    """The articles the chat's digest would list at ``now`` (may commit: see ``choose``)."""
    scope = await chat_scope(session, chat)
    wanted = variant(
        now, weekly=chat.digest_weekday is not None, scope=scope, size=chat.digest_size, zone=zone
    )
    return await choose(session, wanted)


async def body_of(session: AsyncSession, chosen: Chosen, day: date, *, weekly: bool) -> DigestBody:
    articles = {
        a.id: a
        for a in await session.scalars(select(Article).where(Article.id.in_(chosen.article_ids)))
    }
    items = tuple(digest_item(articles[i]) for i in chosen.article_ids if i in articles)
    return DigestBody(day, items, weekly=weekly, fell_back=chosen.fell_back)


async def preview(
    session: AsyncSession, chat: Chat, *, now: datetime, zone: ZoneInfo
) -> DigestBody:
    """The digest the chat would get at ``now``, dated in the chat's own zone."""
    chosen = await choose_for(session, chat, now=now, zone=zone)
    day = now.astimezone(ZoneInfo(chat.timezone)).date()
    return await body_of(session, chosen, day, weekly=chat.digest_weekday is not None)


async def enqueue_today(
    session: AsyncSession, chat: Chat, *, now: datetime, zone: ZoneInfo
) -> bool:
    """Put the chat's digest for its local today in the outbox now; False when today's was
    written already (sent, queued, dropped or empty). The caller commits."""
    chat_zone = ZoneInfo(chat.timezone)
    day = now.astimezone(chat_zone).date()
    chosen = await choose_for(session, chat, now=now, zone=zone)
    release = quiet_release(now, chat.quiet_start, chat.quiet_end, chat.timezone)
    written = await write_one(
        session,
        chat_id=chat.id,
        day=day,
        chosen=chosen,
        weekly=chat.digest_weekday is not None,
        now=now,
        due_at=release or now,
    )
    if written and chat.digest_time is not None:
        # The tick must not look for today's any more: it is done.
        chat.digest_next_at = next_after(
            now, chat.digest_time, chat.digest_weekday, chat_zone, after_date=day
        ).due_at
    return written
