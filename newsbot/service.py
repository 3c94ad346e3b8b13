"""The long-running bot: poller, matcher and dispatcher loops and the leader's timed jobs in
one event loop.

`newsbot run` runs them all; `newsbot worker` only dispatches (more sending capacity on
PostgreSQL). Polling, matching, the readers' updates and the timed jobs run in one leader at
a time (`newsbot.leadership`); a lead loop asks every second whether this process leads and
starts or stops the timed jobs (`newsbot.scheduler`) and the readers' frontends to match.
Feed polling stays a loop of its own; why is in `newsbot.scheduler`.

The matcher and dispatchers are loops woken by events, not timed jobs: the work is there the
moment articles or deliveries are committed, and a timer would only add latency. On
PostgreSQL the leader's matcher LISTENs for the notification a trigger sends when article
events are committed, by any writer (`newsbot.delivery.wakeup`); on SQLite the poller and
the CMS push API wake it after storing articles (``articles_stored``). A matcher that
writes deliveries wakes this process's dispatchers the same way. Their idle passes only
catch what no event announces (rows that come due by time, a follower asking for the lock).

Stopping (Ctrl-C, SIGTERM) lets the current batch settle: a claimed delivery is either sent
and marked, or left to its lease; never lost.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta

from newsbot.alerts.watch import CHECK_EVERY, Alerts, alerts_for
from newsbot.app import App
from newsbot.conversation import Frontend
from newsbot.delivery.broadcasts import advance
from newsbot.delivery.dispatcher import Dispatcher, DispatchReport, DispatchSettings
from newsbot.delivery.matcher import match_pending
from newsbot.delivery.outcomes import Platform
from newsbot.delivery.pacing import Pacer
from newsbot.delivery.retention import prune_settled
from newsbot.delivery.wakeup import Listener
from newsbot.digest.retention import prune_digests
from newsbot.digest.tick import DigestTick, TickReport
from newsbot.ingest.fetch import make_client
from newsbot.ingest.poller import FeedResult, PollSettings, poll_due_feeds
from newsbot.leadership import LEADER_RETRY_SECONDS, Leadership, process_name
from newsbot.scheduler import LeaderJobs, TimedJob
from newsbot.store.articles import Outcome
from newsbot.store.delivery_models import DeliveryKind
from newsbot.store.engine import backend_name
from newsbot.store.inbound import prune_inbound
from newsbot.store.outage import StoreWatch, is_unreachable
from newsbot.telemetry import NO_TELEMETRY, Telemetry
from newsbot.text.analyzer import default_analyzer

log = logging.getLogger(__name__)

POLL_IDLE = 1.0  # seconds between looks for due feeds
DISPATCH_IDLE = 0.2  # seconds between looks for due deliveries when nothing wakes the dispatcher
PROGRESS_IDLE = 1.0  # seconds between looks at editors' fan-outs (each edited every 3 s at most)
PRUNE_EVERY = timedelta(hours=1)  # between the leader's passes over settled deliveries
DIGEST_EVERY = timedelta(minutes=1)  # the digest tick: one job for every chat's digest
ALERTS_IDLE = 1.0  # seconds between looks for operators' alerts to write and send


@dataclass
class Service:
    app: App
    platforms: dict[str, Platform]
    dispatch_settings: DispatchSettings
    poll_settings: PollSettings
    # What readers talk to (the Telegram bot's updates): started after the platforms that
    # send, stopped before them, in `run` only.
    frontends: list[Frontend] = field(default_factory=list)
    # Started on every process, leader or not, in `run` only: the HTTP server (Slack's
    # events, the Telegram webhook, health) and Slack's Socket Mode connection. What they
    # receive is acted on once however many processes receive it (a row per event).
    servers: list[Frontend] = field(default_factory=list)
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    # The match loop's timed pass when nothing wakes it (also how often a follower asks for
    # the leader lock). The dispatcher's, for rows that come due by time, is DISPATCH_IDLE.
    match_idle: float = LEADER_RETRY_SECONDS / 4
    # Each platform's pace, shared with the frontends' replies (None: the dispatcher's own).
    pacers: dict[str, Pacer] | None = None
    # Where sends and polls are reported (``newsbot.metrics``); nowhere by default.
    telemetry: Telemetry = NO_TELEMETRY
    dispatcher: Dispatcher = field(init=False)
    leadership: Leadership = field(init=False)
    leader_jobs: LeaderJobs = field(init=False)
    store: StoreWatch = field(default_factory=StoreWatch)
    digests: DigestTick = field(init=False)
    # Set after each digest tick that queued some, so this process's dispatchers start at once.
    digest_wake: asyncio.Event | None = field(default=None, init=False)
    # Set when articles are stored in this process (feeds polled, the CMS push API), so its
    # matcher starts at once; on PostgreSQL the trigger's NOTIFY also wakes the leader's.
    match_wake: asyncio.Event = field(default_factory=asyncio.Event, init=False)
    # Operators' alerts (NEWSBOT_ALERT_CHAT), None without them: newsbot.alerts.
    alerts: Alerts | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.dispatcher = Dispatcher(
            self.app.sessions,
            self.platforms,
            self.app.clock,
            self.dispatch_settings,
            pacers=self.pacers,
            telemetry=self.telemetry,
        )
        self.leadership = Leadership(self.app)
        self.digests = DigestTick(
            self.app.sessions, grace=self.app.settings.digest_grace, zone=self.app.settings.zone
        )
        jobs = [TimedJob("digest", "enqueue due digests", self.digest_tick, DIGEST_EVERY)]
        if self.app.settings.delivery_retention_days:
            jobs.append(TimedJob("prune", "prune settled deliveries", self.prune, PRUNE_EVERY))
        self.alerts = alerts_for(
            self.app.settings,
            self.app.sessions,
            self.app.clock,
            platforms=self.platforms,
            pacers=self.dispatcher.pacers,
            breakers=self.dispatcher.breakers,
            process=process_name(),
        )
        if self.alerts is not None:
            jobs.append(
                TimedJob("alerts", "check for operators' alerts", self.check_alerts, CHECK_EVERY)
            )
            self.store.listener = self.alerts.store_changed
            for breaker in self.dispatcher.breakers.values():
                breaker.listener = self.alerts.platform_changed
        self.leader_jobs = LeaderJobs(jobs)

    async def check_alerts(self) -> int:
        """The leader's minute of operators' alerts (``newsbot.alerts``)."""
        if self.alerts is None or not await self.leadership.acquire():
            return 0
        return await self.alerts.check()

    async def prune(self) -> int:
        """The leader's retention pass; returns the settled deliveries it forgot. It ends
        between chunks once the service stops or this process no longer leads."""
        days = self.app.settings.delivery_retention_days
        if not days or not await self.leadership.acquire():
            return 0
        before = self.app.clock.now() - timedelta(days=days)

        def stop() -> bool:
            return self.stop.is_set() or not self.leader_jobs.leading

        deleted = await prune_settled(self.app.sessions, before=before, stop=stop)
        if deleted:
            log.info("forgot %d settled deliveries older than %d days", deleted, days)
        if not stop() and (
            digests := await prune_digests(self.app.sessions, before=before, stop=stop)
        ):
            log.info("forgot %d digests older than %d days", digests, days)
        async with self.app.sessions() as session:  # and the day-old claims of requests
            await prune_inbound(session, now=self.app.clock.now())
            await session.commit()
        return deleted

    async def digest_tick(self) -> TickReport:
        """The leader's minute: enqueue every digest now due (``newsbot.digest.tick``)."""
        if not await self.leadership.acquire():
            return TickReport()
        report = await self.digests.run(
            self.app.clock.now(), stop=lambda: self.stop.is_set() or not self.leader_jobs.leading
        )
        if report.queued or report.dropped:
            log.info(
                "digests: %d queued, %d dropped as too late, %d empty",
                report.queued,
                report.dropped,
                report.empty,
            )
        if report.queued and self.digest_wake is not None:
            self.digest_wake.set()
        return report

    def articles_stored(self) -> None:
        """New or corrected articles were committed here: match them now, not at the next
        timed pass (on SQLite nothing else would tell this process's matcher)."""
        self.match_wake.set()

    async def _pause(self, seconds: float, wake: asyncio.Event | None) -> None:
        """Idle for ``seconds``, or until the service stops or ``wake`` is set."""
        waiters = [asyncio.ensure_future(e.wait()) for e in (self.stop, wake) if e is not None]
        try:
            await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
            await asyncio.gather(*waiters, return_exceptions=True)

    async def match_all(self, wake: asyncio.Event | None = None) -> int:
        """Match every queued event; returns the deliveries written. ``wake`` is set after
        each commit that wrote some, so dispatchers start on a fan-out's first chunk."""
        written = 0
        while True:
            async with self.app.sessions() as session:
                report = await match_pending(
                    session,
                    default_analyzer(),
                    now=self.app.clock.now(),
                    corrections=DeliveryKind.EDIT
                    if self.app.settings.corrections_in_place
                    else DeliveryKind.CORRECTION,
                )
                await session.commit()
            written += report.deliveries
            if report.deliveries and wake is not None:
                wake.set()
            if not report.events:
                return written

    async def show_progress(self) -> int:
        """One pass over editors' fan-outs: their progress messages brought up to date."""
        return await advance(
            self.app.sessions, self.platforms, self.app.clock, pacers=self.dispatcher.pacers
        )

    async def dispatch_all(self) -> DispatchReport:
        """Send everything due now (used by --once)."""
        for platform in self.platforms.values():
            await platform.start()
        try:
            return await self._dispatch_due()
        finally:
            for platform in self.platforms.values():
                await platform.stop()

    async def _dispatch_due(self) -> DispatchReport:
        total = DispatchReport()
        while True:
            report = await self.dispatcher.run_once()
            total.add(report)
            if not report.claimed or report.claimed == report.deferred:
                return total

    async def _loop(
        self,
        name: str,
        step: Callable[[], Awaitable[bool]],
        idle: float,
        wake: asyncio.Event | None = None,
        *,
        reaches_store: bool = True,
    ) -> None:
        """Run ``step`` until the service stops. A step that passed tells the store watch the
        store works, unless it need not have reached the store (``reaches_store`` False):
        otherwise, while a SQLite lock holds every writer past its busy timeout, a loop that
        never touches the store would say it is back once a second."""
        while not self.stop.is_set():
            if wake is not None:
                wake.clear()  # a wake-up that comes during this pass brings the next one
            try:
                busy = await step()
            except Exception as problem:  # one failing step must not end the bot; it retries
                if is_unreachable(problem):
                    self.store.failed(f"the {name} loop", problem)
                else:
                    log.exception("%s loop failed; retrying", name)
                busy = False
            else:
                if reaches_store:
                    self.store.worked()
            if not busy:
                await self._pause(idle, wake)

    async def run(self, *, lead: bool = True) -> None:
        leadership = self.leadership
        client = make_client(
            timeout=self.app.settings.http_timeout, user_agent=self.app.settings.http_user_agent
        )
        match_wake, dispatch_wake = self.match_wake, asyncio.Event()
        self.digest_wake = dispatch_wake
        listener = None
        postgres = backend_name(self.app.settings.database_url) == "postgresql"
        if postgres:
            listener = Listener(self.app.engine, match_wake)

        async def poll_step() -> bool:
            if not await leadership.acquire():
                return False
            results = await poll_due_feeds(
                self.app.sessions, client, self.app.clock, self.poll_settings
            )
            for result in results:
                self.telemetry.feed_polled(result.status)
            if _stored_any(results):
                self.articles_stored()  # the only wake-up on SQLite; on PostgreSQL a quicker one
            return False

        async def match_step() -> bool:
            leading = await leadership.acquire()
            if listener is not None:
                if leading:
                    listener.start()
                else:
                    await listener.stop()  # another process leads: its matcher listens
            if not leading:
                return False
            return await self.match_all(dispatch_wake) > 0

        async def dispatch_step() -> bool:
            report = await self.dispatcher.run_once()
            return report.claimed > report.deferred

        for platform in self.platforms.values():
            await platform.start()
        serving: list[Frontend] = []
        try:
            for server in self.servers:
                await server.start()
                serving.append(server)
        except BaseException:
            await _stop_all(serving)
            for platform in self.platforms.values():
                await platform.stop()
            raise
        started: list[Frontend] = []

        async def progress_step() -> bool:
            # Every process, leader or not: whoever is alive finishes a fan-out's message.
            await self.show_progress()
            return False

        loops = [
            self._loop("dispatch", dispatch_step, DISPATCH_IDLE, dispatch_wake)
            for _ in range(self.dispatch_settings.batches_in_flight)
        ]
        loops.append(self._loop("progress", progress_step, PROGRESS_IDLE))
        if self.alerts is not None:  # every process: its own signals, and whoever can send
            # Without a sender, a pass with no signals to write reads nothing.
            sends = self.alerts.sender is not None
            loops.append(self._loop("alerts", self.alerts.step, ALERTS_IDLE, reaches_store=sends))

        async def stop_frontends() -> None:
            await _stop_all(started)

        async def lead_step() -> bool:
            # The timed jobs and the readers follow the lock. Readers are served by the leader
            # alone: Telegram answers a second long poll of the same bot with 409 Conflict,
            # and one webhook server is enough.
            if await leadership.acquire():
                self.leader_jobs.lead()
                if not started:
                    for frontend in self.frontends:
                        await frontend.start()
                        started.append(frontend)
            else:
                self.leader_jobs.follow()
                if started:
                    log.info("no longer leading: handing the readers' updates over")
                    await stop_frontends()
            return False

        if lead:
            loops += [
                self._loop("poll", poll_step, POLL_IDLE),
                self._loop("match", match_step, self.match_idle, match_wake),
                # On SQLite leading is a given: the lead loop asks the store nothing.
                self._loop("lead", lead_step, LEADER_RETRY_SECONDS / 2, reaches_store=postgres),
            ]
        try:
            if lead:
                self.leader_jobs.start()
            log.info("started: delivering%s", "; polling and matching when leading" if lead else "")
            await asyncio.gather(*loops)
        finally:
            await self.leader_jobs.shutdown()
            await stop_frontends()
            await _stop_all(serving)
            if listener is not None:
                await listener.stop()
            await leadership.release()
            await client.aclose()
            for platform in self.platforms.values():
                await platform.stop()


async def _stop_all(started: list[Frontend]) -> None:
    while started:
        frontend = started.pop()
        try:
            await frontend.stop()
        except Exception:
            log.exception("stopping %s failed", type(frontend).__name__)


def _stored_any(results: list[FeedResult]) -> bool:
    """Whether polling queued article events (new or corrected articles) for the matcher."""
    return any(r.counts[Outcome.NEW] or r.counts[Outcome.CORRECTED] for r in results)
