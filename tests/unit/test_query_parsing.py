"""Reading what a reader typed: words, phrases, exclusions, a section, and nothing else.

Whatever the text, the expressions handed to FTS5 and tsquery are built from our own quoted
tokens and a fixed set of operators; user text never becomes query syntax.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from newsbot.search.query import (
    MAX_QUERY_CHARS,
    MAX_TERMS,
    Mode,
    ParsedQuery,
    Term,
    fts5_expression,
    key_exact,
    keys_expression,
    parse_query,
    tsquery_expression,
)
from newsbot.text.analyzer import Analyzer, NoMorphemes, default_analyzer

KIWI = default_analyzer()
PLAIN = Analyzer(NoMorphemes())

TOKEN = r"(?:[\uac00-\ud7a3\u3131-\u318e\u4e00-\u9fff\uf900-\ufaff]+|[a-z0-9]+)"
FTS5_STRING = re.compile(rf'"{TOKEN}(?: {TOKEN})*"')
FTS5_OPERATORS = re.compile(
    r"\{title_bg lead_bg body_bg\}|\{title_mo lead_mo body_mo\}|\bAND\b|\bOR\b|\bNOT\b|[():]|\s+"
)
TS_LEXEME = re.compile(rf"'{TOKEN}'")
TS_OPERATORS = re.compile(r"<->|:AB|:CD|[&|!()]|\s+")  # :AB morphemes only, :CD bigrams only
# Search keys: a token or two neighbouring ones, h: in the headline, m: a morpheme.
KEY_LEXEME = re.compile(rf"'(?:h:)?{TOKEN}(?: {TOKEN})?'|'m:{TOKEN}'")
KEY_OPERATORS = re.compile(r"[&|!()]|\s+")

HOSTILE = [
    '"',
    '""',
    "*",
    "^",
    ":",
    "-",
    "--",
    "(",
    ")",
    "NEAR(a b)",
    "NEAR",
    "AND",
    "OR",
    "NOT",
    "title_bg:",
    "{title_mo}",
    "'",
    "''",
    "\\",
    "<->",
    "&",
    "|",
    "!",
    "';",
    "DROP TABLE articles;--",
    "🙂",
    "\x00",
    "\x1b[31m",
    "\u200b",
    "section:",
    "섹션:",
    "성남시는",
    "드론",
    "WeGO",
    "ＷｅＧＯ",
    "2023년",
]
hostile_queries = st.lists(
    st.one_of(st.sampled_from(HOSTILE), st.text(max_size=8)), max_size=30
).map(lambda parts: "".join(parts) if len(parts) % 2 else " ".join(parts))


def words(*texts: str) -> list[tuple[str, ...]]:
    return [tuple(t.split()) for t in texts]


def bigrams_of(terms: list[Term]) -> list[tuple[str, ...]]:
    return [term.bigrams for term in terms]


# --- words, phrases, exclusions ------------------------------------------------------------


def test_every_word_becomes_a_term_that_must_match() -> None:
    parsed = parse_query("성남시는 드론을", KIWI)

    assert bigrams_of(parsed.terms) == words("성남 남시", "드론")
    assert [t.morphemes for t in parsed.terms] == [("성남시",), ("드론",)]
    assert parsed.excluded == []
    assert parsed.section is None


def test_particles_do_not_change_the_query() -> None:
    assert parse_query("성남시는", KIWI).terms == parse_query("성남시", KIWI).terms
    assert parse_query("드론을", KIWI).terms == parse_query("드론", KIWI).terms


def test_a_quoted_phrase_is_one_term_of_adjacent_bigrams() -> None:
    parsed = parse_query('"성남시 교통정보센터"', KIWI)

    [phrase] = parsed.terms
    assert phrase.bigrams == ("성남", "남시", "교통", "통정", "정보", "보센", "센터")
    assert phrase.morphemes == ()
    assert phrase.highlight == ("성남시 교통정보센터",)


def test_an_unclosed_quote_runs_to_the_end() -> None:
    assert bigrams_of(parse_query('"성남시 드론', KIWI).terms) == words("성남 남시 드론")


def test_a_minus_excludes_a_word_or_a_phrase() -> None:
    parsed = parse_query('드론 -축제 -"빛 산책"', KIWI)

    assert bigrams_of(parsed.terms) == words("드론")
    assert bigrams_of(parsed.excluded) == words("축제", "빛 산책")


@pytest.mark.parametrize("query", ["-", "--", "- 드론", "드론 -"])
def test_a_lone_minus_is_not_an_exclusion(query: str) -> None:
    assert parse_query(query, KIWI).excluded == []


@pytest.mark.parametrize("prefix", ["section", "섹션", "분야", "SECTION"])
def test_a_section_prefix_filters_instead_of_searching(prefix: str) -> None:
    parsed = parse_query(f"드론 {prefix}:행정", KIWI)

    assert parsed.section == "행정"
    assert bigrams_of(parsed.terms) == words("드론")


def test_a_section_alone_leaves_nothing_to_search_for() -> None:
    parsed = parse_query("섹션:경제", KIWI)

    assert parsed.section == "경제"
    assert parsed.empty


@pytest.mark.parametrize("query", ["", "   ", "🙂", '"', '""', "!!!", "* ^ :", "\x00\x01"])
def test_text_without_words_is_an_empty_query(query: str) -> None:
    assert parse_query(query, KIWI).empty


def test_highlights_are_the_words_as_read() -> None:
    assert parse_query('성남시는 "빛 축제" -드론', KIWI).highlights() == ["성남시", "빛 축제"]


# --- caps ---------------------------------------------------------------------------------


def test_at_most_max_terms_are_kept_in_the_order_typed() -> None:
    typed = [f"w{n}" for n in range(MAX_TERMS + 8)]

    parsed = parse_query(" ".join(typed), PLAIN)

    assert bigrams_of(parsed.terms) == [(w,) for w in typed[:MAX_TERMS]]


def test_exclusions_count_toward_the_term_cap() -> None:
    typed = [f"w{n}" for n in range(MAX_TERMS)] + ["-드론", "축제"]

    parsed = parse_query(" ".join(typed), PLAIN)

    assert len(parsed.terms) + len(parsed.excluded) == MAX_TERMS
    assert parsed.excluded == []


def test_text_past_max_query_chars_is_not_read() -> None:
    filler = "x" * (MAX_QUERY_CHARS - len("드론 ") - 1)

    parsed = parse_query(f"드론 {filler} 축제 section:행정", PLAIN)

    assert bigrams_of(parsed.terms) == [("드론",), (filler,)]
    assert parsed.section is None


# --- the expressions -----------------------------------------------------------------------


def test_fts5_expression_matches_bigram_phrases_or_all_morphemes() -> None:
    parsed = parse_query("성남시는 드론", KIWI)

    assert fts5_expression(parsed, Mode.ALL) == (
        '(({title_bg lead_bg body_bg} : "성남 남시" OR {title_mo lead_mo body_mo} : ("성남시"))'
        ' AND ({title_bg lead_bg body_bg} : "드론" OR {title_mo lead_mo body_mo} : ("드론")))'
    )


def test_any_mode_joins_terms_with_or_and_exclusions_stay_not() -> None:
    parsed = parse_query("성남시 드론 -축제", PLAIN)

    assert fts5_expression(parsed, Mode.ANY) == (
        '({title_bg lead_bg body_bg} : "성남 남시" OR {title_bg lead_bg body_bg} : "드론")'
        ' NOT ({title_bg lead_bg body_bg} : "축제")'
    )
    assert tsquery_expression(parsed, Mode.ANY) == (
        "(('성남':CD <-> '남시':CD) | ('드론')) & !(('축제'))"
    )


def test_tsquery_expression_uses_followed_by_for_bigrams_and_labels_morphemes() -> None:
    parsed = parse_query("성남시는 드론", KIWI)

    assert tsquery_expression(parsed, Mode.ALL) == (
        "((('성남':CD <-> '남시':CD) | ('성남시':AB)) & (('드론') | ('드론':AB)))"
    )


def test_keys_expression_asks_for_neighbouring_pairs_or_prefixed_morphemes() -> None:
    parsed = parse_query("성남시는 드론", KIWI)

    assert (
        keys_expression(parsed, Mode.ALL)
        == "((('성남 남시') | ('m:성남시')) & (('드론') | ('m:드론')))"
    )
    assert keys_expression(parsed, Mode.ALL, headline_only=True) == (
        "((('h:성남 남시') | ('m:성남시')) & (('h:드론') | ('m:드론')))"
    )


def test_a_phrase_of_three_tokens_or_more_is_the_and_of_its_pairs_and_not_exact() -> None:
    parsed = parse_query('"성남시 드론" -"수원시 축제"', KIWI)

    assert [key_exact(t) for t in parsed.terms] == [False]
    assert (
        keys_expression(parsed, Mode.ALL) == "(('성남 남시' & '남시 드론'))"
    )  # exclusion left out


def test_an_excluded_word_of_two_tokens_or_fewer_is_excluded_by_its_keys() -> None:
    parsed = parse_query("드론 -축제", PLAIN)

    assert keys_expression(parsed, Mode.ANY) == "(('드론')) & !(('축제'))"


def test_keys_are_lowercase_like_the_stored_ones() -> None:
    parsed = parse_query("WeGO", KIWI)

    assert "WeGO" not in keys_expression(parsed, Mode.ALL)
    assert "'wego'" in keys_expression(parsed, Mode.ALL)


# --- whatever is typed ---------------------------------------------------------------------


def fts5_residue(expression: str) -> str:
    return FTS5_OPERATORS.sub("", FTS5_STRING.sub("", expression))


def tsquery_residue(expression: str) -> str:
    return TS_OPERATORS.sub("", TS_LEXEME.sub("", expression))


def keys_residue(expression: str) -> str:
    return KEY_OPERATORS.sub("", KEY_LEXEME.sub("", expression))


def balanced(expression: str, quote: str) -> bool:
    depth = 0
    for char in re.sub(f"{quote}[^{quote}]*{quote}", "", expression):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


@pytest.fixture(scope="module")
def fts5() -> Iterator[sqlite3.Connection]:
    """An empty FTS5 table with the search index's columns, to ask whether it accepts a query."""
    connection = sqlite3.connect(":memory:")
    connection.execute(
        "CREATE VIRTUAL TABLE search_fts USING fts5("
        "title_bg, title_mo, lead_bg, lead_mo, body_bg, body_mo, "
        "tokenize='unicode61 remove_diacritics 0')"
    )
    connection.execute(
        "INSERT INTO search_fts VALUES ('성남 남시 시는', '성남시', 'wego', 'wego', '드론', '')"
    )
    yield connection
    connection.close()


