"""`newsbot chats` and `newsbot stats`: who gets what, and how delivery is going."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import click
from sqlalchemy import func, select

from newsbot.app import App
from newsbot.cli.output import console, print_json
from newsbot.cli.root import run_with_app
from newsbot.delivery.broadcasts import recent
from newsbot.delivery.subscriptions import ChatRef, get_or_create_chat, subscribe
from newsbot.errors import InputError
from newsbot.store.delivery_models import (
    Chat,
    ChatKind,
    Delivery,
    DeliveryState,
    Digest,
    DigestState,
    Subscription,
    SubscriptionKind,
)


@click.group()
def chats() -> None:
    """Chats and their subscriptions (readers manage their own through the bot)."""


@chats.command("add")
@click.argument("address", metavar="PLATFORM:CHAT_ID")
@click.option("--all", "everything", is_flag=True, help="All news.")
@click.option("--section", "sections", multiple=True, help="A section (repeatable).")
@click.option("--keyword", "keywords", multiple=True, help="A keyword (repeatable).")
@click.option(
    "--kind", type=click.Choice([k.value for k in ChatKind]), default="private", show_default=True
)
@click.pass_context
def add(
    ctx: click.Context,
    address: str,
    everything: bool,
    sections: tuple[str, ...],
    keywords: tuple[str, ...],
    kind: str,
) -> None:
    """Subscribe a chat, e.g. `newsbot chats add console:desk --section 행정 --keyword 드론`."""
    platform, _, chat_id = address.partition(":")
    if not platform or not chat_id:
        raise InputError(f"expected PLATFORM:CHAT_ID, got {address!r}")
    if not (everything or sections or keywords):
        raise InputError("say what to subscribe to: --all, --section S or --keyword K")

    async def work(app: App) -> list[str]:
        now = app.clock.now()
        async with app.sessions() as session:
            chat = await get_or_create_chat(
                session, ChatRef(platform, chat_id), kind=ChatKind(kind), now=now
            )
            wanted = [(SubscriptionKind.ALL, "")] if everything else []
            wanted += [(SubscriptionKind.SECTION, s) for s in sections]
            wanted += [(SubscriptionKind.KEYWORD, k) for k in keywords]
            added = []
            for sub_kind, value in wanted:
                subscription, new = await subscribe(session, chat, sub_kind, value, now=now)
                if new:
                    added.append(f"{sub_kind.value} {subscription.value}".strip())
            await session.commit()
            return added

    added = run_with_app(ctx, work)
    click.echo(f"{address}: " + (", ".join(added) if added else "already subscribed"))


@click.command("stats")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object.")
@click.pass_context
def stats(ctx: click.Context, as_json: bool) -> None:
    """Chats per platform and state, subscriptions, deliveries in the last 24 hours, and
    editors' breaking news, corrections and retractions of the last 7 days."""

    async def work(app: App) -> dict[str, Any]:
        since = app.clock.now() - timedelta(hours=24)
        async with app.sessions() as session:
            chat_rows = await session.execute(
                select(Chat.platform, Chat.active, func.count()).group_by(
                    Chat.platform, Chat.active
                )
            )
            sub_rows = await session.execute(
                select(Subscription.kind, Subscription.value, func.count()).group_by(
                    Subscription.kind, Subscription.value
                )
            )
            delivery_rows = await session.execute(
                select(Delivery.state, func.count())
                .where(Delivery.created_at >= since)
                .group_by(Delivery.state)
            )
            digest_rows = await session.execute(
                select(Digest.state, func.count())
                .where(Digest.created_at >= since)
                .group_by(Digest.state)
            )
            dropped_total = await session.scalar(
                select(func.count()).where(Digest.state == DigestState.DROPPED)
            )
            inactive = await session.execute(
                select(Chat.platform, Chat.platform_chat_id, Chat.inactive_reason)
                .where(Chat.active.is_(False))
                .order_by(Chat.updated_at.desc())
                .limit(50)
            )
            return {
                "chats": [
                    {"platform": p, "state": "active" if a else "inactive", "count": n}
                    for p, a, n in chat_rows
                ],
                "subscriptions": [{"kind": str(k), "value": v, "count": n} for k, v, n in sub_rows],
                "deliveries_24h": {str(state): n for state, n in delivery_rows},
                # Written by the digest tick; "dropped": due longer ago than the grace.
                "digests_24h": {str(state): n for state, n in digest_rows},
                "digests_dropped_total": int(dropped_total or 0),
                "inactive_chats": [{"platform": p, "chat": c, "reason": r} for p, c, r in inactive],
                "editorial_7d": await recent(
                    session, since=app.clock.now() - timedelta(days=7), now=app.clock.now()
                ),
            }

    data = run_with_app(ctx, work)
    for state in DeliveryState:
        data["deliveries_24h"].setdefault(state.value, 0)
    for digest_state in DigestState:
        data["digests_24h"].setdefault(digest_state.value, 0)
    if as_json:
        print_json(data)
        return
    out = console()
    out.print(
        "chats: "
        + (", ".join(f"{c['platform']} {c['state']} {c['count']}" for c in data["chats"]) or "none")
    )
    out.print(
        "subscriptions: "
        + (
            ", ".join(
                f"{s['kind']}{' ' + s['value'] if s['value'] else ''} ×{s['count']}"
                for s in data["subscriptions"]
            )
            or "none"
        )
    )
    out.print(
        "deliveries (24 h): " + ", ".join(f"{k} {v}" for k, v in data["deliveries_24h"].items())
    )
    out.print(
        "digests (24 h): "
        + ", ".join(f"{k} {v}" for k, v in data["digests_24h"].items())
        + f"; dropped as too late, ever: {data['digests_dropped_total']}"
    )
    for chat in data["inactive_chats"]:
        out.print(f"inactive: {chat['platform']}:{chat['chat']} ({chat['reason']})")
    for sent in data["editorial_7d"]:
        out.print(editorial_line(sent))


def editorial_line(sent: dict[str, Any]) -> str:
    """One editor's fan-out: ``breaking #12: 498/500 delivered, 2 failed; 50/95/100 %: …``."""

    def seconds(value: float | None) -> str:
        return "–" if value is None else f"{value:.1f} s"

    times = "/".join(seconds(v) for v in sent["seconds_to"].values())
    line = (
        f"{sent['action']} #{sent['article']} {sent['started_at'][:16]}: "
        f"{sent['delivered']}/{sent['recipients']} delivered, {sent['failed']} failed; "
        f"50/95/100 %: {times}"
    )
    if sent["action"] == "correct":
        line += f"; edited {sent['edited']}, replied {sent['replied']}"
    if sent["action"] == "retract":
        line += f"; deleted {sent['deleted']}, replaced {sent['replaced']}"
    if sent["failures"]:
        line += " (" + ", ".join(f"{r}: {n}" for r, n in sent["failures"].items()) + ")"
    return line
