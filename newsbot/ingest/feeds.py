"""RSS 2.0, RSS 1.0 and Atom documents to article drafts.

feedparser does the format work on bytes we fetched ourselves (so timeouts, size caps and
charsets stay under our control). Each item is converted on its own: a broken item becomes a
Problem and the others go on.
"""

from __future__ import annotations

import calendar
import re
import time
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import feedparser

from newsbot.errors import InputError
from newsbot.ingest.charset import as_utf8_xml, decode_feed
from newsbot.ingest.drafts import Batch, Problem
from newsbot.ingest.urls import canonical_url, site_of
from newsbot.store.drafts import ArticleDraft
from newsbot.store.models import DateSource
from newsbot.text.bylines import strip_bylines
from newsbot.text.html import html_to_text, one_line

BREAKING_MARKERS = ("[속보]", "[긴급]", "<속보>", "【속보】", "속보:")
# "R&D", "Q&A": a bare '&' makes the XML ill-formed, and feedparser's lenient parser then
# turns "&D" into "&D;". Escaping it first keeps the text as written.
_BARE_AMPERSAND = re.compile(rb"&(?!#\d+;|#x[0-9a-fA-F]+;|[A-Za-z][A-Za-z0-9]*;)")


KST = ZoneInfo("Asia/Seoul")
# A date that ends in an offset or a zone feedparser knows is trusted as parsed.
_HAS_OFFSET = re.compile(r"(?:[+-]\d{2}:?\d{2}|Z|GMT|UTC?|[ECMP][SD]T)\s*$", re.IGNORECASE)
_KST_SUFFIX = re.compile(r"\bKST\s*$", re.IGNORECASE)
# Korean CMS formats feedparser misreads ("2026.11.10 09:00" becomes 1 November).
_LOCAL_DATE = re.compile(
    r"^\s*(\d{4})[-./](\d{1,2})[-./](\d{1,2})\.?(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?\s*$"
)


def _when(
    parsed: time.struct_time | None, raw: str | None, zone: ZoneInfo
) -> tuple[datetime | None, bool]:
    """The moment a feed date names, and whether its zone had to be assumed.

    feedparser reads a date without an offset as UTC; Korean feeds mean local time by it
    (and "KST" is not a zone feedparser knows), which would put articles nine hours off.
    """
    text = (raw or "").strip()
    if match := _LOCAL_DATE.match(text):
        year, month, day, hour, minute, second = (int(g) if g else 0 for g in match.groups())
        try:
            local = datetime(year, month, day, hour, minute, second, tzinfo=zone)
        except ValueError:
            return None, False
        return local.astimezone(UTC), True
    if not parsed:
        return None, False
    try:
        moment = datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
    except (OverflowError, ValueError, OSError):
        return None, False
    if not text or _HAS_OFFSET.search(text):
        return moment, False
    wall_clock = moment.replace(tzinfo=None)
    if _KST_SUFFIX.search(text):
        return wall_clock.replace(tzinfo=KST).astimezone(UTC), False
    return wall_clock.replace(tzinfo=zone).astimezone(UTC), True


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


def _author(entry: Any) -> str:
    """The author's name: RSS writes "hong@example.kr (홍길동)", which is no name to show."""
    detail = entry.get("author_detail") or {}
    name = one_line(html_to_text(detail.get("name") or ""))
    if name:
        return name
    written = one_line(html_to_text(entry.get("author")))
    return "" if "@" in written else written


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
    zone: ZoneInfo = KST,
) -> Batch:
    """Parse a feed document. Raises InputError when the bytes are not a feed at all.

    ``zone`` is the newsroom's: dates written without an offset are read in it.
    """
    decoded = decode_feed(data, content_type)
    parsed = feedparser.parse(
        _BARE_AMPERSAND.sub(b"&amp;", as_utf8_xml(decoded)),
        response_headers={"content-type": "application/xml; charset=utf-8"},
        sanitize_html=False,
        resolve_relative_uris=False,
    )
    if not parsed.entries and (parsed.bozo or not parsed.get("version")):
        reason = parsed.get("bozo_exception") or "no RSS or Atom items"
        raise InputError(f"not a usable feed: {str(reason).splitlines()[0]}")
    batch = Batch()
    if parsed.bozo:
        batch.notes.append(f"feed is not well-formed, read leniently: {parsed.bozo_exception}")
    # Relative item links are resolved against the channel's own link (the site), or the
    # feed's address when the channel names none.
    channel_link = str(parsed.feed.get("link") or "")
    base = channel_link if channel_link.startswith(("http://", "https://")) else feed_url
    feed_date, _ = _when(
        parsed.feed.get("updated_parsed") or parsed.feed.get("published_parsed"),
        parsed.feed.get("updated") or parsed.feed.get("published"),
        zone,
    )
    estimated = {DateSource.FEED: 0, DateSource.FETCHED: 0}
    assumed_zone = 0
    for index, entry in enumerate(parsed.entries):
        try:
            draft, assumed = _draft(
                entry,
                feed_url=feed_url,
                base=base,
                section=section,
                feed_date=feed_date,
                fetched_at=fetched_at,
                zone=zone,
            )
        except InputError as exc:
            batch.problems.append(Problem(_label(index, entry), str(exc)))
            continue
        except Exception as exc:  # one strange item must not cost the others
            batch.problems.append(Problem(_label(index, entry), f"unreadable item: {exc!r}"))
            continue
        if draft.date_source in estimated:
            estimated[draft.date_source] += 1
        assumed_zone += assumed
        batch.drafts.append(draft)
    if estimated[DateSource.FEED]:
        batch.notes.append(f"{estimated[DateSource.FEED]} item(s) had no date: used the feed's")
    if estimated[DateSource.FETCHED]:
        batch.notes.append(
            f"{estimated[DateSource.FETCHED]} item(s) had no date: used the fetch time"
        )
    if assumed_zone:
        batch.notes.append(f"{assumed_zone} item(s) had dates without an offset: read as {zone}")
    return batch


def _draft(
    entry: Any,
    *,
    feed_url: str,
    base: str,
    section: str | None,
    feed_date: datetime | None,
    fetched_at: datetime,
    zone: ZoneInfo,
) -> tuple[ArticleDraft, bool]:
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
    published, assumed = _when(entry.get("published_parsed"), entry.get("published"), zone)
    updated, assumed_updated = _when(entry.get("updated_parsed"), entry.get("updated"), zone)
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
    author = _author(entry) or cleaned.reporter
    tags = entry.get("tags") or []
    category = one_line(tags[0].get("term") or "") if tags else ""
    is_breaking = title.startswith(BREAKING_MARKERS)
    draft = ArticleDraft(
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
    return draft, (assumed or assumed_updated) and date_source is DateSource.ITEM
