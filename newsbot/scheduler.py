"""The leader's timed jobs, on APScheduler inside the service's running event loop.

Timed work has one owner: the process that leads runs it, on an `AsyncIOScheduler` in the
service's own event loop, so a job is a coroutine like any other and shares the App's engine.
The scheduler holds nothing worth keeping: its job store is memory, the jobs are added from
code each time this process starts leading and removed when it stops, and what a job has done
is in our tables. A follower (`newsbot worker`, a `run` that does not lead) has no jobs.

What runs here, and what does not:
- The digest tick (`newsbot.digest.tick`): every minute, and at once on taking the lead. One
  job for every chat's digest, never one per chat: what is due is read from the chats
  table, so a run that comes late, or a tick missed during a restart, is made up by the next.
- Retention's pass over settled deliveries (and old digests): hourly, and at once on taking
  the lead.
- Feed polling stays a loop in `newsbot.service`. Its schedule is already durable and per
  feed (each feed's next poll time and backoff are in the feeds table); the loop only looks
  for due feeds every second, like the dispatcher's look for due rows. A pass lasts as long
  as the slowest due publisher (up to the fetch deadline, a minute by default), so a 1-second
  trigger would keep firing into a pass still running: with ``max_instances=1`` each of those
  ticks is a "maximum number of running instances reached" warning, and avoiding them means
  a job that pauses and resumes itself around every pass, machinery to rebuild the loop's
  "one pass, then wait". APScheduler also logs every run at INFO, two lines a second here.
- The matcher and dispatchers are not timed work: they are woken by LISTEN/NOTIFY and by
  each other (see `newsbot.service`), and a timer would only add latency.

APScheduler fires on the wall clock; the jobs read the App's clock for what they do.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.events import EVENT_SCHEDULER_SHUTDOWN  # type: ignore[import-untyped]
from apscheduler.jobstores.memory import MemoryJobStore  # type: ignore[import-untyped]
from apscheduler.schedulers.asyncio import AsyncIOScheduler  # type: ignore[import-untyped]
from apscheduler.triggers.interval import IntervalTrigger  # type: ignore[import-untyped]

log = logging.getLogger(__name__)

# What every job shares, chosen rather than inherited (APScheduler's grace is 1 s):
# - No misfire grace limit. A run is "missed" when it starts later than its time by more than
#   the grace, and the event loop is late whenever a fan-out or the Korean analyzer keeps it
#   busy: with 1 s, an hourly pass would be skipped silently for an hour. Our jobs work out
#   what to do from the clock and the tables when they run, so a late run is as good as one
#   on time.
# - Coalesce: runs missed in a row (a long busy spell, a suspended host) become one; a second
#   pass straight after the first would find nothing left to do.
# - One instance: two passes at once would only contend for the same rows.
MISFIRE_GRACE_TIME: int | None = None
COALESCE = True
MAX_INSTANCES = 1


@dataclass(frozen=True, slots=True)
class TimedJob:
    """One of the leader's jobs: ``run`` every ``every``, the first time on taking the lead.

    A job that can take long should end early once `LeaderJobs.leading` is false: this
    process has stopped leading, or is stopping."""

    id: str
    name: str  # what it does, for the log
    run: Callable[[], Awaitable[object]]
    every: timedelta


class LeaderJobs:
    """The leader's jobs on one scheduler: added by `lead`, removed by `follow`.

    Start it with `start` inside the running event loop and end it with `shutdown` in the
    same loop; a process that never leads need not start it.
    """

    def __init__(self, jobs: Sequence[TimedJob]) -> None:
        self._jobs = tuple(jobs)
        # Built without a loop: AsyncIOScheduler.start takes the running one (3.x source).
        self.scheduler = AsyncIOScheduler(timezone=UTC, jobstores={"default": MemoryJobStore()})
        self._leading = False
        self._in_flight: set[asyncio.Task[Any]] = set()

    @property
    def leading(self) -> bool:
        """Whether this process runs the jobs now (false once it follows or stops)."""
        return self._leading

    def start(self) -> None:
        """Start the scheduler, with no jobs, in the event loop that is running (outside one,
        AsyncIOScheduler.start raises RuntimeError before starting anything)."""
        self.scheduler.start()

    def lead(self) -> None:
        """This process leads: schedule its jobs, each to run at once and then every period."""
        if self._leading:
            return
        self._leading = True
        now = datetime.now(UTC)
        for job in self._jobs:
            self.scheduler.add_job(
                self._guarded(job),
                IntervalTrigger(seconds=job.every.total_seconds(), timezone=UTC),
                id=job.id,
                name=job.name,
                next_run_time=now,
                misfire_grace_time=MISFIRE_GRACE_TIME,
                coalesce=COALESCE,
                max_instances=MAX_INSTANCES,
                replace_existing=True,
            )
        if self._jobs:
            log.info("leading: running the timed jobs (%s)", ", ".join(j.id for j in self._jobs))

    def follow(self) -> None:
        """Another process leads: remove the jobs. A run in flight sees `leading` false and
        ends early; the next leader runs its own jobs from the start."""
        if self._remove() and self._jobs:
            log.info("no longer leading: the timed jobs stop here")

    def _remove(self) -> bool:
        """Remove the jobs; whether this process was leading until now."""
        if not self._leading:
            return False
        self._leading = False
        self.scheduler.remove_all_jobs()
        return True

    async def shutdown(self) -> None:
        """Stop for good: no new runs, the runs in flight end, the scheduler shuts down."""
        self._remove()
        if not self.scheduler.running:
            return
        # A run submitted this very turn has not yet taken its first step, so is not yet in
        # flight: one turn of the loop lets it count itself.
        await asyncio.sleep(0)
        shut = asyncio.Event()
        self.scheduler.add_listener(lambda _: shut.set(), EVENT_SCHEDULER_SHUTDOWN)
        try:
            if self._in_flight:
                await asyncio.wait(set(self._in_flight))
        finally:
            # AsyncIOScheduler shuts down at the loop's next turn, and its executor cannot wait
            # (it cancels whatever still runs, with wait=True too): runs in flight have been
            # waited for above, and only reach this cancelled when the wait itself was.
            self.scheduler.shutdown(wait=False)
        await shut.wait()

    def _guarded(self, job: TimedJob) -> Callable[[], Coroutine[Any, Any, None]]:
        async def run() -> None:
            task = asyncio.current_task()
            assert task is not None
            self._in_flight.add(task)
            try:
                await job.run()
            except Exception:  # one failing pass must not end the job; the next one retries
                log.exception("%s failed; it runs again in %s", job.name, job.every)
            finally:
                self._in_flight.discard(task)

        return run
