"""Importing articles: CMS exports (NDJSON/JSON) and RSS/Atom documents, from files or from
records already decoded (the CMS push API); view counts are ``newsbot.ingest.view_counts``.

Files are read in batches so a large export needs little memory and a broken line costs only
itself: each rejected line or item is reported with its line number and the reason.

Drafting (validation, HTML to text) is CPU work and runs on a worker thread, a batch at a
time, so the event loop (the CMS push API shares it with /healthz and the dispatchers) stays
free. Compacting the search index after a big import is for `newsbot import`
(``import_articles``) only: a request to the API never pays for it.
"""

from __future__ import annotations

import asyncio
import enum
import itertools
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from newsbot.clock import Clock
from newsbot.errors import InputError
from newsbot.ingest.drafts import Problem
from newsbot.ingest.feeds import parse_feed
from newsbot.ingest.payloads import (
    TOO_DEEP,
    Record,
    decode_document,
    document_records,
    ndjson_records,
)
from newsbot.ingest.records import record_to_draft
from newsbot.store.articles import Outcome, store_drafts
from newsbot.store.drafts import ArticleDraft
from newsbot.store.search_index import OPTIMIZE_AFTER, optimize
from newsbot.text.analyzer import Analyzer

BATCH_SIZE = 500
Progress = Callable[[int], None]  # called with the number of bytes read so far


class Format(enum.StrEnum):
    AUTO = "auto"
    RSS = "rss"
    ATOM = "atom"
    NDJSON = "ndjson"
    JSON = "json"


@dataclass(slots=True)
class ImportReport:
    counts: dict[Outcome, int] = field(default_factory=lambda: dict.fromkeys(Outcome, 0))
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def updated(self) -> int:
        return self.counts[Outcome.UPDATED] + self.counts[Outcome.CORRECTED]

    @property
    def written(self) -> int:
        """Articles whose row and search document were written (not unchanged ones)."""
        return self.counts[Outcome.NEW] + self.updated


def detect_format(path: Path, head: bytes) -> Format:
    suffix = path.suffix.lower()
    if suffix in (".ndjson", ".jsonl"):
        return Format.NDJSON
    if suffix in (".xml", ".rss", ".rdf"):
        return Format.RSS
    if suffix == ".atom":
        return Format.ATOM
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if start == b"<":
        return Format.RSS
    if start == b"[":
        return Format.JSON
    if start == b"{":
        return _object_or_lines(head.lstrip(b"\xef\xbb\xbf \t\r\n"))
    if suffix == ".json":
        return Format.JSON
    raise InputError(f"cannot tell the format of {path}: use --format")


def _object_or_lines(head: bytes) -> Format:
    """One object per line (NDJSON), or one JSON document that starts with '{'?"""
    first_line, newline, _ = head.partition(b"\n")
    if first_line.lstrip().startswith(b'{"articles"'):
        return Format.JSON  # {"articles": [...]} written on one line
    try:
        json.loads(first_line)
    except ValueError:
        # A cut-off first line (longer than the head) is one long record; a short line that
        # does not parse ("{" alone) starts a pretty-printed document.
        return Format.NDJSON if not newline and len(first_line) > 1 else Format.JSON
    return Format.NDJSON


def _read_head(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(4096)
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None


def _read_with_uri(path: Path) -> tuple[bytes, str]:
    return path.read_bytes(), path.absolute().as_uri()


async def import_articles(
    sessions: async_sessionmaker[AsyncSession],
    path: Path,
    *,
    fmt: Format = Format.AUTO,
    zone: ZoneInfo,
    clock: Clock,
    progress: Progress | None = None,
) -> ImportReport:
    head = _read_head(path)
    if fmt is Format.AUTO:
        fmt = detect_format(path, head)
    report = ImportReport()
    size = (await asyncio.to_thread(path.stat)).st_size
    if fmt in (Format.RSS, Format.ATOM):
        data, uri = await asyncio.to_thread(_read_with_uri, path)
        batch = parse_feed(data, feed_url=uri, fetched_at=clock.now(), zone=zone)
        report.problems.extend(batch.problems)
        report.notes.extend(batch.notes)
        await _store(sessions, batch.drafts, report, clock, None)
        if progress:
            progress(size)
    else:
        records = _ndjson_records(path, progress) if fmt is Format.NDJSON else _json_records(path)
        await import_records(sessions, records, zone=zone, clock=clock, report=report)
        if fmt is Format.JSON and progress:
            progress(size)
    if report.written >= OPTIMIZE_AFTER:  # a big import leaves the search index fragmented
        async with sessions() as session:
            await optimize(session)
    return report


async def import_records(
    sessions: async_sessionmaker[AsyncSession],
    records: Iterable[Record],
    *,
    zone: ZoneInfo,
    clock: Clock,
    report: ImportReport | None = None,
    analyzer: Analyzer | None = None,
) -> ImportReport:
    """Validate and store decoded records (``newsbot.ingest.payloads``) in batches: the one
    path for a file, an HTTP body or anything else that yields the CMS schema. Each batch is
    drafted on a worker thread and stored (and indexed) in its own transaction."""
    report = report or ImportReport()
    assumed_zone = 0
    remaining = iter(records)
    while batch := list(itertools.islice(remaining, BATCH_SIZE)):
        drafts, problems, assumed = await asyncio.to_thread(_drafts, batch, zone)
        report.problems.extend(problems)
        assumed_zone += assumed
        await _store(sessions, drafts, report, clock, analyzer)
    if assumed_zone:
        report.notes.append(f"{assumed_zone} record(s) had dates without an offset: read as {zone}")
    return report


def _drafts(records: list[Record], zone: ZoneInfo) -> tuple[list[ArticleDraft], list[Problem], int]:
    """(drafts, problems, how many dates were read in ``zone``); pure, so any thread may."""
    drafts: list[ArticleDraft] = []
    problems: list[Problem] = []
    assumed_zone = 0
    for where, raw in records:
        if isinstance(raw, Problem):
            problems.append(raw)
            continue
        try:
            draft, assumed = record_to_draft(raw, zone=zone)
        except InputError as exc:
            problems.append(Problem(where, str(exc)))
            continue
        except RecursionError:  # a value nested too deeply to be read
            problems.append(Problem(where, TOO_DEEP))
            continue
        assumed_zone += assumed
        drafts.append(draft)
    return drafts, problems, assumed_zone


async def _store(
    sessions: async_sessionmaker[AsyncSession],
    drafts: list[ArticleDraft],
    report: ImportReport,
    clock: Clock,
    analyzer: Analyzer | None,
) -> None:
    if not drafts:
        return
    async with sessions() as session:
        for stored in await store_drafts(session, drafts, now=clock.now(), analyzer=analyzer):
            report.counts[stored.outcome] += 1
        await session.commit()


def _ndjson_records(path: Path, progress: Progress | None) -> Iterator[Record]:
    read = 0

    def lines() -> Iterator[bytes]:
        nonlocal read
        with path.open("rb") as handle:
            for number, line in enumerate(handle, start=1):
                read += len(line)
                if progress and number % 200 == 0:
                    progress(read)
                yield line

    yield from ndjson_records(lines())
    if progress:
        progress(read)


def _json_records(path: Path) -> Iterator[Record]:
    yield from document_records(decode_document(path.read_bytes(), str(path)), str(path))
