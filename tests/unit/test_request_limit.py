"""The CMS push API's rate limit: a minute's worth at once, then per_minute a minute, and
exactly how long to wait when over it. The clock is a number the tests move."""

from __future__ import annotations

import pytest

from newsbot.platforms.request_limit import RequestLimit


class Ticks:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def ticks() -> Ticks:
    return Ticks()


def test_a_burst_up_to_the_minutes_allowance_goes_through_then_the_next_waits(
    ticks: Ticks,
) -> None:
    limit = RequestLimit(per_minute=3, monotonic=ticks)

    assert [limit.take("cms") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limit.take("cms") == pytest.approx(20.0)  # one request earned every 20 s


def test_the_wait_shrinks_as_time_passes_and_a_refused_request_costs_nothing(
    ticks: Ticks,
) -> None:
    limit = RequestLimit(per_minute=3, monotonic=ticks)
    for _ in range(3):
        limit.take("cms")

    ticks.now += 15
    assert limit.take("cms") == pytest.approx(5.0)
    ticks.now += 5
    assert limit.take("cms") == 0.0
    assert limit.take("cms") == pytest.approx(20.0)


def test_an_idle_caller_earns_back_no_more_than_one_burst(ticks: Ticks) -> None:
    limit = RequestLimit(per_minute=2, monotonic=ticks)
    limit.take("cms")

    ticks.now += 3600

    assert [limit.take("cms") for _ in range(2)] == [0.0, 0.0]
    assert limit.take("cms") > 0


def test_each_key_has_its_own_allowance(ticks: Ticks) -> None:
    limit = RequestLimit(per_minute=1, monotonic=ticks)

    assert limit.take("desk") == 0.0
    assert limit.take("desk") > 0
    assert limit.take("sports desk") == 0.0
