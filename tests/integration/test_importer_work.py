"""Where the importer's CPU work runs, and what it leaves to `newsbot import`.

The CMS push API shares its event loop with /healthz, webhooks and the dispatchers: drafting
and indexing a body run on worker threads, and compacting the search index after a big
import is `newsbot import`'s job alone, never a request's.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from newsbot.app import App
from newsbot.ingest import importer
from newsbot.ingest.importer import Format, import_articles, import_records
from newsbot.ingest.records import record_to_draft
from newsbot.text.analyzer import Analyzer, Morpheme, SecondReading
from tests.builders import PUBLISHED


def record(key: int) -> dict[str, Any]:
    return {
        "url": f"https://news.example.kr/articleView.html?idxno={key}",
        "title": f"시청 소식 {key}",
        "published_at": PUBLISHED.isoformat(),
    }


class RecordingSource:
    """Morphemes for nobody, noting the thread each call came from."""

    available = True

    def __init__(self) -> None:
        self.threads: set[int] = set()

    def morphemes(self, texts: Sequence[str]) -> list[list[Morpheme]]:
        self.threads.add(threading.get_ident())
        return [[] for _ in texts]

    def second_reading(self, word: str) -> SecondReading | None:
        return None


async def test_records_are_drafted_and_indexed_off_the_event_loops_thread(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    drafting: set[int] = set()

    def noting_record_to_draft(raw: Any, **kwargs: Any) -> Any:
        drafting.add(threading.get_ident())
        return record_to_draft(raw, **kwargs)

    monkeypatch.setattr(importer, "record_to_draft", noting_record_to_draft)
    source = RecordingSource()
    records = [(f"record {n}", record(n)) for n in range(1, 4)]

    report = await import_records(
        app.sessions,
        records,
        zone=app.settings.zone,
        clock=app.clock,
        analyzer=Analyzer(source),
    )

    loop_thread = threading.get_ident()
    assert report.written == 3
    assert drafting and loop_thread not in drafting
    assert source.threads and loop_thread not in source.threads


async def test_only_newsbot_import_compacts_the_index_after_a_big_import(
    app: App, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    compacted: list[str] = []

    async def noting_optimize(session: AsyncSession) -> None:
        compacted.append("optimize")

    monkeypatch.setattr(importer, "OPTIMIZE_AFTER", 2)  # "big" for the test
    monkeypatch.setattr(importer, "optimize", noting_optimize)

    pushed = await import_records(
        app.sessions,
        [(f"record {n}", record(n)) for n in range(1, 4)],
        zone=app.settings.zone,
        clock=app.clock,
    )
    after_push = list(compacted)
    export = tmp_path / "export.ndjson"
    export.write_text("\n".join(json.dumps(record(n)) for n in range(4, 7)), encoding="utf-8")
    imported = await import_articles(
        app.sessions, export, fmt=Format.NDJSON, zone=app.settings.zone, clock=app.clock
    )

    assert (pushed.written, imported.written) == (3, 3)
    assert after_push == []  # the API's path (import_records) never compacts
    assert compacted == ["optimize"]
