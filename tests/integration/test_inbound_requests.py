"""A platform request is claimed once, whoever asks first; old claims are forgotten."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from newsbot.app import App
from newsbot.clock import FixedClock
from newsbot.store.inbound import InboundRequest, claim_request, prune_inbound


async def claim(app: App, key: str) -> bool:
    async with app.sessions() as session:
        first = await claim_request(session, key, now=app.clock.now())
        await session.commit()
        return first


async def test_the_first_claim_wins_and_every_later_one_learns_it_was_handled(app: App) -> None:
    results = await asyncio.gather(*(claim(app, "slack:event:Ev1") for _ in range(5)))

    assert sorted(results) == [False, False, False, False, True]
    assert await claim(app, "slack:event:Ev2") is True
    assert await claim(app, "slack:event:Ev1") is False


async def test_claims_older_than_a_day_are_forgotten(app: App, clock: FixedClock) -> None:
    await claim(app, "slack:trigger:old")
    clock.advance(hours=23)
    await claim(app, "slack:trigger:new")
    clock.advance(hours=2)

    async with app.sessions() as session:
        forgotten = await prune_inbound(session, now=clock.now())
        await session.commit()
        left = await session.scalar(select(func.count()).select_from(InboundRequest))

    assert (forgotten, left) == (1, 1)
