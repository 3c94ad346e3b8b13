"""Storing drafts: one article per story however often and from wherever it arrives."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Unpack

from sqlalchemy import func, select

from newsbot.app import App
from newsbot.clock import FixedClock
from newsbot.store.articles import Outcome, store_drafts
from newsbot.store.drafts import ArticleDraft
from newsbot.store.models import Article, ArticleRevision
from tests.builders import DraftFields, draft

PUBLISHED = datetime(2026, 11, 20, 0, 30, tzinfo=UTC)
URL = "https://news.example.kr/news/articleView.html?idxno=1001"


TITLE = "성남시, 드론 배송 시범사업 시작"
# The one story these tests store again and again, as its own site first published it.
STORY = draft(
    "gn-1001",
    TITLE,
    source="news.example.kr",
    url=URL,
    lead="성남시는 판교에서 드론택배 시범사업을 시작한다.",
    body="본문 첫 문단.\n\n둘째 문단.",
    author="안남훈",
    section="행정",
    published_at=PUBLISHED,
)


def story(title: str = TITLE, **changes: Unpack[DraftFields]) -> ArticleDraft:
    """The story again, as a copy with the changes a feed or an edit made to it."""
    return replace(STORY, title=title, **changes)


async def store(app: App, *drafts: ArticleDraft) -> list[Outcome]:
    async with app.sessions() as session:
        results = await store_drafts(session, list(drafts), now=app.clock.now())
        await session.commit()
    return [r.outcome for r in results]


async def count_articles(app: App) -> int:
    async with app.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Article)) or 0)


async def only_article(app: App) -> Article:
    async with app.sessions() as session:
        return (await session.scalars(select(Article))).one()


async def test_a_new_draft_is_stored_with_revision_one(app: App) -> None:
    assert await store(app, story()) == [Outcome.NEW]

    article = await only_article(app)
    assert article.title == "성남시, 드론 배송 시범사업 시작"
    assert article.revision == 1
    assert article.published_at == PUBLISHED
    assert article.published_at.tzinfo is not None
    assert article.ingested_at == app.clock.now()


async def test_the_same_draft_again_is_unchanged(app: App) -> None:
    await store(app, story())

    assert await store(app, story()) == [Outcome.UNCHANGED]
    assert await count_articles(app) == 1


async def test_the_same_url_under_another_guid_is_the_same_article(app: App) -> None:
    await store(app, story())

    assert await store(app, story(guid="urn:other-feed:77", source="other.example")) == [
        Outcome.UNCHANGED
    ]
    assert await count_articles(app) == 1


async def test_the_same_guid_under_a_new_url_is_the_same_article(app: App) -> None:
    await store(app, story())

    await store(app, story(url=URL + "&page=1"))

    assert await count_articles(app) == 1


async def test_a_changed_title_is_a_correction_that_keeps_the_old_text(
    app: App, clock: FixedClock
) -> None:
    await store(app, story())
    clock.advance(minutes=30)

    assert await store(app, story(title="성남시, 드론 배송 시범사업 12월 시작")) == [
        Outcome.CORRECTED
    ]

    article = await only_article(app)
    assert article.title == "성남시, 드론 배송 시범사업 12월 시작"
    assert article.revision == 2
    assert article.changed_at == clock.now()
    async with app.sessions() as session:
        revision = (await session.scalars(select(ArticleRevision))).one()
    assert (revision.revision, revision.title) == (1, "성남시, 드론 배송 시범사업 시작")
    assert revision.changed_fields == "title"


async def test_a_changed_section_updates_without_a_new_revision(app: App) -> None:
    await store(app, story())

    assert await store(app, story(section="지역")) == [Outcome.UPDATED]

    article = await only_article(app)
    assert (article.section, article.revision) == ("지역", 1)


async def test_a_source_that_omits_a_field_does_not_erase_it(app: App) -> None:
    await store(app, story())

    assert await store(app, story(body="", author=None)) == [Outcome.UNCHANGED]

    article = await only_article(app)
    assert article.body and article.author == "안남훈"


async def test_another_feed_with_an_older_summary_does_not_correct_the_article(app: App) -> None:
    await store(app, story())

    other = story(source="portal.example", guid="p-1", lead="다른 요약문.")
    assert await store(app, other) == [Outcome.UNCHANGED]
    assert (await only_article(app)).lead == "성남시는 판교에서 드론택배 시범사업을 시작한다."


async def test_another_feed_with_a_newer_version_does_correct_it(app: App) -> None:
    await store(app, story())

    newer = story(
        source="portal.example",
        guid="p-1",
        title="정정된 제목",
        updated_at=PUBLISHED + timedelta(hours=2),
    )
    assert await store(app, newer) == [Outcome.CORRECTED]


async def test_a_stale_copy_never_rolls_back_a_correction(app: App) -> None:
    await store(app, story(title="정정 후", updated_at=PUBLISHED + timedelta(hours=2)))

    stale = story(title="정정 전", updated_at=PUBLISHED + timedelta(hours=1))
    assert await store(app, stale) == [Outcome.UNCHANGED]
    assert (await only_article(app)).title == "정정 후"


async def test_one_batch_with_the_same_article_twice_stores_it_once(app: App) -> None:
    assert await store(app, story(), story(guid=None)) == [Outcome.NEW, Outcome.UNCHANGED]
    assert await count_articles(app) == 1


async def test_many_drafts_in_one_batch_each_get_an_outcome(app: App) -> None:
    drafts = [story(guid=f"gn-{n}", url=f"{URL}{n}", title=f"기사 {n}") for n in range(50)]

    outcomes = await store(app, *drafts)

    assert outcomes == [Outcome.NEW] * 50
    assert await count_articles(app) == 50
