"""RSS 2.0, RSS 1.0 and Atom documents to article drafts.

feedparser does the format work on bytes we fetched ourselves (so timeouts, size caps and
charsets stay under our control). Each item is converted on its own: a broken item becomes a
Problem and the others go on.
"""

from __future__ import annotations

import calendar
import time
from datetime import UTC, datetime
from typing import Any

import feedparser

from newsbot.errors import InputError
from newsbot.ingest.charset import as_utf8_xml, decode_feed
from newsbot.ingest.drafts import ArticleDraft, Batch, Problem
from newsbot.ingest.urls import canonical_url, site_of
from newsbot.store.models import DateSource
from newsbot.text.bylines import strip_bylines
from newsbot.text.html import html_to_text, one_line

BREAKING_MARKERS = ("[속보]", "[긴급]", "<속보>", "【속보】", "속보:")


def _when(parsed: time.struct_time | None) -> datetime | None:
    if not parsed:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
    except (OverflowError, ValueError, OSError):
        return None


def _entry_image(entry: Any) -> str | None:
    for media in entry.get("media_content", []) or entry.get("media_thumbnail", []):
        if media.get("url"):
            return str(media["url"])
    for enclosure in entry.get("enclosures", []):
        if str(enclosure.get("type", "")).startswith("image/") and enclosure.get("href"):
            return str(enclosure["href"])
    return None


def _entry_body(entry: Any) -> str:
    contents = entry.get("content") or []
    return html_to_text(contents[0].get("value")) if contents else ""


def _label(index: int, entry: Any) -> str:
    ident = entry.get("id") or entry.get("link")
    return f"item {index + 1}" + (f" ({ident})" if ident else "")


def parse_feed(
    data: bytes,
    *,
    feed_url: str,
    content_type: str | None = None,
    section: str | None = None,
    fetched_at: datetime,
) -> Batch:
    """Parse a feed document. Raises InputError when the bytes are not a feed at all."""
    decoded = decode_feed(data, content_type)
    parsed = feedparser.parse(
        as_utf8_xml(decoded),
        response_headers={"content-type": "application/xml; charset=utf-8"},
        sanitize_html=False,
        resolve_relative_uris=False,
    )
    if not parsed.entries and (parsed.bozo or not parsed.version):
        reason = parsed.get("bozo_exception") or "no RSS or Atom items"
        raise InputError(f"not a usable feed: {str(reason).splitlines()[0]}")
    batch = Batch()
    if parsed.bozo:
        batch.notes.append(f"feed is not well-formed, read leniently: {parsed.bozo_exception}")
    # Relative item links are relative to the feed document; a file has no web address, so
    # there the channel's own link is the best base there is.
    base = feed_url if feed_url.startswith(("http://", "https://")) else parsed.feed.get("link")
    base = base or feed_url
    feed_date = _when(parsed.feed.get("updated_parsed") or parsed.feed.get("published_parsed"))
    estimated = {DateSource.FEED: 0, DateSource.FETCHED: 0}
    for index, entry in enumerate(parsed.entries):
        try:
            draft = _draft(
                entry,
                feed_url=feed_url,
                base=base,
                section=section,
                feed_date=feed_date,
                fetched_at=fetched_at,
            )
        except InputError as exc:
            batch.problems.append(Problem(_label(index, entry), str(exc)))
            continue
        except Exception as exc:  # one strange item must not cost the others
            batch.problems.append(Problem(_label(index, entry), f"unreadable item: {exc!r}"))
            continue
        if draft.date_source in estimated:
            estimated[draft.date_source] += 1
        batch.drafts.append(draft)
    if estimated[DateSource.FEED]:
        batch.notes.append(f"{estimated[DateSource.FEED]} item(s) had no date: used the feed's")
    if estimated[DateSource.FETCHED]:
        batch.notes.append(
            f"{estimated[DateSource.FETCHED]} item(s) had no date: used the fetch time"
        )
    return batch


def _draft(
    entry: Any,
    *,
    feed_url: str,
    base: str,
    section: str | None,
    feed_date: datetime | None,
    fetched_at: datetime,
) -> ArticleDraft:
    title = one_line(html_to_text(entry.get("title")))
    if not title:
        raise InputError("no title")
    link = entry.get("link") or ""
    guid = entry.get("id") or None
    if not link and guid and str(guid).startswith(("http://", "https://")):
        link = guid
    if not link:
        raise InputError("no link")
    url = canonical_url(link, base=base)
    published = _when(entry.get("published_parsed"))
    updated = _when(entry.get("updated_parsed"))
    date_source = DateSource.ITEM
    if published is None and updated is not None:
        published = updated
    if published is None:
        date_source = DateSource.FEED if feed_date else DateSource.FETCHED
        published = feed_date or fetched_at
    raw_lead = html_to_text(entry.get("summary"))
    body = _entry_body(entry)
    if body == raw_lead:
        body = ""
    cleaned = strip_bylines(raw_lead)
    author = one_line(html_to_text(entry.get("author"))) or cleaned.reporter
    tags = entry.get("tags") or []
    category = one_line(tags[0].get("term") or "") if tags else ""
    is_breaking = title.startswith(BREAKING_MARKERS)
    return ArticleDraft(
        source=site_of(url) or site_of(feed_url),
        guid=str(guid).strip()[:500] if guid else None,
        url=url,
        title=title,
        lead=cleaned.text,
        body=body,
        author=author or None,
        section=section or category or None,
        image_url=_entry_image(entry),
        published_at=published,
        updated_at=updated if updated and updated != published else None,
        date_source=date_source,
        is_breaking=is_breaking,
    )
