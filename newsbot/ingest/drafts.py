"""What every source produces: article drafts, and the problems it met on the way."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from newsbot.store.models import DateSource


@dataclass(slots=True)
class ArticleDraft:
    """An article as a source described it, cleaned but not yet stored."""

    source: str
    url: str  # canonical
    title: str
    published_at: datetime
    guid: str | None = None
    lead: str = ""
    body: str = ""
    author: str | None = None
    section: str | None = None
    image_url: str | None = None
    updated_at: datetime | None = None
    date_source: DateSource = DateSource.ITEM
    is_breaking: bool = False


@dataclass(frozen=True, slots=True)
class Problem:
    """One item or line that was rejected, and why, in words an operator can act on."""

    where: str  # "item 3 (guid gn-1)", "line 17"
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


@dataclass(slots=True)
class Batch:
    """Drafts from one feed, file or export, with what could not be used."""

    drafts: list[ArticleDraft] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # e.g. "3 items had no date: used fetch time"
