"""The CMS export schema: one JSON object per article.

    {"url": "https://…/articleView.html?idxno=1001",        required, absolute http(s)
     "title": "…",                                          required
     "published_at": "2026-11-10T09:12:00+09:00",           required, ISO 8601
     "guid": "gn-2026-1001", "lead": "…", "body": "…",      optional
     "author": "안남훈", "section": "행정", "image_url": "…",  optional
     "updated_at": "…", "is_breaking": false,                optional
     "source": "cms"}                                        optional, default "cms"

A date without a UTC offset is read in the newsroom's zone (NEWSBOT_TIMEZONE) and the import
says so. Text fields may contain HTML; it is reduced to plain text like feed descriptions.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from newsbot.errors import InputError
from newsbot.ingest.urls import canonical_url
from newsbot.store.drafts import ArticleDraft
from newsbot.store.models import DateSource
from newsbot.text.bylines import strip_bylines
from newsbot.text.html import html_to_text, one_line

DEFAULT_SOURCE = "cms"


class ArticleRecord(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    url: str = Field(min_length=1)
    title: str = Field(min_length=1)
    published_at: datetime
    guid: str | None = None
    lead: str = ""
    body: str = ""
    author: str | None = None
    section: str | None = None
    image_url: str | None = None
    updated_at: datetime | None = None
    is_breaking: bool = False
    source: str = DEFAULT_SOURCE

    @field_validator("guid", mode="before")
    @classmethod
    def _guid_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) else value


def _describe(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors()[:3]:
        where = ".".join(str(p) for p in error["loc"]) or "record"
        parts.append(f"{where}: {error['msg']}")
    return "; ".join(parts)


def _aware(moment: datetime, zone: ZoneInfo) -> tuple[datetime, bool]:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=zone), True
    return moment, False


def record_to_draft(raw: Any, *, zone: ZoneInfo) -> tuple[ArticleDraft, bool]:
    """A draft from one decoded JSON value; True when a date had to be given the local zone."""
    if not isinstance(raw, dict):
        raise InputError(f"expected a JSON object, got {type(raw).__name__}")
    try:
        record = ArticleRecord.model_validate(raw)
    except ValidationError as exc:
        raise InputError(_describe(exc)) from None
    title = one_line(html_to_text(record.title))
    if not title:
        raise InputError("title: empty after removing markup")
    published, assumed = _aware(record.published_at, zone)
    updated, assumed_updated = (None, False)
    if record.updated_at is not None:
        updated, assumed_updated = _aware(record.updated_at, zone)
    cleaned = strip_bylines(html_to_text(record.lead))
    return (
        ArticleDraft(
            source=one_line(record.source) or DEFAULT_SOURCE,
            guid=record.guid or None,
            url=canonical_url(record.url),
            title=title,
            lead=cleaned.text,
            body=html_to_text(record.body),
            author=one_line(record.author or "") or cleaned.reporter,
            section=one_line(record.section or "") or None,
            image_url=record.image_url or None,
            published_at=published,
            updated_at=updated if updated and updated != published else None,
            date_source=DateSource.ITEM,
            is_breaking=record.is_breaking,
        ),
        assumed or assumed_updated,
    )
