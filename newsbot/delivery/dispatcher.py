"""The dispatcher: claim due rows, pace them, send through a platform, settle the outcome.

It exists so that every send keeps the outbox's promises (at least once, at most a bounded
few twice after a crash, never lost) and each platform's pace, whatever the messages say:
what goes out is built from the claimed rows by ``newsbot.delivery.messages``.

One claim is a batch of the most urgent due rows under a lease. A row for a chat that must
still wait (its pacing slot, or a 429's retry_after) goes back to the table with that due
time instead of holding a sending slot, so a burst to one chat never stalls the others and
never outlives its lease. Outcomes are settled together in one transaction per batch.

A chat's held headlines are claimed as a group (``outbox.claim_held``) and sent as one
"while you were away" message; every outcome is settled on every row of the group, so a
sent group is all ``sent`` with one message id and a retried group stays held, still one
message. See ``newsbot.delivery.outbox`` for why this keeps the outbox's exactly-once
guarantees across crashes and several workers.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import random
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from newsbot.clock import Clock
from newsbot.delivery import outbox
from newsbot.delivery.breaker import Breaker
from newsbot.delivery.messages import Job, load_held_jobs, load_jobs
from newsbot.delivery.outcomes import (
    ChatGone,
    ChatMoved,
    Outcome,
    PermanentFailure,
    Platform,
    RateLimited,
    Sent,
    Transient,
)
from newsbot.delivery.pacing import Pacer
from newsbot.store.delivery_models import Chat, Delivery, DeliveryKind
from newsbot.store.outage import first_line, is_unreachable
from newsbot.telemetry import (
    FAILED,
    GONE,
    MOVED,
    NO_TELEMETRY,
    RATE_LIMITED,
    SENT,
    STALE,
    TRANSIENT,
    Telemetry,
)

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
MAX_BACKOFF = 300.0
DEFER_AFTER = 1.0  # a chat that must wait longer than this goes back to the table
SETTLE_EVERY = 50  # outcomes stored together while a batch is still sending
# …or after this many seconds, whichever comes first: at a free bot's 30 messages a second,
# 50 outcomes took almost 2 s to gather, and a kill -9 then doubled up to ~74 messages.
SETTLE_AFTER = 0.25
UNSTORED_MAX = 2 * SETTLE_EVERY  # sending or sent, not yet stored: a batch waits at this
STORE_RETRY_SECONDS = 0.5
STORE_ATTEMPTS = 3  # a batch whose outcomes cannot be stored stops sending after this


# What an editor or a correction changes in copies already sent: kept longer than headlines.
URGENT_KINDS = frozenset(
    kind.value
    for kind in (
        DeliveryKind.BREAKING,
        DeliveryKind.CORRECTION,
        DeliveryKind.EDIT,
        DeliveryKind.RETRACTION,
    )
)


@dataclass(frozen=True, slots=True)
class DispatchSettings:
    owner: str  # this process, in leases: host:pid
    batch: int = 200
    concurrency: int = 32  # sends in flight at once, over all batches
    lease: timedelta = timedelta(seconds=60)
    # Batches worked on at once: while one waits for its slowest sends and settles, the next
    # is already claimed and sending, so the platform never waits on the database.
    batches_in_flight: int = 2
    # How long a message may wait to be sent before it is no longer news: dropped as stale
    # (counted, with the reason), never sent late. An outage holds messages back; this, not
    # a count of attempts, is what ends their wait. Breaking news and corrections wait longer.
    headline_max_age: timedelta = timedelta(hours=24)
    urgent_max_age: timedelta = timedelta(hours=72)

    def max_age(self, kind: str) -> timedelta:
        urgent = kind in URGENT_KINDS
        return self.urgent_max_age if urgent else self.headline_max_age


@dataclass(slots=True)
class DispatchReport:
    """Rows, not messages: a held group of twelve headlines sent as one message is 12 sent."""

    claimed: int = 0
    sent: int = 0
    deferred: int = 0
    retried: int = 0
    failed: int = 0
    gone: int = 0
    moved: int = 0
    stale: int = 0  # waited past their kind's max age: dropped, not sent

    def add(self, other: DispatchReport) -> None:
        for name in self.__slots__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass(frozen=True, slots=True)
class _Deferred:
    seconds: float


def transient_delay(attempts: int) -> float:
    """Capped exponential backoff with jitter: about 2 s, 4 s, 8 s … at most five minutes."""
    return min(MAX_BACKOFF, 2.0**attempts) * (0.5 + random.random() / 2)  # noqa: S311


class Dispatcher:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        platforms: dict[str, Platform],
        clock: Clock,
        settings: DispatchSettings,
        *,
        pacers: dict[str, Pacer] | None = None,
        breakers: dict[str, Breaker] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        telemetry: Telemetry = NO_TELEMETRY,
    ) -> None:
        self.sessions = sessions
        self.platforms = platforms
        self.clock = clock
        self.settings = settings
        self.pacers = pacers or {name: Pacer(p.limits) for name, p in platforms.items()}
        self.breakers = breakers or {name: Breaker(name) for name in platforms}
        self._sleep = sleep
        self.telemetry = telemetry
        self._gate = asyncio.Semaphore(settings.concurrency)  # shared by concurrent batches

    async def run_once(self) -> DispatchReport:
        """Claim one batch, send it, settle it. Returns what happened."""
        report = DispatchReport()
        async with self.sessions() as session:
            now, lease, owner = self.clock.now(), self.settings.lease, self.settings.owner
            claimed = await outbox.claim(
                session, owner=owner, now=now, lease=lease, limit=self.settings.batch
            )
            groups = await outbox.claim_held(
                session, owner=owner, now=now, lease=lease, limit=self.settings.batch
            )
            stale = {c.id for c in claimed if now - c.created_at > self.settings.max_age(c.kind)}
            dropped = [c for c in claimed if c.id in stale]
            platforms = await _platforms_of(session, {c.chat_id for c in dropped})
            if stale:
                await outbox.drop(session, stale, reason="stale: not sent in time")
                report.stale = len(stale)
                log.warning("dropped %d deliveries that waited past their max age", len(stale))
                claimed = [c for c in claimed if c.id not in stale]
            needless, later = await outbox.corrections_ahead_of_their_copy(session, claimed, now)
            if needless:
                reason = "needless: the copy still to go carries the correction"
                await outbox.drop(session, needless, reason=reason)
            for ident, when in later.items():
                await outbox.retry_later(session, ident, due_at=when, reason="copy in flight")
            if needless or later:
                skipped = set(needless) | later.keys()
                claimed = [c for c in claimed if c.id not in skipped]
            await session.commit()
            for row in dropped:
                self.telemetry.delivered(platforms.get(row.chat_id, ""), row.kind, STALE)
            ids = [c.id for c in claimed] + [i for group in groups.values() for i in group]
            report.claimed = len(ids) + report.stale
            if not ids:
                return report
            jobs = await load_jobs(session, claimed)
            jobs += await load_held_jobs(session, groups)

        heartbeat = asyncio.create_task(self._keep_leases(ids))
        try:
            await self._send_and_store(jobs, report)  # leases held until all is stored
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat
        return report

    async def _send_and_store(self, jobs: list[Job], report: DispatchReport) -> None:
        """Send a batch's jobs and store their outcomes as they come.

        Outcomes sent but not yet stored are what a process killed at that moment sends
        again after a restart (the platforms have no idempotency key), so they are bounded:
        a storer writes them SETTLE_EVERY at a time, or what gathered in SETTLE_AFTER
        seconds when sends are slower (a paced bot), while the batch is still sending, and
        senders take no new job while UNSTORED_MAX are in flight, waiting or
        being written. Before this, with the event loop busy sending, one store of 25 rows
        took up to 650 ms on SQLite while hundreds more were sent, and a kill -9 mid fan-out
        doubled up to 370 of 5,000 messages. Each store costs about 1.7 ms of CPU whatever
        its size, hence 50 at a time rather than 25 (0.165 against 0.20 ms a message).
        """
        waiting = collections.deque(jobs)
        done: list[tuple[Job, Outcome | _Deferred]] = []
        unstored = 0  # in ``done`` or being written
        sending = True
        wake, room, full = asyncio.Event(), asyncio.Event(), asyncio.Event()

        async def storer() -> None:
            nonlocal unstored
            failures = 0
            while sending or done:
                await wake.wait()  # the first outcome to store, or the batch's end
                wake.clear()
                if not done:
                    continue
                if sending and len(done) < SETTLE_EVERY:  # gather more, for a little while
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(full.wait(), SETTLE_AFTER)
                full.clear()
                results, done[:] = list(done), []
                try:
                    await self._settle(results, report)
                except Exception:
                    done[:0] = results
                    failures += 1
                    # Send nothing more that could not be recorded: the rest of the batch
                    # waits for its leases to run out and goes again, never sent twice.
                    waiting.clear()
                    room.set()
                    if not sending or failures >= STORE_ATTEMPTS:
                        raise  # what was sent but not stored goes again: bounded, not lost
                    _log_store_trouble("could not store delivery outcomes yet; trying again")
                    await self._sleep(STORE_RETRY_SECONDS)
                    wake.set()
                else:
                    failures = 0
                    unstored -= len(results)
                    room.set()

        async def sender() -> None:
            nonlocal unstored
            while waiting:
                while unstored >= UNSTORED_MAX and waiting:
                    room.clear()
                    await room.wait()
                if not waiting:
                    return
                job = waiting.popleft()
                unstored += 1
                async with self._gate:
                    outcome = await self._send(job)
                done.append((job, outcome))
                wake.set()
                if len(done) >= SETTLE_EVERY:
                    full.set()

        storing = asyncio.create_task(storer())
        try:
            # A few senders take jobs in turn, rather than a task per job all queueing on
            # the gate: a fan-out claims hundreds of rows per batch. A task group, so that
            # one sender's failure stops the others before what they sent is stored.
            async with asyncio.TaskGroup() as senders:
                for _ in range(min(len(jobs), self.settings.concurrency)):
                    senders.create_task(sender())
        finally:
            sending = False
            wake.set()
            full.set()
            await storing

    async def _keep_leases(self, ids: list[int]) -> None:
        """Renew this batch's leases while it is being sent, so a slow batch is never
        claimed a second time by another worker; a dead process stops renewing."""
        lease = self.settings.lease
        while True:
            await asyncio.sleep(lease.total_seconds() / 3)
            try:
                async with self.sessions() as session:
                    await outbox.renew(
                        session, ids, owner=self.settings.owner, until=self.clock.now() + lease
                    )
                    await session.commit()
            except Exception:  # a missed renewal costs at most a duplicate, never a loss
                _log_store_trouble("could not renew delivery leases")

    async def _send(self, job: Job) -> Outcome | _Deferred:
        platform = self.platforms.get(job.platform)
        if platform is None:
            return PermanentFailure(f"no adapter for platform {job.platform!r} is running")
        pacer = self.pacers[job.platform]
        key = job.recipient.platform_chat_id
        if (wait := pacer.chat_wait(key)) > DEFER_AFTER:
            return _Deferred(wait)
        breaker = self.breakers[job.platform]
        if (wait := breaker.admit()) > 0:  # the platform is down: wait, spending no attempt
            return _Deferred(wait)
        if (wait := pacer.reserve(key, job.recipient.kind)) > 0:
            await self._sleep(wait)
        started = time.perf_counter()
        try:
            outcome = await platform.send(job.recipient, job.message)
        except Exception as exc:  # an adapter bug must not lose the row: retry, and log it
            log.exception("platform %s failed on deliveries %s", job.platform, job.delivery_ids)
            breaker.release()  # a bug here says nothing of the platform
            return Transient(f"adapter error: {exc!r}")
        self.telemetry.send_took(job.platform, time.perf_counter() - started)
        if isinstance(outcome, Sent) and job.stored_at is not None:
            waited = self.clock.now() - job.stored_at
            self.telemetry.article_to_send(job.platform, job.message.kind, waited.total_seconds())
        breaker.record(key, outcome)
        if isinstance(outcome, Transient) and breaker.is_open:
            return _Deferred(breaker.admit_delay())  # an outage, not this message's failure
        if isinstance(outcome, RateLimited):
            if outcome.scope == "global":
                pacer.hold_all(outcome.retry_after)
            else:
                pacer.hold_chat(key, outcome.retry_after)
        return outcome

    async def _settle(
        self, results: list[tuple[Job, Outcome | _Deferred]], total: DispatchReport
    ) -> None:
        """Store outcomes in one transaction; counted into ``total`` once it committed (a
        store that failed is tried again and must not count twice)."""
        now = self.clock.now()
        report = DispatchReport()
        counted: collections.Counter[tuple[str, str, str]] = collections.Counter()
        async with self.sessions() as session:
            sent: list[tuple[int, str | None]] = []
            settled_as: list[tuple[int, str]] = []
            for job, outcome in results:
                ids, rows = job.delivery_ids, len(job.delivery_ids)
                if (name := _outcome_name(outcome, job.attempts)) is not None:
                    counted[job.platform, job.message.kind, name] += rows
                match outcome:
                    case Sent(message_id=message_id, how=how):
                        sent.extend((delivery_id, message_id) for delivery_id in ids)
                        if how is not None:
                            settled_as.extend((delivery_id, how) for delivery_id in ids)
                    case _Deferred(seconds=seconds):
                        report.deferred += rows
                        await _defer(session, ids, now + timedelta(seconds=seconds))
                    case RateLimited(retry_after=retry_after):
                        report.retried += rows
                        await outbox.retry_later(
                            session,
                            ids,
                            due_at=now + timedelta(seconds=retry_after),
                            reason=f"rate limited: retry after {retry_after:g} s",
                        )
                    case Transient(reason=reason):
                        if job.attempts >= MAX_ATTEMPTS:
                            report.failed += rows
                            await outbox.mark_failed(
                                session,
                                ids,
                                reason=f"gave up after {job.attempts} attempts: {reason}",
                            )
                        else:
                            report.retried += rows
                            delay = transient_delay(job.attempts)
                            await outbox.retry_later(
                                session, ids, due_at=now + timedelta(seconds=delay), reason=reason
                            )
                    case ChatGone(reason=reason):
                        report.gone += rows
                        await outbox.deactivate_chat(session, job.chat_id, reason=reason, now=now)
                    case ChatMoved(new_chat_id=new_chat_id):
                        report.moved += rows
                        await _move_chat(session, job, new_chat_id, now)
                    case PermanentFailure(reason=reason):
                        report.failed += rows
                        await outbox.mark_failed(session, ids, reason=reason)
            await outbox.mark_sent(session, sent, now=now)
            await outbox.mark_settled_as(session, settled_as)
            report.sent += len(sent)
            await session.commit()
        total.add(report)
        for (platform, kind, name), rows in counted.items():
            self.telemetry.delivered(platform, kind, name, rows)


def _outcome_name(outcome: Outcome | _Deferred, attempts: int) -> str | None:
    """The ``outcome`` label of a settled attempt; None for a row sent back to the table
    without spending one."""
    match outcome:
        case Sent():
            return SENT
        case RateLimited():
            return RATE_LIMITED
        case Transient():
            return FAILED if attempts >= MAX_ATTEMPTS else TRANSIENT
        case ChatGone():
            return GONE
        case ChatMoved():
            return MOVED
        case PermanentFailure():
            return FAILED
    return None


async def _platforms_of(session: AsyncSession, chat_ids: set[int]) -> dict[int, str]:
    if not chat_ids:
        return {}
    rows = await session.execute(
        select(Chat.id, Chat.platform).where(outbox.ids_in(session, Chat.id, chat_ids))
    )
    return {chat_id: platform for chat_id, platform in rows}


async def _defer(session: AsyncSession, ids: tuple[int, ...], due_at: datetime) -> None:
    """Back to the table for later, without counting an attempt."""
    await session.execute(
        update(Delivery)
        .where(outbox.ids_in(session, Delivery.id, ids))
        .values(
            due_at=due_at, lease_owner=None, lease_expires_at=None, attempts=Delivery.attempts - 1
        )
    )


async def _move_chat(session: AsyncSession, job: Job, new_chat_id: str, now: datetime) -> None:
    """A group became a supergroup: the chat now lives at the new id; resend there at once."""
    chat = await session.get(Chat, job.chat_id)
    if chat is None:
        return
    twin = await session.scalar(
        select(Chat).where(
            Chat.platform == chat.platform,
            Chat.platform_chat_id == new_chat_id,
            Chat.id != chat.id,  # moved already by another row of this store
        )
    )
    if twin is not None:
        # The new id is a chat we already know, with its own subscriptions and rows: this
        # one retires, and its rows go with it rather than doubling the twin's.
        await outbox.deactivate_chat(session, chat.id, reason=f"moved to {new_chat_id}", now=now)
        return
    chat.platform_chat_id = new_chat_id
    await session.execute(
        update(Delivery)
        .where(outbox.ids_in(session, Delivery.id, job.delivery_ids))
        .values(
            due_at=now,
            lease_owner=None,
            lease_expires_at=None,
            last_error=f"chat moved to {new_chat_id}",
        )
    )


def _log_store_trouble(what: str) -> None:
    """Inside an ``except``: one line when the store is away (the service says so once,
    for the whole process), the traceback when it is anything else."""
    problem = sys.exc_info()[1]
    if problem is not None and is_unreachable(problem):
        log.info("%s: %s", what, first_line(problem))
    else:
        log.exception(what)
