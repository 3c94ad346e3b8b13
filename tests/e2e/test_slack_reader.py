"""A reader's Slack, end to end: the running bot, real slack-bolt and slack-sdk, a fake Slack.

The bot is built by ``build_bot`` as ``newsbot run`` builds it, its HTTP server on a free
loopback port. The tests act as Slack does: they sign slash commands, events and button
presses with the signing secret and POST them to the bot's ``/slack/events``, then read
what the bot sent back to the fake Web API and to the ``response_url``s the fake handed out.
Nothing between the bot and the fake is monkeypatched.
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import json
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import func, select

from newsbot.app import App
from newsbot.bot import Bot, Overrides, build_bot
from newsbot.clock import FixedClock
from newsbot.delivery.matcher import match_pending
from newsbot.delivery.pacing import Limits
from newsbot.platforms.slack import SlackPlatform
from newsbot.store.articles import store_drafts
from newsbot.store.delivery_models import Chat, Subscription
from newsbot.store.drafts import ArticleDraft
from newsbot.text.analyzer import default_analyzer
from tests.conftest import make_settings
from tests.fakes.slack_api import APP_TOKEN, TEAM, TOKEN, FakeSlack
from tests.fakes.slack_api import fake_slack_fixture as fake_slack_fixture  # fixture fake_slack
from tests.helpers import load_samples

NOON_KST = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
CHANNEL = "C0NEWS"
CREATOR = "U0CREATOR"  # made the channel: may change what it gets
MEMBER = "U0MEMBER"  # may read, not change
DM = "D0READER"
READER = "U0READER"
FAST = Limits(overall_per_second=1000, per_chat_per_second=50, per_group_per_minute=3000)
PROXIES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")
Json = dict[str, Any]
NEWSBOT = str(Path(sys.executable).parent / "newsbot")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (*PROXIES, "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)


@dataclass
class Running:
    fake: FakeSlack
    app: App
    bot: Bot
    triggers: int = 0
    events: int = 0
    events_url: str = ""  # a bot in another process; else this one's server

    @property
    def url(self) -> str:
        if self.events_url:
            return self.events_url
        assert self.bot.server is not None
        return f"http://127.0.0.1:{self.bot.server.port}/slack/events"

    async def post(
        self,
        body: str,
        content_type: str,
        *,
        timestamp: int | None = None,
        secret: str = SECRET,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, str]:
        """POST ``body`` to /slack/events signed as Slack signs it; (status, body)."""
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        signature = SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body)
        sent = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": str(signature),
            **(headers or {}),
        }
        async with (
            aiohttp.ClientSession() as client,
            client.post(self.url, data=body.encode(), headers=sent) as response,
        ):
            return response.status, await response.text()

    def command_body(self, text: str, *, channel: str = CHANNEL, user: str = CREATOR) -> Json:
        self.triggers += 1
        return {
            "token": "legacy-verification-token",
            "team_id": TEAM["team_id"],
            "team_domain": "newsroom",
            "channel_id": channel,
            "channel_name": "news",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/news",
            "text": text,
            "api_app_id": "A0NEWSBOT",
            "response_url": self.fake.response_url(),
            "trigger_id": f"{self.triggers}.1234.abcd",
        }

    async def slash(self, text: str, **where: str) -> Json:
        """``/news text`` as Slack sends it; the one answer posted to its response_url."""
        body = self.command_body(text, **where)
        status, _ = await self.post(urlencode(body), "application/x-www-form-urlencoded")
        assert status == 200
        return (await self.fake.wait_for(lambda f: f.responses_to(body["response_url"])))[0]

    async def event(self, event: Json, *, retry: int | None = None, event_id: str = "") -> int:
        if not event_id:
            self.events += 1
            event_id = f"Ev{self.events:04d}"
        body = {
            "token": "legacy-verification-token",
            "team_id": TEAM["team_id"],
            "api_app_id": "A0NEWSBOT",
            "event": event,
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
        }
        headers = {} if retry is None else {"X-Slack-Retry-Num": str(retry)}
        status, _ = await self.post(json.dumps(body), "application/json", headers=headers)
        return status

    async def press(
        self,
        token: str,
        *,
        channel: str = CHANNEL,
        user: str = CREATOR,
        home_of: str | None = None,
    ) -> str:
        """A button pressed, on a message (its response_url returned) or the Home tab."""
        self.triggers += 1
        url = self.fake.response_url()
        payload: Json = {
            "type": "block_actions",
            "team": {"id": TEAM["team_id"]},
            "user": {"id": user},
            "api_app_id": "A0NEWSBOT",
            "trigger_id": f"{self.triggers}.5678.efgh",
            "actions": [{"action_id": "nb:0:0", "block_id": "b", "value": token}],
        }
        if home_of is None:
            payload |= {
                "container": {"type": "message", "channel_id": channel},
                "channel": {"id": channel},
                "response_url": url,
            }
        else:
            payload |= {
                "container": {"type": "view", "view_id": "V0HOME"},
                "view": {"id": "V0HOME", "type": "home", "private_metadata": home_of},
            }
        body = urlencode({"payload": json.dumps(payload)})
        status, _ = await self.post(body, "application/x-www-form-urlencoded")
        assert status == 200
        return url


async def _old_news(app: App, clock: FixedClock) -> None:
    clock.set(NOON_KST)
    await load_samples(app)
    async with app.sessions() as session:  # the samples are old news to the matcher
        while (await match_pending(session, default_analyzer(), now=clock.now())).events:
            pass
        await session.commit()


async def _running(app: App, fake: FakeSlack, **settings: Any) -> AsyncIterator[Running]:
    wanted = {
        "slack_bot_token": TOKEN,
        "slack_api_url": fake.api_url,
        "slack_signing_secret": SECRET,
        "http_listen": "127.0.0.1:0",
    }
    configured = make_settings(app.settings.database_url, **(wanted | settings))
    platform = SlackPlatform(TOKEN, api_url=fake.api_url, limits=FAST)
    built = build_bot(
        dataclasses.replace(app, settings=configured),
        overrides=Overrides(
            platforms={"slack": platform}, dispatch_owner="e2e:slack", dispatch_concurrency=8
        ),
    )
    task = asyncio.create_task(built.service.run(lead=True))
    try:
        if built.server is not None:
            await fake.wait_for(lambda _: built.server and built.server.port)
        yield Running(fake, app, built)
    finally:
        built.service.stop.set()
        await asyncio.wait_for(task, timeout=15)


@pytest.fixture
async def slack(app: App, clock: FixedClock, fake_slack: FakeSlack) -> AsyncIterator[Running]:
    await _old_news(app, clock)
    async for running in _running(app, fake_slack):
        yield running


def texts(blocks: list[Json]) -> str:
    """What a reader sees in blocks, one line per text."""
    out = []
    for block in blocks:
        if block["type"] in ("header", "section"):
            out.append(block["text"]["text"])
        elif block["type"] == "context":
            out += [e["text"] for e in block["elements"]]
        elif block["type"] == "actions":
            out.append(" | ".join(e["text"]["text"] for e in block["elements"]))
    return "\n".join(out)


def button(blocks: list[Json], label: str) -> str:
    for block in blocks:
        for element in block.get("elements", []) if block["type"] == "actions" else []:
            if element["text"]["text"] == label:
                return str(element["value"])
    raise AssertionError(f"no button {label!r} in {texts(blocks)}")


async def subscriptions(app: App, channel: str) -> int:
    async with app.sessions() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(Subscription)
            .join(Chat, Chat.id == Subscription.chat_id)
            .where(Chat.platform == "slack", Chat.platform_chat_id == channel)
        )
        return int(count or 0)


# --- a new reader's first minutes -----------------------------------------------------------


async def test_subscribing_a_channel_brings_new_articles_there_as_block_kit(
    slack: Running, clock: FixedClock
) -> None:
    answer = await slack.slash("구독 전체")

    assert answer["response_type"] == "in_channel"  # everyone sees who changed what
    assert "구독했습니다: 전체 뉴스" in texts(answer["blocks"])
    assert f"<@{CREATOR}> · /news 구독 전체" in texts(answer["blocks"])
    assert await subscriptions(slack.app, CHANNEL) == 1

    clock.set(NOON_KST + timedelta(minutes=5))
    draft = ArticleDraft(
        source="e2e",
        guid="e2e-slack-1",
        url="https://news.example.kr/e2e-slack-1",
        title="성남시, 드론 택배 <!channel> 운영 & 확대",
        lead="시민 체감형 서비스",
        published_at=clock.now(),
    )
    async with slack.app.sessions() as session:
        await store_drafts(session, [draft], now=clock.now())
        await session.commit()

    posted = await slack.fake.wait_for(
        lambda f: [r for r in f.delivered(CHANNEL) if "e2e-slack-1" in json.dumps(r.arguments)]
    )
    blocks = posted[0].arguments["blocks"]
    assert "성남시, 드론 택배 &lt;!channel&gt; 운영 &amp; 확대" in blocks[0]["text"]["text"]


async def test_top_and_search_answer_only_the_asker_and_search_pages_in_place(
    slack: Running,
) -> None:
    top = await slack.slash("top")
    assert top["response_type"] == "ephemeral"
    assert top["blocks"][0]["text"]["text"].startswith("가장 많이 본 뉴스")
    assert "\n1. " in texts(top["blocks"]) and "*<https://" in texts(top["blocks"])

    found = await slack.slash("검색 성남시는", user=MEMBER)
    assert found["response_type"] == "ephemeral"
    assert "(1/" in found["blocks"][0]["text"]["text"]
    assert len(found["blocks"]) <= 50

    page_url = await slack.press(button(found["blocks"], "다음 ▶"), user=MEMBER)
    page_two = (await slack.fake.wait_for(lambda f: f.responses_to(page_url)))[0]
    assert page_two["replace_original"] is True  # the same message, edited
    assert "(2/" in page_two["blocks"][0]["text"]["text"]
    assert "\n6. " in texts(page_two["blocks"])


async def test_slack_search_gets_the_period_order_and_suggestion_buttons_too(
    slack: Running,
) -> None:
    week = await slack.slash("검색 드론 기간:7일", user=MEMBER)
    assert "최근 7일 · 관련도순" in texts(week["blocks"])

    url = await slack.press(button(week["blocks"], "최신순"), user=MEMBER)
    newest = (await slack.fake.wait_for(lambda f: f.responses_to(url)))[0]
    typo = await slack.slash("검색 드로", user=MEMBER)
    url = await slack.press(button(typo["blocks"], "🔎 드론"), user=MEMBER)
    drones = (await slack.fake.wait_for(lambda f: f.responses_to(url)))[0]

    assert newest["replace_original"] is True
    assert "최근 7일 · 최신순" in texts(newest["blocks"])
    assert button(newest["blocks"], "✓ 최신순") and button(newest["blocks"], "✓ 1주")
    assert "이것을 찾으셨나요?" in texts(typo["blocks"])
    assert drones["blocks"][0]["text"]["text"].startswith("‘드론’ 검색 결과 ")


async def test_an_english_speaking_reader_searches_in_english(slack: Running) -> None:
    slack.fake.users["U0ENGLISH"] = {"locale": "en-US"}
    found = await slack.slash("search 성남시", user="U0ENGLISH")

    assert "results for ‘성남시’" in found["blocks"][0]["text"]["text"]
    assert "Next ▶" in texts(found["blocks"])


async def test_news_help_lists_the_registrys_commands_as_news_words(slack: Running) -> None:
    slack.fake.users["U0ENGLISH"] = {"locale": "en-US"}  # users.info's locale for them
    korean = texts((await slack.slash(""))["blocks"])
    english = texts((await slack.slash("도움말", user="U0ENGLISH"))["blocks"])

    for word in ("top", "latest", "search", "subscribe", "unsubscribe", "list", "settings"):
        assert f"/news {word} — " in korean
        assert f"/news {word} — " in english
    assert "/news top — 가장 많이 본 뉴스" in korean
    assert "/news top — Most viewed" in english


async def test_a_member_who_does_not_run_the_channel_is_refused_and_nothing_changes(
    slack: Running,
) -> None:
    refused = await slack.slash("subscribe 행정", user=MEMBER)

    assert refused["response_type"] == "ephemeral"
    assert "워크스페이스 관리자·소유자와 채널을 만든 사람만" in texts(refused["blocks"])
    assert await subscriptions(slack.app, CHANNEL) == 0
    slack.fake.users["U0OWNER"] = {"is_owner": True}
    allowed = await slack.slash("subscribe 행정", user="U0OWNER")
    assert allowed["response_type"] == "in_channel"
    assert await subscriptions(slack.app, CHANNEL) == 1
    assert refused["blocks"] != allowed["blocks"]


async def test_settings_change_by_button_in_place_and_by_typed_form(slack: Running) -> None:
    await slack.slash("구독 전체")
    shown = await slack.slash("설정")
    assert shown["response_type"] == "ephemeral"
    english = next(
        e["value"]
        for b in shown["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["value"] == "set:lang:en"
    )

    url = await slack.press(english)
    edited = (await slack.fake.wait_for(lambda f: f.responses_to(url)))[0]
    assert edited["replace_original"] is True
    typed = await slack.slash("settings 방해금지 23:00-07:00")

    assert "23:00" in texts(typed["blocks"])
    listed = texts((await slack.slash("list", user=MEMBER))["blocks"])
    assert "23:00" in listed  # the channel's settings, for everyone to read
    assert listed.startswith("This chat gets 1 subscriptions")  # the channel chose English


async def test_slack_checks_the_events_url_when_it_is_saved(slack: Running) -> None:
    challenge = {
        "token": "x",
        "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
        "type": "url_verification",
    }
    status, body = await slack.post(json.dumps(challenge), "application/json")

    assert status == 200
    assert challenge["challenge"] in body


# --- requests Slack did not sign, or sent again ---------------------------------------------


async def test_forged_stale_and_oversized_requests_are_refused_and_change_nothing(
    slack: Running,
) -> None:
    command = slack.command_body("subscribe 전체")
    body = urlencode(command)
    form = "application/x-www-form-urlencoded"

    forged = await slack.post(body, form, secret="not-the-signing-secret")
    stale = await slack.post(body, form, timestamp=int(time.time()) - 301)
    async with (
        aiohttp.ClientSession() as client,
        client.post(slack.url, data=io.BytesIO(b"x" * 1_100_000)) as huge,
    ):
        huge_status = huge.status
    async with (
        aiohttp.ClientSession() as client,
        client.get(slack.url.replace("/slack/events", "/healthz")) as health,
    ):
        health_status = health.status

    assert (forged[0], stale[0], huge_status, health_status) == (401, 401, 413, 200)
    ok = await slack.slash("list")  # a signed request after them is served
    assert ok["response_type"] == "ephemeral"
    assert await subscriptions(slack.app, CHANNEL) == 0
    assert slack.fake.responses_to(command["response_url"]) == []


async def test_a_retried_mention_is_acted_on_once(slack: Running) -> None:
    mention = {
        "type": "app_mention",
        "user": MEMBER,
        "channel": CHANNEL,
        "text": f"<@{TEAM['user_id']}> 검색 성남",
        "ts": "1790000000.000100",
    }
    first = await slack.event(mention, event_id="Ev0MENTION")
    retried = await slack.event(mention, event_id="Ev0MENTION", retry=1)
    again = await slack.event(mention, event_id="Ev0MENTION", retry=2)
    await slack.fake.wait_for(lambda f: f.ephemeral)
    other = await slack.event({**mention, "text": f"<@{TEAM['user_id']}> top"})

    assert (first, retried, again, other) == (200, 200, 200, 200)
    await slack.fake.wait_for(lambda f: len(f.ephemeral) >= 2)
    answers = slack.fake.ephemeral
    assert [a["user"] for a in answers] == [MEMBER, MEMBER]
    assert "‘성남’ 검색 결과" in answers[0]["text"]
    assert answers[1]["text"].startswith("가장 많이 본 뉴스")  # the retries added nothing


async def test_a_retried_slash_command_is_answered_once(slack: Running) -> None:
    body = slack.command_body("list")
    form = urlencode(body)
    statuses = [
        (await slack.post(form, "application/x-www-form-urlencoded"))[0],
        (await slack.post(form, "application/x-www-form-urlencoded"))[0],
    ]
    await slack.fake.wait_for(lambda f: f.responses_to(body["response_url"]))
    marker = await slack.slash("top")  # answered after anything the second could have caused

    assert statuses == [200, 200]
    assert marker["response_type"] == "ephemeral"
    assert len(slack.fake.responses_to(body["response_url"])) == 1


# --- DMs, the App Home, joining -------------------------------------------------------------


async def test_a_dm_is_understood_with_the_same_words(slack: Running) -> None:
    await slack.event(
        {"type": "message", "channel_type": "im", "channel": DM, "user": READER, "text": "드론"}
    )
    await slack.event(
        {"type": "message", "channel_type": "im", "channel": DM, "user": READER, "text": "최신 3"}
    )
    await slack.event(  # the bot's own messages are not read
        {"type": "message", "channel_type": "im", "channel": DM, "bot_id": "B0BOT", "text": "x"}
    )

    await slack.fake.wait_for(lambda f: len(f.delivered(DM)) >= 2)
    sent = slack.fake.delivered(DM)
    answers = sorted(texts(r.arguments["blocks"]) for r in sent)  # handled side by side
    assert answers[0].startswith("‘드론’ 검색 결과")
    assert answers[1].startswith("최신 뉴스")


async def test_the_app_home_shows_subscriptions_and_the_top_seven_and_changes_with_buttons(
    slack: Running,
) -> None:
    opened = {"type": "app_home_opened", "user": READER, "channel": DM, "tab": "home"}
    await slack.event(opened)
    await slack.fake.wait_for(lambda f: f.views.get(READER))
    home = slack.fake.views[READER]

    assert home["type"] == "home" and home["private_metadata"] == DM
    assert len(home["blocks"]) <= 100
    shown = texts(home["blocks"])
    assert "가장 많이 본 뉴스" in shown
    assert "\n7. " in shown and "\n8. " not in shown
    assert await subscriptions(slack.app, DM) == 0

    before = len(slack.fake.calls("views.publish"))
    await slack.press(button(home["blocks"], "📰 전체 뉴스 받기"), user=READER, home_of=DM)
    await slack.fake.wait_for(lambda f: len(f.calls("views.publish")) > before)

    assert await subscriptions(slack.app, DM) == 1
    assert "전체 뉴스" in texts(slack.fake.views[READER]["blocks"]).split("가장 많이 본")[0]


async def test_subscribing_by_typing_in_the_dm_refreshes_the_home_tab(slack: Running) -> None:
    answer = await slack.slash("구독 행정", channel=DM, user=READER)
    await slack.fake.wait_for(lambda f: f.views.get(READER))

    assert answer["response_type"] == "ephemeral"  # a DM's change is the reader's own
    assert "행정" in texts(slack.fake.views[READER]["blocks"]).split("가장 많이 본")[0]


async def test_invited_to_a_channel_the_bot_greets_once(slack: Running) -> None:
    joined = {
        "type": "member_joined_channel",
        "user": TEAM["user_id"],
        "channel": "C0INVITED",
        "channel_type": "C",
        "inviter": CREATOR,
    }
    await slack.event(joined, event_id="Ev0JOIN")
    await slack.event(joined, event_id="Ev0JOIN", retry=1)
    await slack.event({**joined, "user": MEMBER})  # someone else joining: nothing to say
    await slack.fake.wait_for(lambda f: f.delivered("C0INVITED"))
    marker = await slack.slash("top")

    assert marker
    assert len(slack.fake.delivered("C0INVITED")) == 1
    assert "뉴스봇" in slack.fake.delivered("C0INVITED")[0].arguments["text"]
    # The catalog's /subscribe and /help are Slack's /news words here.
    assert "/news subscribe" in slack.fake.delivered("C0INVITED")[0].arguments["text"]
    assert "/news help" in slack.fake.delivered("C0INVITED")[0].arguments["text"]


# --- several processes -----------------------------------------------------------------------


async def test_two_processes_behind_one_address_act_on_a_repeated_event_once(
    app: App, clock: FixedClock, fake_slack: FakeSlack
) -> None:
    """Two `newsbot run` on one store, each with its HTTP server (as behind a load balancer):
    Slack's retry lands on the other process, which finds the event taken."""
    await _old_news(app, clock)
    mention = {
        "type": "app_mention",
        "user": MEMBER,
        "channel": CHANNEL,
        "text": f"<@{TEAM['user_id']}> 최신 3",
    }
    async for first in _running(app, fake_slack):
        async for second in _running(app, fake_slack):
            assert first.url != second.url
            statuses = [
                await first.event(mention, event_id="Ev0TWICE"),
                await second.event(mention, event_id="Ev0TWICE", retry=1),
            ]
            await fake_slack.wait_for(lambda f: f.ephemeral)
            await second.event({**mention, "text": "top"}, event_id="Ev0AFTER")
            await fake_slack.wait_for(lambda f: len(f.ephemeral) >= 2)

            assert statuses == [200, 200]
            assert [e["text"].split()[0] for e in fake_slack.ephemeral] == ["최신", "가장"]


