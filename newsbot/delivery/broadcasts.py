"""Live progress of an editor's fan-out: counted from the outbox, shown in one message.

A ``Broadcast`` row follows the deliveries of one (article, kind, revision). ``advance``
looks at every unfinished one and, at most once every ``EDIT_EVERY`` (Telegram counts edits
against the same limits as sends), rewrites the editor's message with what the outbox says:
sent of total, failures, an estimate of the time left; and once nothing is left to send, a
summary (delivered, failed and why, how long until 50, 95 and 100 % of the recipients had
it, and for corrections and retractions how each copy was reached).

Any process may run ``advance``: the edit slot is taken by a conditional UPDATE of
``last_edit_at``, so two processes never edit the same message in one slot, and a process
that dies mid fan-out leaves its broadcasts to the next pass of another process or of its
own restart. The final summary is written before ``finished_at``: a crash between the two
edits the message once more with the same text, which platforms take as done.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from newsbot.clock import Clock
from newsbot.delivery.editorial import FIRST_COPIES, sent_copies
from newsbot.delivery.matcher import delivery_row, insert_deliveries
from newsbot.delivery.outcomes import (
    DELETED,
    EDITED,
    REPLACED,
    REPLIED,
    ChatGone,
    EditsNotices,
    PermanentFailure,
    Sent,
)
from newsbot.delivery.pacing import Pacer
from newsbot.i18n import t
from newsbot.store.audit import record
from newsbot.store.delivery_models import ArticleEvent, Delivery, DeliveryKind, DeliveryState
from newsbot.store.editorial import Action, Broadcast
from newsbot.store.models import Article

log = logging.getLogger(__name__)

EDIT_EVERY = timedelta(seconds=3)
FAILED = (DeliveryState.FAILED, DeliveryState.DROPPED)
WAITING = (DeliveryState.PENDING, DeliveryState.HELD)


@dataclass(frozen=True, slots=True)
class Progress:
    total: int  # rows so far (all of them once ``matching`` is over)
    sent: int
    failed: int
    waiting: int
    matching: bool  # the matcher is still writing the fan-out's rows
    elapsed: float  # seconds since Send
    reasons: tuple[tuple[str, int], ...] = ()  # the commonest failures
    how: Mapping[str, int] = field(default_factory=dict)  # edited, replied, deleted, replaced
    reached: Mapping[int, float | None] = field(default_factory=dict)  # 50/95/100 % → seconds

    @property
    def finished(self) -> bool:
        return not self.matching and self.waiting == 0

    @property
    def eta(self) -> float | None:
        """Seconds left at the pace so far; None before the first copy."""
        done = self.sent + self.failed
        if not done or not self.elapsed:
            return None
        return self.waiting * self.elapsed / done


def time_to(
    share: float, started: datetime, sent_at: Sequence[datetime], total: int
) -> float | None:
    """Seconds from Send until ``share`` of the ``total`` recipients had their copy; None
    when fewer have it."""
    needed = max(1, math.ceil(share * total))
    if total == 0 or len(sent_at) < needed:
        return None
    return max(0.0, (sent_at[needed - 1] - started).total_seconds())


async def measure(session: AsyncSession, broadcast: Broadcast, now: datetime) -> Progress:
    rows = (
        Delivery.article_id == broadcast.article_id,
        Delivery.kind == broadcast.kind,
        Delivery.revision == broadcast.revision,
    )
    counts: dict[DeliveryState, int] = {}
    how: dict[str, int] = {}
    for state, settled_as, count in await session.execute(
        select(Delivery.state, Delivery.settled_as, func.count())
        .where(*rows)
        .group_by(Delivery.state, Delivery.settled_as)
    ):
        counts[state] = counts.get(state, 0) + count
        if settled_as:
            how[settled_as] = how.get(settled_as, 0) + count
    reasons = tuple(
        (str(reason or "?"), int(count))
        for reason, count in await session.execute(
            select(Delivery.last_error, func.count())
            .where(*rows, Delivery.state.in_(FAILED))
            .group_by(Delivery.last_error)
            .order_by(func.count().desc())
            .limit(3)
        )
    )
    matching = False
    if broadcast.kind == DeliveryKind.BREAKING.value:
        matching = bool(
            await session.scalar(
                select(func.count())
                .select_from(ArticleEvent)
                .where(
                    ArticleEvent.article_id == broadcast.article_id,
                    ArticleEvent.matched.is_(False),
                )
            )
        )
    total = sum(counts.values())
    sent_at = list(
        await session.scalars(
            select(Delivery.sent_at)
            .where(*rows, Delivery.state == DeliveryState.SENT)
            .order_by(Delivery.sent_at)
        )
    )
    reached = {
        share: time_to(share / 100, broadcast.started_at, [s for s in sent_at if s], total)
        for share in (50, 95, 100)
    }
    return Progress(
        total=total,
        sent=counts.get(DeliveryState.SENT, 0),
        failed=sum(counts.get(s, 0) for s in FAILED),
        waiting=sum(counts.get(s, 0) for s in WAITING),
        matching=matching,
        elapsed=max(0.0, (now - broadcast.started_at).total_seconds()),
        reasons=reasons,
        how=how,
        reached=reached,
    )


def _seconds(value: float | None, locale: str) -> str:
    return "–" if value is None else t(locale, "progress.seconds", seconds=f"{value:.1f}")


def render_progress(broadcast: Broadcast, progress: Progress, title: str) -> str:
    """The editor's message: under way, or the summary once finished (plain text)."""
    locale = broadcast.locale
    action = t(locale, f"progress.action.{broadcast.action.value}")
    if not progress.finished:
        eta = progress.eta
        lines = [
            t(
                locale,
                "progress.sending",
                action=action,
                title=title,
                done=progress.sent,
                total=progress.total,
                failed=progress.failed,
            )
        ]
        if eta is not None:
            lines.append(t(locale, "progress.eta", seconds=math.ceil(eta)))
        return "\n".join(lines)
    lines = [
        t(
            locale,
            "progress.done",
            action=action,
            title=title,
            sent=progress.sent,
            total=progress.total,
            failed=progress.failed,
        ),
        t(
            locale,
            "progress.times",
            t50=_seconds(progress.reached.get(50), locale),
            t95=_seconds(progress.reached.get(95), locale),
            t100=_seconds(progress.reached.get(100), locale),
        ),
    ]
    if broadcast.action is Action.CORRECT:
        lines.append(
            t(
                locale,
                "progress.edited",
                edited=progress.how.get(EDITED, 0),
                replied=progress.how.get(REPLIED, 0),
            )
        )
    if broadcast.action is Action.RETRACT:
        lines.append(
            t(
                locale,
                "progress.retracted",
                deleted=progress.how.get(DELETED, 0),
                replaced=progress.how.get(REPLACED, 0),
            )
        )
    lines += [f"· {reason}: {count}" for reason, count in progress.reasons]
    return "\n".join(lines)


