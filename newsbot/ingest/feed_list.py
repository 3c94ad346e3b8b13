"""A list of feeds (from OPML) into the store, all or nothing, and the store's feeds out.

Import adds what is new in one session the caller commits, so a failure anywhere leaves the
store as it was. A feed already present, by its canonical URL (case of scheme and host,
default port, fragment and tracking parameters do not make another feed), or listed twice,
is counted and left alone. Categories become sections; one the store does not know yet (no
article or feed has it) is refused unless the operator says new sections are expected: a
typo (``겅제`` for ``경제``) would otherwise make a section nobody subscribes to, silently.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from newsbot.errors import InputError
from newsbot.ingest.opml import OpmlFeed
from newsbot.ingest.urls import canonical_url
from newsbot.store import feeds as feed_store
from newsbot.store.sections import all_sections


@dataclass(slots=True)
class FeedsImported:
    added: list[tuple[int, OpmlFeed]] = field(default_factory=list)  # (feed id, feed)
    present: list[tuple[int, OpmlFeed]] = field(default_factory=list)  # already in the store
    repeated: list[OpmlFeed] = field(default_factory=list)  # listed twice in the file
    new_sections: list[str] = field(default_factory=list)


def _key(url: str) -> str:
    """The URL two listings of one feed share (a stored URL that is no longer usable is
    compared as it is)."""
    try:
        return canonical_url(url)
    except InputError:
        return url


async def add_feed(
    session: AsyncSession, url: str, *, section: str | None, interval: int, now: datetime
) -> int:
    """``newsbot feeds add``: refused when the store has the feed under another spelling of
    its URL (``HTTPS://News.Example.kr/rss`` is ``https://news.example.kr/rss``), as an import
    would count it present."""
    key = _key(url)
    for feed in await feed_store.list_feeds(session):
        if _key(feed.url) == key:
            raise InputError(f"feed already added as id {feed.id}: {feed.url}")
    added = await feed_store.add_feed(session, url, section=section, interval=interval, now=now)
    return added.id


async def known_sections(session: AsyncSession) -> set[str]:
    """Sections the store knows: those its articles carry and those its feeds give."""
    feeds = await feed_store.list_feeds(session)
    return await all_sections(session) | {f.section for f in feeds if f.section}


async def import_feeds(
    session: AsyncSession,
    feeds: Sequence[OpmlFeed],
    *,
    default_interval: int,
    now: datetime,
    allow_new_sections: bool = False,
) -> FeedsImported:
    """Add ``feeds`` that are not in the store yet; nothing is committed (the caller does)."""
    result = FeedsImported()
    stored = {_key(f.url): f.id for f in await feed_store.list_feeds(session)}
    seen: set[str] = set()
    wanted: list[OpmlFeed] = []
    for feed in feeds:
        key = _key(feed.url)
        if key in stored:
            result.present.append((stored[key], feed))
        elif key in seen:
            result.repeated.append(feed)
        else:
            seen.add(key)
            wanted.append(feed)
    known = await known_sections(session)
    unknown = sorted({f.category for f in wanted if f.category and f.category not in known})
    if unknown and not allow_new_sections:
        listed = ", ".join(sorted(known)) or "none yet"
        raise InputError(
            f"categories that are not sections in this store: {', '.join(unknown)} "
            f"(known: {listed}); fix them in the file, or pass --new-sections to create them"
        )
    result.new_sections = unknown
    for feed in wanted:
        added = await feed_store.add_feed(
            session,
            feed.url,
            section=feed.category,
            interval=feed.interval or default_interval,
            now=now,
        )
        added.title = feed.title
        result.added.append((added.id, feed))
    await session.flush()
    return result


async def stored_feeds(session: AsyncSession) -> list[OpmlFeed]:
    """Every feed in the store, as OPML describes it."""
    return [
        OpmlFeed(url=f.url, title=f.title, category=f.section, interval=f.interval_seconds)
        for f in await feed_store.list_feeds(session)
    ]
