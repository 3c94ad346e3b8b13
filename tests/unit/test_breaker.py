"""The circuit breaker: an outage pauses a platform; one chat's own failures never do."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from newsbot.delivery.breaker import Breaker
from newsbot.delivery.outcomes import ChatGone, RateLimited, Sent, Transient

DOWN = Transient("502 Bad Gateway")


@dataclass
class Ticker:
    now: float = 0.0

    def __call__(self) -> float:
        return self.now


def breaker(ticker: Ticker) -> Breaker:
    return Breaker("telegram", monotonic=ticker)


def test_one_chat_failing_again_and_again_never_opens_it() -> None:
    it = breaker(Ticker())

    for _ in range(20):
        assert it.admit() == 0
        it.record("a", DOWN)

    assert not it.is_open


def test_failures_from_three_chats_in_a_row_open_it_and_a_success_between_resets() -> None:
    it = breaker(Ticker())
    for chat in ("a", "b"):
        it.record(chat, DOWN)
    it.record("c", Sent("m1"))
    for chat in ("d", "e"):
        it.record(chat, DOWN)
    assert not it.is_open

    it.record("f", DOWN)

    assert it.is_open


def test_while_open_one_probe_goes_at_a_time_at_a_growing_interval_capped_at_a_minute() -> None:
    ticker = Ticker()
    it = breaker(ticker)
    for chat in "abc":
        it.record(chat, DOWN)

    waits = [it.admit() for _ in range(3)]
    probes = []
    for _ in range(8):
        ticker.now += it.admit_delay()
        assert it.admit() == 0  # the probe
        assert it.admit() > 0  # everyone else waits for its answer
        it.record("p", DOWN)
        probes.append(it.admit_delay())

    assert waits == [2.0, 2.0, 2.0]
    assert probes == [4.0, 8.0, 16.0, 32.0, 60.0, 60.0, 60.0, 60.0]
    assert it.waited == 3 + 8


@pytest.mark.parametrize("answer", [Sent("m1"), RateLimited(3.0), ChatGone("blocked")])
def test_any_answer_from_the_platform_closes_it(answer: object) -> None:
    ticker = Ticker()
    it = breaker(ticker)
    for chat in "abc":
        it.record(chat, DOWN)
    ticker.now += it.admit_delay()
    assert it.admit() == 0

    it.record("p", answer)  # type: ignore[arg-type]

    assert not it.is_open and it.admit() == 0


def test_the_operator_hears_once_when_it_opens_every_five_minutes_and_once_when_it_closes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    ticker = Ticker()
    it = breaker(ticker)
    for chat in "abc":
        it.record(chat, DOWN)
    for _ in range(60 * 12):  # twelve minutes of a message a second, probes failing
        ticker.now += 1
        if it.admit() == 0:
            it.record("p", DOWN)

    ticker.now += 1
    it.admit()
    it.record("p", Sent("m1"))

    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warnings[0].startswith("telegram: sends are failing across chats (502 Bad Gateway)")
    assert [w.split(";")[0] for w in warnings[1:3]] == [
        "telegram: still down after 5 min 0 s (502 Bad Gateway)",
        "telegram: still down after 10 min 0 s (502 Bad Gateway)",
    ]
    assert warnings[3].startswith("telegram: back after 12 min 1 s;")
    assert len(warnings) == 4


def test_healthz_describes_a_platform_up_or_down_since_when() -> None:
    ticker = Ticker()
    it = breaker(ticker)
    assert it.describe() == {"state": "up"}
    for chat in "abc":
        it.record(chat, DOWN)
    ticker.now += 90
    it.admit()
    it.admit()

    assert it.describe() == {
        "state": "down",
        "down_seconds": 90,
        "waiting": 1,
        "error": "502 Bad Gateway",
    }
