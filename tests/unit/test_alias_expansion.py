"""A newsroom's aliases widen a query word into an OR group, on both stores' expressions,
built from our own quoted tokens whatever the alias says."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newsbot.search.query import (
    Mode,
    fts5_expression,
    keys_expression,
    parse_query,
    tsquery_expression,
    with_aliases,
)
from newsbot.text.analyzer import default_analyzer

KIWI = default_analyzer()


@pytest.fixture(scope="module")
def fts5() -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(":memory:")
    connection.execute(
        "CREATE VIRTUAL TABLE search_fts USING fts5("
        "title_bg, title_mo, lead_bg, lead_mo, body_bg, body_mo, "
        "tokenize='unicode61 remove_diacritics 0')"
    )
    connection.executemany(
        "INSERT INTO search_fts VALUES (?, ?, '', '', '', '')",
        [("ai 신호 신호제 제어", "ai 신호 제어"), ("인공 공지 지능 펀드", "인공 지능 펀드")],
    )
    yield connection
    connection.close()


def matches(connection: sqlite3.Connection, expression: str) -> int:
    query = "SELECT count(*) FROM search_fts WHERE search_fts MATCH ?"
    return int(connection.execute(query, (expression,)).fetchone()[0])


def test_a_word_with_an_alias_finds_either(fts5: sqlite3.Connection) -> None:
    plain = parse_query("AI", KIWI)
    widened = with_aliases(plain, {"ai": ["인공지능"]}, KIWI)

    assert [t.word for t in widened.terms[0].alternatives] == ["인공지능"]
    assert matches(fts5, fts5_expression(plain, Mode.ALL)) == 1
    assert matches(fts5, fts5_expression(widened, Mode.ALL)) == 2
    assert "인공지능" in widened.highlights()


def test_words_without_aliases_are_left_as_they_were() -> None:
    plain = parse_query("드론 성남시", KIWI)

    assert with_aliases(plain, {"ai": ["인공지능"]}, KIWI) == plain


def test_an_alias_of_several_words_is_a_phrase() -> None:
    widened = with_aliases(parse_query("LH", KIWI), {"lh": ["토지 주택 공사"]}, KIWI)

    [alternative] = widened.terms[0].alternatives
    assert alternative.bigrams == ("토지", "주택", "공사") and alternative.morphemes == ()


def test_both_stores_get_the_same_or_group() -> None:
    widened = with_aliases(parse_query("AI 드론", KIWI), {"ai": ["인공지능"]}, KIWI)

    ts = tsquery_expression(widened, Mode.ALL)
    assert ts.startswith("(((('ai') | ('ai':AB)) | (('인공':CD <-> '공지':CD <-> '지능':CD)")
    assert "'인공 공지' & '공지 지능'" in keys_expression(widened, Mode.ALL)


@given(st.text(max_size=60))
def test_whatever_an_alias_says_it_only_adds_quoted_tokens(
    fts5: sqlite3.Connection, alias: str
) -> None:
    widened = with_aliases(parse_query("AI", KIWI), {"ai": [alias]}, KIWI)

    matches(fts5, fts5_expression(widened, Mode.ALL))  # FTS5 accepts it
    for alternative in widened.terms[0].alternatives:
        assert all(token.isalnum() for token in alternative.bigrams)
