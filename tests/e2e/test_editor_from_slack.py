"""An editor working from Slack itself: `/news 속보 …` previewed, sent with the Send button,
and a copy reaching every subscribed Slack channel once.

The editor's words are the registry's, so the same command the Telegram editor types works
after `/news`; this checks it end to end through slack-bolt, the router's permission gate
(a member who is not an editor is refused) and the breaking-news fan-out.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from newsbot.app import App
from newsbot.clock import FixedClock
from newsbot.roles import Role
from newsbot.store.models import Article
from newsbot.store.staff import appoint
from tests.e2e.test_slack_reader import (
    MEMBER,
    Running,
    _old_news,
    _running,
    button,
    texts,
)
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_api import fake_slack_fixture as fake_slack_fixture  # fixture fake_slack

EDITOR = "U0EDITOR"
DESK = "D0DESK"  # the editor's DM with the bot
CHANNELS = ("C0NEWS", "C0CITY")


@pytest.fixture
async def slack(app: App, clock: FixedClock, fake_slack: FakeSlack) -> AsyncIterator[Running]:
    await _old_news(app, clock)
    async with app.sessions() as session:
        await appoint(session, "slack", EDITOR, Role.EDITOR, now=clock.now())
        await session.commit()
    async for running in _running(app, fake_slack):
        yield running


async def test_an_editor_sends_breaking_news_from_slack_to_every_subscribed_channel(
    slack: Running, clock: FixedClock
) -> None:
    for channel in CHANNELS:
        await slack.slash("구독 전체", channel=channel, user="U0CREATOR")

    preview = await slack.slash("속보 폭우 경보 | 하천 접근 금지", channel=DESK, user=EDITOR)
    answered = await slack.press(button(preview["blocks"], "✅ 보내기"), channel=DESK, user=EDITOR)

    def breaking(fake: FakeSlack) -> list[str]:
        return [
            r.arguments["channel"] for r in fake.delivered() if "폭우 경보" in r.arguments["text"]
        ]

    def reached(fake: FakeSlack) -> bool:
        clock.advance(seconds=1)
        return set(breaking(fake)) >= set(CHANNELS)

    await slack.fake.wait_for(reached, timeout=20)
    assert "폭우 경보" in texts(preview["blocks"])  # the editor sees what readers will get
    assert sorted(c for c in breaking(slack.fake) if c != DESK) == sorted(CHANNELS)  # once each
    assert slack.fake.responses_to(answered)  # the press was answered


async def test_a_member_who_is_not_an_editor_cannot_send_breaking_news_from_slack(
    slack: Running, app: App
) -> None:
    await slack.slash("구독 전체", user="U0CREATOR")

    refused = await slack.slash("속보 가짜 속보 | 보내지 마세요", user=MEMBER)

    assert "✅ 보내기" not in texts(refused["blocks"])
    async with app.sessions() as session:
        assert await session.scalar(select(Article).where(Article.title == "가짜 속보")) is None


async def test_the_step_by_step_form_goes_on_in_the_editors_dm(slack: Running) -> None:
    asked = await slack.slash("속보", channel=DESK, user=EDITOR)

    async def answer(text: str, replies: int) -> str:
        await slack.event(
            {"type": "message", "channel_type": "im", "channel": DESK, "user": EDITOR, "text": text}
        )
        await slack.fake.wait_for(lambda f: len(f.delivered(DESK)) >= replies)
        return texts(slack.fake.delivered(DESK)[-1].arguments["blocks"])

    lead = await answer("정전 발생", 1)
    url = await answer("시내 일부 지역 정전", 2)

    assert "속보 제목" in texts(asked["blocks"])
    assert "리드" in lead
    assert "URL" in url
