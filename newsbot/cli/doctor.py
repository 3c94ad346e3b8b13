"""`newsbot doctor`: is this installation ready to run, and if not, what to do.

One line per check, ✓ passed, ✗ failed with what to do, – skipped (nothing to check: no
Slack token, say). The checks run at once, each within its own time limit, so one that hangs
(a firewalled database) cannot hide the others. Exit status: 0 when nothing failed, 1 when a
check failed, 2 when the settings themselves do not parse (then nothing else can be checked).

The platform checks live in ``newsbot.platforms.probes``; here are the ones about this
machine: the settings, the store, the Korean analyzer and the time zone.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Coroutine
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click
from alembic.runtime.migration import MigrationContext
from pydantic import SecretStr
from sqlalchemy import Connection
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from newsbot import event_loop
from newsbot.bot import http_listen_address
from newsbot.cli.output import print_json
from newsbot.config import Settings, mask_url
from newsbot.errors import ConfigError
from newsbot.platforms.probes import (
    HTTP_LISTEN,
    SLACK_LOGIN,
    SLACK_SCOPES,
    TELEGRAM_LOGIN,
    TELEGRAM_WEBHOOK,
    Check,
    Status,
    failed,
    listen_check,
    passed,
    skipped,
    slack_checks,
    telegram_checks,
)
from newsbot.store import migrate
from newsbot.store.engine import backend_name, make_async_engine
from newsbot.text.analyzer import KiwiMorphemes

T = TypeVar("T")
MARKS = {Status.PASSED: "✓", Status.FAILED: "✗", Status.SKIPPED: "–"}
ANALYZER_SECONDS = 60.0  # loading Kiwi's model reads ~100 MB: slow disks, busy machines
STORE, ANALYZER, ZONE, SETTINGS = "store", "korean analyzer", "time zone", "settings"


# --- the checks about this machine ----------------------------------------------------------


def _schema(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _no_file_yet(url: str) -> bool:
    path = make_url(url).database
    return (
        bool(path)
        and path != ":memory:"
        and not str(path).startswith("file:")
        and not (Path(str(path)).exists())
    )


async def store_check(settings: Settings, *, seconds: float) -> Check:
    """The store answers, and its schema is the one this newsbot needs."""
    url = settings.database_url
    backend = backend_name(url)
    where = mask_url(url)
    if backend == "sqlite" and _no_file_yet(url):
        return passed(STORE, f"{where}: no file yet; the first command creates it")
    fix = "check NEWSBOT_DATABASE_URL, and that the database server runs and lets this user in"
    engine = make_async_engine(url, busy_timeout_ms=settings.sqlite_busy_timeout_ms)
    try:
        async with asyncio.timeout(seconds), engine.connect() as connection:
            current = await connection.run_sync(_schema)
    except TimeoutError:
        return failed(STORE, f"{where}: no answer within {seconds:g} s", fix)
    except (DBAPIError, OSError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        return failed(STORE, f"{where}: {reason}", fix)
    finally:
        await engine.dispose()
    head = migrate.head_revision()
    if current == head:
        return passed(STORE, f"{where}: schema {head}, the newest")
    if current is not None and current not in migrate.all_revisions():
        return failed(
            STORE,
            f"{where}: schema {current}, which this newsbot does not know (a newer one "
            "migrated it)",
            "run the newsbot version that migrated it, or upgrade this one",
        )
    if backend == "sqlite":
        return passed(STORE, f"{where}: schema {current or 'empty'}; the next command upgrades it")
    return failed(
        STORE,
        f"{where}: schema {current or 'empty'}, this newsbot needs {head}",
        "run `newsbot db upgrade` (with the other newsbot processes stopped)",
    )


async def _in_thread(work: Callable[[], T], seconds: float) -> T:
    """``work()`` on a daemon thread: one that outlives the time limit cannot hold up exit."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[T] = loop.create_future()

    def settle(result: T | None, error: BaseException | None) -> None:
        if done.done():
            return
        if error is not None:
            done.set_exception(error)
        else:
            done.set_result(result)  # type: ignore[arg-type]

    def run() -> None:
        try:
            result, error = work(), None
        except Exception as exc:
            result, error = None, exc
        with contextlib.suppress(RuntimeError):  # the loop closed: nobody is waiting
            loop.call_soon_threadsafe(settle, result, error)

    threading.Thread(target=run, name="doctor", daemon=True).start()
    return await asyncio.wait_for(done, seconds)


async def analyzer_check(*, seconds: float = ANALYZER_SECONDS) -> Check:
    """Kiwi loads and finds 성남시 in 성남시는, as search and indexing will need it to."""
    kiwi = KiwiMorphemes()
    fix = (
        "reinstall it (pip install --force-reinstall kiwipiepy kiwipiepy-model); it needs "
        "about 300 MB of memory. Meanwhile search matches on bigrams alone"
    )
    try:
        found = await _in_thread(lambda: kiwi.morphemes(["성남시는"]), seconds)
    except TimeoutError:
        return failed(ANALYZER, f"Kiwi did not load within {seconds:g} s", fix)
    if kiwi.error is not None:
        return failed(ANALYZER, f"Kiwi did not load: {kiwi.error}", fix)
    forms = [m.form for m in found[0]]
    if "성남시" not in forms:
        return failed(ANALYZER, f"Kiwi read 성남시는 as {forms}, not 성남시", fix)
    return passed(ANALYZER, "Kiwi loaded (성남시는 → 성남시)")