# --- Socket Mode ----------------------------------------------------------------------------


async def test_socket_mode_serves_the_same_commands_without_a_public_url(
    app: App, clock: FixedClock, fake_slack: FakeSlack
) -> None:
    await _old_news(app, clock)
    async for running in _running(
        app, fake_slack, slack_app_token=APP_TOKEN, http_listen=None, slack_signing_secret=None
    ):
        assert running.bot.server is None  # nothing to serve over HTTP
        assert running.bot.slack_socket is not None
        await asyncio.wait_for(running.bot.slack_socket.connected.wait(), timeout=10)
        body = running.command_body("구독 전체")
        envelope = await fake_slack.send_envelope("slash_commands", body)
        url = body["response_url"]
        await fake_slack.wait_for(lambda f, envelope=envelope: envelope in f.acks)  # type: ignore[misc]
        answer = (await fake_slack.wait_for(lambda f, url=url: f.responses_to(url)))[0]  # type: ignore[misc]

        assert answer["response_type"] == "in_channel"
        assert "구독했습니다: 전체 뉴스" in texts(answer["blocks"])
        assert await subscriptions(app, CHANNEL) == 1

        mention = {
            "type": "app_mention",
            "user": MEMBER,
            "channel": CHANNEL,
            "text": f"<@{TEAM['user_id']}> top",
        }
        event = {"team_id": TEAM["team_id"], "event": mention, "type": "event_callback"}
        await fake_slack.send_envelope("events_api", {**event, "event_id": "Ev0SOCKET"})
        await fake_slack.send_envelope("events_api", {**event, "event_id": "Ev0SOCKET"})
        await fake_slack.wait_for(lambda f: f.ephemeral)
        await fake_slack.send_envelope("events_api", {**event, "event_id": "Ev0SOCKET2"})
        await fake_slack.wait_for(lambda f: len(f.ephemeral) >= 2)
        assert len(fake_slack.ephemeral) == 2  # the repeated event was acted on once

        search = running.command_body("검색 드론", user=MEMBER)
        await fake_slack.send_envelope("slash_commands", search)
        search_url = search["response_url"]
        found = (await fake_slack.wait_for(lambda f, u=search_url: f.responses_to(u)))[0]  # type: ignore[misc]
        assert "‘드론’ 검색 결과" in found["blocks"][0]["text"]["text"]
        press = {
            "type": "block_actions",
            "team": {"id": TEAM["team_id"]},
            "user": {"id": MEMBER},
            "trigger_id": "socket.press.1",
            "container": {"type": "message", "channel_id": CHANNEL},
            "channel": {"id": CHANNEL},
            "response_url": fake_slack.response_url(),
            "actions": [{"action_id": "nb:0:0", "value": button(found["blocks"], "다음 ▶")}],
        }
        await fake_slack.send_envelope("interactive", press)
        press_url = press["response_url"]
        page = (await fake_slack.wait_for(lambda f, u=press_url: f.responses_to(u)))[0]  # type: ignore[misc]
        assert page["replace_original"] is True
        assert "(2/" in page["blocks"][0]["text"]["text"]

        opened = {"type": "app_home_opened", "user": READER, "channel": DM, "tab": "home"}
        await fake_slack.send_envelope(
            "events_api", {**event, "event": opened, "event_id": "Ev0HOME"}
        )
        await fake_slack.wait_for(lambda f: f.views.get(READER))
        assert "가장 많이 본 뉴스" in texts(fake_slack.views[READER]["blocks"])
    # SIGTERM stops the service, which closes the socket (close_async)
    await fake_slack.wait_for(lambda f: f.sockets[-1].closed)


