"""The dedupe rule and the hourly cap: alerts in, messages for the alert chat queued.

Every alert key has one row in ``alert_states``; what it says is decided from that row, so
however many checks, processes or restarts see an outage, the alert chat hears:

- **started** once, when the key opens (or, if the hourly cap held it back, as soon as the
  cap allows while it is still open);
- **repeated** at most once per ``Rules.repeat`` while it stays open;
- **resolved** once when it closes, if its start was announced (always: a resolution is
  never held back by the cap, and there is never more than one per announced start);
- a **notice** (the leader changed) once, for the events that have nothing to resolve.

Starts, repeats and notices together are capped at ``Rules.per_hour`` in any sliding hour,
counted from the queued messages themselves, so the cap holds across processes too (on
PostgreSQL, one transaction at a time counts and queues, under ``CAP_LOCK_KEY``; SQLite has
one writer at a time anyway). When it
is reached, starts go before repeats and the most severe first; the rest wait, open and
unannounced (and an alert that ends before it was announced is never mentioned).

The caller owns the session and commits: a message is queued in the same transaction that
marks its alert announced, so neither can happen without the other.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from newsbot.alerts.checks import leader_change
from newsbot.alerts.model import SEVERITY, Alert, Kind, Rules, Severity
from newsbot.store.alerts import AlertEvent, AlertMessage, AlertState

log = logging.getLogger(__name__)

CAPPED = (AlertEvent.STARTED, AlertEvent.REPEATED, AlertEvent.NOTICE)
HOUR = timedelta(hours=1)
CAP_LOCK_KEY = 0x616C7274  # "alrt": one transaction at a time counts the cap (PostgreSQL)
KEPT = timedelta(days=30)  # sent messages and resolved alerts, for whoever looks back
_ORDER = {Severity.CRITICAL: 0, Severity.WARNING: 1, Severity.INFO: 2}


def to_say(state: AlertState, now: datetime, rules: Rules) -> AlertEvent | None:
    """What an alert's row calls for now, cap aside: a start, a repeat, or nothing."""
    if state.resolved_at is not None:
        return None
    if state.notified_at is None:
        return AlertEvent.STARTED
    if now - state.notified_at >= rules.repeat:
        return AlertEvent.REPEATED
    return None


def _dumps(params: Mapping[str, object]) -> str:
    return json.dumps(dict(params), ensure_ascii=False, sort_keys=True)


def _minutes(since: datetime, now: datetime) -> int:
    return max(0, round((now - since).total_seconds() / 60))


async def room_left(session: AsyncSession, now: datetime, rules: Rules) -> int:
    """Starts, repeats and notices the cap still allows in the hour up to ``now``. On
    PostgreSQL the count is taken under a lock held until the caller's transaction ends, so
    what it queues is counted by the next process to ask, never beside it."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(select(func.pg_advisory_xact_lock(CAP_LOCK_KEY)))
    said = await session.scalar(
        select(func.count())
        .select_from(AlertMessage)
        .where(AlertMessage.event.in_(CAPPED), AlertMessage.created_at > now - HOUR)
    )
    return max(0, rules.per_hour - int(said or 0))


def _queue(
    session: AsyncSession, state: AlertState, event: AlertEvent, now: datetime
) -> AlertMessage:
    params = json.loads(state.params)
    params["minutes"] = _minutes(state.opened_at, state.resolved_at or now)
    message = AlertMessage(
        key=state.key,
        kind=state.kind,
        event=event,
        params=_dumps(params),
        created_at=now,
        due_at=now,
        attempts=0,
    )
    session.add(message)
    return message


async def _row(session: AsyncSession, key: str) -> AlertState | None:
    # FOR UPDATE on PostgreSQL: two processes raising one key take turns (SQLite has one
    # writer at a time anyway and renders nothing).
    return await session.get(AlertState, key, with_for_update=True, populate_existing=True)


def _open(
    session: AsyncSession, state: AlertState | None, alert: Alert, now: datetime
) -> AlertState:
    """The alert's row, open: new, reopened after a resolution, or seen again."""
    if state is None:
        state = AlertState(key=alert.key, kind=alert.kind.value, opened_at=now)
        session.add(state)
    elif state.resolved_at is not None:
        state.opened_at, state.notified_at, state.resolved_at = now, None, None
    state.params = _dumps(alert.params)
    state.seen_at = now
    return state


def _close(session: AsyncSession, state: AlertState, now: datetime) -> list[AlertMessage]:
    state.resolved_at = now
    if state.notified_at is None:
        return []  # never announced (the cap held it back): nothing to take back
    return [_queue(session, state, AlertEvent.RESOLVED, now)]


async def _announce(
    session: AsyncSession, states: Iterable[AlertState], now: datetime, rules: Rules
) -> list[AlertMessage]:
    due = [(s, e) for s in states if (e := to_say(s, now, rules)) is not None]
    if not due:
        return []
    room = await room_left(session, now, rules)
    # News first: starts before repeats, then the most severe, then the oldest.
    due.sort(
        key=lambda pair: (
            pair[1] is AlertEvent.REPEATED,
            _ORDER[SEVERITY[Kind(pair[0].kind)]],
            pair[0].opened_at,
        )
    )
    queued = []
    for state, event in due[:room]:
        queued.append(_queue(session, state, event, now))
        state.notified_at = now
    if len(due) > room:  # every minute while it lasts: the log's level, not a warning
        log.info(
            "alerts: %d held back by NEWSBOT_ALERT_PER_HOUR=%d (%s…)",
            len(due) - room,
            rules.per_hour,
            ", ".join(s.key for s, _ in due[room : room + 5]),
        )
    return queued


