"""The dispatcher: claim due rows, pace them, send through a platform, settle the outcome.

One claim is a batch of the most urgent due rows under a lease. A row for a chat that must
still wait (its pacing slot, or a 429's retry_after) goes back to the table with that due
time instead of holding a sending slot, so a burst to one chat never stalls the others and
never outlives its lease. Outcomes are settled together in one transaction per batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from newsbot.clock import Clock
from newsbot.delivery import outbox
from newsbot.delivery.outcomes import (
    ChatGone,
    ChatMoved,
    Outcome,
    Outgoing,
    PermanentFailure,
    Platform,
    RateLimited,
    Recipient,
    Sent,
    Transient,
)
from newsbot.delivery.pacing import Pacer
from newsbot.store.delivery_models import Chat, Delivery, DeliveryKind, DeliveryState
from newsbot.store.models import Article

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
MAX_BACKOFF = 300.0
DEFER_AFTER = 1.0  # a chat that must wait longer than this goes back to the table


@dataclass(frozen=True, slots=True)
class DispatchSettings:
    owner: str  # this process, in leases: host:pid
    batch: int = 200
    concurrency: int = 32
    lease: timedelta = timedelta(seconds=60)


@dataclass(slots=True)
class DispatchReport:
    claimed: int = 0
    sent: int = 0
    deferred: int = 0
    retried: int = 0
    failed: int = 0
    gone: int = 0
    moved: int = 0


@dataclass(frozen=True, slots=True)
class _Job:
    delivery_id: int
    attempts: int
    chat_id: int
    platform: str
    recipient: Recipient
    message: Outgoing


@dataclass(frozen=True, slots=True)
class _Deferred:
    seconds: float


def transient_delay(attempts: int) -> float:
    """Capped exponential backoff with jitter: about 2 s, 4 s, 8 s … at most five minutes."""
    return min(MAX_BACKOFF, 2.0**attempts) * (0.5 + random.random() / 2)  # noqa: S311


async def _load_jobs(session: AsyncSession, ids: list[int]) -> list[_Job]:
    rows = await session.execute(
        select(Delivery, Article, Chat)
        .join(Article, Article.id == Delivery.article_id)
        .join(Chat, Chat.id == Delivery.chat_id)
        .where(Delivery.id.in_(ids))
        .order_by(Delivery.priority, Delivery.due_at, Delivery.id)
    )
    jobs = []
    for delivery, article, chat in rows:
        replaces = None
        if delivery.kind is DeliveryKind.CORRECTION:
            replaces = await session.scalar(
                select(Delivery.platform_message_id).where(
                    Delivery.article_id == article.id,
                    Delivery.chat_id == chat.id,
                    Delivery.state == DeliveryState.SENT,
                    Delivery.kind.in_([DeliveryKind.HEADLINE, DeliveryKind.BREAKING]),
                )
            )
        message = Outgoing(
            kind=delivery.kind.value,
            title=article.title,
            url=article.url,
            lead=article.lead,
            section=article.section,
            published_at=article.published_at,
            revision=delivery.revision,
            replaces_message_id=replaces,
        )
        recipient = Recipient(chat.platform_chat_id, chat.kind.value, chat.language, chat.timezone)
        jobs.append(
            _Job(delivery.id, delivery.attempts, chat.id, chat.platform, recipient, message)
        )
    return jobs


class Dispatcher:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        platforms: dict[str, Platform],
        clock: Clock,
        settings: DispatchSettings,
        *,
        pacers: dict[str, Pacer] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.sessions = sessions
        self.platforms = platforms
        self.clock = clock
        self.settings = settings
        self.pacers = pacers or {name: Pacer(p.limits) for name, p in platforms.items()}
        self._sleep = sleep

    async def run_once(self) -> DispatchReport:
        """Claim one batch, send it, settle it. Returns what happened."""
        report = DispatchReport()
        async with self.sessions() as session:
            claimed = await outbox.claim(
                session,
                owner=self.settings.owner,
                now=self.clock.now(),
                lease=self.settings.lease,
                limit=self.settings.batch,
            )
            await session.commit()
            report.claimed = len(claimed)
            if not claimed:
                return report
            jobs = await _load_jobs(session, [c.id for c in claimed])
        gate = asyncio.Semaphore(self.settings.concurrency)

        async def one(job: _Job) -> tuple[_Job, Outcome | _Deferred]:
            async with gate:
                return job, await self._send(job)

        heartbeat = asyncio.create_task(self._keep_leases([c.id for c in claimed]))
        try:
            results = await asyncio.gather(*(one(job) for job in jobs))
            await self._settle(results, report)  # leases held until the outcome is stored
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat
        return report

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
                log.exception("could not renew delivery leases")

    async def _send(self, job: _Job) -> Outcome | _Deferred:
        platform = self.platforms.get(job.platform)
        if platform is None:
            return PermanentFailure(f"no adapter for platform {job.platform!r} is running")
        pacer = self.pacers[job.platform]
        key = job.recipient.platform_chat_id
        if (wait := pacer.chat_wait(key)) > DEFER_AFTER:
            return _Deferred(wait)
        if (wait := pacer.reserve(key, job.recipient.kind)) > 0:
            await self._sleep(wait)
        try:
            outcome = await platform.send(job.recipient, job.message)
        except Exception as exc:  # an adapter bug must not lose the row: retry, and log it
            log.exception("platform %s failed on delivery %s", job.platform, job.delivery_id)
            return Transient(f"adapter error: {exc!r}")
        if isinstance(outcome, RateLimited):
            if outcome.scope == "global":
                pacer.hold_all(outcome.retry_after)
            else:
                pacer.hold_chat(key, outcome.retry_after)
        return outcome

    async def _settle(
        self, results: list[tuple[_Job, Outcome | _Deferred]], report: DispatchReport
    ) -> None:
        now = self.clock.now()
        async with self.sessions() as session:
            sent: list[tuple[int, str | None]] = []
            for job, outcome in results:
                match outcome:
                    case Sent(message_id=message_id):
                        sent.append((job.delivery_id, message_id))
                    case _Deferred(seconds=seconds):
                        report.deferred += 1
                        await _defer(session, job.delivery_id, now + timedelta(seconds=seconds))
                    case RateLimited(retry_after=retry_after):
                        report.retried += 1
                        await outbox.retry_later(
                            session,
                            job.delivery_id,
                            due_at=now + timedelta(seconds=retry_after),
                            reason=f"rate limited: retry after {retry_after:g} s",
                        )
                    case Transient(reason=reason):
                        if job.attempts >= MAX_ATTEMPTS:
                            report.failed += 1
                            await outbox.mark_failed(
                                session,
                                job.delivery_id,
                                reason=f"gave up after {job.attempts} attempts: {reason}",
                            )
                        else:
                            report.retried += 1
                            delay = transient_delay(job.attempts)
                            await outbox.retry_later(
                                session,
                                job.delivery_id,
                                due_at=now + timedelta(seconds=delay),
                                reason=reason,
                            )
                    case ChatGone(reason=reason):
                        report.gone += 1
                        await outbox.deactivate_chat(session, job.chat_id, reason=reason, now=now)
                    case ChatMoved(new_chat_id=new_chat_id):
                        report.moved += 1
                        await _move_chat(session, job, new_chat_id, now)
                    case PermanentFailure(reason=reason):
                        report.failed += 1
                        await outbox.mark_failed(session, job.delivery_id, reason=reason)
            await outbox.mark_sent(session, sent, now=now)
            report.sent += len(sent)
            await session.commit()


async def _defer(session: AsyncSession, delivery_id: int, due_at: datetime) -> None:
    """Back to the table for later, without counting an attempt."""
    await session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id)
        .values(
            due_at=due_at, lease_owner=None, lease_expires_at=None, attempts=Delivery.attempts - 1
        )
    )


async def _move_chat(session: AsyncSession, job: _Job, new_chat_id: str, now: datetime) -> None:
    """A group became a supergroup: the chat now lives at the new id; resend there at once."""
    chat = await session.get(Chat, job.chat_id)
    if chat is None:
        return
    twin = await session.scalar(
        select(Chat).where(Chat.platform == chat.platform, Chat.platform_chat_id == new_chat_id)
    )
    if twin is not None:
        # The new id is a chat we already know, with its own subscriptions and rows: this
        # one retires, and its rows go with it rather than doubling the twin's.
        await outbox.deactivate_chat(session, chat.id, reason=f"moved to {new_chat_id}", now=now)
        return
    chat.platform_chat_id = new_chat_id
    await session.execute(
        update(Delivery)
        .where(Delivery.id == job.delivery_id)
        .values(
            due_at=now,
            lease_owner=None,
            lease_expires_at=None,
            last_error=f"chat moved to {new_chat_id}",
        )
    )
