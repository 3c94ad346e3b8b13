"""What the store accepts: an article as a source described it, cleaned but not yet stored.

Every source (feeds, CMS exports, the push API, an editor's breaking news) produces these;
the store decides whether each is new, a correction, or unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
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
