"""Pacing: never faster than the limits allow, and no slower than they allow either."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from newsbot.delivery.pacing import Limits, Pacer

RATE = 100.0  # messages a second overall


@dataclass
class Ticker:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


def sent_times(pacer: Pacer, ticker: Ticker, chats: list[str]) -> list[float]:
    """When each message goes if every sender waits exactly what the pacer says."""
    times = []
    for chat in chats:
        times.append(ticker.now + pacer.reserve(chat, "private"))
    return times


def test_a_steady_stream_keeps_the_overall_rate_plus_the_catch_up_at_most() -> None:
    ticker = Ticker()
    limits = Limits(overall_per_second=RATE, catch_up_seconds=0.1)
    pacer = Pacer(limits, monotonic=ticker)

    times = sent_times(pacer, ticker, [f"c{n}" for n in range(1000)])

    for start in range(0, 900, 50):  # any second: the rate, plus the catch-up at most
        window = [t for t in times if times[start] <= t < times[start] + 1.0]
        assert len(window) <= RATE * (1 + limits.catch_up_seconds) + 1
    made_up = RATE * limits.catch_up_seconds  # the pacer starts with a full catch-up
    assert times[-1] - times[0] >= (1000 - 1 - made_up) / RATE - 1e-9


def test_slots_missed_during_a_stall_are_made_up_only_up_to_the_catch_up() -> None:
    ticker = Ticker()
    pacer = Pacer(Limits(overall_per_second=RATE, catch_up_seconds=0.1), monotonic=ticker)
    sent_times(pacer, ticker, [f"a{n}" for n in range(10)])

    ticker.now += 5.0  # the sender was busy: 500 slots went by
    waits = [pacer.reserve(f"b{n}", "private") for n in range(30)]

    at_once = sum(1 for w in waits if w == 0)
    assert at_once == 11  # 0.1 s worth (10 slots) plus the current one, not 500
    assert waits[11] > 0


def test_strict_spacing_without_catch_up_never_bursts() -> None:
    ticker = Ticker()
    pacer = Pacer(Limits(overall_per_second=RATE, catch_up_seconds=0.0), monotonic=ticker)
    ticker.now += 5.0

    waits = [pacer.reserve(f"c{n}", "private") for n in range(3)]

    assert waits == pytest.approx([0.0, 1 / RATE, 2 / RATE])


def test_one_chat_gets_one_message_a_second_whatever_the_overall_rate() -> None:
    ticker = Ticker()
    pacer = Pacer(Limits(overall_per_second=1000.0), monotonic=ticker)

    waits = [pacer.reserve("reader", "private") for _ in range(3)]
    group = [pacer.reserve("newsroom", "group") for _ in range(2)]

    assert waits == [0.0, 1.0, 2.0]
    assert group == [0.0, 3.0]  # 20 a minute in groups and channels
    assert pacer.chat_wait("reader") == 3.0


def test_holds_from_the_platform_are_kept() -> None:
    ticker = Ticker()
    pacer = Pacer(Limits(overall_per_second=RATE), monotonic=ticker)

    pacer.hold_chat("reader", 7.0)
    pacer.hold_all(2.0)

    assert pacer.reserve("other", "private") == pytest.approx(2.0)
    assert pacer.reserve("reader", "private") == pytest.approx(7.0)
    assert pacer.reserve("third", "private") == pytest.approx(2.0 + 2 / RATE)  # not 7: one
    # chat's wait never holds the others back
