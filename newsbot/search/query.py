"""Reader queries, parsed once and written out for FTS5 or tsquery from our own tokens.

Syntax (documented in the README and in /help):

    성남시 드론           every word (AND); particles do not matter: 성남시는 = 성남시
    "성남시 드론"         the words next to each other, in this order
    -축제                 without this word
    section:행정 / 섹션:행정 / 분야:행정   only this section
    기간:7일 / 이후:2026-11-01 / 최신순     a period and an order (``newsbot.search.filters``)

A newsroom's aliases (``AI`` = ``인공지능``) widen a word into an OR group after parsing
(``with_aliases``), on both stores alike.

User text never reaches FTS5 or tsquery syntax: a query is cut into words, each word is
analysed into Hangul bigrams and morphemes, and only those tokens (letters and digits, every
one quoted) are written into the expression. Anything else - quotes, *, NEAR, ^, :,
parentheses, SQL, emoji, control characters - simply is not a token.
"""

from __future__ import annotations

import enum
import itertools
import re
from dataclasses import dataclass, field, replace
from datetime import datetime

from newsbot.search.filters import BadFilter, Period, Sort, read_filter
from newsbot.store.search_index import BIGRAM_LABELS, HEADLINE_BIGRAM_LABEL, MORPHEME_LABELS
from newsbot.text.analyzer import Analyzer, QueryWord, bigrams

MAX_QUERY_CHARS = 300
MAX_TERMS = 12
_PIECES = re.compile(r'(-?)"([^"]*)"?|(\S+)')
_SECTION = re.compile(r"^(?:section|섹션|분야):(.+)$", re.IGNORECASE)

BG_COLUMNS = ("title_bg", "lead_bg", "body_bg")
MO_COLUMNS = ("title_mo", "lead_mo", "body_mo")


class Mode(enum.StrEnum):
    ALL = "all"  # every word
    ANY = "any"  # the fallback: any word, ranked


@dataclass(frozen=True, slots=True)
class Term:
    """A word or a quoted phrase."""

    bigrams: tuple[str, ...]  # must appear in this order, next to each other
    morphemes: tuple[str, ...] = ()  # or: all of these morphemes
    highlight: tuple[str, ...] = ()  # strings to mark in snippets
    word: str = ""  # the word as read (folded, particles cut); "" for a quoted phrase
    alternatives: tuple[Term, ...] = ()  # the word's aliases: any of them will do


@dataclass(slots=True)
class ParsedQuery:
    terms: list[Term] = field(default_factory=list)
    excluded: list[Term] = field(default_factory=list)
    section: str | None = None
    period: Period | None = None  # None: no period typed
    sort: Sort | None = None  # None: none typed (relevance)
    bad_filter: str | None = None  # a period or order word that made no sense, as typed
    since: datetime | None = None  # the period's start, once search has worked it out

    @property
    def empty(self) -> bool:
        return not self.terms

    @property
    def words(self) -> list[str]:
        """The searched and excluded words, for alias look-ups and suggestions."""
        return [t.word for t in (*self.terms, *self.excluded) if t.word]

    def highlights(self) -> list[str]:
        return [h for term in self.terms for t in (term, *term.alternatives) for h in t.highlight]


def _word_term(word: QueryWord) -> Term | None:
    grams = tuple(bigrams(word.text))
    if not grams:
        return None
    marks = {word.text, *(m for m in word.morphemes if len(m) > 1)}
    noun = _word_term(QueryWord(word.noun, (word.noun,), word.noun)) if word.noun else None
    return Term(
        bigrams=grams,
        morphemes=word.morphemes,
        highlight=tuple(sorted(marks, key=len)),
        word=word.text,
        alternatives=(noun,) if noun is not None else (),
    )


def _phrase_term(phrase: str) -> Term | None:
    grams = tuple(bigrams(phrase))
    words = [w for w in phrase.split() if w]
    return Term(bigrams=grams, highlight=(" ".join(words).lower(),)) if grams else None


def parse_query(text: str, analyzer: Analyzer) -> ParsedQuery:
    parsed = ParsedQuery()
    for match in _PIECES.finditer(text[:MAX_QUERY_CHARS]):
        negative, phrase, word = match.group(1), match.group(2), match.group(3)
        if word is not None:
            if section := _SECTION.match(word):
                parsed.section = section.group(1).strip() or None
                continue
            try:
                setting = read_filter(word)
            except BadFilter:
                parsed.bad_filter = parsed.bad_filter or word
                continue
            if setting is not None:
                parsed.period = setting.period or parsed.period
                parsed.sort = setting.sort or parsed.sort
                continue
            negative = "-" if word.startswith("-") and len(word) > 1 else ""
            word = word[1:] if negative else word
            analysed = analyzer.query_word(word)
            term = _word_term(analysed) if analysed else None
        else:
            term = _phrase_term(phrase or "")
        if term is None:
            continue
        target = parsed.excluded if negative else parsed.terms
        if len(parsed.terms) + len(parsed.excluded) < MAX_TERMS:
            target.append(term)
    return parsed


def alias_term(alias: str, analyzer: Analyzer) -> Term | None:
    """An alias as a query term: one word read like a typed word, several as a phrase."""
    if " " in alias.strip():
        return _phrase_term(alias)
    analysed = analyzer.query_word(alias)
    return _word_term(analysed) if analysed else None


