"""The analyzer: how article text and query words become the tokens search matches on."""

from __future__ import annotations

import logging
import re
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newsbot.text.analyzer import (
    Analyzer,
    KiwiMorphemes,
    NoMorphemes,
    bigrams,
    default_analyzer,
    fold,
)

KIWI = default_analyzer()
PLAIN = Analyzer(NoMorphemes())
# What a token may be: a Hangul/Han pair or single character, or a folded Latin/digit run.
CJK = r"[\uac00-\ud7a3\u3131-\u318e\u4e00-\u9fff\uf900-\ufaff]"
CJK_TOKEN = re.compile(f"{CJK}{{1,2}}")
LATIN_TOKEN = re.compile(r"[a-z0-9]+")
MORPHEME = re.compile(f"{CJK}+|[a-z0-9]+")  # one run: Hangul/Han, or Latin/digits


# --- bigrams: the index side ---------------------------------------------------------------


def test_a_hangul_run_becomes_overlapping_pairs() -> None:
    assert bigrams("성남시는") == ["성남", "남시", "시는"]


def test_a_lone_syllable_is_kept_as_itself() -> None:
    assert bigrams("시 구 동") == ["시", "구", "동"]


def test_spaces_and_punctuation_end_a_run() -> None:
    assert bigrams("교통·청년 투자, 확대…") == ["교통", "청년", "투자", "확대"]


def test_han_characters_pair_like_hangul() -> None:
    assert bigrams("城南市") == ["城南", "南市"]


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("WeGO", ["wego"]),
        ("ＷｅＧＯ", ["wego"]),  # full-width letters fold to ASCII
        ("2023년", ["2023", "년"]),
        ("성남FC", ["성남", "fc"]),
        ("K리그2", ["k", "리그", "2"]),
        ("AI 신호제어", ["ai", "신호", "호제", "제어"]),
        ("R&D", ["r", "d"]),
        ("４조1천억", ["4", "조", "1", "천", "천억"]),  # a counter after digits stands alone too
    ],
)
def test_latin_and_digit_runs_stay_whole_and_folded(text: str, tokens: list[str]) -> None:
    assert bigrams(text) == tokens


@pytest.mark.parametrize("text", ["", "   ", "🙂🎉", "!?…「」—", "\x00\x01\x7f"])
def test_text_with_nothing_searchable_gives_no_tokens(text: str) -> None:
    assert bigrams(text) == []


def test_fold_is_nfkc_and_lower_case() -> None:
    assert fold("ＷｅＧＯ") == "wego"
    assert fold("성남FC") == "성남fc"


def test_bigram_text_is_the_tokens_joined_by_spaces() -> None:
    assert KIWI.bigram_text("성남시가 WeGO") == "성남 남시 시가 wego"


def test_morpheme_text_keeps_content_words_and_drops_particles() -> None:
    assert KIWI.morpheme_texts(["성남시는 드론을 띄웠다"])[0].split()[:2] == ["성남시", "드론"]


@given(st.text(max_size=300))
def test_every_token_is_a_pair_single_character_or_latin_run(text: str) -> None:
    for token in bigrams(text):
        assert CJK_TOKEN.fullmatch(token) or LATIN_TOKEN.fullmatch(token), token


# --- query words with Kiwi -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "text", "morphemes"),
    [
        ("성남시는", "성남시", ("성남시",)),
        ("성남시가", "성남시", ("성남시",)),
        ("성남시의", "성남시", ("성남시",)),
        ("드론을", "드론", ("드론",)),
        ("드론으로", "드론", ("드론",)),
        ("교통정보센터는", "교통정보센터", ("교통", "정보", "센터")),
        ("청년들이", "청년", ("청년",)),
        ("WeGO", "wego", ("wego",)),
    ],
)
def test_kiwi_strips_particles_from_a_query_word(
    word: str, text: str, morphemes: tuple[str, ...]
) -> None:
    analysed = KIWI.query_word(word)

    assert analysed is not None
    assert analysed.text == text
    assert analysed.morphemes == morphemes
    assert analysed.raw == fold(word)


def test_kiwi_offsets_survive_characters_outside_the_basic_plane() -> None:
    analysed = KIWI.query_word("🙂🙂성남시는")

    assert analysed is not None
    assert analysed.text == "성남시"


def test_a_full_width_query_word_still_reads_as_latin() -> None:
    analysed = KIWI.query_word("ＷｅＧＯ")

    assert analysed is not None
    assert analysed.text == "wego"


# --- query words without Kiwi --------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "text"),
    [
        ("성남시는", "성남시"),
        ("성남시가", "성남시"),
        ("성남시의", "성남시"),
        ("드론을", "드론"),
        ("드론으로", "드론"),
        ("교통정보센터는", "교통정보센터"),
        ("성남시에서는", "성남시"),  # the longest particle goes first
        ("청년들이", "청년들"),  # one particle is cut; 들 is a suffix, not a particle
        ("WeGO는", "wego"),
        ("국가", "국가"),  # two syllables stay whole even when the last looks like a particle
        ("고도", "고도"),
        ("2023년", "2023년"),
    ],
)
def test_without_kiwi_a_known_particle_is_cut_from_the_end(word: str, text: str) -> None:
    analysed = PLAIN.query_word(word)

    assert analysed is not None
    assert analysed.text == text
    assert analysed.morphemes == ()


@pytest.mark.parametrize("analyzer", [KIWI, PLAIN], ids=["kiwi", "bigrams-only"])
@pytest.mark.parametrize("word", ["🙂", "...", "!!!", "「」", "—", "\x00\x01", "", "ㅋㅋ"])
def test_a_word_with_nothing_searchable_gives_none(analyzer: Analyzer, word: str) -> None:
    assert analyzer.query_word(word) is None


@given(st.text(max_size=40))
def test_a_query_word_never_raises_and_keeps_only_searchable_morphemes(word: str) -> None:
    analysed = KIWI.query_word(word)

    if analysed is not None:
        assert all(
            CJK_TOKEN.fullmatch(t) or LATIN_TOKEN.fullmatch(t) for t in bigrams(analysed.text)
        )
        for morpheme in analysed.morphemes:
            assert MORPHEME.fullmatch(morpheme), morpheme


# --- when Kiwi cannot load -----------------------------------------------------------------


def test_without_kiwi_search_still_works_and_the_log_says_so_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, "kiwipiepy", None)  # the import fails
    analyzer = Analyzer(KiwiMorphemes())

    with caplog.at_level(logging.WARNING, logger="newsbot.text.analyzer"):
        first = analyzer.query_word("성남시는")
        second = analyzer.query_word("드론을")

    assert analyzer.source.available is False
    assert first is not None and first.text == "성남시" and first.morphemes == ()
    assert second is not None and second.text == "드론"
    assert analyzer.morpheme_texts(["성남시는"]) == [""]
    warnings = [r for r in caplog.records if "bigrams alone" in r.getMessage()]
    assert len(warnings) == 1


def test_the_default_analyzer_is_one_per_process() -> None:
    assert default_analyzer() is default_analyzer()
