"""Daily view counts behind "most viewed", the digest and /top: from a file
(`newsbot views import`) or decoded rows (the CMS push API's ``POST /api/views``).

A row names its article by url or guid (``article`` may hold either), a day and a count:

    {"url": "https://…/articleView.html?idxno=1001", "date": "2026-11-22", "views": 1234}

A count for a day that is already stored replaces it, so sending a day again during the day
brings it up to date and sending it twice changes nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from newsbot.errors import InputError
from newsbot.ingest.drafts import Problem
from newsbot.ingest.payloads import TOO_DEEP, VIEW_COLUMNS, Record, table_records
from newsbot.ingest.urls import canonical_url
from newsbot.store.views import ViewCount, find_article_ids, store_view_counts

BATCH_SIZE = 500
# article_views.views is an Integer column: 32 bits on PostgreSQL (64 on SQLite). One limit
# for both stores, so a row refused on one is refused on the other, and never a database error.
MAX_VIEWS = 2**31 - 1


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
        (str(fields[c]).strip() for c in VIEW_COLUMNS if fields.get(c) is not None), ""
    )
    try:
        views = int(views_text.replace(",", ""))
    except ValueError:
        raise InputError(f"views {views_text!r} is not a whole number") from None
    if views < 0:
        raise InputError(f"views {views} is negative")
    if views > MAX_VIEWS:
        raise InputError(f"views {views} is over {MAX_VIEWS}, the most a day's count can be")
    return _ViewRow(where, url, guid, day, views)


async def import_views(sessions: async_sessionmaker[AsyncSession], path: Path) -> ViewsReport:
    """`newsbot views import`: a CSV, NDJSON or JSON file of daily counts."""
    try:
        data = await asyncio.to_thread(path.read_bytes)
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    return await store_views(sessions, table_records(data, str(path)))


async def store_views(
    sessions: async_sessionmaker[AsyncSession], records: Iterable[Record]
) -> ViewsReport:
    """Validate decoded rows and store each day's count (a day stored before is replaced),
    in batches; a row naming no stored article is a problem, not an error."""
    report = ViewsReport()
    rows: list[_ViewRow] = []
    for where, raw in records:
        if isinstance(raw, Problem):
            report.problems.append(raw)
            continue
        if not isinstance(raw, dict):
            report.problems.append(Problem(where, "not an object"))
            continue
        try:
            rows.append(_view_row(where, raw))
        except InputError as exc:
            report.problems.append(Problem(where, str(exc)))
        except RecursionError:  # a value nested too deeply to be turned into text
            report.problems.append(Problem(where, TOO_DEEP))
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
