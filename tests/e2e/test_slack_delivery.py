"""Delivery to Slack with the real slack-sdk client against a fake Web API on loopback.

Nothing here patches the client: AsyncWebClient speaks HTTP to the fake through the
NEWSBOT_SLACK_API_URL-style base URL, and the dispatcher decides what each answer means.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from newsbot.alerts.watch import alerts_for
from newsbot.app import App
from newsbot.clock import FixedClock
from newsbot.config import load_settings
from newsbot.delivery.breaker import Breaker
from newsbot.delivery.dispatcher import Dispatcher, DispatchSettings
from newsbot.delivery.outcomes import (
    ChatGone,
    Outcome,
    Outgoing,
    PermanentFailure,
    RateLimited,
    Recipient,
    Sent,
    Transient,
)
from newsbot.delivery.pacing import Limits, Pacer
from newsbot.errors import ConfigError
from newsbot.platforms.slack import SlackPlatform, outcome_of
from newsbot.platforms.slack_render import render_post
from newsbot.store.delivery_models import Chat, ChatKind, Delivery, DeliveryState
from tests.builders import ALL_NEWS, chat_in, draft, publish
from tests.fakes.slack_api import TOKEN, FakeSlack
from tests.fakes.slack_api import fake_slack_fixture as fake_slack_fixture  # fixture fake_slack

FAST = Limits(overall_per_second=10_000, per_chat_per_second=10_000, per_group_per_minute=1e6)
CHANNEL = Recipient("C0NEWS", ChatKind.SLACK_CHANNEL.value, "ko", "Asia/Seoul")
NEWSBOT = str(Path(sys.executable).parent / "newsbot")
PROXIES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")


def headline(**fields: object) -> Outgoing:
    values: dict[str, object] = {
        "kind": "headline",
        "title": "성남시 <드론> & 교통",
        "url": "https://news.example.kr/a/1",
        "lead": "<!channel> 판교에서 첫 비행",
        "section": "행정",
        "published_at": datetime(2026, 11, 23, 3, 0, tzinfo=UTC),
    }
    values.update(fields)
    return Outgoing(**values)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """slack-sdk reads HTTP(S)_PROXY from the environment itself; the fake is on loopback."""
    for name in PROXIES:
        monkeypatch.delenv(name, raising=False)


async def started(fake: FakeSlack, *, token: str = TOKEN, wait: float = 5.0) -> SlackPlatform:
    platform = SlackPlatform(token, api_url=fake.api_url, limits=FAST, timeout=wait)
    await platform.start()
    return platform


@pytest.fixture
async def slack(fake_slack: FakeSlack) -> AsyncIterator[SlackPlatform]:
    platform = await started(fake_slack)
    yield platform
    await platform.stop()


# --- the adapter against the fake -------------------------------------------------------


async def test_a_headline_is_posted_to_its_channel_with_blocks_and_the_bearer_token(
    fake_slack: FakeSlack, slack: SlackPlatform
) -> None:
    outcome = await slack.send(CHANNEL, headline())

    [post] = fake_slack.delivered("C0NEWS")
    assert outcome == Sent(f"C0NEWS:{post.answer['ts']}")
    assert post.headers["Authorization"] == f"Bearer {TOKEN}"
    assert post.content_type == "application/json"
    expected = render_post(headline(), ZoneInfo(CHANNEL.timezone))
    assert post.body == {"channel": "C0NEWS", **expected.arguments()}
    assert (
        "*<https://news.example.kr/a/1|성남시 &lt;드론&gt; &amp; 교통>*"
        in (post.body["blocks"][0]["text"]["text"])
    )
    assert "&lt;!channel&gt; 판교에서 첫 비행" in post.body["blocks"][0]["text"]["text"]
    assert [r.method for r in fake_slack.requests] == ["auth.test", "chat.postMessage"]


async def test_a_message_to_a_user_is_kept_under_the_dm_channel_slack_answered(
    fake_slack: FakeSlack, slack: SlackPlatform
) -> None:
    dm = Recipient("U0READER", ChatKind.SLACK_DM.value, "ko", "Asia/Seoul")

    outcome = await slack.send(dm, headline())

    assert isinstance(outcome, Sent) and outcome.message_id is not None
    assert outcome.message_id.startswith("D0READER:")


async def test_a_429_is_rate_limited_for_exactly_its_retry_after_and_not_retried_by_the_client(
    fake_slack: FakeSlack, slack: SlackPlatform
) -> None:
    fake_slack.rate_limited, fake_slack.retry_after = 1, 7

    first = await slack.send(CHANNEL, headline())
    second = await slack.send(CHANNEL, headline())

    assert first == RateLimited(7.0, scope="global")
    assert isinstance(second, Sent)
    assert [r.status for r in fake_slack.calls("chat.postMessage")] == [429, 200]


@pytest.mark.parametrize("status", [500, 502, 503])
@pytest.mark.parametrize("html_page", [False, True], ids=["json", "html"])
async def test_server_errors_are_transient_and_sent_only_once(
    fake_slack: FakeSlack, slack: SlackPlatform, status: int, html_page: bool
) -> None:
    fake_slack.server_errors, fake_slack.server_status = 1, status
    fake_slack.server_html = html_page

    outcome = await slack.send(CHANNEL, headline())

    assert isinstance(outcome, Transient)
    assert len(fake_slack.calls("chat.postMessage")) == 1


async def test_an_answer_slower_than_the_timeout_is_transient(fake_slack: FakeSlack) -> None:
    platform = await started(fake_slack, wait=0.3)
    fake_slack.slow, fake_slack.slow_seconds = 1, 3.0
    try:
        outcome = await platform.send(CHANNEL, headline())
    finally:
        await platform.stop()

    assert outcome == Transient("slack: no answer within 0.3 s")
    assert len(fake_slack.calls("chat.postMessage")) == 1


async def test_a_refused_connection_is_transient_at_once() -> None:
    with socket.socket() as probe:  # a loopback port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    platform = SlackPlatform(TOKEN, api_url=f"http://127.0.0.1:{port}/api/", limits=FAST)
    await platform.start()  # an unreachable Slack at start is only a warning
    try:
        loop = asyncio.get_running_loop()
        began = loop.time()
        outcome = await platform.send(CHANNEL, headline())
        elapsed = loop.time() - began
    finally:
        await platform.stop()

    assert isinstance(outcome, Transient)
    assert "ClientConnectorError" in outcome.reason
    assert elapsed < 0.5  # slack-sdk's default handler would have slept and tried again


@pytest.mark.parametrize(
    ("switch", "error"),
    [
        ("archived", "is_archived"),
        ("missing", "channel_not_found"),
        ("not_member", "not_in_channel"),
    ],
)
async def test_a_channel_that_cannot_receive_is_gone_with_slacks_reason(
    fake_slack: FakeSlack, slack: SlackPlatform, switch: str, error: str
) -> None:
    getattr(fake_slack, switch).add("C0NEWS")

    assert await slack.send(CHANNEL, headline()) == ChatGone(f"slack: {error}")


async def test_a_revoked_token_blames_the_token_not_the_chat_and_is_logged_once(
    fake_slack: FakeSlack, slack: SlackPlatform, caplog: pytest.LogCaptureFixture
) -> None:
    fake_slack.invalid_auth = True

    with caplog.at_level(logging.ERROR, logger="newsbot.platforms.slack"):
        outcomes = [await slack.send(CHANNEL, headline()) for _ in range(3)]

    assert outcomes == [outcomes[0]] * 3
    assert isinstance(outcomes[0], Transient)
    assert "invalid_auth" in outcomes[0].reason
    assert "NEWSBOT_SLACK_BOT_TOKEN" in outcomes[0].reason
    assert len(caplog.records) == 1


async def test_a_token_slack_rejects_at_start_is_a_config_error_that_hides_it(
    fake_slack: FakeSlack,
) -> None:
    with pytest.raises(ConfigError) as caught:
        await started(fake_slack, token="xoxb-wrong-secret")

    assert str(caught.value) == "NEWSBOT_SLACK_BOT_TOKEN was rejected by Slack: invalid_auth"
    assert fake_slack.requests[0].headers["Authorization"] == "Bearer xoxb-wrong-secret"


async def test_a_sent_message_can_be_corrected_in_place_and_deleted_by_its_id(
    fake_slack: FakeSlack, slack: SlackPlatform
) -> None:
    sent = await slack.send(CHANNEL, headline())
    assert isinstance(sent, Sent) and sent.message_id is not None
    channel, ts = sent.message_id.split(":")

    edited = await slack.edit(sent.message_id, CHANNEL, headline(kind="correction", title="정정"))
    deleted = await slack.delete(sent.message_id)

    assert edited == deleted == sent
    [update] = fake_slack.calls("chat.update")
    assert (update.body["channel"], update.body["ts"]) == (channel, ts)
    assert fake_slack.messages[(channel, ts)].text.startswith("✏️ 정정 · 행정")
    [delete] = fake_slack.calls("chat.delete")
    assert delete.arguments == {"channel": channel, "ts": ts}
    assert fake_slack.messages[(channel, ts)].deleted
    assert isinstance(await slack.delete(sent.message_id), PermanentFailure)  # already gone


async def test_the_fake_reads_json_form_and_query_arguments_as_slack_does(
    fake_slack: FakeSlack, slack: SlackPlatform
) -> None:
    fake_slack.archived.add("C0OLD")
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}]

    form = await slack.client.api_call(
        "chat.postMessage", data={"channel": "C0NEWS", "text": "hi", "blocks": json.dumps(blocks)}
    )
    info = await slack.client.conversations_info(channel="C0OLD")

    assert form["ok"] and info["channel"]["is_archived"] is True
    [posted] = fake_slack.delivered()
    assert posted.content_type == "application/x-www-form-urlencoded"
    assert fake_slack.messages[("C0NEWS", form["ts"])].blocks == blocks
    [asked] = fake_slack.calls("conversations.info")
    assert (asked.http_method, asked.query) == ("GET", {"channel": "C0OLD"})


@pytest.mark.parametrize(
    ("status", "error", "headers", "expected"),
    [
        (200, "ratelimited", {"Retry-After": "30"}, RateLimited(30.0, scope="global")),
        (429, None, {}, RateLimited(1.0, scope="global")),
        (200, "cannot_dm_bot", {}, ChatGone("slack: cannot_dm_bot")),
        (200, "user_not_found", {}, ChatGone("slack: user_not_found")),
        (200, "internal_error", {}, Transient("slack: internal_error")),
        (504, None, {}, Transient("slack: HTTP 504")),
        (200, "msg_too_long", {}, PermanentFailure("slack: msg_too_long")),
        (200, "invalid_blocks", {}, PermanentFailure("slack: invalid_blocks")),
    ],
)
def test_errors_the_fake_does_not_produce_map_onto_outcomes_too(
    status: int, error: str | None, headers: dict[str, str], expected: Outcome
) -> None:
    assert outcome_of(status, error, headers) == expected


@pytest.mark.parametrize("error", ["token_revoked", "account_inactive", "missing_scope"])
def test_token_and_app_problems_never_deactivate_a_chat(error: str) -> None:
    outcome = outcome_of(200, error, {})
    assert isinstance(outcome, Transient) and error in outcome.reason


# --- through the delivery engine ---------------------------------------------------------


@dataclass
class Ticker:
    """The pacer's monotonic time; the dispatcher's pacing sleeps are recorded, not slept."""

    now: float = 1000.0
    slept: float = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept += seconds
        await asyncio.sleep(0)


async def subscribe_channels(app: App, channels: list[str]) -> None:
    """Each channel takes all news; then one headline with markup in it is published to them."""
    async with app.sessions() as session:
        for name in channels:
            await chat_in(
                session,
                name,
                ALL_NEWS,
                platform="slack",
                kind=ChatKind.SLACK_CHANNEL,
                now=app.clock.now(),
            )
        await session.commit()
    await publish(
        app,
        draft(
            1,
            "성남시 <드론> & 교통",
            url="https://news.example.kr/a/1",
            lead="판교에서 첫 비행",
            section="행정",
            published_at=app.clock.now() - timedelta(minutes=5),
        ),
    )


def dispatcher(app: App, slack: SlackPlatform, ticker: Ticker) -> Dispatcher:
    return Dispatcher(
        app.sessions,
        {"slack": slack},
        app.clock,
        DispatchSettings(owner="e2e:1", concurrency=16),
        pacers={"slack": Pacer(FAST, monotonic=ticker)},
        sleep=ticker.sleep,
    )


async def drain(clock: FixedClock, ticker: Ticker, send: Dispatcher, rounds: int = 30) -> None:
    """Dispatch until nothing is left, moving the store's clock and the pacer's time together."""
    for _ in range(rounds):
        if not (await send.run_once()).claimed:
            clock.advance(seconds=5)  # let retries come due
            ticker.now += 5
            if not (await send.run_once()).claimed:
                return


async def states(app: App) -> dict[DeliveryState, int]:
    async with app.sessions() as session:
        found: dict[DeliveryState, int] = {}
        for state in await session.scalars(select(Delivery.state)):
            found[state] = found.get(state, 0) + 1
        return found


async def test_a_429_storm_to_slack_channels_loses_nothing_and_doubles_nothing(
    app: App, clock: FixedClock, fake_slack: FakeSlack, slack: SlackPlatform
) -> None:
    channels = [f"C{n:04d}" for n in range(60)]
    await subscribe_channels(app, channels)
    fake_slack.flood_every = 3  # a third of all posts are told to wait
    ticker = Ticker()

    await drain(clock, ticker, dispatcher(app, slack, ticker))
    delivered = [r.arguments["channel"] for r in fake_slack.delivered()]
    assert sorted(delivered) == channels  # every channel once, none twice
    assert await states(app) == {DeliveryState.SENT: 60}
    assert len(fake_slack.calls("chat.postMessage")) > 60
    assert ticker.slept >= fake_slack.retry_after  # a 429 held every channel, not just one
    async with app.sessions() as session:
        kept = set(await session.scalars(select(Delivery.platform_message_id)))
    assert kept == {f"{r.answer['channel']}:{r.answer['ts']}" for r in fake_slack.delivered()}


async def test_gone_channels_are_deactivated_and_the_others_still_receive(
    app: App, clock: FixedClock, fake_slack: FakeSlack, slack: SlackPlatform
) -> None:
    await subscribe_channels(app, ["C0OLD", "C0GONE", "C0LIVE"])
    fake_slack.archived.add("C0OLD")
    fake_slack.missing.add("C0GONE")

    ticker = Ticker()
    await drain(clock, ticker, dispatcher(app, slack, ticker))

    assert [r.arguments["channel"] for r in fake_slack.delivered()] == ["C0LIVE"]
    async with app.sessions() as session:
        rows = await session.execute(
            select(Chat.platform_chat_id, Chat.active, Chat.inactive_reason).order_by(Chat.id)
        )
        chats = [tuple(row) for row in rows]
    assert chats == [
        ("C0OLD", False, "slack: is_archived"),
        ("C0GONE", False, "slack: channel_not_found"),
        ("C0LIVE", True, None),
    ]
    assert await states(app) == {DeliveryState.DROPPED: 2, DeliveryState.SENT: 1}


async def test_a_revoked_token_keeps_every_chat_and_delivers_once_it_is_fixed(
    app: App, clock: FixedClock, fake_slack: FakeSlack, slack: SlackPlatform
) -> None:
    await subscribe_channels(app, ["C0A", "C0B"])
    fake_slack.invalid_auth = True
    ticker = Ticker()
    send = dispatcher(app, slack, ticker)

    await send.run_once()
    fake_slack.invalid_auth = False  # the operator put a working token back
    await drain(clock, ticker, send)

    async with app.sessions() as session:
        assert all(await session.scalars(select(Chat.active)))
    assert sorted(r.arguments["channel"] for r in fake_slack.delivered()) == ["C0A", "C0B"]
    assert await states(app) == {DeliveryState.SENT: 2}


def test_a_slack_api_url_without_its_final_slash_is_refused_at_start() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(slack_api_url="https://slack.com/api")

    assert str(caught.value).startswith("NEWSBOT_SLACK_API_URL='https://slack.com/api': ")
    assert load_settings().slack_api_url == "https://slack.com/api/"


# --- the real command ----------------------------------------------------------------------


async def newsbot(cwd: Path, env: dict[str, str], *argv: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        NEWSBOT,
        *argv,
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_newsbot_run_delivers_to_slack_when_a_token_is_set(
    fake_slack: FakeSlack, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_") and k not in PROXIES}
    export = tmp_path / "now.ndjson"
    record = {
        "url": "https://news.example.kr/a/9",
        "title": "드론택배 <성남> 전역 확대",
        "section": "경제",
        "published_at": datetime.now(UTC).isoformat(),
    }
    export.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    await newsbot(tmp_path, env, "chats", "add", "slack:C0DESK", "--kind", "slack_channel", "--all")
    await newsbot(tmp_path, env, "import", str(export))

    env |= {"NEWSBOT_SLACK_BOT_TOKEN": TOKEN, "NEWSBOT_SLACK_API_URL": fake_slack.api_url}
    code, out, err = await newsbot(tmp_path, env, "run", "--once")

    assert code == 0, err
    assert "matched 1 deliveries; sent 1" in out
    [post] = fake_slack.delivered("C0DESK")
    assert post.headers["Authorization"] == f"Bearer {TOKEN}"
    assert "드론택배 &lt;성남&gt; 전역 확대" in post.body["text"]
    assert TOKEN not in out + err


# --- operators' alerts ------------------------------------------------------------------


async def test_an_alert_naming_a_mention_or_a_link_is_posted_escaped(
    app: App, fake_slack: FakeSlack, slack: SlackPlatform
) -> None:
    settings = load_settings(
        _env_file=None, slack_bot_token=TOKEN, alert_chat="slack:C0ALERTS", alert_language="en"
    )
    alerts = alerts_for(
        settings,
        app.sessions,
        app.clock,
        platforms={"slack": slack},
        pacers={"slack": Pacer(FAST)},
        breakers={"slack": Breaker("slack")},
        process="e2e:1",
    )
    assert alerts is not None
    alerts.platform_changed("telegram", True, "<!channel> see <https://evil.example|this> & more")

    await alerts.step()

    [posted] = fake_slack.delivered("C0ALERTS")
    assert posted.arguments["text"] == (
        "🔴 telegram: sending stopped (&lt;!channel&gt; see &lt;https://evil.example|this&gt; "
        "&amp; more); messages wait and go when it is back"
    )