async def test_a_socket_that_cannot_connect_is_given_up_with_one_clear_line(
    app: App, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    async for running in _running(
        app,
        fake_slack,
        slack_app_token="xapp-1-revoked",
        http_listen=None,
        slack_signing_secret=None,
    ):
        socket = running.bot.slack_socket
        assert socket is not None
        socket.connect_timeout = 0.2  # slack-sdk would retry the revoked token forever
        await socket.stop()
        await socket.start()
        await fake_slack.wait_for(lambda _, socket=socket: socket.failed)  # type: ignore[misc]

        assert "NEWSBOT_SLACK_APP_TOKEN" in (socket.failed or "")
        assert not socket.connected.is_set()
    assert any("did not connect" in r.getMessage() for r in caplog.records)
    assert APP_TOKEN not in caplog.text and "xapp-1-revoked" not in caplog.text


async def test_an_answer_slack_rate_limits_is_sent_once_the_wait_is_over(slack: Running) -> None:
    dm = {"type": "message", "channel_type": "im", "channel": DM, "user": READER}
    await slack.event({**dm, "text": "최신 3"})
    await slack.fake.wait_for(lambda f: f.delivered(DM))
    slack.fake.rate_limited = 1  # the next call (the answer: the reader's language is known)
    await slack.event({**dm, "text": "인기"})

    await slack.fake.wait_for(lambda f: len(f.delivered(DM)) >= 2)
    posts = slack.fake.calls("chat.postMessage")
    assert [p.status for p in posts] == [200, 429, 200]
    assert texts(posts[-1].arguments["blocks"]).startswith("가장 많이 본 뉴스")


async def chat_state(app: App, channel: str) -> tuple[bool, str | None] | None:
    async with app.sessions() as session:
        chat = await session.scalar(
            select(Chat).where(Chat.platform == "slack", Chat.platform_chat_id == channel)
        )
        return None if chat is None else (chat.active, chat.inactive_reason)


async def test_an_archived_channel_or_a_removed_app_stops_deliveries_there(
    slack: Running,
) -> None:
    for channel in (CHANNEL, "C0OTHER", "C0THIRD"):
        await slack.slash("subscribe 전체", channel=channel)
    bot_user = TEAM["user_id"]

    # someone else leaving changes nothing (sent first: handled before the rest)
    await slack.event({"type": "member_left_channel", "channel": "C0THIRD", "user": MEMBER})
    await slack.event({"type": "channel_archive", "channel": CHANNEL, "user": MEMBER})
    await slack.event({"type": "member_left_channel", "channel": "C0OTHER", "user": bot_user})

    async def both_gone() -> bool:
        states = [await chat_state(slack.app, c) for c in (CHANNEL, "C0OTHER")]
        return all(s is not None and not s[0] for s in states)

    for _ in range(1000):  # patience, not a timing assertion
        if await both_gone():
            break
        await asyncio.sleep(0.01)
    assert await chat_state(slack.app, CHANNEL) == (False, "channel archived")
    assert await chat_state(slack.app, "C0OTHER") == (False, "removed the app from the channel")
    assert await chat_state(slack.app, "C0THIRD") == (True, None)


# --- the real command -----------------------------------------------------------------------


async def test_newsbot_run_answers_slack_over_http_and_stops_on_sigterm(
    tmp_path: Path, fake_slack: FakeSlack
) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSBOT_", "SLACK_"))}
    env |= {
        "NEWSBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'newsbot.db'}",
        "NEWSBOT_SLACK_BOT_TOKEN": TOKEN,
        "NEWSBOT_SLACK_API_URL": fake_slack.api_url,
        "NEWSBOT_SLACK_SIGNING_SECRET": SECRET,
        "NEWSBOT_HTTP_LISTEN": f"127.0.0.1:{port}",
    }
    process = await asyncio.create_subprocess_exec(
        NEWSBOT, "run", cwd=tmp_path, env=env, stderr=asyncio.subprocess.PIPE
    )
    try:
        await fake_slack.wait_for(lambda f: f.calls("auth.test"), timeout=60)
        client = Running(fake_slack, None, None)  # type: ignore[arg-type]
        client.events_url = f"http://127.0.0.1:{port}/slack/events"
        for _ in range(600):  # the server starts right after the platforms
            try:
                answer = await asyncio.wait_for(client.slash("구독 전체"), timeout=10)
                break
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.05)
        assert answer["response_type"] == "in_channel"
        assert "구독했습니다: 전체 뉴스" in texts(answer["blocks"])
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0, stderr.decode()[-2000:]
    assert TOKEN not in stderr.decode() and SECRET not in stderr.decode()


async def test_an_uninstalled_app_is_the_operators_matter_and_keeps_the_chats(
    slack: Running, caplog: pytest.LogCaptureFixture
) -> None:
    await slack.slash("subscribe 전체")
    await slack.event({"type": "app_uninstalled"})

    for _ in range(1000):  # patience, not a timing assertion
        if any("app_uninstalled" in r.getMessage() for r in caplog.records):
            break
        await asyncio.sleep(0.01)
    line = next(r for r in caplog.records if "app_uninstalled" in r.getMessage())
    assert line.levelname == "ERROR" and "NEWSBOT_SLACK_BOT_TOKEN" in line.getMessage()
    assert await chat_state(slack.app, CHANNEL) == (True, None)
