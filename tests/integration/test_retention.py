"""Retention: settled deliveries are forgotten after the retention period, work never is."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from newsbot.app import App
from newsbot.config import load_settings
from newsbot.delivery.matcher import delivery_row, insert_deliveries
from newsbot.delivery.retention import MIN_DAYS, prune_settled
from newsbot.delivery.subscriptions import ChatRef, get_or_create_chat
from newsbot.errors import ConfigError
from newsbot.store.articles import store_drafts
from newsbot.store.delivery_models import ChatKind, Delivery, DeliveryKind, DeliveryState
from newsbot.store.drafts import ArticleDraft
from newsbot.store.models import Article
from tests.helpers import run_cli
from tests.processes import start, stop

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
CUT = NOW - timedelta(days=30)
OLD, RECENT = CUT - timedelta(days=1), CUT + timedelta(hours=1)


async def write(app: App, *rows: tuple[DeliveryState, datetime]) -> list[int]:
    """One row per (state, written at), in that order: one chat, one article, each row a
    revision of its own so none collide. Returns their revisions, which name them."""
    async with app.sessions() as session:
        chat = await get_or_create_chat(
            session, ChatRef("test", "reader"), kind=ChatKind.PRIVATE, now=NOW
        )
        await store_drafts(
            session,
            [
                ArticleDraft(
                    source="t",
                    guid="g1",
                    url="https://news.example.kr/a/1",
                    title="보존 기간",
                    published_at=NOW,
                )
            ],
            now=NOW,
        )
        article_id = await session.scalar(select(Article.id))
        assert article_id is not None
        await session.flush()
        table = []
        for revision, (state, written) in enumerate(rows, start=1):
            row = delivery_row(article_id, chat.id, DeliveryKind.CORRECTION, now=written)
            table.append(row | {"revision": revision, "state": state})
        await insert_deliveries(session, table)
        await session.commit()
    return list(range(1, len(rows) + 1))


async def left(app: App) -> list[int]:
    async with app.sessions() as session:
        return list(await session.scalars(select(Delivery.revision).order_by(Delivery.id)))


async def test_settled_rows_older_than_the_cut_go_and_everything_else_stays(app: App) -> None:
    await write(
        app,
        (DeliveryState.SENT, OLD),  # 1: goes
        (DeliveryState.FAILED, OLD),  # 2: goes
        (DeliveryState.DROPPED, OLD),  # 3: goes
        (DeliveryState.PENDING, OLD),  # 4: work, stays however old
        (DeliveryState.HELD, OLD),  # 5: work, stays
        (DeliveryState.SENT, RECENT),  # 6: within the period, stays
    )

    deleted = await prune_settled(app.sessions, before=CUT)

    assert deleted == 3
    assert await left(app) == [4, 5, 6]
    assert await prune_settled(app.sessions, before=CUT) == 0  # nothing more to do


async def test_a_long_history_goes_a_chunk_at_a_time(app: App) -> None:
    await write(app, *[(DeliveryState.SENT, OLD)] * 7, (DeliveryState.SENT, RECENT))

    deleted = await prune_settled(app.sessions, before=CUT, chunk=2)

    assert deleted == 7
    assert await left(app) == [8]


async def test_rows_written_out_of_order_at_the_cut_are_each_judged_by_their_own_time(
    app: App,
) -> None:
    """Ids only roughly follow time: rows stamped seconds apart can take ids in the other
    order. Each goes or stays by its own time."""
    second = timedelta(seconds=1)
    await write(
        app,
        (DeliveryState.SENT, CUT - 10 * second),
        (DeliveryState.SENT, CUT + 5 * second),
        (DeliveryState.SENT, CUT - 5 * second),
        (DeliveryState.SENT, CUT + 10 * second),
    )

    assert await prune_settled(app.sessions, before=CUT) == 2
    assert await left(app) == [2, 4]


async def test_an_empty_outbox_has_nothing_to_forget(app: App) -> None:
    assert await prune_settled(app.sessions, before=CUT) == 0


async def test_a_running_bot_forgets_old_deliveries_by_itself(
    app: App, database_url: str, tmp_path: Path
) -> None:
    now = datetime.now(UTC)  # the bot's own clock: retention counts back from it
    await write(app, (DeliveryState.SENT, now - timedelta(days=40)), (DeliveryState.SENT, now))
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
    env |= {"NEWSBOT_DATABASE_URL": database_url, "NEWSBOT_DELIVERY_RETENTION_DAYS": "30"}
    bot = await start("run", env, tmp_path)
    try:
        deadline = asyncio.get_running_loop().time() + 60
        while await left(app) != [2]:
            assert asyncio.get_running_loop().time() < deadline, "the old row was never pruned"
            await asyncio.sleep(0.1)
    finally:
        err = await stop(bot)
    assert bot.returncode == 0, err


def test_the_operator_can_prune_by_hand(
    capsys: pytest.CaptureFixture[str], database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSBOT_DATABASE_URL", database_url)

    code, out, err = run_cli(capsys, "db", "prune", "--days", "7")

    assert (code, err) == (0, "")
    assert out == "deleted 0 settled deliveries older than 7 days\n"


@pytest.mark.parametrize("days", ["0", "6", "-3", "week"])
def test_a_retention_shorter_than_a_week_is_refused_in_one_line(
    capsys: pytest.CaptureFixture[str],
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    days: str,
) -> None:
    monkeypatch.setenv("NEWSBOT_DATABASE_URL", database_url)

    code, _, err = run_cli(capsys, "db", "prune", "--days", days)

    assert code == 2
    assert err.startswith("newsbot: error: ")
    assert err.count("\n") == 1


def test_the_setting_keeps_at_least_the_week_subscribing_looks_back_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A copy forgotten within the week would go again to a reader who subscribes again."""
    assert MIN_DAYS == 7
    for days, allowed in (("0", True), ("6", False), ("7", True)):
        monkeypatch.setenv("NEWSBOT_DELIVERY_RETENTION_DAYS", days)
        if allowed:
            assert load_settings().delivery_retention_days == int(days)
        else:
            with pytest.raises(ConfigError, match="NEWSBOT_DELIVERY_RETENTION_DAYS"):
                load_settings()


async def test_a_pass_told_to_stop_ends_between_chunks(app: App) -> None:
    await write(app, *[(DeliveryState.SENT, OLD)] * 5)

    deleted = await prune_settled(app.sessions, before=CUT, chunk=2, stop=lambda: True)

    assert deleted == 2
    assert await left(app) == [3, 4, 5]  # the next pass takes them