_FOLLOW_UP = {Action.CORRECT: DeliveryKind.EDIT, Action.RETRACT: DeliveryKind.RETRACTION}


async def _catch_stragglers(session: AsyncSession, broadcast: Broadcast, now: datetime) -> bool:
    """Copies of the article that were on their way when the editor pressed Send were not
    among the copies to edit or take back then: once sent, each gets its row too. Returns
    whether any copy is still on its way (the broadcast is not finished while one is)."""
    kind = _FOLLOW_UP.get(broadcast.action)
    if kind is None:
        return False
    chats = await sent_copies(session, broadcast.article_id)
    rows = [
        delivery_row(broadcast.article_id, chat, kind, now=now, revision=broadcast.revision)
        for chat in chats
    ]
    await insert_deliveries(session, rows)
    in_flight = await session.scalar(
        select(func.count())
        .select_from(Delivery)
        .where(
            Delivery.article_id == broadcast.article_id,
            Delivery.kind.in_(FIRST_COPIES),
            Delivery.state.in_((*WAITING, DeliveryState.DROPPED)),
            Delivery.lease_expires_at > now,
        )
    )
    return bool(in_flight)


async def advance(
    sessions: async_sessionmaker[AsyncSession],
    platforms: Mapping[str, object],
    clock: Clock,
    *,
    pacers: Mapping[str, Pacer] | None = None,
    every: timedelta = EDIT_EVERY,
) -> int:
    """One pass over the unfinished broadcasts; returns the messages edited."""
    async with sessions() as session:
        unfinished = list(
            await session.scalars(
                select(Broadcast.id).where(Broadcast.finished_at.is_(None)).order_by(Broadcast.id)
            )
        )
    edited = 0
    for broadcast_id in unfinished:
        try:
            edited += await _advance_one(sessions, platforms, clock, broadcast_id, pacers, every)
        except Exception:  # one broadcast's trouble must not stop the others' progress
            log.exception("progress of broadcast %s failed", broadcast_id)
    return edited


