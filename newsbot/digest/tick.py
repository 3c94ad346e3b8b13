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

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Boolean,
    Date,
    Integer,
    Row,
    String,
    Table,
    Text,
    func,
    insert,
    literal,
    select,
    type_coerce,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from newsbot.delivery.outbox import ids_in
from newsbot.delivery.quiet import quiet_release
from newsbot.digest.content import (
    SCOPE_ALL,
    SCOPE_SUBSCRIPTIONS,
    Chosen,
    Scope,
    Variant,
    choose,
    variant,
)
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

BATCH = 20_000  # due chats read per transaction
WRITERS = 2  # transactions writing a batch at once on PostgreSQL (this machine: 2 cores)
DROPPED_RECORDED = 7  # missed digests of one chat recorded as dropped after a long outage
DIGESTS = cast(Table, Digest.__table__)
DELIVERIES = cast(Table, Delivery.__table__)
CHATS = cast(Table, Chat.__table__)


@dataclass(slots=True)
class TickReport:
    queued: int = 0  # digests put in the outbox by this tick
    dropped: int = 0  # digests too late to send, recorded
    empty: int = 0  # digests with nothing to list and no note wanted
    variants: int = 0  # distinct article choices made


@dataclass(frozen=True, slots=True)
class _Group:
    """Due chats that share everything the tick needs: one plan and a few statements for
    all of them (100,000 chats due at one minute are a handful of groups)."""

    timezone: str
    minute: int
    weekday: int | None
    due_raw: object  # digest_next_at as the driver gave it: text on SQLite
    size: int
    scope: Scope
    empty_note: bool
    quiet_start: int | None
    quiet_end: int | None


@dataclass(frozen=True, slots=True)
class _Plan:
    """What a group of due chats gets: its digests (oldest first) and its next moment."""

    chat_ids: list[int]
    was_due_at: datetime
    digests: tuple[tuple[Occurrence, DigestState], ...]
    next_due_at: datetime
    variant: Variant | None  # of the one to send, if any
    weekly: bool
    empty_note: bool
    release: datetime | None  # the end of quiet hours the digest falls in, if it does


# digest_next_at read without the UTC type's conversion of every row (a tenth of the tick's
# time at 100,000 chats): chats are grouped on the raw value, converted once a group.
_CHAT_COLUMNS = (
    Chat.id,
    Chat.timezone,
    Chat.digest_time,
    Chat.digest_weekday,
    Chat.digest_size,
    Chat.digest_scope,
    Chat.digest_empty_note,
    type_coerce(Chat.digest_next_at, String).label("due_raw"),
    Chat.quiet_start,
    Chat.quiet_end,
)


def _moment(raw: object) -> datetime:
    """digest_next_at as stored: naive UTC text on SQLite, a datetime on PostgreSQL."""
    if isinstance(raw, datetime):
        return raw.astimezone(UTC) if raw.tzinfo else raw.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(raw)).replace(tzinfo=UTC)


