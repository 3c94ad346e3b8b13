"""Importing files: CMS exports (NDJSON/JSON), RSS/Atom documents, and daily view counts.

Files are read in batches so a large export needs little memory and a broken line costs only
itself: each rejected line or item is reported with its line number and the reason.
"""

from __future__ import annotations

import asyncio
import csv
import enum
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from newsbot.clock import Clock
from newsbot.errors import InputError
from newsbot.ingest.drafts import Problem
from newsbot.ingest.feeds import parse_feed
from newsbot.ingest.records import record_to_draft
from newsbot.ingest.urls import canonical_url
from newsbot.store.articles import Outcome, store_drafts
from newsbot.store.drafts import ArticleDraft
from newsbot.store.search_index import OPTIMIZE_AFTER, optimize
from newsbot.store.views import ViewCount, find_article_ids, store_view_counts

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
        await _store(sessions, batch.drafts, report, clock)
        if progress:
            progress(size)
        return report
    records = _ndjson_records(path, progress) if fmt is Format.NDJSON else _json_records(path)
    assumed_zone = 0
    pending: list[ArticleDraft] = []
    for where, raw in records:
        if isinstance(raw, Problem):
            report.problems.append(raw)
            continue
        try:
            draft, assumed = record_to_draft(raw, zone=zone)
        except InputError as exc:
            report.problems.append(Problem(where, str(exc)))
            continue
        assumed_zone += assumed
        pending.append(draft)
        if len(pending) >= BATCH_SIZE:
            await _store(sessions, pending, report, clock)
            pending = []
    await _store(sessions, pending, report, clock)
    if fmt is Format.JSON and progress:
        progress(size)
    written = sum(report.counts[o] for o in (Outcome.NEW, Outcome.CORRECTED, Outcome.UPDATED))
    if written >= OPTIMIZE_AFTER:  # a big import leaves the search index fragmented
        async with sessions() as session:
            await optimize(session)
    if assumed_zone:
        report.notes.append(f"{assumed_zone} record(s) had dates without an offset: read as {zone}")
    return report


async def _store(
    sessions: async_sessionmaker[AsyncSession],
    drafts: list[ArticleDraft],
    report: ImportReport,
    clock: Clock,
) -> None:
    if not drafts:
        return
    async with sessions() as session:
        for stored in await store_drafts(session, drafts, now=clock.now()):
            report.counts[stored.outcome] += 1
        await session.commit()


def _ndjson_records(path: Path, progress: Progress | None) -> Iterator[tuple[str, Any]]:
    read = 0
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            read += len(line)
            if progress and number % 200 == 0:
                progress(read)
            where = f"line {number}"
            stripped = line.strip()
            if number == 1:
                stripped = stripped.removeprefix(b"\xef\xbb\xbf")
            if not stripped:
                continue
            try:
                yield where, json.loads(stripped.decode("utf-8"))
            except UnicodeDecodeError:
                yield where, Problem(where, "not UTF-8 text")
            except json.JSONDecodeError as exc:
                yield where, Problem(where, f"not JSON: {exc.msg} at column {exc.colno}")
    if progress:
        progress(read)


def _json_records(path: Path) -> Iterator[tuple[str, Any]]:
    try:
        document = json.loads(path.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise InputError(f"{path} is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{path} is not JSON: {exc.msg} at line {exc.lineno}") from None
    if isinstance(document, dict) and isinstance(document.get("articles"), list):
        document = document["articles"]
    if not isinstance(document, list):
        raise InputError(f'{path}: expected a JSON array of articles or {{"articles": [...]}}')
    for index, item in enumerate(document):
        yield f"record {index + 1}", item


# --- view counts -------------------------------------------------------------------------


@dataclass(slots=True)
class ViewsReport:
    stored: int = 0
    problems: list[Problem] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _ViewRow:
    where: str
    url: str | None
    guid: str | None
    day: date
    views: int


_KEY_COLUMNS = {"url": "url", "link": "url", "guid": "guid", "id": "guid", "article": "ref"}
_DAY_COLUMNS = ("date", "day")
_VIEW_COLUMNS = ("views", "count", "pageviews")


def _view_row(where: str, raw: dict[str, Any]) -> _ViewRow:
    fields = {str(k).strip().lower(): v for k, v in raw.items() if k is not None}
    url = guid = None
    for column, kind in _KEY_COLUMNS.items():
        value = str(fields.get(column) or "").strip()
        if not value:
            continue
        if kind == "ref":
            kind = "url" if value.startswith(("http://", "https://")) else "guid"
        if kind == "url" and url is None:
            url = canonical_url(value)
        elif kind == "guid" and guid is None:
            guid = value
    if url is None and guid is None:
        raise InputError("no article url or guid")
    day_text = next((str(fields[c]).strip() for c in _DAY_COLUMNS if fields.get(c)), "")
    try:
        day = date.fromisoformat(day_text[:10])
    except ValueError:
        raise InputError(f"date {day_text!r} is not YYYY-MM-DD") from None
    views_text = next(
        (str(fields[c]).strip() for c in _VIEW_COLUMNS if fields.get(c) is not None), ""
    )
    try:
        views = int(views_text.replace(",", ""))
    except ValueError:
        raise InputError(f"views {views_text!r} is not a whole number") from None
    if views < 0:
        raise InputError(f"views {views} is negative")
    return _ViewRow(where, url, guid, day, views)


def _view_records(path: Path) -> Iterator[tuple[str, dict[str, Any] | Problem]]:
    head = _read_head(path)
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if path.suffix.lower() in (".ndjson", ".jsonl", ".json") or start in (b"{", b"["):
        yield from (
            (where, raw if isinstance(raw, (dict, Problem)) else Problem(where, "not an object"))
            for where, raw in _ndjson_records(path, None)
        )
        return
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{path} is not UTF-8 text") from None
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or not {f.strip().lower() for f in reader.fieldnames} & set(
        _VIEW_COLUMNS
    ):
        raise InputError(f"{path}: expected a CSV header with url or guid, date, views")
    for row in reader:
        yield f"line {reader.line_num}", row


async def import_views(sessions: async_sessionmaker[AsyncSession], path: Path) -> ViewsReport:
    report = ViewsReport()
    rows: list[_ViewRow] = []
    for where, raw in _view_records(path):
        if isinstance(raw, Problem):
            report.problems.append(raw)
            continue
        try:
            rows.append(_view_row(where, raw))
        except InputError as exc:
            report.problems.append(Problem(where, str(exc)))
    for start in range(0, len(rows), BATCH_SIZE):
        chunk = rows[start : start + BATCH_SIZE]
        async with sessions() as session:
            by_url, by_guid = await find_article_ids(
                session,
                urls=[r.url for r in chunk if r.url],
                guids=[r.guid for r in chunk if r.guid],
            )
            counts = []
            for row in chunk:
                ident = (by_url.get(row.url) if row.url else None) or (
                    by_guid.get(row.guid) if row.guid else None
                )
                if ident is None:
                    report.problems.append(
                        Problem(row.where, f"no stored article for {row.url or row.guid}")
                    )
                    continue
                counts.append(ViewCount(ident, row.day, row.views))
            await store_view_counts(session, counts)
            await session.commit()
            report.stored += len(counts)
    return report