def zone_check(name: str) -> Check:
    try:
        now = datetime.now(ZoneInfo(name))
    except (ZoneInfoNotFoundError, ValueError):
        return failed(ZONE, f"{name} is not a known zone", "set NEWSBOT_TIMEZONE to an IANA name")
    return passed(ZONE, f"{name} (now {now:%Y-%m-%d %H:%M %z})")


# --- all of them ----------------------------------------------------------------------------


async def _telegram(settings: Settings, seconds: float) -> list[Check]:
    if settings.telegram_token is None:
        return [
            skipped(TELEGRAM_LOGIN, "NEWSBOT_TELEGRAM_TOKEN is not set: no Telegram"),
            skipped(TELEGRAM_WEBHOOK, "no Telegram"),
        ]
    return await telegram_checks(
        settings.telegram_token.get_secret_value(),
        api_url=settings.telegram_api_url,
        webhook_url=settings.telegram_webhook_url,
        seconds=seconds,
    )


async def _slack(settings: Settings, seconds: float) -> list[Check]:
    if settings.slack_bot_token is None:
        return [
            skipped(SLACK_LOGIN, "NEWSBOT_SLACK_BOT_TOKEN is not set: no Slack"),
            skipped(SLACK_SCOPES, "no Slack"),
        ]
    readers = settings.slack_app_token is not None or settings.slack_signing_secret is not None
    return await slack_checks(
        settings.slack_bot_token.get_secret_value(),
        api_url=settings.slack_api_url,
        readers=readers,
        seconds=seconds,
    )


async def _one(check: Coroutine[Any, Any, Check]) -> list[Check]:
    return [await check]


def _secrets(settings: Settings) -> list[str]:
    values = (getattr(settings, name) for name in type(settings).model_fields)
    return [v.get_secret_value() for v in values if isinstance(v, SecretStr) and v]


async def guarded(
    settings: Settings, names: tuple[str, ...], checks: Coroutine[Any, Any, list[Check]]
) -> list[Check]:
    """A check that breaks is one failed line naming the bug, not a doctor that stops."""
    try:
        return await checks
    except Exception as exc:
        said = f"{type(exc).__name__}: {exc}"
        for secret in _secrets(settings):
            said = said.replace(secret, "***")
        first, *others = names
        return [
            failed(first, f"the check itself broke: {said}", "a newsbot bug: please report it"),
            *(skipped(name, f"after {first}") for name in others),
        ]


async def run_checks(settings: Settings, *, seconds: float) -> list[Check]:
    """Every check after the settings', at once; the report in a fixed order."""
    groups = await asyncio.gather(
        guarded(settings, (STORE,), _one(store_check(settings, seconds=seconds))),
        guarded(settings, (TELEGRAM_LOGIN, TELEGRAM_WEBHOOK), _telegram(settings, seconds)),
        guarded(settings, (SLACK_LOGIN, SLACK_SCOPES), _slack(settings, seconds)),
        guarded(
            settings,
            (HTTP_LISTEN,),
            _one(
                listen_check(
                    http_listen_address(settings),
                    seconds=seconds,
                    worker=settings.worker_http_listen,
                )
            ),
        ),
        guarded(settings, (ANALYZER,), _one(analyzer_check())),
    )
    return [*(c for group in groups for c in group), zone_check(settings.timezone)]


def line(check: Check) -> str:
    text = f"{MARKS[check.status]} {check.name}: {check.detail}"
    return f"{text} → {check.fix}" if check.fix else text


def _report(checks: list[Check], as_json: bool) -> None:
    if as_json:
        print_json(
            {
                "ok": all(c.status is not Status.FAILED for c in checks),
                "checks": [
                    {"name": c.name, "status": c.status.value, "detail": c.detail, "fix": c.fix}
                    for c in checks
                ],
            }
        )
        return
    for check in checks:
        click.echo(line(check))
    counts = {status: sum(c.status is status for c in checks) for status in Status}
    click.echo(", ".join(f"{n} {status.value}" for status, n in counts.items()))


@click.command("doctor")
@click.option(
    "--timeout",
    "seconds",
    type=click.FloatRange(min=0.1),
    default=10.0,
    show_default=True,
    metavar="SECONDS",
    help="Time allowed each check that asks the network or the store.",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object.")
@click.pass_context
def doctor(ctx: click.Context, seconds: float, as_json: bool) -> None:
    """Check the settings, the store, Telegram, Slack, the HTTP address, Kiwi and the zone.

    \b
    One line per check: ✓ passed, ✗ failed (with what to do), – skipped.
    Exit status 0: nothing failed; 1: a check failed; 2: the settings do not parse.
    """
    settings = ctx.find_root().obj
    if isinstance(settings, ConfigError):
        checks = [
            failed(SETTINGS, str(settings), "correct it in the environment or .env"),
            skipped("everything else", "needs settings that parse"),
        ]
        _report(checks, as_json)
        ctx.exit(2)
    assert isinstance(settings, Settings)
    env_file = "read" if Path(".env").is_file() else "none here"
    checks = [
        passed(SETTINGS, f"NEWSBOT_* parsed (.env: {env_file})"),
        *event_loop.run(run_checks(settings, seconds=seconds)),
    ]
    _report(checks, as_json)
    if any(c.status is Status.FAILED for c in checks):
        ctx.exit(1)
