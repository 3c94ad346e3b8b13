"""`newsbot digest preview|send`: what a chat's 가장 많이 본 뉴스 digest lists, and
sending today's now."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import click
from sqlalchemy import select

from newsbot.app import App
from newsbot.bot import build_bot
from newsbot.cli.root import run_with_app, settings_of
from newsbot.digest.now import enqueue_today, preview
from newsbot.digest.schedule import DEFAULT_TIME, due_moment
from newsbot.errors import InputError
from newsbot.leadership import sqlite_single_process
from newsbot.platforms.console import render_digest
from newsbot.store.delivery_models import Chat, ChatKind
from newsbot.store.engine import backend_name


def _address(value: str) -> tuple[str, str]:
    platform, _, chat_id = value.partition(":")
    if not platform or not chat_id:
        raise InputError(f"expected PLATFORM:CHAT_ID, got {value!r}")
    return platform, chat_id


async def _chat(app: App, address: str | None) -> Chat:
    """The chat named, or (none named) a chat of the whole paper in the newsroom's zone."""
    if address is None:
        return Chat(
            platform="console",
            platform_chat_id="preview",
            kind=ChatKind.CONSOLE,
            language="ko",
            timezone=app.settings.timezone,
            digest_time=DEFAULT_TIME,
            digest_size=7,
            digest_scope="all",
            digest_empty_note=True,
        )
    platform, chat_id = _address(address)
    async with app.sessions() as session:
        chat = await session.scalar(
            select(Chat).where(Chat.platform == platform, Chat.platform_chat_id == chat_id)
        )
    if chat is None:
        raise InputError(f"no chat {address} (see `newsbot chats list`)")
    return chat


@click.group()
def digest() -> None:
    """The daily 가장 많이 본 뉴스 digest (chats set theirs in /settings)."""


@digest.command("preview")
@click.option("--chat", "address", metavar="PLATFORM:CHAT_ID", help="Default: the whole paper.")
@click.option(
    "--date",
    "day",
    type=click.DateTime(["%Y-%m-%d"]),
    help="The digest of this local date, as it would have gone at the chat's time.",
)
@click.pass_context
def preview_command(ctx: click.Context, address: str | None, day: datetime | None) -> None:
    """Print what a chat's digest lists (nothing is sent or stored)."""

    async def work(app: App) -> str:
        chat = await _chat(app, address)
        zone = ZoneInfo(chat.timezone)
        moment = app.clock.now()
        if day is not None:
            minute = chat.digest_time if chat.digest_time is not None else DEFAULT_TIME
            moment = due_moment(date(day.year, day.month, day.day), minute, zone)
        async with app.sessions() as session:
            body = await preview(session, chat, now=moment, zone=app.settings.zone)
            await session.commit()
        return render_digest(body, chat.language)

    click.echo(run_with_app(ctx, work))


@digest.command("send")
@click.option("--chat", "address", metavar="PLATFORM:CHAT_ID", required=True)
@click.pass_context
def send_command(ctx: click.Context, address: str) -> None:
    """Send the chat's digest for today now (once a day: not if today's was written), with
    everything else already due."""

    async def work(app: App) -> str:
        chat = await _chat(app, address)
        async with app.sessions() as session:
            chat = await session.merge(chat)
            written = await enqueue_today(
                session, chat, now=app.clock.now(), zone=app.settings.zone
            )
            await session.commit()
        if not written:
            return f"{address} has had today's digest already"
        report = await build_bot(app, readers=False).service.dispatch_all()
        return f"{address}: digest queued; sent {report.sent}, retried {report.retried}"

    settings = settings_of(ctx)
    if backend_name(settings.database_url) == "sqlite":
        with sqlite_single_process(settings.database_url):
            click.echo(run_with_app(ctx, work))
    else:
        click.echo(run_with_app(ctx, work))
