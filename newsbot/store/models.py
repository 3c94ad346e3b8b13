"""Tables of the article store.

Articles are unique by canonical URL and by (source, guid); every change to a stored article's
text bumps ``revision`` and leaves the previous text in ``article_revisions`` so a correction can
be shown, audited and (later) pushed to the chats that got the first version.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from newsbot.store.base import Base, text_enum


class DateSource(enum.StrEnum):
    """Where an article's published_at came from, so estimated dates are never passed off."""

    ITEM = "item"  # the item's own published/updated date
    FEED = "feed"  # the feed's date: the item had none
    FETCHED = "fetched"  # neither had one: the time we fetched it


class FeedState(enum.StrEnum):
    ACTIVE = "active"
    FAILING = "failing"  # last fetch failed; backing off
    PAUSED = "paused"  # an operator stopped it


class Article(Base):
    __tablename__ = "articles"
    __table_args__ = (
        UniqueConstraint("source", "guid"),
        Index("ix_articles_published_at", "published_at"),
        Index("ix_articles_section_published_at", "section", "published_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(200))
    guid: Mapped[str | None] = mapped_column(String(500))
    url: Mapped[str] = mapped_column(String(2000), unique=True)
    title: Mapped[str] = mapped_column(Text)
    lead: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str | None] = mapped_column(String(200))
    section: Mapped[str | None] = mapped_column(String(100))
    image_url: Mapped[str | None] = mapped_column(String(2000))
    published_at: Mapped[datetime]
    date_source: Mapped[DateSource] = mapped_column(
        text_enum(DateSource),
        default=DateSource.ITEM,
    )
    updated_at: Mapped[datetime | None]
    is_breaking: Mapped[bool] = mapped_column(Boolean, default=False)
    ingested_at: Mapped[datetime]
    changed_at: Mapped[datetime]
    revision: Mapped[int] = mapped_column(Integer, default=1)
    # An editor retracted it (migration 0011e): never listed, searched or sent again.
    retracted_at: Mapped[datetime | None]


class ArticleRevision(Base):
    """The text an article had before a correction replaced it."""

    __tablename__ = "article_revisions"
    __table_args__ = (UniqueConstraint("article_id", "revision"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    revision: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)
    lead: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    changed_fields: Mapped[str] = mapped_column(String(200))
    replaced_at: Mapped[datetime]


class ArticleView(Base):
    """Views of one article on one day (in the newsroom's zone)."""

    __tablename__ = "article_views"
    # Covering index for "most viewed in a window": scan days, sum views, no table lookups.
    __table_args__ = (Index("ix_article_views_day_article", "day", "article_id", "views"),)

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    views: Mapped[int] = mapped_column(Integer)


class ViewState(Base):
    """One row whose generation goes up with every change to the view counts.

    Window totals remember the generation they were summed at; a different one means they
    are stale. Bumped in the same transaction as the counts, so no reader sees new counts
    with old totals marked fresh.
    """

    __tablename__ = "view_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    generation: Mapped[int] = mapped_column(Integer, default=0)


class ViewWindow(Base):
    """A window of days whose per-article totals are in ``view_totals``, and as of when."""

    __tablename__ = "view_windows"

    first_day: Mapped[date] = mapped_column(Date, primary_key=True)
    last_day: Mapped[date] = mapped_column(Date, primary_key=True)
    generation: Mapped[int] = mapped_column(Integer)
    built_at: Mapped[datetime]


class ViewTotal(Base):
    """Views of one article summed over one window: "most viewed" reads these in order.

    Summing a month of per-day counts touches about 400k rows at 100k articles (hundreds of
    milliseconds); reading the first rows of this index takes well under one. The totals are
    rebuilt on the first request after the counts change, once for all processes.
    """

    __tablename__ = "view_totals"
    __table_args__ = (
        Index(
            "ix_view_totals_rank", "first_day", "last_day", "views", "published_at", "article_id"
        ),
    )

    first_day: Mapped[date] = mapped_column(Date, primary_key=True)
    last_day: Mapped[date] = mapped_column(Date, primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    views: Mapped[int] = mapped_column(Integer)
    published_at: Mapped[datetime]  # copied for the tie-break, so ranking needs no join


class Feed(Base):
    __tablename__ = "feeds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(2000), unique=True)
    section: Mapped[str | None] = mapped_column(String(100))
    interval_seconds: Mapped[int] = mapped_column(Integer)
    title: Mapped[str | None] = mapped_column(Text)
    etag: Mapped[str | None] = mapped_column(String(500))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[FeedState] = mapped_column(
        text_enum(FeedState),
        default=FeedState.ACTIVE,
    )
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_checked_at: Mapped[datetime | None]
    last_status: Mapped[int | None] = mapped_column(Integer)
    next_check_at: Mapped[datetime | None] = mapped_column(index=True)
    created_at: Mapped[datetime]
    # The first failure since the last success (migration 0012a): operators' alerts.
    failing_since: Mapped[datetime | None]


class SearchDoc(Base):
    """An article's text as the analyzer tokenised it: the search index reads only this.

    SQLite indexes these columns with an external-content FTS5 table kept in step by
    triggers; PostgreSQL keeps a weighted ``tsv`` tsvector beside them (GIN-indexed). Both
    live in migration 0002, outside this model, because they exist on one backend each.
    """

    __tablename__ = "search_docs"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    revision: Mapped[int] = mapped_column(Integer)
    title_bg: Mapped[str] = mapped_column(Text)
    title_mo: Mapped[str] = mapped_column(Text)
    lead_bg: Mapped[str] = mapped_column(Text)
    lead_mo: Mapped[str] = mapped_column(Text)
    body_bg: Mapped[str] = mapped_column(Text)
    body_mo: Mapped[str] = mapped_column(Text)


class SavedQuery(Base):
    """A reader's search, kept so "next page" buttons can name it in a few bytes.

    Telegram allows 64 bytes of callback data; a Korean query alone can exceed that, so the
    button carries this row's id instead of the text.
    """

    __tablename__ = "saved_queries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    section: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(index=True)


class SearchAlias(Base):
    """Two words the newsroom says mean the same to a reader (``ai`` and ``인공지능``).

    Symmetric: a search for either finds both, so each pair is stored once, its two words
    folded (NFKC, lower case) and in sorted order. One hop only: ``a = b`` and ``b = c`` do
    not make ``a = c``, so one careless entry cannot chain a word to everything.
    """

    __tablename__ = "search_aliases"
    __table_args__ = (
        UniqueConstraint("word", "alias"),
        Index("ix_search_aliases_alias", "alias"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    word: Mapped[str] = mapped_column(String(100))
    alias: Mapped[str] = mapped_column(String(100))


class SearchWord(Base):
    """A word some article's title was analysed into: what typo suggestions choose from.

    Written as articles are indexed, never pruned: a word whose articles are gone is still
    checked against the index before it is suggested.
    """

    __tablename__ = "search_words"

    word: Mapped[str] = mapped_column(String(100), primary_key=True)
    length: Mapped[int] = mapped_column(Integer, index=True)  # in characters
