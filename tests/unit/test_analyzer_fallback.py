"""Without Kiwi, search still works on bigrams, and the operator is told once."""

from __future__ import annotations

import logging
import sys

import pytest

from newsbot.text.analyzer import Analyzer, KiwiMorphemes


def test_a_missing_model_falls_back_to_bigrams_and_logs_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, "kiwipiepy", None)  # import kiwipiepy now fails
    analyzer = Analyzer(KiwiMorphemes())

    with caplog.at_level(logging.WARNING, logger="newsbot.text.analyzer"):
        words = [analyzer.query_word(w) for w in ("성남시는", "드론을", "교통")]
        texts = analyzer.morpheme_texts(["성남시가 드론을 띄웠다"])

    assert [w.text for w in words if w] == ["성남시", "드론", "교통"]
    assert texts == [""]
    assert analyzer.bigram_text("성남시가 드론") == "성남 남시 시가 드론"
    warnings = [r for r in caplog.records if "bigrams alone" in r.getMessage()]
    assert len(warnings) == 1
    assert not analyzer.source.available
