"""What digest tests share: chats with a digest, articles with views, and one tick."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from newsbot.app import App
from newsbot.digest import settings as digest_settings
from newsbot.digest.tick import DigestTick, TickReport
from newsbot.store.articles import store_drafts
from newsbot.store.delivery_models import Chat, Delivery, DeliveryKind, Digest
from newsbot.store.views import ViewCount, store_view_counts
from tests.builders import Takes, chat_in, draft

SEOUL = ZoneInfo("Asia/Seoul")
# Monday 7 December 2026, 08:00 in Seoul: the digest minute of the tests.
EIGHT_KST = datetime(2026, 12, 7, 8, 0, tzinfo=SEOUL)
DAY = date(2026, 12, 7)


async def digest_chat(
    app: App,
    name: str,
    *takes: Takes,
    at: str = "08:00",
    zone: str = "Asia/Seoul",
    quiet: tuple[int, int] | None = None,
    weekday: int | None = None,
    size: int | None = None,
    scope: str | None = None,
    empty_note: bool = False,
    platform: str = "test",
) -> int:
    """A chat with its digest at ``at`` local time in ``zone``, set as /settings sets it."""
    now = app.clock.now()
    async with app.sessions() as session:
        chat = await chat_in(session, name, *takes, platform=platform, now=now)
        chat.timezone = zone
        chat.quiet_start, chat.quiet_end = quiet if quiet else (None, None)
        digest_settings.set_time(chat, at, now=now)
        if weekday is not None:
            digest_settings.set_period(chat, weekday, now=now)
        if size is not None:
            digest_settings.set_size(chat, size, now=now)
        if scope is not None:
            digest_settings.set_scope(chat, scope, now=now)
        digest_settings.set_empty_note(chat, empty_note, now=now)
        await session.commit()
        return chat.id


async def articles_with_views(
    app: App,
    views: list[int],
    *,
    published: datetime,
    sections: list[str | None] | None = None,
    day: date = DAY,
) -> list[int]:
    """Articles 0…n-1 (published at ``published``, a minute apart) with these views on
    ``day``; returns their ids in the same order."""
    drafts = [
        draft(
            f"d{n}",
            f"기사 {n}",
            published_at=published + timedelta(minutes=n),
            section=sections[n] if sections else None,
            lead=f"[서울=뉴시스] 홍길동 기자 = 기사 {n}의 첫 줄입니다. 두 번째 문장.",
        )
        for n in range(len(views))
    ]
    async with app.sessions() as session:
        stored = await store_drafts(session, drafts, now=app.clock.now())
        counts = [ViewCount(s.article_id, day, v) for s, v in zip(stored, views, strict=True) if v]
        await store_view_counts(session, counts)
        await session.commit()
    return [s.article_id for s in stored]


async def tick(app: App, *, grace: timedelta = timedelta(hours=3)) -> TickReport:
    """One run of the leader's digest tick at the app's clock."""
    return await DigestTick(app.sessions, grace=grace, zone=app.settings.zone).run(app.clock.now())


async def digests_of(app: App, chat_id: int) -> list[Digest]:
    async with app.sessions() as session:
        return list(
            await session.scalars(
                select(Digest).where(Digest.chat_id == chat_id).order_by(Digest.local_date)
            )
        )


async def digest_deliveries(app: App, chat_id: int) -> list[Delivery]:
    async with app.sessions() as session:
        return list(
            await session.scalars(
                select(Delivery).where(
                    Delivery.chat_id == chat_id, Delivery.kind == DeliveryKind.DIGEST
                )
            )
        )


async def next_digest_at(app: App, chat_id: int) -> datetime | None:
    async with app.sessions() as session:
        chat = await session.get(Chat, chat_id)
        assert chat is not None
        return chat.digest_next_at
