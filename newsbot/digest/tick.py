"""The digest tick: one leader job a minute that puts every digest now due in the outbox.

A chat is due when ``chats.digest_next_at`` (its next digest moment, kept with its settings)
has come. For each due chat the tick writes the ``digests`` row of that local date and, only
if this very insert made it, the outbox row that sends it; then it moves ``digest_next_at``
to the chat's next digest. A tick missed during a restart or a busy spell is made up by the
next one, because what is due is read from the table, not from the minute the tick runs.

Exactly once: the row is unique per (chat, local date) and inserted with ON CONFLICT DO
NOTHING, so a restart at the digest minute, a leader failover or two processes ticking at
once on PostgreSQL write one digest and one delivery between them.

Late: a digest due longer ago than the grace (``NEWSBOT_DIGEST_GRACE``, 3 h) when a tick
first sees it is not sent but written ``dropped`` (``newsbot stats`` counts them); so are
the earlier ones a long outage skipped, up to ``DROPPED_RECORDED`` a chat.

Quiet hours: a digest due inside the chat's quiet hours is written due at their end.

The articles are chosen once per variant (``newsbot.digest.content``) before any row is
written, in a session of their own: ranking may commit while it stores a window's totals.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Row, Table, bindparam, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from newsbot.delivery.quiet import quiet_release
from newsbot.digest.content import Chosen, Scope, Variant, choose, variant
from newsbot.digest.schedule import Occurrence, due_between, next_after, reschedule
from newsbot.store.delivery_models import (
    PRIORITY,
    Chat,
    Delivery,
    DeliveryKind,
    DeliveryState,
    Digest,
    DigestState,
    Subscription,
)

BATCH = 5000  # due chats read and written per transaction
DROPPED_RECORDED = 7  # missed digests of one chat recorded as dropped after a long outage
DIGESTS = cast(Table, Digest.__table__)
DELIVERIES = cast(Table, Delivery.__table__)
CHATS = cast(Table, Chat.__table__)


# (zone, minute, weekday, due at) → (the digests due by now, the next one): chats that share
# a schedule share its arithmetic within one run.
_ScheduleKey = tuple[str, int, int | None, datetime]
_Schedule = tuple[list[Occurrence], Occurrence]


@dataclass(slots=True)
class TickReport:
    queued: int = 0  # digests put in the outbox by this tick
    dropped: int = 0  # digests too late to send, recorded
    empty: int = 0  # digests with nothing to list and no note wanted
    variants: int = 0  # distinct article choices made


@dataclass(frozen=True, slots=True)
class _Plan:
    """What one due chat gets: its digests to record (oldest first) and its next moment."""

    chat_id: int
    was_due_at: datetime
    digests: tuple[tuple[Occurrence, DigestState], ...]
    next_due_at: datetime
    variant: Variant | None  # of the one to send, if any
    weekly: bool
    empty_note: bool
    quiet: tuple[int | None, int | None, str]


_CHAT_COLUMNS = (
    Chat.id,
    Chat.timezone,
    Chat.digest_time,
    Chat.digest_weekday,
    Chat.digest_size,
    Chat.digest_scope,
    Chat.digest_empty_note,
    Chat.digest_next_at,
    Chat.quiet_start,
    Chat.quiet_end,
)


class DigestTick:
    """The tick, with what it keeps between chats of one run: zones and schedules."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        grace: timedelta,
        zone: ZoneInfo,
        batch: int = BATCH,
    ) -> None:
        self.sessions = sessions
        self.grace = grace
        self.zone = zone  # the newsroom's: the days view counts are kept by
        self.batch = batch

    async def run(self, now: datetime, *, stop: Callable[[], bool] = lambda: False) -> TickReport:
        """Enqueue every digest due by ``now``; ends early between batches once ``stop``."""
        report = TickReport()
        chosen: dict[Variant, Chosen] = {}
        zones: dict[str, ZoneInfo] = {}
        schedules: dict[_ScheduleKey, _Schedule] = {}
        await self._schedule_unscheduled(now)
        while not stop():
            async with self.sessions() as session:
                chats: list[Row[Any]] = list(
                    await session.execute(
                        select(*_CHAT_COLUMNS)
                        .where(
                            Chat.digest_next_at <= now,
                            Chat.active.is_(True),
                            Chat.digest_time.is_not(None),
                        )
                        .order_by(Chat.digest_next_at, Chat.id)
                        .limit(self.batch)
                    )
                )
                if not chats:
                    return report
                scopes = await _scopes(session, chats)
                plans = [
                    self._plan(chat, now, scopes.get(chat.id, Scope()), zones, schedules)
                    for chat in chats
                ]
                for wanted in {p.variant for p in plans if p.variant is not None} - chosen.keys():
                    chosen[wanted] = await choose(session, wanted)
                    report.variants += 1
                await session.commit()
            async with self.sessions() as session:
                await _write(session, plans, chosen, now, report)
                await session.commit()
        return report

    async def _schedule_unscheduled(self, now: datetime) -> None:
        """Chats with a digest time but no next moment (set before migration 0011) get one."""
        async with self.sessions() as session:
            chats = list(
                await session.scalars(
                    select(Chat)
                    .where(Chat.digest_time.is_not(None), Chat.digest_next_at.is_(None))
                    .limit(self.batch)
                )
            )
            for chat in chats:
                reschedule(chat, now)
            await session.commit()

    def _plan(
        self,
        chat: Row[Any],
        now: datetime,
        scope: Scope,
        zones: dict[str, ZoneInfo],
        schedules: dict[_ScheduleKey, _Schedule],
    ) -> _Plan:
        zone = zones.get(chat.timezone)
        if zone is None:
            zone = zones[chat.timezone] = ZoneInfo(chat.timezone)
        key = (chat.timezone, chat.digest_time, chat.digest_weekday, chat.digest_next_at)
        schedule = schedules.get(key)
        if schedule is None:
            since = Occurrence(chat.digest_next_at.astimezone(zone).date(), chat.digest_next_at)
            due = due_between(since, now, chat.digest_time, chat.digest_weekday, zone)
            following = next_after(
                now, chat.digest_time, chat.digest_weekday, zone, after_date=due[-1].local_date
            )
            schedule = schedules[key] = (due, following)
        due, following = schedule
        latest = due[-1]
        on_time = now - latest.due_at <= self.grace
        states = [(o, DigestState.DROPPED) for o in due[:-1][-DROPPED_RECORDED:]]
        states.append((latest, DigestState.QUEUED if on_time else DigestState.DROPPED))
        wanted = None
        if on_time:
            wanted = variant(
                now,
                weekly=chat.digest_weekday is not None,
                scope=scope,
                size=chat.digest_size,
                zone=self.zone,
            )
        return _Plan(
            chat.id,
            chat.digest_next_at,
            tuple(states),
            following.due_at,
            wanted,
            chat.digest_weekday is not None,
            chat.digest_empty_note,
            (chat.quiet_start, chat.quiet_end, chat.timezone),
        )