def check_expressions(text: str, connection: sqlite3.Connection) -> None:
    parsed: ParsedQuery = parse_query(text, KIWI)  # must not raise
    if parsed.empty:
        return
    for mode in Mode:
        fts = fts5_expression(parsed, mode)
        assert fts5_residue(fts) == "", fts
        assert balanced(fts, '"'), fts
        connection.execute("SELECT rowid FROM search_fts WHERE search_fts MATCH ?", (fts,))
        ts = tsquery_expression(parsed, mode)
        assert tsquery_residue(ts) == "", ts
        assert balanced(ts, "'"), ts
        for headline in (False, True):
            keys = keys_expression(parsed, mode, headline_only=headline)
            assert keys_residue(keys) == "", keys
            assert balanced(keys, "'"), keys


@given(st.text())
@example('"; DROP TABLE articles;-- NEAR(a b) ^드론 title_bg:드론 *')
@example('성남시는 "드론 -축제 section:행정 ((( ) 🙂 \x00')
def test_any_text_gives_only_quoted_tokens_and_fixed_operators(
    fts5: sqlite3.Connection, text: str
) -> None:
    check_expressions(text, fts5)


@given(hostile_queries)
def test_query_syntax_fragments_never_become_syntax(fts5: sqlite3.Connection, text: str) -> None:
    check_expressions(text, fts5)


@given(st.text(min_size=MAX_QUERY_CHARS, max_size=10_000))
@example("성남" * 5000)
@example("a" * 10_000)
@example("드론 " * 2000)
def test_long_text_is_read_only_up_to_the_cap(fts5: sqlite3.Connection, text: str) -> None:
    check_expressions(text, fts5)
    assert parse_query(text, KIWI) == parse_query(text[:MAX_QUERY_CHARS], KIWI)


@pytest.mark.parametrize(
    ("text", "first"), [("드론\udcff", "드론"), ("성남시는\ud800 드론", "성남")]
)
def test_a_lone_surrogate_does_not_break_parsing(text: str, first: str) -> None:
    parsed = parse_query(text, KIWI)

    assert parsed.terms
    assert parsed.terms[0].bigrams[0] == first
