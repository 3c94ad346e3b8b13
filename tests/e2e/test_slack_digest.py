"""The morning digest on Slack: the tick and the dispatcher with the real slack-sdk client
against the fake Web API on loopback; one post, a header and a section per article."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from newsbot.app import App
from newsbot.clock import FixedClock
from newsbot.delivery.dispatcher import Dispatcher, DispatchSettings
from newsbot.digest.settings import set_time
from newsbot.platforms.slack import SlackPlatform
from newsbot.store.delivery_models import ChatKind
from tests.builders import chat_in
from tests.digest_helpers import EIGHT_KST, articles_with_views, tick
from tests.e2e.test_slack_delivery import FAST, PROXIES
from tests.fakes.slack_api import TOKEN, FakeSlack
from tests.fakes.slack_api import fake_slack_fixture as fake_slack_fixture  # fixture fake_slack

VIEWS = [5, 90, 40, 70, 10, 80, 60, 30, 20, 50]


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXIES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
async def slack(fake_slack: FakeSlack) -> AsyncIterator[SlackPlatform]:
    platform = SlackPlatform(TOKEN, api_url=fake_slack.api_url, limits=FAST)
    await platform.start()
    yield platform
    await platform.stop()


async def test_a_slack_channel_at_eight_gets_one_digest_of_the_seven_most_viewed(
    app: App, clock: FixedClock, fake_slack: FakeSlack, slack: SlackPlatform
) -> None:
    clock.set(EIGHT_KST - timedelta(hours=1))
    ids = await articles_with_views(app, VIEWS, published=EIGHT_KST - timedelta(hours=20))
    async with app.sessions() as session:
        chat = await chat_in(
            session, "C0NEWS", platform="slack", kind=ChatKind.SLACK_CHANNEL, now=clock.now()
        )
        set_time(chat, "08:00", now=clock.now())
        await session.commit()
    dispatcher = Dispatcher(app.sessions, {"slack": slack}, clock, DispatchSettings(owner="e2e"))

    clock.set(EIGHT_KST + timedelta(seconds=20))
    await tick(app)
    await dispatcher.run_once()
    clock.set(EIGHT_KST + timedelta(minutes=1))
    await tick(app)  # the next minute's tick: nothing more
    await dispatcher.run_once()

    [post] = fake_slack.delivered("C0NEWS")
    blocks = post.arguments["blocks"]
    if isinstance(blocks, str):  # form-encoded by the client: JSON in a field
        blocks = json.loads(blocks)
    assert blocks[0]["text"]["text"] == "12월 7일 (월) 가장 많이 본 뉴스"
    ranked = [i for _, i in sorted(zip(VIEWS, ids, strict=True), reverse=True)][:7]
    sections = [b["text"]["text"] for b in blocks[1:]]
    assert [s.split("|")[0].split("<")[1] for s in sections] == [
        f"https://news.example.kr/a/d{ids.index(i)}" for i in ranked
    ]
    assert all(s.startswith(f"{n}. *<") for n, s in enumerate(sections, start=1))
