"""What the service runs for alerts: the leader's minute of checks, the signals a process
raises (a platform's breaker, the store going away and back), and the loop that sends.

Signals come from synchronous code in the middle of a send or a failing loop, so they are
only noted in memory here and written to the store by the next ``step``; one that cannot be
written (the store is away) stays in memory until it can. A key keeps its first unwritten
signal and its latest only, so a breaker that flaps while the store is away holds two
entries, not one per flap, and an outage between two passes is still told.

A platform is down while any process says so: each process that saw its breaker open is
named in the alert's row, its breaker closing takes only its own name off, and the alert is
resolved when the last one does (or when none has said so for ``STALE``: they died). So
processes recovering a minute apart tell one start and one resolution.

The store's own outage is known only to the processes that saw it and can only be written
once it is over: it is queued as a started and a resolved message when the store has been
back for ``NEWSBOT_ALERT_STORE_AFTER``, once for all processes (``ledger.past_outage``).
Outages less than that apart are one (a SQLite lock held past the busy timeout makes the
store flip away and back every second), and one shorter than that is only logged. A process
keeps one such outage in memory at most.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from newsbot.alerts import checks, ledger, readings
from newsbot.alerts.model import CHECKED_KINDS, Alert, Kind, Rules
from newsbot.alerts.sender import AlertSender
from newsbot.clock import Clock
from newsbot.config import Settings
from newsbot.delivery.breaker import Breaker
from newsbot.delivery.outcomes import PostsPlain
from newsbot.delivery.pacing import Pacer
from newsbot.store.alerts import AlertMessage

log = logging.getLogger(__name__)

CHECK_EVERY = timedelta(minutes=1)
# A check later than this after the one before means this process did not lead between
# them: lateness of digests is counted afresh.
LEADING_GAP = 3 * CHECK_EVERY
# A process whose breaker stays open says so again this often (nothing is sent for it within
# NEWSBOT_ALERT_REPEAT); one not heard of for STALE has died or lost the news of the close,
# and the leader resolves its alert rather than repeat it forever.
REFRESH_EVERY = timedelta(minutes=1)
STALE = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class _Raise:
    alert: Alert


@dataclass(frozen=True, slots=True)
class _Resolve:
    key: str


@dataclass(frozen=True, slots=True)
class _Outage:
    since: datetime
    until: datetime
    error: str


_Signal = _Raise | _Resolve


@dataclass
class Alerts:
    sessions: async_sessionmaker[AsyncSession]
    clock: Clock
    rules: Rules
    process: str  # host:pid, as the leader change names it
    sender: AlertSender | None = None  # None: this process cannot reach the alert chat
    _signals: dict[str, list[_Signal]] = field(default_factory=dict)  # by key: first, latest
    _store_away: tuple[datetime, str] | None = None
    _outage: _Outage | None = None  # the store's last outage, not yet told
    _down: dict[str, str] = field(default_factory=dict)  # platforms whose breaker is open
    _refreshed_at: datetime | None = None
    _watching_since: datetime | None = None
    _checked_at: datetime | None = None

    # --- signals (synchronous: called from inside a send or a failing loop) ---

    def platform_changed(self, platform: str, down: bool, error: str) -> None:
        """A platform's breaker opened (``down``) or closed."""
        if down:
            self._down[platform] = error
            self._note(_Raise(checks.platform_down(platform, error)))
        else:
            self._down.pop(platform, None)
            self._note(_Resolve(f"platform:{platform}"))

    def _note(self, signal: _Signal) -> None:
        key = signal.alert.key if isinstance(signal, _Raise) else signal.key
        pending = self._signals.setdefault(key, [])
        if len(pending) < 2:
            pending.append(signal)
        else:
            pending[-1] = signal  # what came between is neither here nor there

    def store_changed(self, away: bool, error: str) -> None:
        """The store went away (``away``) or came back: told once it has stayed back."""
        now = self.clock.now()
        if away:
            if self._store_away is not None:
                return
            last = self._outage
            if last is not None and now - last.until < self.rules.store_after:
                self._store_away, self._outage = (last.since, last.error), None  # the same one
            else:
                self._store_away = (now, error)
            return
        if self._store_away is not None:
            since, first_error = self._store_away
            self._store_away = None
            if self._outage is not None:  # an earlier one never written: told as one
                since, first_error = self._outage.since, self._outage.error
            self._outage = _Outage(since, now, first_error)

    # --- the leader's minute ---

    async def check(self) -> int:
        """Run every check against the store; returns the messages queued."""
        now = self.clock.now()
        if self._checked_at is None or now - self._checked_at > LEADING_GAP:
            self._watching_since = now
        self._checked_at = now
        rules = self.rules
        async with self.sessions() as session:
            firing = checks.failing_feeds(await readings.failing_feeds(session), now, rules)
            counts = await readings.send_counts(session, now - rules.failure_window)
            firing += checks.failure_rate(counts, rules)
            gone = await readings.chats_gone(session, now - rules.chats_gone_window)
            firing += checks.chats_gone(gone, rules)
            late = await readings.late_digests(session, now - rules.digest_late)
            firing += checks.late_digests(
                late, now, rules, watching_since=self._watching_since or now
            )
            queued = await ledger.resolve_unheard(
                session, Kind.PLATFORM_DOWN, seen_before=now - STALE, now=now
            )
            queued += await ledger.reconcile(session, firing, now, rules, kinds=CHECKED_KINDS)
            queued += await ledger.leader(session, self.process, now, rules)
            await ledger.forget(session, now)
            await session.commit()
        return len(queued)

    # --- every process ---

    async def flush(self) -> int:
        """Write the signals noted so far, and the store's outage once it is over for good;
        returns the messages queued. A signal leaves memory only once its transaction
        committed."""
        queued = 0
        while self._signals:
            key, pending = next(iter(self._signals.items()))
            signal = pending[0]
            now = self.clock.now()
            try:
                written = await self._write(signal, now)
            except IntegrityError:
                # Another process wrote the same key's first row at the same moment: the
                # next pass finds it and goes on from there.
                log.info("alerts: %s was being written by another process too", signal)
                return queued
            queued += len(written)
            pending.pop(0)
            if not pending:
                del self._signals[key]
        return queued + await self._flush_outage()

    async def _flush_outage(self) -> int:
        outage, now = self._outage, self.clock.now()
        if outage is None or self._store_away is not None:
            return 0
        if now - outage.until < self.rules.store_after:
            return 0  # it may yet go on: the store may go away again
        written: list[AlertMessage] = []
        if outage.until - outage.since >= self.rules.store_after:
            alert = checks.store_down(outage.since, outage.error)
            async with self.sessions() as session:
                written = await ledger.past_outage(
                    session, alert, outage.since, outage.until, self.rules
                )
                await session.commit()
        else:
            log.info(
                "alerts: the store was away for %.0f s: under NEWSBOT_ALERT_STORE_AFTER, "
                "not an alert",
                (outage.until - outage.since).total_seconds(),
            )
        self._outage = None
        return len(written)

    async def _write(self, signal: _Signal, now: datetime) -> list[AlertMessage]:
        async with self.sessions() as session:
            match signal:
                case _Raise(alert=alert):
                    written = await ledger.raise_alert(
                        session, alert, now, self.rules, by=self.process
                    )
                case _Resolve(key=key):
                    written = await ledger.resolve(session, key, now, by=self.process)
            await session.commit()
        return written

    async def step(self) -> bool:
        """The send loop's pass: signals written, due messages sent. Whether it did any."""
        now = self.clock.now()
        if self._down and (self._refreshed_at is None or now - self._refreshed_at >= REFRESH_EVERY):
            self._refreshed_at = now
            for platform, error in self._down.items():
                self._note(_Raise(checks.platform_down(platform, error)))
        queued = await self.flush()
        sent = await self.sender.send_due() if self.sender is not None else 0
        return bool(queued or sent)


def alerts_for(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
    *,
    platforms: Mapping[str, object],
    pacers: Mapping[str, Pacer],
    breakers: Mapping[str, Breaker],
    process: str,
) -> Alerts | None:
    """The alerts of a process, or None without NEWSBOT_ALERT_CHAT. A process whose
    platforms do not include the alert chat's still checks and signals; others send."""
    target = settings.alert_target
    if target is None:
        return None
    name, chat = target
    platform = platforms.get(name)
    sender = None
    if isinstance(platform, PostsPlain) and name in pacers and name in breakers:
        sender = AlertSender(
            sessions,
            platform,
            name,
            chat,
            clock,
            pacers[name],
            breakers[name],
            locale=settings.alert_language,
            zone=settings.zone,
        )
    else:
        log.warning("alerts: no %s platform in this process to send them to %s", name, chat)
    return Alerts(sessions, clock, Rules.of(settings), process, sender)