async def _advance_one(
    sessions: async_sessionmaker[AsyncSession],
    platforms: Mapping[str, object],
    clock: Clock,
    broadcast_id: int,
    pacers: Mapping[str, Pacer] | None,
    every: timedelta,
) -> int:
    now = clock.now()
    async with sessions() as session:
        slot = await session.execute(
            update(Broadcast)
            .where(
                Broadcast.id == broadcast_id,
                Broadcast.finished_at.is_(None),
                or_(Broadcast.last_edit_at.is_(None), Broadcast.last_edit_at <= now - every),
            )
            .values(last_edit_at=now)
            .execution_options(synchronize_session=False)
        )
        await session.commit()
        if not getattr(slot, "rowcount", 0):
            return 0  # edited less than ``every`` ago, here or by another process
        broadcast = await session.get(Broadcast, broadcast_id)
        if broadcast is None:
            return 0
        in_flight = await _catch_stragglers(session, broadcast, now)
        await session.commit()
        progress = await measure(session, broadcast, now)
        if in_flight:
            progress = dataclasses.replace(progress, matching=True)
        title = await session.scalar(
            select(Article.title).where(Article.id == broadcast.article_id)
        )
        text = render_progress(broadcast, progress, title or "")
        edits = 0
        if text != broadcast.last_text:
            platform = platforms.get(broadcast.platform)
            if isinstance(platform, EditsNotices):
                pacer = (pacers or {}).get(broadcast.platform)
                if pacer is not None and (wait := pacer.reserve(broadcast.chat_id, "private")):
                    await asyncio.sleep(wait)
                outcome = await platform.edit_notice(broadcast.chat_id, broadcast.message_id, text)
                if not isinstance(outcome, Sent | PermanentFailure | ChatGone):
                    return 0  # rate limited or a network error: the next slot tries again
                edits = 1
            broadcast.last_text = text
        if progress.finished:
            broadcast.finished_at = now
            record(
                session,
                at=now,
                platform=broadcast.platform,
                user_id=broadcast.user_id,
                action=f"{broadcast.action.value} finished",
                outcome="done",
                article_id=broadcast.article_id,
                copies=progress.sent,
                detail=f"failed {progress.failed}; "
                + ", ".join(f"{k} {v}" for k, v in sorted(progress.how.items())),
            )
        await session.commit()
        return edits


async def recent(session: AsyncSession, *, since: datetime, now: datetime) -> list[dict[str, Any]]:
    """Editors' fan-outs started since ``since``, with their figures (``newsbot stats``)."""
    found = []
    for broadcast in await session.scalars(
        select(Broadcast).where(Broadcast.started_at >= since).order_by(Broadcast.id)
    ):
        progress = await measure(session, broadcast, now)
        found.append(
            {
                "action": broadcast.action.value,
                "article": broadcast.article_id,
                "started_at": broadcast.started_at.isoformat(),
                "finished": broadcast.finished_at is not None,
                "recipients": progress.total,
                "delivered": progress.sent,
                "failed": progress.failed,
                "failures": dict(progress.reasons),
                "seconds_to": {f"{k}%": v for k, v in progress.reached.items()},
                **{how: progress.how.get(how, 0) for how in (EDITED, REPLIED, DELETED, REPLACED)},
            }
        )
    return found
