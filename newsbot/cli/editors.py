"""`newsbot editors` and `newsbot audit`: the newsroom's people, and what they did.

Editors and admins are stored per platform user (``telegram:12345``, ``slack:U0123``,
``console:desk``); ``NEWSBOT_ADMINS`` names admins who need no row. Every change made here
is audited as the CLI's, next to what editors and admins do in chat.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import click

from newsbot.app import App
from newsbot.cli.output import print_json
from newsbot.cli.root import run_with_app
from newsbot.errors import InputError
from newsbot.roles import Role
from newsbot.store.audit import entries, record
from newsbot.store.staff import appoint, dismiss, staff

PLATFORMS = ("telegram", "slack", "console")
_DURATION = re.compile(r"^(\d+)([mhd])$")


def parse_member(address: str) -> tuple[str, str]:
    platform, sep, user = address.partition(":")
    if not (sep and user) or platform not in PLATFORMS:
        raise InputError(
            f"expected PLATFORM:USER_ID with PLATFORM one of {', '.join(PLATFORMS)}, "
            f"got {address!r}"
        )
    return platform, user


def parse_since(text: str, now: datetime) -> datetime:
    """``30m``, ``24h``, ``7d``, or an ISO date or time (UTC unless it says otherwise)."""
    if match := _DURATION.match(text.strip()):
        unit = {"m": "minutes", "h": "hours", "d": "days"}[match.group(2)]
        return now - timedelta(**{unit: int(match.group(1))})
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InputError(
            f"--since: expected 30m, 24h, 7d or an ISO date such as 2026-12-01, got {text!r}"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@click.group()
def editors() -> None:
    """Who may send breaking news, correct and retract (editors), and name editors (admins)."""


@editors.command("add")
@click.argument("address", metavar="PLATFORM:USER_ID")
@click.option("--admin", is_flag=True, help="A newsroom admin (may also name editors).")
@click.pass_context
def add(ctx: click.Context, address: str, admin: bool) -> None:
    """Make a user an editor, e.g. `newsbot editors add telegram:12345`."""
    platform, user = parse_member(address)
    role = Role.ADMIN if admin else Role.EDITOR

    async def work(app: App) -> None:
        now = app.clock.now()
        async with app.sessions() as session:
            await appoint(session, platform, user, role, now=now, by="cli")
            record(
                session,
                at=now,
                platform="cli",
                user_id="cli",
                action="editors add",
                outcome="done",
                detail=f"{address} {role.value}",
            )
            await session.commit()

    run_with_app(ctx, work)
    click.echo(f"{address}: {role.value}")


@editors.command("remove")
@click.argument("address", metavar="PLATFORM:USER_ID")
@click.pass_context
def remove(ctx: click.Context, address: str) -> None:
    """Take a user's newsroom role away."""
    platform, user = parse_member(address)

    async def work(app: App) -> bool:
        async with app.sessions() as session:
            removed = await dismiss(session, platform, user)
            record(
                session,
                at=app.clock.now(),
                platform="cli",
                user_id="cli",
                action="editors remove",
                outcome="done" if removed else "not found",
                detail=address,
            )
            await session.commit()
            return removed

    if not run_with_app(ctx, work):
        raise InputError(f"{address} is not an editor or admin")
    click.echo(f"{address}: removed")


@editors.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@click.pass_context
def list_(ctx: click.Context, as_json: bool) -> None:
    """Stored editors and admins, and the admins NEWSBOT_ADMINS names."""

    async def work(app: App) -> list[dict[str, Any]]:
        async with app.sessions() as session:
            rows = [
                {
                    "user": f"{m.platform}:{m.user_id}",
                    "role": m.role.value,
                    "added_by": m.added_by,
                    "added_at": m.added_at.isoformat(),
                }
                for m in await staff(session)
            ]
        rows += [
            {"user": f"{p}:{u}", "role": "admin", "added_by": "NEWSBOT_ADMINS", "added_at": None}
            for p, u in sorted(app.settings.admin_users)
        ]
        return rows

    rows = run_with_app(ctx, work)
    if as_json:
        print_json(rows)
        return
    if not rows:
        click.echo("no editors or admins (name one with `newsbot editors add PLATFORM:USER_ID`)")
    for row in rows:
        click.echo(f"{row['user']}\t{row['role']}\t{row['added_by'] or ''}")


@click.command("audit")
@click.option("--since", default="7d", show_default=True, help="30m, 24h, 7d or an ISO date.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@click.pass_context
def audit(ctx: click.Context, since: str, as_json: bool) -> None:
    """Editor actions and refused attempts: who, when, what, which article, copies, outcome."""

    async def work(app: App) -> list[dict[str, Any]]:
        start = parse_since(since, app.clock.now())
        async with app.sessions() as session:
            return [
                {
                    "at": e.at.isoformat(),
                    "user": f"{e.platform}:{e.user_id}",
                    "action": e.action,
                    "article": e.article_id,
                    "copies": e.copies,
                    "outcome": e.outcome,
                    "detail": e.detail,
                }
                for e in await entries(session, since=start)
            ]

    rows = run_with_app(ctx, work)
    if as_json:
        print_json(rows)
        return
    if not rows:
        click.echo(f"nothing audited since {since}")
    for row in rows:
        fields = [
            row["at"][:19],
            row["user"],
            row["action"],
            f"article {row['article']}" if row["article"] is not None else "-",
            f"{row['copies']} copies" if row["copies"] is not None else "-",
            row["outcome"],
            row["detail"] or "",
        ]
        click.echo("\t".join(fields))
