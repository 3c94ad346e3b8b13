"""Jamo spelling and distance: what makes a Korean typo one edit, not a whole syllable."""

from __future__ import annotations

import pytest

from newsbot.text.jamo import edit_distance, jamo, jamo_distance


def test_syllables_are_spelled_initial_medial_final() -> None:
    assert jamo("드론") == "ㄷㅡㄹㅗㄴ"
    assert jamo("가힣") == "ㄱㅏㅎㅣㅎ"  # the first and last syllables of the block
    assert jamo("닭") == "ㄷㅏㄺ"  # a double final stays one jamo


def test_anything_but_hangul_syllables_is_kept_as_it_is() -> None:
    assert jamo("AI칩 2개") == "AIㅊㅣㅂ 2ㄱㅐ"
    assert jamo("ㄱㄴ") == "ㄱㄴ"


@pytest.mark.parametrize(
    ("typed", "meant", "edits"),
    [
        ("드로", "드론", 1),  # a final consonant left off
        ("성남시능", "성남시는", 1),  # ㅇ for ㄴ
        ("성남시", "성남시", 0),
        ("드론", "드럼", 2),  # ㅗ→ㅓ, ㄴ→ㅁ
        ("ai", "ia", 2),
    ],
)
def test_a_korean_typo_is_as_many_edits_as_jamo_it_gets_wrong(
    typed: str, meant: str, edits: int
) -> None:
    assert jamo_distance(typed, meant) == edits
    assert jamo_distance(meant, typed) == edits


def test_a_distance_beyond_the_limit_is_cut_short_at_one_more() -> None:
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance("kitten", "sitting", most=1) == 2
    assert edit_distance("a", "abcdef", most=2) == 3
    assert edit_distance("", "abc") == 3