async def _open_states(session: AsyncSession) -> Sequence[AlertState]:
    return (
        await session.scalars(
            select(AlertState)
            .where(AlertState.resolved_at.is_(None))
            .order_by(AlertState.key)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).all()


async def reconcile(
    session: AsyncSession,
    firing: Sequence[Alert],
    now: datetime,
    rules: Rules,
    *,
    kinds: frozenset[Kind],
) -> list[AlertMessage]:
    """The checks of ``kinds`` found ``firing``: open those, resolve the open alerts of those
    kinds they no longer find, and say what the rule and the cap call for (signals' alerts
    held back by the cap included)."""
    queued: list[AlertMessage] = []
    states = {s.key: s for s in await _open_states(session)}
    wanted = {alert.key for alert in firing}
    for alert in firing:
        state = states.get(alert.key) or await _row(session, alert.key)
        states[alert.key] = _open(session, state, alert, now)
    for key, state in list(states.items()):
        if key not in wanted and Kind(state.kind) in kinds:
            queued += _close(session, state, now)
            del states[key]
    queued += await _announce(session, states.values(), now, rules)
    return queued


REPORTERS = "down_in"  # in a signalled alert's params: the processes that say it is on


def _reporters(state: AlertState | None) -> set[str]:
    if state is None or state.resolved_at is not None:
        return set()
    return set(json.loads(state.params).get(REPORTERS, []))


async def raise_alert(
    session: AsyncSession, alert: Alert, now: datetime, rules: Rules, *, by: str | None = None
) -> list[AlertMessage]:
    """A signal says ``alert`` is firing (a platform went down), from process ``by``."""
    state = await _row(session, alert.key)
    reporters = _reporters(state)
    state = _open(session, state, alert, now)
    if by is not None:
        state.params = _dumps({**alert.params, REPORTERS: sorted(reporters | {by})})
    return await _announce(session, [state], now, rules)


async def resolve(
    session: AsyncSession, key: str, now: datetime, *, by: str | None = None
) -> list[AlertMessage]:
    """A signal says the alert under ``key`` is over, for process ``by``: over for all
    once no other process still says it is on (a platform's breakers close one process
    after another; the first to close does not end the outage for the others)."""
    state = await _row(session, key)
    if state is None or state.resolved_at is not None:
        return []
    if by is not None:
        others = _reporters(state) - {by}
        if others:
            state.params = _dumps({**json.loads(state.params), REPORTERS: sorted(others)})
            return []
    return _close(session, state, now)


async def resolve_unheard(
    session: AsyncSession, kind: Kind, *, seen_before: datetime, now: datetime
) -> list[AlertMessage]:
    """Resolve the open signalled alerts of ``kind`` no process has repeated since
    ``seen_before``: the process that raised it died, or stopped before it could resolve."""
    queued: list[AlertMessage] = []
    for state in await _open_states(session):
        if state.kind == kind.value and state.seen_at < seen_before:
            queued += _close(session, state, now)
    return queued


async def past_outage(
    session: AsyncSession, alert: Alert, since: datetime, until: datetime, rules: Rules
) -> list[AlertMessage]:
    """An alert that could only be told once it was over (the store was away): its start
    and its resolution, unless another process has told of the same outage already (one
    that overlaps it, or ended less than ``rules.store_after`` before it began)."""
    state = await _row(session, alert.key)
    if state is not None and (
        state.resolved_at is None or state.resolved_at >= since - rules.store_after
    ):
        return []
    state = _open(session, state, alert, since)
    queued = await _announce(session, [state], now=until, rules=rules)
    return queued + _close(session, state, until)


async def leader(
    session: AsyncSession, current: str, now: datetime, rules: Rules
) -> list[AlertMessage]:
    """Remember who leads; a notice when it is not who led before."""
    state = await _row(session, "leader")
    previous = None if state is None else json.loads(state.params).get("name")
    if state is None:
        state = AlertState(key="leader", kind=Kind.LEADER.value, opened_at=now)
        session.add(state)
    if previous == current:
        return []
    state.params, state.seen_at, state.resolved_at = _dumps({"name": current}), now, now
    alert = leader_change(previous, current)
    if alert is None:
        return []
    if await room_left(session, now, rules) < 1:  # a notice has no later: it is only logged
        log.info("alerts: %s leads now (was %s); not told: the hourly cap", current, previous)
        return []
    message = AlertMessage(
        key=alert.key,
        kind=alert.kind.value,
        event=AlertEvent.NOTICE,
        params=_dumps(alert.params),
        created_at=now,
        due_at=now,
        attempts=0,
    )
    session.add(message)
    state.notified_at = now
    return [message]


async def forget(session: AsyncSession, now: datetime) -> None:
    """Sent messages and resolved alerts older than ``KEPT``: the queue and the states stay
    small (the cap's count reads the last hour only). Unsent messages are never forgotten."""
    before = now - KEPT
    await session.execute(
        delete(AlertMessage).where(AlertMessage.sent_at < before),
        execution_options={"synchronize_session": False},
    )
    await session.execute(
        delete(AlertState).where(AlertState.resolved_at < before, AlertState.key != "leader"),
        execution_options={"synchronize_session": False},
    )