class DigestTick:
    """The leader's digest tick (``run``), over its store's sessions."""

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
        self._scheduled_all = False

    async def run(self, now: datetime, *, stop: Callable[[], bool] = lambda: False) -> TickReport:
        """Enqueue every digest due by ``now``; ends early between batches once ``stop``."""
        report = TickReport()
        chosen: dict[Variant, Chosen] = {}
        if not self._scheduled_all:  # once a process: settings changes reschedule themselves
            await self._schedule_unscheduled(now)
            self._scheduled_all = True
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
                groups: dict[_Group, list[int]] = {}
                for chat in chats:
                    key = _Group(
                        chat.timezone,
                        chat.digest_time,
                        chat.digest_weekday,
                        chat.due_raw,
                        chat.digest_size,
                        scopes.get(chat.id, WHOLE),
                        chat.digest_empty_note,
                        chat.quiet_start,
                        chat.quiet_end,
                    )
                    groups.setdefault(key, []).append(chat.id)
                plans = [self._plan(group, ids, now) for group, ids in groups.items()]
                for wanted in {p.variant for p in plans if p.variant is not None} - chosen.keys():
                    chosen[wanted] = await choose(session, wanted)
                    report.variants += 1
                await session.commit()
            await asyncio.gather(
                *(self._write_all(share, chosen, now, report) for share in self._shares(plans))
            )
        return report

    def _shares(self, plans: list[_Plan]) -> list[list[_Plan]]:
        """The batch's groups split for writers working at once: on PostgreSQL each in a
        transaction of its own (the server's index upkeep is most of the tick's time, and
        runs on as many cores), on SQLite one, since it has one writer anyway."""
        backend = self.sessions.kw.get("bind")
        writers = WRITERS if backend is not None and backend.dialect.name == "postgresql" else 1
        shares: list[list[_Plan]] = [[] for _ in range(writers)]
        sizes = [0] * writers
        for plan in sorted(plans, key=lambda p: -len(p.chat_ids)):
            least = sizes.index(min(sizes))
            shares[least].append(plan)
            sizes[least] += len(plan.chat_ids)
        return [share for share in shares if share]

    async def _write_all(
        self, plans: list[_Plan], chosen: dict[Variant, Chosen], now: datetime, report: TickReport
    ) -> None:
        async with self.sessions() as session:
            for plan in plans:
                await _write(session, plan, chosen, now, report)
            await session.commit()

    async def _schedule_unscheduled(self, now: datetime) -> None:
        """Chats with a digest time but no next moment get one: times set before migration
        0011, or by code that set ``digest_time`` without ``newsbot.digest.settings``."""
        while True:
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
            if len(chats) < self.batch:
                return

    def _plan(self, group: _Group, chat_ids: list[int], now: datetime) -> _Plan:
        zone = ZoneInfo(group.timezone)
        was = _moment(group.due_raw)
        since = Occurrence(was.astimezone(zone).date(), was)
        due = due_between(since, now, group.minute, group.weekday, zone)
        following = next_after(
            now, group.minute, group.weekday, zone, after_date=due[-1].local_date
        )
        latest = due[-1]
        on_time = now - latest.due_at <= self.grace
        states = [(o, DigestState.DROPPED) for o in due[:-1][-DROPPED_RECORDED:]]
        states.append((latest, DigestState.QUEUED if on_time else DigestState.DROPPED))
        wanted = None
        weekly = group.weekday is not None
        if on_time:
            wanted = variant(now, weekly=weekly, scope=group.scope, size=group.size, zone=self.zone)
        release = quiet_release(now, group.quiet_start, group.quiet_end, group.timezone)
        return _Plan(
            chat_ids,
            was,
            tuple(states),
            following.due_at,
            wanted,
            weekly,
            group.empty_note,
            release,
        )


WHOLE = Scope()


async def _scopes(session: AsyncSession, chats: Sequence[Row[Any]]) -> dict[int, Scope]:
    """Due chats' scopes; chats set to the whole paper are left out (``WHOLE``)."""
    limited = [c.id for c in chats if c.digest_scope != SCOPE_ALL]
    if not limited:
        return {}
    takes: dict[int, list[tuple[str, str]]] = {}
    rows = await session.execute(
        select(
            Subscription.chat_id, type_coerce(Subscription.kind, String), Subscription.value
        ).where(ids_in(session, Subscription.chat_id, limited))
    )
    for chat_id, kind, value in rows:
        takes.setdefault(chat_id, []).append((kind, value))
    scopes: dict[tuple[tuple[str, str], ...], Scope] = {}
    found: dict[int, Scope] = {}
    for chat_id, chat_takes in takes.items():
        key = tuple(sorted(chat_takes))
        scope = scopes.get(key)
        if scope is None:
            scope = scopes[key] = Scope.of(SCOPE_SUBSCRIPTIONS, chat_takes)
        found[chat_id] = scope
    return found


