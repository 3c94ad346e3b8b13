"""Snippets: a line of the article around the first match, with the matched words marked."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newsbot.search.snippet import SNIPPET_CHARS, Marked, find_marks, make_snippet

BEFORE = " ".join(["가나다"] * 30)  # 119 characters of words that never match
AFTER = " ".join(["라마바"] * 40)  # 159 characters
LONG_LEAD = f"{BEFORE} 드론 배송이 시작된다. {AFTER}"


def marked(snippet: Marked) -> list[str]:
    return [snippet.text[start:end] for start, end in snippet.marks]


# --- marks ---------------------------------------------------------------------------------


def test_a_mark_is_the_exact_range_of_the_word() -> None:
    assert find_marks("성남시는 드론을 띄웠다", ["드론"]) == ((5, 7),)


def test_latin_words_are_marked_whatever_their_case() -> None:
    text = "성남시가 WeGO 회의를 연다. wego는 세계도시기구다."

    marks = find_marks(text, ["wego"])

    assert [text[s:e] for s, e in marks] == ["WeGO", "wego"]


def test_every_occurrence_is_marked_in_order() -> None:
    assert find_marks("드론 쇼와 드론 택배", ["드론", "택배"]) == ((0, 2), (6, 8), (9, 11))


def test_the_longer_of_two_nested_terms_wins() -> None:
    assert find_marks("교통정보센터는", ["교통", "교통정보센터"]) == ((0, 6),)


def test_touching_marks_merge_into_one() -> None:
    assert find_marks("드론드론쇼", ["드론"]) == ((0, 4),)


def test_overlapping_marks_merge_into_one() -> None:
    assert find_marks("성남시청 앞", ["성남시", "시청"]) == ((0, 4),)


def test_terms_are_text_not_patterns() -> None:
    assert find_marks("C++ 강좌와 (드론) 수업", ["c++", "(드론)"]) == ((0, 3), (8, 12))


@pytest.mark.parametrize("terms", [[], [""], ["  "]])
def test_blank_terms_mark_nothing(terms: list[str]) -> None:
    assert find_marks("드론", terms) == ()


# --- the window ----------------------------------------------------------------------------


def test_a_short_lead_is_shown_whole_without_ellipses() -> None:
    snippet = make_snippet("짧은 리드에 드론이 나온다", "", ["드론"])

    assert snippet.text == "짧은 리드에 드론이 나온다"
    assert marked(snippet) == ["드론"]


def test_the_window_starts_a_little_before_the_first_match() -> None:
    snippet = make_snippet(LONG_LEAD, "", ["드론"])

    [(start, _)] = snippet.marks
    assert snippet.text.startswith("…")
    assert 1 < start <= 1 + 30  # the ellipsis, then at most 30 characters of lead-in
    assert marked(snippet) == ["드론"]


def test_the_window_is_cut_between_words_with_ellipses_on_both_sides() -> None:
    snippet = make_snippet(LONG_LEAD, "", ["드론"])

    inner = snippet.text.removeprefix("…").removesuffix("…")
    assert snippet.text == f"…{inner}…"
    assert f" {inner} " in f" {LONG_LEAD} "  # whole words only
    assert len(inner) <= SNIPPET_CHARS


def test_a_match_at_the_start_needs_no_leading_ellipsis() -> None:
    snippet = make_snippet(f"드론 {AFTER}", "", ["드론"])

    assert snippet.text.startswith("드론 ")
    assert snippet.text.endswith("…")
    assert snippet.marks[0] == (0, 2)


def test_without_a_match_the_lead_is_shown_from_its_start() -> None:
    snippet = make_snippet(LONG_LEAD, "본문", ["지진"])

    assert snippet.text.startswith("가나다 가나다")
    assert snippet.text.endswith("…")
    assert snippet.marks == ()


def test_the_lead_is_preferred_when_both_match() -> None:
    snippet = make_snippet("리드의 드론 이야기", "본문의 드론 이야기", ["드론"])

    assert snippet.text == "리드의 드론 이야기"


def test_the_body_is_used_when_only_the_body_matches() -> None:
    snippet = make_snippet("리드에는 없다", "본문에는 드론이 있다", ["드론"])

    assert snippet.text == "본문에는 드론이 있다"
    assert marked(snippet) == ["드론"]


def test_paragraphs_are_collapsed_into_one_line() -> None:
    snippet = make_snippet("리드", "첫 문단.\n\n둘째   문단에\t드론이 있다.", ["드론"])

    assert snippet.text == "첫 문단. 둘째 문단에 드론이 있다."
    assert marked(snippet) == ["드론"]


def test_a_phrase_split_across_lines_in_the_body_is_still_marked() -> None:
    snippet = make_snippet("리드", "성남시\n교통정보센터가 문을 연다", ["성남시 교통정보센터"])

    assert marked(snippet) == ["성남시 교통정보센터"]


def test_a_match_cut_by_the_window_is_marked_as_far_as_it_shows() -> None:
    lead = f"드론 {'가' * 200}"

    snippet = make_snippet(lead, "", ["드론", "가" * 200], width=50)

    assert snippet.text.endswith("…")
    assert snippet.marks == ((0, 2), (3, len(snippet.text) - 1))  # up to the ellipsis


# --- properties ----------------------------------------------------------------------------

words = st.text(alphabet="드론성남시가 aB\n", max_size=300)
terms = st.lists(st.text(alphabet="드론성남시가aB", min_size=1, max_size=4), max_size=4)


@given(lead=words, body=words, terms=terms, width=st.integers(min_value=10, max_value=200))
def test_marks_are_sorted_disjoint_ranges_inside_the_snippet(
    lead: str, body: str, terms: list[str], width: int
) -> None:
    snippet = make_snippet(lead, body, terms, width=width)

    previous_end = -1
    for start, end in snippet.marks:
        assert 0 <= start < end <= len(snippet.text)
        assert start > previous_end
        previous_end = end
    assert len(snippet.text) <= width + 2  # and an ellipsis on each side at most
    assert "\n" not in snippet.text


@given(lead=words, body=words, terms=terms)
def test_a_snippet_shows_a_match_whenever_the_lead_or_body_has_one(
    lead: str, body: str, terms: list[str]
) -> None:
    snippet = make_snippet(lead, body, terms)

    if find_marks(lead, terms) or find_marks(body, terms):
        assert snippet.marks
        for text in marked(snippet):
            assert any(
                term.lower() in text.lower() or text.lower() in term.lower() for term in terms
            )
    else:
        assert snippet.marks == ()
