"""Operators' alerts, the pure parts: each check's threshold, what an alert's row calls for,
the wording, and the settings that shape them. Time is given, never read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from newsbot.alerts import checks
from newsbot.alerts.checks import FailingFeed, LateDigests, SendCounts
from newsbot.alerts.ledger import to_say
from newsbot.alerts.model import Kind, Rules
from newsbot.alerts.sender import backoff
from newsbot.alerts.text import render
from newsbot.config import load_settings
from newsbot.errors import ConfigError
from newsbot.store.alerts import AlertEvent, AlertState

NOW = datetime(2026, 12, 6, 6, 0, tzinfo=UTC)  # 15:00 in Seoul
RULES = Rules()
SEOUL = ZoneInfo("Asia/Seoul")


def minutes_ago(minutes: float) -> datetime:
    return NOW - timedelta(minutes=minutes)


# --- a feed failing for an hour ------------------------------------------------------------


def test_a_feed_alerts_once_it_has_failed_for_the_whole_hour() -> None:
    feeds = [
        FailingFeed(1, "연합 속보", minutes_ago(60), "HTTP 503"),
        FailingFeed(2, "https://news.example.kr/rss", minutes_ago(59), "timeout"),
    ]

    [alert] = checks.failing_feeds(feeds, NOW, RULES)

    assert (alert.key, alert.kind) == ("feed:1", Kind.FEED_FAILING)
    assert alert.params == {
        "feed": "연합 속보",
        "since": "2026-12-06T05:00:00+00:00",
        "error": "HTTP 503",
    }


def test_the_feed_threshold_is_the_setting() -> None:
    feeds = [FailingFeed(1, "a", minutes_ago(10), "")]

    assert checks.failing_feeds(feeds, NOW, Rules(feed_after=timedelta(minutes=10)))
    assert not checks.failing_feeds(feeds, NOW, Rules(feed_after=timedelta(minutes=11)))


# --- the delivery failure rate -------------------------------------------------------------


def test_a_failure_rate_above_the_threshold_alerts_per_platform() -> None:
    counts = {"telegram": SendCounts(sent=15, failed=5), "slack": SendCounts(sent=16, failed=4)}

    [alert] = checks.failure_rate(counts, RULES)  # 25 % against 20 %: slack's 20 % is not above

    assert alert.key == "failure_rate:telegram"
    assert alert.params == {
        "platform": "telegram",
        "percent": 25,
        "failed": 5,
        "total": 20,
        "minutes": 15,
    }


def test_too_few_sends_say_nothing_about_a_rate() -> None:
    assert checks.failure_rate({"telegram": SendCounts(sent=0, failed=19)}, RULES) == []


# --- chats deactivated in bulk -------------------------------------------------------------


@pytest.mark.parametrize(("gone", "alerts"), [(19, 0), (20, 1), (500, 1)])
def test_chats_gone_in_bulk_is_one_alert_from_the_threshold(gone: int, alerts: int) -> None:
    found = checks.chats_gone(gone, RULES)

    assert len(found) == alerts
    assert all(a.params == {"count": gone, "minutes": 10} for a in found)


# --- a missed digest tick ------------------------------------------------------------------


def test_a_digest_past_its_time_by_the_threshold_is_a_missed_tick() -> None:
    late = LateDigests(count=3, oldest_due=minutes_ago(7))

    [alert] = checks.late_digests(late, NOW, RULES, watching_since=minutes_ago(60))

    assert (alert.key, alert.params) == ("digest_late", {"count": 3, "minutes": 7})


def test_digests_that_came_due_before_this_leader_watched_get_their_grace_from_then() -> None:
    late = LateDigests(count=3, oldest_due=minutes_ago(120))  # due while nobody led

    assert checks.late_digests(late, NOW, RULES, watching_since=minutes_ago(4)) == []
    assert checks.late_digests(late, NOW, RULES, watching_since=minutes_ago(5))


def test_no_late_digest_no_alert() -> None:
    assert checks.late_digests(LateDigests(0, None), NOW, RULES, watching_since=NOW) == []


# --- the leader, platforms and the store ---------------------------------------------------


def test_only_a_different_leader_is_news() -> None:
    assert checks.leader_change(None, "host:2") is None  # the store's first leader
    assert checks.leader_change("host:2", "host:2") is None
    changed = checks.leader_change("host:1", "host:2")
    assert changed is not None
    assert changed.params == {"previous": "host:1", "current": "host:2"}


def test_a_platform_and_the_store_have_one_key_each() -> None:
    assert checks.platform_down("telegram", "502").key == "platform:telegram"
    assert checks.store_down(NOW, "refused").key == "store"


# --- the dedupe rule for one row -----------------------------------------------------------


def state(*, notified: float | None, resolved: bool = False) -> AlertState:
    return AlertState(
        key="feed:1",
        kind="feed_failing",
        params="{}",
        opened_at=minutes_ago(200),
        seen_at=NOW,
        notified_at=None if notified is None else minutes_ago(notified),
        resolved_at=NOW if resolved else None,
    )


@pytest.mark.parametrize(
    ("notified", "resolved", "says"),
    [
        (None, False, AlertEvent.STARTED),  # never said: its start
        (59, False, None),  # said within the hour: quiet
        (60, False, AlertEvent.REPEATED),  # an hour since: once more
        (None, True, None),
        (90, True, None),  # over: nothing more (its resolution was queued as it closed)
    ],
)
def test_an_open_alert_is_said_when_it_starts_then_once_per_repeat(
    notified: float | None, resolved: bool, says: AlertEvent | None
) -> None:
    assert to_say(state(notified=notified, resolved=resolved), NOW, RULES) is says


# --- the wording ---------------------------------------------------------------------------


def test_an_alert_reads_in_korean_with_its_mark_and_the_newsrooms_time() -> None:
    params = '{"error": "HTTP 503", "feed": "연합 속보", "since": "2026-12-06T05:00:00+00:00"}'

    text = render("feed_failing", AlertEvent.STARTED, params, locale="ko", zone=SEOUL)

    assert text == "🟠 피드 연합 속보를 12-06 14:00부터 가져오지 못하고 있습니다: HTTP 503"


def test_a_repeat_and_a_resolution_say_how_long() -> None:
    params = '{"error": "502", "minutes": 75, "platform": "telegram"}'

    repeated = render("platform_down", AlertEvent.REPEATED, params, locale="en", zone=SEOUL)
    resolved = render("platform_down", AlertEvent.RESOLVED, params, locale="en", zone=SEOUL)

    body = "telegram: sending stopped (502); messages wait and go when it is back"
    assert repeated == f"🔴 Still going (75 min): {body}"
    assert resolved == f"✅ Resolved after 75 min: {body}"


# --- the settings --------------------------------------------------------------------------


def test_the_alert_chat_is_a_platform_and_a_chat_id() -> None:
    settings = load_settings(_env_file=None, alert_chat="slack:C0123", slack_bot_token="xoxb-1")

    assert settings.alert_target == ("slack", "C0123")
    assert load_settings(_env_file=None).alert_target is None


@pytest.mark.parametrize("value", ["-1001234", "telegram:", "irc:#ops", "telegram:1 2"])
def test_a_malformed_alert_chat_is_one_line_naming_the_setting(value: str) -> None:
    with pytest.raises(ConfigError, match=rf"^NEWSBOT_ALERT_CHAT='{value}': .*platform:chat_id"):
        load_settings(_env_file=None, alert_chat=value, telegram_token="1:x")


def test_an_alert_chat_on_a_platform_without_a_token_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"NEWSBOT_ALERT_CHAT names telegram: NEWSBOT_TELEGRAM"):
        load_settings(_env_file=None, alert_chat="telegram:-1001234")


def test_alert_durations_read_as_operators_write_them() -> None:
    settings = load_settings(_env_file=None, alert_repeat="30m", alert_feed_after="2h")

    assert Rules.of(settings).repeat == timedelta(minutes=30)
    assert Rules.of(settings).feed_after == timedelta(hours=2)
    with pytest.raises(ConfigError, match=r"^NEWSBOT_ALERT_REPEAT='10s': .*at least a minute"):
        load_settings(_env_file=None, alert_repeat="10s")


# --- the sender's pace and patience --------------------------------------------------------


def test_a_failing_alert_chat_is_retried_ever_more_slowly_up_to_five_minutes() -> None:
    assert [backoff(n) for n in (1, 2, 3, 8, 9, 20)] == [2, 4, 8, 256, 300, 300]
