"""The editor's progress message, as exact text: under way, then the summary."""

from __future__ import annotations

from datetime import timedelta

from newsbot.delivery.broadcasts import Progress, render_progress
from newsbot.store.editorial import Action, Broadcast
from tests.conftest import START


def broadcast(action: Action, locale: str = "ko") -> Broadcast:
    return Broadcast(
        action=action,
        article_id=1,
        kind="breaking",
        revision=0,
        platform="telegram",
        chat_id="1",
        user_id="1",
        locale=locale,
        started_at=START - timedelta(seconds=10),
    )


def test_under_way_it_shows_sent_of_total_failures_and_time_left() -> None:
    progress = Progress(total=1000, sent=380, failed=20, waiting=600, matching=False, elapsed=8)

    text = render_progress(broadcast(Action.BREAKING), progress, "정전")

    assert text == "속보 「정전」 보내는 중: 380/1000 · 실패 20\n남은 시간 약 12초"


def test_while_the_matcher_still_writes_rows_it_is_not_finished() -> None:
    progress = Progress(total=0, sent=0, failed=0, waiting=0, matching=True, elapsed=0)

    assert render_progress(broadcast(Action.BREAKING), progress, "정전") == (
        "속보 「정전」 보내는 중: 0/0 · 실패 0"
    )


def test_a_retractions_summary_counts_how_each_copy_was_reached_and_why_some_failed() -> None:
    progress = Progress(
        total=10,
        sent=9,
        failed=1,
        waiting=0,
        matching=False,
        elapsed=30,
        reasons=(("Forbidden: bot was blocked by the user", 1),),
        how={"deleted": 7, "replaced": 2},
        reached={50: 1.25, 95: None, 100: None},
    )

    text = render_progress(broadcast(Action.RETRACT), progress, "오보")

    assert text.splitlines() == [
        "기사 취소 「오보」 완료: 10곳 중 9곳 전달, 실패 1",
        "50%: 1.2초 · 95%: – · 100%: –",
        "삭제 7 · 취소 안내로 대체 2",
        "· Forbidden: bot was blocked by the user: 1",
    ]


def test_in_english_for_an_english_speaking_editor() -> None:
    progress = Progress(
        total=2,
        sent=2,
        failed=0,
        waiting=0,
        matching=False,
        elapsed=1,
        how={"edited": 1, "replied": 1},
        reached={50: 0.5, 95: 0.75, 100: 0.75},
    )

    text = render_progress(broadcast(Action.CORRECT, "en"), progress, "Flood")

    assert text.splitlines() == [
        "Correction “Flood” done: 2 of 2 delivered, 0 failed",
        "50%: 0.5 s · 95%: 0.8 s · 100%: 0.8 s",
        "edited in place 1 · corrected by reply 1",
    ]