async def _scopes(session: AsyncSession, chats: Sequence[Row[Any]]) -> dict[int, Scope]:
    """Due chats' scopes; chats set to the whole paper are left out (``Scope()``)."""
    limited = [c.id for c in chats if c.digest_scope != "all"]
    if not limited:
        return {}
    takes: dict[int, list[Any]] = {}
    for start in range(0, len(limited), 1000):
        rows = await session.execute(
            select(Subscription.chat_id, Subscription.kind, Subscription.value).where(
                Subscription.chat_id.in_(limited[start : start + 1000])
            )
        )
        for chat_id, kind, value in rows:
            takes.setdefault(chat_id, []).append((kind, value))
    return {chat_id: Scope.of("subscriptions", found) for chat_id, found in takes.items()}


async def _write(
    session: AsyncSession,
    plans: list[_Plan],
    chosen: dict[Variant, Chosen],
    now: datetime,
    report: TickReport,
) -> None:
    rows: list[dict[str, object]] = []
    for plan in plans:
        picked = chosen[plan.variant] if plan.variant is not None else None
        for occurrence, planned in plan.digests:
            state = planned
            nothing = picked is not None and not picked.article_ids
            if planned is DigestState.QUEUED and nothing and not plan.empty_note:
                state = DigestState.EMPTY
            listed = picked.encoded() if picked and state is DigestState.QUEUED else ""
            rows.append(
                {
                    "chat_id": plan.chat_id,
                    "local_date": occurrence.local_date,
                    "due_at": occurrence.due_at,
                    "state": state,
                    "weekly": plan.weekly,
                    "article_ids": listed,
                    "fell_back": bool(picked and picked.fell_back),
                    "created_at": now,
                }
            )
    written = await _insert_new(session, rows)
    by_chat = {p.chat_id: p for p in plans}
    deliveries = []
    for digest_id, chat_id, written_state in written:
        if written_state == DigestState.DROPPED:
            report.dropped += 1
        elif written_state == DigestState.EMPTY:
            report.empty += 1
        else:
            report.queued += 1
            start, end, zone = by_chat[chat_id].quiet
            due_at = quiet_release(now, start, end, zone) or now
            deliveries.append(_delivery(digest_id, chat_id, now, due_at))
    if deliveries:
        await session.execute(insert(DELIVERIES), deliveries)
    # Only where no one changed the chat's schedule meanwhile (its settings, another tick).
    await session.execute(
        update(CHATS)
        .where(CHATS.c.id == bindparam("chat"), CHATS.c.digest_next_at == bindparam("was"))
        .values(digest_next_at=bindparam("next")),
        [{"chat": p.chat_id, "was": p.was_due_at, "next": p.next_due_at} for p in plans],
    )


