"""The queued alert messages to the alert chat, in order, never lost to an outage.

A message stays a row until the platform has taken it: a 429 puts it back for exactly the
platform's retry_after, a network error or 5xx for a backoff, an open breaker (the platform
is down) until its next probe. The chat's pace is the shared ``Pacer`` of the platform, so
alerts and the newsroom's sends never collide, and the platform's ``Breaker`` is the
dispatcher's: an alert neither hammers a platform that is down nor waits on one that is up.
The adapter (``PostsPlain``) escapes the text for its platform and cuts it to its limit, and
says how the chat is paced: this module knows no platform.

A sender takes the oldest *due* message whose key has nothing older unsent (a resolution
never arrives before its start, yet a message pushed back does not hold up other alerts),
by a conditional UPDATE of its lease, and stops when another process holds it.

Two kinds of refusal:

- one that says the alert chat itself is wrong (gone, moved, blocked) is the operator's to
  fix (NEWSBOT_ALERT_CHAT): it is logged as an error and the message waits, retried every
  ``MAX_BACKOFF`` seconds, so it goes once the setting is right;
- one about this message only (``PermanentFailure``: the platform will never take this
  text) settles it as refused (``sent_at`` set, ``last_error`` saying why), logged once, and
  the next message goes: retrying it would only block every later alert for good.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from newsbot.alerts.text import render
from newsbot.clock import Clock
from newsbot.delivery.breaker import Breaker
from newsbot.delivery.outcomes import (
    ChatGone,
    ChatMoved,
    Outcome,
    PermanentFailure,
    PostsPlain,
    RateLimited,
    Sent,
    Transient,
)
from newsbot.delivery.pacing import Pacer
from newsbot.store.alerts import AlertMessage

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
MAX_BACKOFF = 300.0


def backoff(attempts: int) -> float:
    """2, 4, 8 … seconds after each failed attempt, at most five minutes."""
    return min(MAX_BACKOFF, 2.0 ** max(1, attempts))


@dataclass
class AlertSender:
    sessions: async_sessionmaker[AsyncSession]
    platform: PostsPlain
    platform_name: str
    chat_id: str
    clock: Clock
    pacer: Pacer
    breaker: Breaker
    locale: str = "ko"
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Seoul"))
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

    async def send_due(self, limit: int = 20) -> int:
        """Send the due messages in order, up to ``limit``; returns how many went. A message
        refused for its content is settled and the next one goes."""
        sent = tried = 0
        while tried < limit:
            message = await self._claim_next()
            if message is None:
                return sent
            tried += 1
            outcome = await self._send(message)
            if outcome is None:  # it must wait (pace, breaker): put back as it was
                return sent
            await self._settle(message.id, outcome)
            if isinstance(outcome, Sent):
                sent += 1
            elif not isinstance(outcome, PermanentFailure):
                return sent
        return sent

    async def _claim_next(self) -> AlertMessage | None:
        """The oldest due message with nothing older unsent under its key, leased."""
        now = self.clock.now()
        older = aliased(AlertMessage)
        async with self.sessions() as session:
            message = await session.scalar(
                select(AlertMessage)
                .where(
                    AlertMessage.sent_at.is_(None),
                    AlertMessage.due_at <= now,
                    ~exists().where(
                        older.key == AlertMessage.key,
                        older.sent_at.is_(None),
                        older.id < AlertMessage.id,
                    ),
                )
                .order_by(AlertMessage.id)
                .limit(1)
            )
            if message is None:
                return None
            claimed = await session.execute(
                update(AlertMessage)
                .where(
                    AlertMessage.id == message.id,
                    AlertMessage.sent_at.is_(None),
                    or_(
                        AlertMessage.lease_expires_at.is_(None),
                        AlertMessage.lease_expires_at <= now,
                    ),
                )
                .values(lease_expires_at=now + LEASE, attempts=AlertMessage.attempts + 1)
                .execution_options(synchronize_session=False)
            )
            await session.commit()
            if not getattr(claimed, "rowcount", 0):
                return None  # another process is sending it
            return message

    async def _send(self, message: AlertMessage) -> Outcome | None:
        chat = self.chat_id
        if (wait := self.pacer.chat_wait(chat)) > 1.0 or (wait := self.breaker.admit()) > 0:
            await self._put_back(message.id, self._later(wait))
            return None
        if wait := self.pacer.reserve(chat, self.platform.chat_kind(chat)):
            await self.sleep(wait)
        text = render(
            message.kind, message.event, message.params, locale=self.locale, zone=self.zone
        )
        try:
            outcome = await self.platform.post_plain(chat, text)
        except Exception as exc:  # an adapter bug must not lose the alert
            log.exception("alerts: sending to %s:%s failed", self.platform_name, chat)
            self.breaker.release()
            return Transient(f"adapter error: {exc!r}")
        self.breaker.record(chat, outcome)
        if isinstance(outcome, RateLimited):
            if outcome.scope == "global":
                self.pacer.hold_all(outcome.retry_after)
            else:
                self.pacer.hold_chat(chat, outcome.retry_after)
        return outcome

    def _later(self, seconds: float) -> datetime:
        return self.clock.now() + timedelta(seconds=max(seconds, 1.0))

    async def _put_back(self, message_id: int, due_at: datetime) -> None:
        """Back to the queue without spending an attempt."""
        async with self.sessions() as session:
            await session.execute(
                update(AlertMessage)
                .where(AlertMessage.id == message_id)
                .values(
                    due_at=due_at,
                    lease_expires_at=None,
                    attempts=AlertMessage.attempts - 1,
                )
                .execution_options(synchronize_session=False)
            )
            await session.commit()

    async def _settle(self, message_id: int, outcome: Outcome) -> None:
        now = self.clock.now()
        values: dict[str, object] = {"lease_expires_at": None}
        match outcome:
            case Sent():
                values["sent_at"] = now
            case RateLimited(retry_after=retry_after):
                values["due_at"] = self._later(retry_after)
                values["last_error"] = f"rate limited: retry after {retry_after:g} s"
            case Transient(reason=reason):
                async with self.sessions() as session:
                    attempts = await session.scalar(
                        select(AlertMessage.attempts).where(AlertMessage.id == message_id)
                    )
                delay = backoff(attempts or 1)
                if self.breaker.is_open:
                    delay = self.breaker.admit_delay()
                values["due_at"] = self._later(delay)
                values["last_error"] = reason[:1000]
            case PermanentFailure(reason=reason):
                log.error(
                    "alerts: %s:%s refused message %d for good (%s): dropped; the next ones go",
                    self.platform_name,
                    self.chat_id,
                    message_id,
                    reason,
                )
                values["sent_at"] = now
                values["last_error"] = f"refused: {reason}"[:1000]
            case ChatGone(reason=reason):
                self._misconfigured(reason)
                values["due_at"] = self._later(MAX_BACKOFF)
                values["last_error"] = reason[:1000]
            case ChatMoved(new_chat_id=new_chat_id):
                reason = (
                    f"the chat moved: set NEWSBOT_ALERT_CHAT={self.platform_name}:{new_chat_id}"
                )
                self._misconfigured(reason)
                values["due_at"] = self._later(MAX_BACKOFF)
                values["last_error"] = reason
        async with self.sessions() as session:
            await session.execute(
                update(AlertMessage)
                .where(AlertMessage.id == message_id)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            await session.commit()

    def _misconfigured(self, reason: str) -> None:
        log.error(
            "alerts: %s:%s refuses them (%s): fix NEWSBOT_ALERT_CHAT; they wait until then",
            self.platform_name,
            self.chat_id,
            reason,
        )