def with_aliases(
    query: ParsedQuery, aliases: dict[str, list[str]], analyzer: Analyzer
) -> ParsedQuery:
    """The query with each word's aliases as alternatives (``aliases``: word → its aliases,
    as ``newsbot.search.aliases.aliases_of`` reads them from the store)."""

    def widen(term: Term) -> Term:
        found = (alias_term(a, analyzer) for a in aliases.get(term.word, ()))
        known = {term.bigrams, *(t.bigrams for t in term.alternatives)}
        extra = tuple(t for t in found if t is not None and t.bigrams not in known)
        return replace(term, alternatives=term.alternatives + extra) if extra else term

    return replace(
        query,
        terms=[widen(t) for t in query.terms],
        excluded=[widen(t) for t in query.excluded],
    )


# --- SQLite FTS5 -----------------------------------------------------------------------------


def _quoted(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def _fts_term(term: Term) -> str:
    if term.alternatives:
        return "(" + " OR ".join(_fts_one(t) for t in (term, *term.alternatives)) + ")"
    return _fts_one(term)


def _fts_one(term: Term) -> str:
    phrase = "{" + " ".join(BG_COLUMNS) + "} : " + _quoted(" ".join(term.bigrams))
    if not term.morphemes:
        return phrase
    morphs = " AND ".join(_quoted(m) for m in term.morphemes)
    return f"({phrase} OR {{{' '.join(MO_COLUMNS)}}} : ({morphs}))"


HEADLINE_COLUMNS = ("title_bg", "title_mo", "lead_bg", "lead_mo")


def fts5_expression(query: ParsedQuery, mode: Mode, *, headline_only: bool = False) -> str:
    """The FTS5 expression; `headline_only`: the words in a title or lead (exclusions anywhere).

    FTS5 intersects nested column filters, so the outer filter narrows each term's own.
    """
    joiner = " AND " if mode is Mode.ALL else " OR "
    expression = "(" + joiner.join(_fts_term(t) for t in query.terms) + ")"
    if headline_only:
        expression = "{" + " ".join(HEADLINE_COLUMNS) + "} : " + expression
    if query.excluded:
        expression += " NOT (" + " OR ".join(_fts_term(t) for t in query.excluded) + ")"
    return expression


# --- PostgreSQL tsquery ----------------------------------------------------------------------


def _lexeme(token: str) -> str:
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"


def _ts_term(term: Term, *, headline_only: bool = False) -> str:
    if term.alternatives:
        group = (_ts_one(t, headline_only=headline_only) for t in (term, *term.alternatives))
        return "(" + " | ".join(group) + ")"
    return _ts_one(term, headline_only=headline_only)


def _ts_one(term: Term, *, headline_only: bool = False) -> str:
    # As FTS5's column filter does: "야간 개방" must not match the morphemes 야간 개방 of 야간개방.
    # (One bigram needs no label: its morpheme twin is in the bigrams too.)
    label = ":" + HEADLINE_BIGRAM_LABEL if headline_only else ""
    if not label and len(term.bigrams) > 1:
        label = ":" + BIGRAM_LABELS
    phrase = " <-> ".join(_lexeme(b) + label for b in term.bigrams)
    if not term.morphemes:
        return f"({phrase})"
    morphs = " & ".join(_lexeme(m) + ":" + MORPHEME_LABELS for m in term.morphemes)
    return f"(({phrase}) | ({morphs}))"


def tsquery_expression(query: ParsedQuery, mode: Mode, *, headline_only: bool = False) -> str:
    """The tsquery; `headline_only`: the words in a title or lead (exclusions anywhere)."""
    joiner = " & " if mode is Mode.ALL else " | "
    terms = (_ts_term(t, headline_only=headline_only) for t in query.terms)
    expression = "(" + joiner.join(terms) + ")"
    if query.excluded:
        expression += " & !(" + " | ".join(_ts_term(t) for t in query.excluded) + ")"
    return expression


# --- PostgreSQL search keys (migration 0012p) -------------------------------------------------


def _key_term(term: Term, *, headline_only: bool) -> str:
    if term.alternatives:  # its aliases, or another reading: any of them will do
        spellings = (_key_one(t, headline_only=headline_only) for t in (term, *term.alternatives))
        return "(" + " | ".join(spellings) + ")"
    return _key_one(term, headline_only=headline_only)


def _key_one(term: Term, *, headline_only: bool) -> str:
    prefix = "h:" if headline_only else ""
    grams = [g.lower() for g in term.bigrams]
    if len(grams) == 1:
        keys = [prefix + grams[0]]
    else:
        keys = [f"{prefix}{a} {b}" for a, b in itertools.pairwise(grams)]
    phrase = " & ".join(_lexeme(k) for k in keys)
    if not term.morphemes:
        return f"({phrase})"
    morphs = " & ".join(_lexeme("m:" + m.lower()) for m in term.morphemes)
    return f"(({phrase}) | ({morphs}))"


def key_exact(term: Term) -> bool:
    """Whether the keys answer this term exactly: a phrase of up to two tokens is one key, a
    longer one only the AND of its neighbouring pairs (a superset); every spelling counts."""
    return all(len(t.bigrams) <= 2 for t in (term, *term.alternatives))


def keys_expression(query: ParsedQuery, mode: Mode, *, headline_only: bool = False) -> str:
    """A tsquery over ``search_keys.keys`` (cast, not parsed): plain ``&``/``|``, which GIN
    answers without reading the documents.

    It matches what ``tsquery_expression`` matches when every term is ``key_exact``, and a
    superset otherwise (an excluded phrase of three tokens or more is then left out).
    """
    joiner = " & " if mode is Mode.ALL else " | "
    terms = (_key_term(t, headline_only=headline_only) for t in query.terms)
    expression = "(" + joiner.join(terms) + ")"
    excluded = [_key_term(t, headline_only=False) for t in query.excluded if key_exact(t)]
    if excluded:
        expression += " & !(" + " | ".join(excluded) + ")"
    return expression