async def write_one(
    session: AsyncSession,
    *,
    chat_id: int,
    day: date,
    chosen: Chosen,
    weekly: bool,
    now: datetime,
    due_at: datetime,
) -> bool:
    """One chat's digest for ``day`` with its outbox row, unless that day's exists (an
    operator's ``newsbot digest send``); whether it was written. The caller commits."""
    row = {
        "chat_id": chat_id,
        "local_date": day,
        "due_at": now,
        "state": DigestState.QUEUED,
        "weekly": weekly,
        "article_ids": chosen.encoded(),
        "fell_back": chosen.fell_back,
        "created_at": now,
    }
    written = await _insert_new(session, [row])
    if not written:
        return False
    await session.execute(insert(DELIVERIES), [_delivery(written[0][0], chat_id, now, due_at)])
    return True


def _delivery(digest_id: int, chat_id: int, now: datetime, due_at: datetime) -> dict[str, object]:
    return {
        "article_id": None,
        "digest_id": digest_id,
        "chat_id": chat_id,
        "kind": DeliveryKind.DIGEST,
        "revision": 0,
        "priority": PRIORITY[DeliveryKind.DIGEST],
        "state": DeliveryState.PENDING,
        "due_at": due_at,
        "attempts": 0,
        "created_at": now,
    }


async def _insert_new(
    session: AsyncSession, rows: list[dict[str, object]]
) -> list[tuple[int, int, str]]:
    """Insert digest rows, skipping (chat, date) pairs that exist: (id, chat, state) of
    the rows this insert made, and of those only."""
    if not rows:
        return []
    dialect_insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        dialect_insert(DIGESTS)
        .on_conflict_do_nothing(index_elements=["chat_id", "local_date"])
        .returning(DIGESTS.c.id, DIGESTS.c.chat_id, DIGESTS.c.state)
    )
    result = await session.execute(statement, rows)
    return [(int(i), int(c), str(s)) for i, c, s in result]
