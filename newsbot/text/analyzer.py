"""One analyzer for Korean and mixed text, used to index articles and to read queries.

Two token streams per text (../shared/design/KOREAN-SEARCH.md has the measurements):

* ``bigrams``: every run of Hangul (or Han) characters as overlapping two-character tokens,
  a lone character as itself; Latin and digit runs whole, NFKC-folded and lower-cased. This
  is what finds ``드론`` inside ``드론전문의용소방대`` and ``성남시`` inside ``성남시는``.
* ``morphemes``: content morphemes from Kiwi (nouns, roots, foreign words, numbers, verb and
  adjective stems, adverbs), lower-cased. They rank a true ``성남시`` above a bigram accident
  such as ``장관`` inside ``전통시장관리``, and they strip particles from query words.

Kiwi's model is large and slow to load, so it loads once, lazily, without its optional
dictionaries (255 MB instead of 514 MB resident, equal recall in the measurements). If it
cannot load, everything still works on bigrams alone and the log says so once.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

log = logging.getLogger(__name__)

# Hangul syllables and compatibility jamo, CJK ideographs; Latin letters and digits.
_RUNS = re.compile(r"[\uac00-\ud7a3\u3131-\u318e\u4e00-\u9fff\uf900-\ufaff]+|[a-z0-9]+")
_CONTENT_TAGS = frozenset(
    {
        "NNG",
        "NNP",
        "NR",
        "NP",
        "SL",
        "SN",
        "SH",
        "XR",
        "MAG",
        "VV",
        "VA",
        "VV-R",
        "VA-R",
        "VV-I",
        "VA-I",
        "W_HASHTAG",
    }
)


_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def strip_controls(text: str) -> str:
    """Control characters and lone surrogates: nothing to search, and poison for C code."""
    return _CONTROLS.sub("", text)


def fold(text: str) -> str:
    """NFKC (full-width Latin, compatibility forms) and lower case."""
    return unicodedata.normalize("NFKC", text).lower()


def bigrams(text: str) -> list[str]:
    """Hangul runs as overlapping pairs; Latin and digit runs whole.

    A Hangul run written right after digits also gives its first syllable alone, the
    counter: "2023년부터" → 2023 년 년부 부터, so the query 2023년 finds it, not 2023학년도.
    """
    tokens: list[str] = []
    folded = fold(text)
    for match in _RUNS.finditer(folded):
        run = match.group()
        if run.isascii() or len(run) == 1:
            tokens.append(run)
            continue
        start = match.start()
        if start > 0 and folded[start - 1].isdigit():
            tokens.append(run[0])
        tokens.extend(run[i : i + 2] for i in range(len(run) - 1))
    return tokens


# One Hangul syllable right after a number: a counter such as 년, 월, 명, 원, 개.
_COUNTER = re.compile(r"[\uac00-\ud7a3]")
# How much less likely (Kiwi's log score) a noun + particle reading of a one-noun query word
# may be and still be searched beside it: see KiwiMorphemes.particle_reading.
PARTICLE_MARGIN = 3.0
# Particles and endings to cut from a query word when Kiwi is not there to read it.
_PARTICLES = (
    "에서는",
    "으로는",
    "에게서",
    "까지",
    "부터",
    "에서",
    "으로",
    "에게",
    "처럼",
    "보다",
    "은",
    "는",
    "이",
    "가",
    "을",
    "를",
    "의",
    "에",
    "도",
    "와",
    "과",
    "로",
    "만",
)


@dataclass(frozen=True, slots=True)
class SecondReading:
    """How else a query word Kiwi read as one noun may be meant: that noun without a
    particle, or several nouns (a compound typed without its space)."""

    noun: str | None = None
    parts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Morpheme:
    form: str  # folded
    start: int  # offset in the analysed text
    end: int


class MorphemeSource(Protocol):
    @property
    def available(self) -> bool: ...

    def morphemes(self, texts: Sequence[str]) -> list[list[Morpheme]]: ...

    def second_reading(self, word: str) -> SecondReading | None:
        """Another reading of a word read as one noun, when it is nearly as likely (see
        KiwiMorphemes.second_reading); None otherwise."""
        ...


class KiwiMorphemes:
    """Kiwi behind a lock: one model per process, loaded on first use.

    Indexing analyses on worker threads while searches analyse on the event loop, and
    kiwipiepy documents no thread safety for one ``Kiwi`` shared by threads: one call at a
    time (a search waits for at most one indexing batch of titles)."""

    def __init__(self) -> None:
        self._kiwi: Any = None
        self._failed = False
        self.error: str | None = None  # why Kiwi did not load, for `newsbot doctor`
        self._lock = threading.Lock()
        self._calls = threading.Lock()  # one tokenize at a time

    def _load(self) -> Any:
        with self._lock:
            if self._kiwi is None and not self._failed:
                try:
                    from kiwipiepy import Kiwi

                    self._kiwi = Kiwi(
                        num_workers=2,
                        load_default_dict=False,
                        load_typo_dict=False,
                        load_multi_dict=False,
                    )
                except Exception as exc:  # missing package, unreadable model, no memory
                    self._failed = True
                    self.error = f"{type(exc).__name__}: {exc}"
                    log.warning("Korean analyzer unavailable, searching on bigrams alone: %s", exc)
            return self._kiwi

    @property
    def available(self) -> bool:
        return self._load() is not None

    @property
    def state(self) -> str:
        """ "kiwi" once loaded, "bigrams" if it could not be, "not loaded yet" before first
        use. Asking never loads it (a health check must not take seconds and 255 MB)."""
        if self._kiwi is not None:
            return "kiwi"
        return "bigrams" if self._failed else "not loaded yet"

    def morphemes(self, texts: Sequence[str]) -> list[list[Morpheme]]:
        kiwi = self._load()
        if kiwi is None or not texts:
            return [[] for _ in texts]
        with self._calls:
            results = list(kiwi.tokenize(list(texts)))  # lazy: finish it under the lock
        return [
            [
                Morpheme(fold(token.form), token.start, token.start + token.len)
                for token in tokens
                if token.tag in _CONTENT_TAGS
            ]
            for tokens in results
        ]

    def second_reading(self, word: str) -> SecondReading | None:
        """Kiwi reads a name or compound it does not know as one noun, and the reading a
        reader meant comes close behind; a word Kiwi knows keeps a wide margin (log scores):

        - a particle on it: 미추홀구의 as one noun, 미추홀구 + 의 1.9 behind (고양이 over
          고양 + 이: 4.7; 어린이 6.3; 호랑이 6.6);
        - a compound typed without its space: 자율주행셔틀 as one noun, 자율 + 주행 + 셔틀
          0.7 behind (articles write 자율주행 셔틀).

        Within PARTICLE_MARGIN that reading is searched too."""
        kiwi = self._load()
        if kiwi is None:
            return None
        with self._calls:
            readings = kiwi.analyze(word, top_n=3)
        if not readings:
            return None
        best = readings[0][1]
        for tokens, score in readings[1:]:
            if best - score > PARTICLE_MARGIN:
                break
            nouns = [t for t in tokens if t.tag in ("NNG", "NNP")]
            if not nouns or tokens[0].start != 0:
                continue
            if len(tokens) == 2 and len(nouns) == 1 and tokens[1].tag.startswith("J"):
                if len(tokens[0].form) >= 2:
                    return SecondReading(noun=fold(str(tokens[0].form)))
            elif len(nouns) == len(tokens) > 1:
                return SecondReading(parts=tuple(fold(str(t.form)) for t in tokens))
        return None


class NoMorphemes:
    """The analyzer without Kiwi: bigrams only (the fallback, and its tests)."""

    available = False

    def morphemes(self, texts: Sequence[str]) -> list[list[Morpheme]]:
        return [[] for _ in texts]

    def second_reading(self, word: str) -> SecondReading | None:
        return None  # without Kiwi, query_word cuts particles by list already


@dataclass(frozen=True, slots=True)
class QueryWord:
    """One word of a query, read the way the index was written."""

    text: str  # the word without particles, folded: its bigrams must appear in order
    morphemes: tuple[str, ...]  # its content morphemes: all must appear
    raw: str  # the word as typed, folded
    noun: str | None = None  # another reading: a noun Kiwi did not cut a particle from


class Analyzer:
    def __init__(self, source: MorphemeSource | None = None) -> None:
        self.source: MorphemeSource = source or KiwiMorphemes()

    @property
    def state(self) -> str:
        """What finds morphemes: "kiwi", "bigrams" (none: Kiwi could not load, or is left
        out), or "not loaded yet" (Kiwi loads on first use)."""
        if isinstance(self.source, KiwiMorphemes):
            return self.source.state
        return "kiwi" if self.source.available else "bigrams"

    def bigram_text(self, text: str) -> str:
        return " ".join(bigrams(text))

    def morpheme_texts(self, texts: Sequence[str]) -> list[str]:
        return [
            " ".join(m.form for m in found if _RUNS.fullmatch(m.form))
            for found in self.source.morphemes([strip_controls(t) for t in texts])
        ]

    def query_word(self, word: str) -> QueryWord | None:
        """성남시는 → text 성남시, morphemes (성남시,); None when nothing searchable is left."""
        word = strip_controls(word)
        raw = fold(word)
        if not _RUNS.search(raw):
            return None
        [found] = self.source.morphemes([word])
        kept = [m for m in found if _RUNS.fullmatch(m.form)]
        if not kept:
            return QueryWord(text=_cut_particle(raw), morphemes=(), raw=raw)
        end = kept[-1].end
        counter = _COUNTER.match(word, end) if kept[-1].form.isdigit() else None
        if counter:
            # 2023년: the counter is part of what was asked, and Kiwi drops it as a bound
            # noun; keep it in the bigram phrase and let only that phrase match.
            return QueryWord(text=fold(word[kept[0].start : counter.end()]), morphemes=(), raw=raw)
        text = fold(word[kept[0].start : end])
        morphemes = tuple(m.form for m in kept)
        noun = None
        if len(kept) == 1 and kept[0].start == 0 and end == len(word):
            second = self.source.second_reading(word)
            if second is not None and second.noun:
                noun = second.noun  # 미추홀구의: also 미추홀구
            elif second is not None:
                morphemes = second.parts  # 자율주행셔틀: all of 자율, 주행, 셔틀
        return QueryWord(text=text, morphemes=morphemes, raw=raw, noun=noun)


def _cut_particle(word: str) -> str:
    for particle in _PARTICLES:
        if word.endswith(particle) and len(word) - len(particle) >= 2:
            return word[: -len(particle)]
    return word


_DEFAULT: Analyzer | None = None
_DEFAULT_LOCK = threading.Lock()


def default_analyzer() -> Analyzer:
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is None:
            _DEFAULT = Analyzer()
        return _DEFAULT
