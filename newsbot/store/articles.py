"""Storing article drafts: de-duplicated, corrected in place, never doubled.

An incoming draft is the same article as a stored one when it has the same (source, guid) or the
same canonical URL. What happens then:

* text (title, lead, body) differs → a correction: the old text goes to ``article_revisions``,
  ``revision`` goes up, ``changed_at`` moves so the delivery engine can send the correction;
* only metadata differs (author, section, image, dates) → updated quietly;
* nothing differs → unchanged.

A draft from another source that merely shares the URL (the same story in two feeds) only
replaces the stored text when it says it is newer; otherwise two feeds with slightly different
summaries would "correct" each other on every poll. Empty fields never erase stored ones.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from newsbot.store.delivery_models import ArticleEvent, EventKind
from newsbot.store.drafts import ArticleDraft
from newsbot.store.models import Article, ArticleRevision
from newsbot.store.search_index import index_articles
from newsbot.text.analyzer import Analyzer, default_analyzer

_TEXT_FIELDS = ("title", "lead", "body")
_META_FIELDS = ("author", "section", "image_url", "is_breaking", "updated_at")


class Outcome(enum.StrEnum):
    NEW = "new"
    CORRECTED = "corrected"  # text changed: a new revision
    UPDATED = "updated"  # metadata changed
    UNCHANGED = "unchanged"


@dataclass(frozen=True, slots=True)
class Stored:
    outcome: Outcome
    article_id: int
    url: str


def _changes(article: Article, draft: ArticleDraft, fields: Sequence[str]) -> list[str]:
    changed = []
    for name in fields:
        new = getattr(draft, name)
        if new in (None, "") and name != "is_breaking":
            continue  # a source that omits a field does not erase it
        if getattr(article, name) != new:
            changed.append(name)
    return changed


def _is_newer(draft: ArticleDraft, article: Article) -> bool:
    stored = article.updated_at or article.published_at
    claimed = draft.updated_at or draft.published_at
    return claimed > stored


def _apply(article: Article, draft: ArticleDraft, now: datetime, session: AsyncSession) -> Outcome:
    same_source = article.source == draft.source
    if draft.updated_at and article.updated_at and draft.updated_at < article.updated_at:
        return Outcome.UNCHANGED  # a stale copy (feed cache, older export)
    if not same_source and not _is_newer(draft, article):
        return Outcome.UNCHANGED
    text_changes = _changes(article, draft, _TEXT_FIELDS)
    meta_changes = _changes(article, draft, _META_FIELDS)
    if not same_source and draft.is_breaking is False and "is_breaking" in meta_changes:
        meta_changes.remove("is_breaking")  # another feed not flagging it does not un-break it
    if not text_changes and not meta_changes:
        return Outcome.UNCHANGED
    if text_changes:
        session.add(
            ArticleRevision(
                article_id=article.id,
                revision=article.revision,
                title=article.title,
                lead=article.lead,
                body=article.body,
                changed_fields=",".join(text_changes),
                replaced_at=now,
            )
        )
        article.revision += 1
        article.changed_at = now
    for name in text_changes + meta_changes:
        setattr(article, name, getattr(draft, name))
    return Outcome.CORRECTED if text_changes else Outcome.UPDATED


def _new_article(draft: ArticleDraft, now: datetime) -> Article:
    return Article(
        source=draft.source,
        guid=draft.guid,
        url=draft.url,
        title=draft.title,
        lead=draft.lead,
        body=draft.body,
        author=draft.author,
        section=draft.section,
        image_url=draft.image_url,
        published_at=draft.published_at,
        date_source=draft.date_source,
        updated_at=draft.updated_at,
        is_breaking=draft.is_breaking,
        ingested_at=now,
        changed_at=now,
        revision=1,
    )


async def _existing(session: AsyncSession, drafts: Sequence[ArticleDraft]) -> list[Article]:
    urls = {d.url for d in drafts}
    keys = {(d.source, d.guid) for d in drafts if d.guid}
    found: dict[int, Article] = {}
    if urls:
        for article in await session.scalars(select(Article).where(Article.url.in_(urls))):
            found[article.id] = article
    if keys:
        query = select(Article).where(tuple_(Article.source, Article.guid).in_(keys))
        for article in await session.scalars(query):
            found[article.id] = article
    return list(found.values())


async def store_drafts(
    session: AsyncSession,
    drafts: Sequence[ArticleDraft],
    *,
    now: datetime,
    analyzer: Analyzer | None = None,
) -> list[Stored]:
    """Insert or update each draft and its search document; the caller commits.

    One result per draft, in order. New and corrected articles are (re)indexed in the same
    transaction, so the search index never lags the store.
    """
    try:
        async with session.begin_nested():
            results, changed = await _store(session, drafts, now)
    except IntegrityError:
        # Another writer stored one of these meanwhile: redo one by one, each in a savepoint.
        results, changed = [], []
        for draft in drafts:
            async with session.begin_nested():
                one, touched = await _store(session, [draft], now)
                results.extend(one)
                changed.extend(touched)
    await index_articles(session, analyzer or default_analyzer(), changed)
    # The delivery matcher's queue, in the same transaction as the articles themselves.
    new_ids = {r.article_id for r in results if r.outcome is Outcome.NEW}
    for article in changed:
        kind = EventKind.NEW if article.id in new_ids else EventKind.CORRECTED
        session.add(
            ArticleEvent(
                article_id=article.id,
                revision=article.revision,
                kind=kind,
                matched=False,
                created_at=now,
            )
        )
    await session.flush()
    return results


async def _store(
    session: AsyncSession, drafts: Sequence[ArticleDraft], now: datetime
) -> tuple[list[Stored], list[Article]]:
    existing = await _existing(session, drafts)
    by_key = {(a.source, a.guid): a for a in existing if a.guid}
    by_url = {a.url: a for a in existing}
    results: list[tuple[Outcome, Article]] = []
    fresh: set[Article] = set()
    for draft in drafts:
        article = (by_key.get((draft.source, draft.guid)) if draft.guid else None) or by_url.get(
            draft.url
        )
        if article is None:
            article = _new_article(draft, now)
            session.add(article)
            fresh.add(article)
            outcome = Outcome.NEW
        elif article in fresh:
            outcome = Outcome.UNCHANGED  # twice in one batch: the first copy stands
        else:
            outcome = _apply(article, draft, now, session)
        if draft.guid:
            by_key[(draft.source, draft.guid)] = article
        by_url[article.url] = article
        results.append((outcome, article))
    await session.flush()
    stored = [Stored(outcome, article.id, article.url) for outcome, article in results]
    changed = {
        article.id: article
        for outcome, article in results
        if outcome in (Outcome.NEW, Outcome.CORRECTED)
    }
    return stored, list(changed.values())