async def _write(
    session: AsyncSession,
    plan: _Plan,
    chosen: dict[Variant, Chosen],
    now: datetime,
    report: TickReport,
) -> None:
    """One group's digests, their deliveries and its next moment: a few statements for
    all its chats, whatever their number."""
    picked = chosen[plan.variant] if plan.variant is not None else None
    for occurrence, planned in plan.digests:
        state = planned
        nothing = picked is not None and not picked.article_ids
        if planned is DigestState.QUEUED and nothing and not plan.empty_note:
            state = DigestState.EMPTY
        listed = picked.encoded() if picked and state is DigestState.QUEUED else ""
        written = await _insert_for_chats(
            session,
            plan.chat_ids,
            day=occurrence.local_date,
            due_at=occurrence.due_at,
            state=state,
            weekly=plan.weekly,
            listed=listed,
            fell_back=bool(picked and picked.fell_back),
            now=now,
            deliver_at=(plan.release or now) if state is DigestState.QUEUED else None,
        )
        if state is DigestState.DROPPED:
            report.dropped += written
        elif state is DigestState.EMPTY:
            report.empty += written
        else:
            report.queued += written
    # Only where no one changed the chat's schedule meanwhile (its settings, another tick).
    await session.execute(
        update(CHATS)
        .where(
            ids_in(session, CHATS.c.id, plan.chat_ids), CHATS.c.digest_next_at == plan.was_due_at
        )
        .values(digest_next_at=plan.next_due_at)
    )


_DELIVERY_COLUMNS = [
    "digest_id",
    "chat_id",
    "kind",
    "revision",
    "priority",
    "state",
    "due_at",
    "attempts",
    "created_at",
]


def _deliveries_of(digest_id: Any, chat_id: Any, *, now: datetime, due_at: datetime) -> Any:
    """The SELECT list of a digest's outbox row, for ``INSERT INTO deliveries … SELECT``."""
    return select(
        digest_id,
        chat_id,
        literal(DeliveryKind.DIGEST, DELIVERIES.c.kind.type),
        literal(0, Integer),
        literal(PRIORITY[DeliveryKind.DIGEST], Integer),
        literal(DeliveryState.PENDING, DELIVERIES.c.state.type),
        literal(due_at, DELIVERIES.c.due_at.type),
        literal(0, Integer),
        literal(now, DELIVERIES.c.created_at.type),
    )


async def _insert_for_chats(
    session: AsyncSession,
    chat_ids: list[int],
    *,
    day: date,
    due_at: datetime,
    state: DigestState,
    weekly: bool,
    listed: str,
    fell_back: bool,
    now: datetime,
    deliver_at: datetime | None,
) -> int:
    """One digest row for each of these chats (INSERT … SELECT), skipping chats that have
    that day's, and with ``deliver_at`` an outbox row for each digest this statement made
    (and only those); returns how many it made.

    On PostgreSQL the two inserts are one statement (the deliveries' INSERT reads the
    digests' RETURNING as a CTE), so 100,000 new ids never travel to Python and back."""
    columns = ["chat_id", "local_date", "due_at", "state", "weekly", "article_ids", "fell_back"]
    source = select(
        CHATS.c.id,
        literal(day, Date),
        literal(due_at, DIGESTS.c.due_at.type),
        literal(state, DIGESTS.c.state.type),
        literal(weekly, Boolean),
        literal(listed, Text),
        literal(fell_back, Boolean),
        literal(now, DIGESTS.c.created_at.type),
    ).where(ids_in(session, CHATS.c.id, chat_ids))
    postgres = session.get_bind().dialect.name == "postgresql"
    dialect_insert = pg_insert if postgres else sqlite_insert
    digests = (
        dialect_insert(DIGESTS)
        .from_select([*columns, "created_at"], source)
        .on_conflict_do_nothing(index_elements=["chat_id", "local_date"])
        .returning(DIGESTS.c.id, DIGESTS.c.chat_id)
    )
    if postgres and deliver_at is not None:
        made = digests.cte("made")
        deliveries = (
            insert(DELIVERIES)
            .from_select(
                _DELIVERY_COLUMNS,
                _deliveries_of(made.c.id, made.c.chat_id, now=now, due_at=deliver_at),
            )
            .returning(DELIVERIES.c.id)
            .cte("queued")
        )
        return int(await session.scalar(select(func.count()).select_from(deliveries)) or 0)
    made_ids = [int(i) for i, _ in await session.execute(digests)]
    if deliver_at is not None and made_ids:
        rows = _deliveries_of(DIGESTS.c.id, DIGESTS.c.chat_id, now=now, due_at=deliver_at)
        await session.execute(
            insert(DELIVERIES).from_select(
                _DELIVERY_COLUMNS, rows.where(ids_in(session, DIGESTS.c.id, made_ids))
            )
        )
    return len(made_ids)


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
