"""Polling feeds over real HTTP: what a publisher serves is what ends up in the store.

Every test runs the real poller (httpx client, parser, store) against a fake publisher on
loopback and a migrated SQLite or PostgreSQL store; time only moves when the clock is told to.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from xml.sax.saxutils import escape, quoteattr

import httpx
import pytest
from sqlalchemy import func, select

from newsbot.app import App
from newsbot.clock import FixedClock
from newsbot.ingest.drafts import Problem
from newsbot.ingest.fetch import make_client
from newsbot.ingest.poller import FeedResult, PollSettings, poll_due_feeds
from newsbot.store.articles import Outcome
from newsbot.store.models import Article, ArticleRevision, Feed, FeedState
from tests.builders import FEED_INTERVAL, add_feed
from tests.fakes.feed_server import FeedServer

INTERVAL = FEED_INTERVAL  # seconds between polls of a healthy feed, as add_feed sets it
MAX_BYTES = 32 * 1024
MAX_BACKOFF = 6 * 3600
SETTINGS = PollSettings(max_bytes=MAX_BYTES, max_backoff=MAX_BACKOFF, concurrency=4)
CLIENT_TIMEOUT = 0.3
SLOW = 2.0  # how long a slow publisher takes: far beyond the client's timeout

KST = timezone(timedelta(hours=9))
SITE = "https://news.example.kr"


# --- feed documents ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Item:
    number: int
    title: str
    lead: str
    published: datetime
    linked: bool = True

    @property
    def link(self) -> str:
        return f"{SITE}/news/articleView.html?idxno={self.number}"


ITEMS = (
    Item(
        1001,
        "[속보] 서울에 첫눈…평년보다 8일 늦어",
        "기상청은 23일 오전 서울 종로구 관측소에서 첫눈이 관측됐다고 밝혔다.",
        datetime(2026, 11, 23, 9, 5, tzinfo=KST),
    ),
    Item(
        1002,
        "한국은행, 기준금리 연 3.00%로 동결",
        "한국은행 금융통화위원회는 이날 통화정책방향 회의에서 기준금리를 동결했다.",
        datetime(2026, 11, 23, 10, 0, tzinfo=KST),
    ),
    Item(
        1003,
        "똠얌꿍 인기에 동남아 음식점 매출 30% 늘어",
        "외식업계에 따르면 올해 동남아 음식점 매출이 지난해보다 크게 늘었다.",
        datetime(2026, 11, 23, 10, 30, tzinfo=KST),
    ),
    Item(
        1004,
        "성남시, 판교 드론 배송 시범사업 시작",
        "성남시는 다음 달부터 판교 일대에서 드론 배송 시범사업을 한다고 밝혔다.",
        datetime(2026, 11, 23, 11, 0, tzinfo=KST),
    ),
)
# "똠" is one of the syllables EUC-KR lacks and CP949 added: decoding must really use CP949.
TITLES = sorted(item.title for item in ITEMS)


def rss(items: Sequence[Item], *, prolog_encoding: str | None = "UTF-8", padding: int = 0) -> str:
    """An RSS 2.0 document; ``padding`` adds a comment of that many bytes to make it big."""
    prolog = f' encoding="{prolog_encoding}"' if prolog_encoding else ""
    entries = "".join(
        "<item>"
        f"<title>{escape(item.title)}</title>"
        + (f"<link>{escape(item.link)}</link>" if item.linked else "")
        + f'<guid isPermaLink="false">news-{item.number}</guid>'
        f"<description>{escape(item.lead)}</description>"
        f"<pubDate>{format_datetime(item.published)}</pubDate>"
        "</item>\n"
        for item in items
    )
    filler = f"<!-- {'x' * padding} -->" if padding else ""
    return (
        f'<?xml version="1.0"{prolog}?>\n'
        '<rss version="2.0"><channel>'
        f"<title>예제뉴스 전체기사</title><link>{SITE}/</link>"
        f"<description>예제뉴스의 최신 기사</description>\n{entries}{filler}"
        "</channel></rss>\n"
    )


def atom(items: Sequence[Item], *, link_suffix: str = "") -> str:
    """An Atom document for the same items, with its own ids and decorated links."""
    entries = "".join(
        "<entry>"
        f"<title>{escape(item.title)}</title>"
        f"<id>tag:news.example.kr,2026:article-{item.number}</id>"
        f'<link rel="alternate" href={quoteattr(item.link + link_suffix)}/>'
        f"<published>{item.published.isoformat()}</published>"
        f"<updated>{item.published.isoformat()}</updated>"
        f"<summary>{escape(item.lead)}</summary>"
        "</entry>\n"
        for item in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom">'
        "<title>예제뉴스</title><id>tag:news.example.kr,2026:all</id>"
        f'<link rel="alternate" href="{SITE}/"/>'
        f"<updated>{ITEMS[-1].published.isoformat()}</updated>\n{entries}</feed>\n"
    )


RSS_UTF8 = "application/rss+xml; charset=utf-8"
ATOM_UTF8 = "application/atom+xml; charset=utf-8"
HTML_ERROR_PAGE = (
    b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
    b"<body><h1>502 Bad Gateway</h1><hr><center>nginx</center></body></html>"
)


# --- fixtures and helpers ------------------------------------------------------------------


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with make_client(timeout=CLIENT_TIMEOUT, user_agent="newsbot-test") as http:
        yield http


async def poll(
    app: App, client: httpx.AsyncClient, settings: PollSettings = SETTINGS
) -> list[FeedResult]:
    return await poll_due_feeds(app.sessions, client, app.clock, settings)


async def poll_only(
    app: App, client: httpx.AsyncClient, settings: PollSettings = SETTINGS
) -> FeedResult:
    results = await poll(app, client, settings)
    assert len(results) == 1, results
    return results[0]


async def load_feed(app: App, feed_id: int) -> Feed:
    async with app.sessions() as s:
        feed = await s.get(Feed, feed_id)
        assert feed is not None
        return feed


async def stored_articles(app: App) -> list[Article]:
    async with app.sessions() as s:
        return list(await s.scalars(select(Article).order_by(Article.url)))


async def count_articles(app: App) -> int:
    async with app.sessions() as s:
        return int(await s.scalar(select(func.count()).select_from(Article)) or 0)


def counts(result: FeedResult) -> dict[Outcome, int]:
    """The non-zero outcome counts, so assertions name only what happened."""
    return {outcome: n for outcome, n in result.counts.items() if n}


# --- storing and de-duplicating --------------------------------------------------------------


async def test_first_poll_stores_every_item_and_a_second_poll_stores_nothing_new(
    app: App, clock: FixedClock, client: httpx.AsyncClient, feed_server: FeedServer
) -> None:
    feed_server.add("/rss.xml", rss(ITEMS).encode(), content_type=RSS_UTF8)
    await add_feed(app, feed_server.url("/rss.xml"))

    first = await poll_only(app, client)
    assert first.status == "ok"
    assert counts(first) == {Outcome.NEW: 4}
    assert sorted(a.title for a in await stored_articles(app)) == TITLES

    clock.advance(seconds=INTERVAL)
    second = await poll_only(app, client)
    assert second.status == "ok"
    assert counts(second) == {Outcome.UNCHANGED: 4}
    assert await count_articles(app) == 4
    assert len(feed_server.requests_to("/rss.xml")) == 2


@pytest.mark.parametrize(
    ("etag", "last_modified"),
    [
        pytest.param('"v1-abc"', None, id="etag"),
        pytest.param(None, "Mon, 23 Nov 2026 02:55:00 GMT", id="last-modified"),
        pytest.param('W/"v1-abc"', "Mon, 23 Nov 2026 02:55:00 GMT", id="both"),
    ],
)
async def test_a_conditional_get_answered_304_is_not_modified(
    app: App,
    clock: FixedClock,
    client: httpx.AsyncClient,
    feed_server: FeedServer,
    etag: str | None,
    last_modified: str | None,
) -> None:
    feed_server.add(
        "/rss.xml",
        rss(ITEMS).encode(),
        content_type=RSS_UTF8,
        etag=etag,
        last_modified=last_modified,
    )
    feed_id = await add_feed(app, feed_server.url("/rss.xml"))
    await poll_only(app, client)

    clock.advance(seconds=INTERVAL)
    result = await poll_only(app, client)

    first, second = feed_server.requests_to("/rss.xml")
    assert "If-None-Match" not in first.headers
    assert "If-Modified-Since" not in first.headers
    assert second.headers.get("If-None-Match") == etag
    assert second.headers.get("If-Modified-Since") == last_modified
    assert result.status == "not modified"
    assert counts(result) == {}
    feed = await load_feed(app, feed_id)
    assert feed.last_status == 304
    assert feed.state is FeedState.ACTIVE
    assert feed.next_check_at == clock.now() + timedelta(seconds=INTERVAL)
    assert (feed.etag, feed.last_modified) == (etag, last_modified)  # kept for the next poll
    assert await count_articles(app) == 4


async def test_gzip_encoded_feed_is_decoded_and_stored(
    app: App, client: httpx.AsyncClient, feed_server: FeedServer
) -> None:
    feed_server.add("/rss.xml", rss(ITEMS).encode(), content_type=RSS_UTF8, gzip=True)
    await add_feed(app, feed_server.url("/rss.xml"))

    result = await poll_only(app, client)

    assert result.status == "ok", result.error
    assert "gzip" in feed_server.requests[0].headers["Accept-Encoding"]
    assert sorted(a.title for a in await stored_articles(app)) == TITLES


# --- redirects -------------------------------------------------------------------------------


async def test_a_chain_of_temporary_redirects_is_followed_and_the_feed_keeps_its_url(
    app: App, client: httpx.AsyncClient, feed_server: FeedServer
) -> None:
    feed_server.redirect("/rss.xml", "/hop-1", status=302)
    feed_server.redirect("/hop-1", "/hop-2", status=307)
    feed_server.redirect("/hop-2", feed_server.url("/current/rss.xml"), status=302)
    feed_server.add("/current/rss.xml", rss(ITEMS).encode(), content_type=RSS_UTF8)
    feed_id = await add_feed(app, feed_server.url("/rss.xml"))

    result = await poll_only(app, client)

    assert result.status == "ok", result.error
    assert counts(result) == {Outcome.NEW: 4}
    assert [r.path for r in feed_server.requests] == [
        "/rss.xml",
        "/hop-1",
        "/hop-2",
        "/current/rss.xml",
    ]
    assert (await load_feed(app, feed_id)).url == feed_server.url("/rss.xml")


async def test_a_redirect_loop_fails_with_a_reason_about_redirects(
    app: App, client: httpx.AsyncClient, feed_server: FeedServer
) -> None:
    feed_server.redirect("/loop-a", "/loop-b", status=302)
    feed_server.redirect("/loop-b", "/loop-a", status=302)
    feed_id = await add_feed(app, feed_server.url("/loop-a"))

    result = await poll_only(app, client)

    assert result.status == "failed"
    assert result.error is not None
    assert "redirects" in result.error
    feed = await load_feed(app, feed_id)
    assert feed.state is FeedState.FAILING
    assert feed.last_error == result.error
    assert len(feed_server.requests) <= 10  # gave up after a bounded number of hops


@pytest.mark.parametrize("status", [301, 308])
async def test_a_permanent_redirect_moves_the_feed_to_the_new_url(
    app: App, clock: FixedClock, client: httpx.AsyncClient, feed_server: FeedServer, status: int
) -> None:
    feed_server.redirect("/old/rss.xml", "/new/rss.xml", status=status)
    feed_server.add("/new/rss.xml", rss(ITEMS).encode(), content_type=RSS_UTF8)
    feed_id = await add_feed(app, feed_server.url("/old/rss.xml"))

    result = await poll_only(app, client)

    assert result.status == "ok", result.error
    assert counts(result) == {Outcome.NEW: 4}
    assert f"feed moved permanently to {feed_server.url('/new/rss.xml')}" in result.notes
    assert (await load_feed(app, feed_id)).url == feed_server.url("/new/rss.xml")

    clock.advance(seconds=INTERVAL)
    await poll_only(app, client)
    assert [r.path for r in feed_server.requests] == [
        "/old/rss.xml",
        "/new/rss.xml",
        "/new/rss.xml",
    ]


async def test_a_permanent_redirect_then_a_temporary_one_stores_only_the_permanent_target(
    app: App, client: httpx.AsyncClient, feed_server: FeedServer
) -> None:
    # The publisher moved for good to /new/rss.xml, which today happens to be served from a
    # signed CDN URL; tomorrow's CDN URL differs, so the feed must remember /new/rss.xml.
    feed_server.redirect("/old/rss.xml", "/new/rss.xml", status=301)
    feed_server.redirect("/new/rss.xml", "/cdn/rss.xml?token=expires-today", status=302)
    feed_server.add("/cdn/rss.xml", rss(ITEMS).encode(), content_type=RSS_UTF8)
    feed_id = await add_feed(app, feed_server.url("/old/rss.xml"))

    result = await poll_only(app, client)

    assert result.status == "ok", result.error
    assert (await load_feed(app, feed_id)).url == feed_server.url("/new/rss.xml")


async def test_a_permanent_redirect_onto_a_feed_already_subscribed_still_polls(
    app: App, client: httpx.AsyncClient, feed_server: FeedServer
) -> None:
    # The publisher retired /rss in favour of /rss.xml, which the newsroom also subscribed to.
    feed_server.add("/rss.xml", rss(ITEMS).encode(), content_type=RSS_UTF8)
    feed_server.redirect("/rss", "/rss.xml", status=301)
    await add_feed(app, feed_server.url("/rss.xml"))
    await poll_only(app, client)
    await add_feed(app, feed_server.url("/rss"))

    result = await poll_only(app, client)  # only /rss is due

    assert result.url == feed_server.url("/rss")
    assert result.status == "ok", result.error  # not "internal error: IntegrityError(...)"
    assert any(feed_server.url("/rss.xml") in note for note in result.notes)


# --- failures and backoff --------------------------------------------------------------------


async def test_a_feed_that_drips_bytes_is_cut_off_by_the_overall_deadline(
    app: App, client: httpx.AsyncClient, feed_server: FeedServer
) -> None:
    # Each chunk arrives well within the per-read timeout, but the whole never ends in time.
    document = rss(ITEMS).encode()
    pieces = [document[i : i + 64] for i in range(0, len(document), 64)]
    feed_server.add("/drip.xml", content_type=RSS_UTF8, chunks=pieces, chunk_delay=0.1)
    await add_feed(app, feed_server.url("/drip.xml"))
    settings = PollSettings(
        max_bytes=MAX_BYTES, max_backoff=MAX_BACKOFF, concurrency=4, deadline=0.5
    )

    result = await poll_only(app, client, settings)

    assert len(pieces) * 0.1 > 1.0  # the publisher would need longer than the deadline
    assert result.status == "failed"
    assert result.error == "timed out (no complete response within 0.5s)"
    assert await count_articles(app) == 0


async def test_a_slow_feed_times_out_and_backs_off_exponentially_until_it_recovers(
    app: App, clock: FixedClock, client: httpx.AsyncClient, feed_server: FeedServer
) -> None:
    interval, max_backoff = 300, 2000
    settings = PollSettings(max_bytes=MAX_BYTES, max_backoff=max_backoff, concurrency=4)
    feed_server.add("/rss.xml", rss(ITEMS).encode(), content_type=RSS_UTF8, delay=SLOW)
    feed_id = await add_feed(app, feed_server.url("/rss.xml"), interval=interval)

    first = await poll_only(app, client, settings)

    assert first.status == "failed"
    assert first.error is not None
    assert "timed out" in first.error
    feed = await load_feed(app, feed_id)
    assert feed.state is FeedState.FAILING
    assert feed.error_count == 1
    assert feed.last_error == first.error
    assert feed.last_checked_at == clock.now()
    assert feed.next_check_at == clock.now() + timedelta(seconds=interval * 2)
    assert first.retry_at == feed.next_check_at

    clock.advance(seconds=interval * 2 - 1)
    assert await poll(app, client, settings) == []  # still backing off

    clock.advance(seconds=1)
    second = await poll_only(app, client, settings)
    feed = await load_feed(app, feed_id)
    assert second.status == "failed"
    assert feed.error_count == 2
    assert feed.next_check_at == clock.now() + timedelta(seconds=interval * 4)

    clock.advance(seconds=interval * 4)
    await poll_only(app, client, settings)
    feed = await load_feed(app, feed_id)
    assert feed.error_count == 3
    assert feed.next_check_at == clock.now() + timedelta(seconds=max_backoff)  # not interval*8

    feed_server.add("/rss.xml", rss(ITEMS).encode(), content_type=RSS_UTF8)  # fast again
    clock.advance(seconds=max_backoff)
    recovered = await poll_only(app, client, settings)
    feed = await load_feed(app, feed_id)
    assert recovered.status == "ok", recovered.error
    assert counts(recovered) == {Outcome.NEW: 4}
    assert feed.state is FeedState.ACTIVE
    assert feed.error_count == 0
    assert feed.last_error is None
    assert feed.next_check_at == clock.now() + timedelta(seconds=interval)


def _big_document() -> bytes:
    document = rss(ITEMS, padding=3 * MAX_BYTES).encode()
    assert len(document) > MAX_BYTES
    return document


@pytest.mark.parametrize("shape", ["content-length", "chunked", "gzip-bomb"])
async def test_an_oversized_response_fails_naming_the_limit_and_stores_nothing(
    app: App, client: httpx.AsyncClient, feed_server: FeedServer, shape: str
) -> None:
    document = _big_document()
    if shape == "content-length":
        feed_server.add("/rss.xml", document, content_type=RSS_UTF8)
    elif shape == "chunked":
        chunks = [document[i : i + 4096] for i in range(0, len(document), 4096)]
        feed_server.add("/rss.xml", content_type=RSS_UTF8, chunks=chunks)
    else:  # small on the wire, over the limit once decompressed
        feed_server.add("/rss.xml", document, content_type=RSS_UTF8, gzip=True)
    feed_id = await add_feed(app, feed_server.url("/rss.xml"))

    result = await poll_only(app, client)

    assert result.status == "failed"
    assert result.error is not None
    assert f"{MAX_BYTES} " in result.error
    assert "limit" in result.error
    assert (await load_feed(app, feed_id)).state is FeedState.FAILING
    assert await count_articles(app) == 0


async def test_one_bad_feed_never_stops_the_others_in_the_same_poll(
    app: App, client: httpx.AsyncClient, feed_server: FeedServer
) -> None:
    feed_server.add("/politics.xml", rss(ITEMS[:2]).encode(), content_type=RSS_UTF8)
    feed_server.add("/broken.xml", HTML_ERROR_PAGE, content_type="text/html; charset=utf-8")
    feed_server.add("/error.xml", b"oops", status=500, content_type="text/plain")
    # /gone.xml is not registered: the fake answers 404
    feed_server.add("/economy.xml", rss(ITEMS[2:]).encode(), content_type=RSS_UTF8)
    for path in ("/politics.xml", "/broken.xml", "/error.xml", "/gone.xml", "/economy.xml"):
        await add_feed(app, feed_server.url(path))
    # One feed at a time: this is about isolating failures. Feeds storing concurrently are
    # covered by test_feeds_polled_at_the_same_time_all_succeed (racy on SQLite, a known bug).
    one_at_a_time = dataclasses.replace(SETTINGS, concurrency=1)

    results = {r.url.rsplit("/", 1)[-1]: r for r in await poll(app, client, one_at_a_time)}

    assert {name: r.status for name, r in results.items()} == {
        "politics.xml": "ok",
        "broken.xml": "failed",
        "error.xml": "failed",
        "gone.xml": "failed",
        "economy.xml": "ok",
    }
    broken = results["broken.xml"].error
    assert broken is not None
    assert broken.startswith("not a usable feed: ")
    assert "\n" not in broken
    assert results["error.xml"].error == "HTTP 500 Internal Server Error"
    assert results["gone.xml"].error == "HTTP 404 Not Found"
    assert sorted(a.title for a in await stored_articles(app)) == TITLES
    async with app.sessions() as s:
        failing = {f.url.rsplit("/", 1)[-1]: f for f in await s.scalars(select(Feed))}
    assert failing["error.xml"].last_status == 500
    assert failing["gone.xml"].last_status == 404
    assert failing["broken.xml"].state is FeedState.FAILING
    assert failing["politics.xml"].state is FeedState.ACTIVE


async def test_an_item_without_a_link_is_reported_and_the_others_are_stored(
    app: App, client: httpx.AsyncClient, feed_server: FeedServer
) -> None:
    items = [*ITEMS[:2], dataclasses.replace(ITEMS[2], linked=False), ITEMS[3]]
    feed_server.add("/rss.xml", rss(items).encode(), content_type=RSS_UTF8)
    await add_feed(app, feed_server.url("/rss.xml"))

    result = await poll_only(app, client)

    assert result.status == "ok"
    assert result.problems == [Problem("item 3 (news-1003)", "no link")]
    assert counts(result) == {Outcome.NEW: 3}
    assert sorted(a.title for a in await stored_articles(app)) == sorted(
        item.title for item in items if item.linked
    )


# --- Korean charsets -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "prolog_encoding"),
    [
        pytest.param("application/rss+xml; charset=EUC-KR", "EUC-KR", id="header-and-prolog"),
        pytest.param("application/rss+xml", "EUC-KR", id="prolog-only"),
        pytest.param("text/xml; charset=euc-kr", None, id="header-only"),
        pytest.param("application/rss+xml; charset=UTF-8", None, id="header-wrongly-utf8"),
        pytest.param("application/rss+xml", None, id="undeclared"),
    ],
)
async def test_an_euc_kr_feed_is_stored_with_correct_korean_titles(
    app: App,
    client: httpx.AsyncClient,
    feed_server: FeedServer,
    content_type: str,
    prolog_encoding: str | None,
) -> None:
    document = rss(ITEMS, prolog_encoding=prolog_encoding).encode("cp949")
    feed_server.add("/rss.xml", document, content_type=content_type)
    await add_feed(app, feed_server.url("/rss.xml"))

    result = await poll_only(app, client)

    assert result.status == "ok", result.error
    articles = await stored_articles(app)
    assert sorted(a.title for a in articles) == TITLES
    assert sorted(a.lead for a in articles) == sorted(item.lead for item in ITEMS)


# --- the product's headline scenario ----------------------------------------------------------


@pytest.mark.parametrize("first", ["rss", "atom"])
async def test_the_same_story_from_an_euc_kr_rss_feed_and_a_utf8_atom_feed_is_stored_once(
    app: App, client: httpx.AsyncClient, feed_server: FeedServer, first: str
) -> None:
    three = ITEMS[:3]
    feed_server.add(
        "/rss/allArticle.xml",
        rss(three, prolog_encoding="EUC-KR").encode("cp949"),
        content_type="application/rss+xml; charset=EUC-KR",
    )
    feed_server.add(
        "/atom/allArticle.xml",
        atom(three, link_suffix="&utm_source=x&fbclid=y").encode(),
        content_type=ATOM_UTF8,
    )
    paths = ["/rss/allArticle.xml", "/atom/allArticle.xml"]
    if first == "atom":
        paths.reverse()

    await add_feed(app, feed_server.url(paths[0]))
    earlier = await poll_only(app, client)
    await add_feed(app, feed_server.url(paths[1]))  # due now; the first feed is not
    later = await poll_only(app, client)

    assert (earlier.url, later.url) == (feed_server.url(paths[0]), feed_server.url(paths[1]))
    assert counts(earlier) == {Outcome.NEW: 3}
    assert counts(later) == {Outcome.UNCHANGED: 3}
    articles = await stored_articles(app)
    assert [(a.url, a.title) for a in articles] == [(item.link, item.title) for item in three]
    assert articles[0].url == "https://news.example.kr/news/articleView.html?idxno=1001"
    assert {a.source for a in articles} == {"news.example.kr"}
    assert all(a.revision == 1 for a in articles)
    assert articles[0].is_breaking  # "[속보]" read correctly from either encoding


async def test_a_changed_title_is_stored_as_a_correction_with_the_old_text_kept(
    app: App, clock: FixedClock, client: httpx.AsyncClient, feed_server: FeedServer
) -> None:
    feed_server.add("/rss.xml", rss(ITEMS).encode(), content_type=RSS_UTF8)
    await add_feed(app, feed_server.url("/rss.xml"))
    await poll_only(app, client)
    first_seen = clock.now()

    corrected = dataclasses.replace(ITEMS[0], title="[속보] 서울에 첫눈…평년보다 9일 늦어")
    feed_server.add("/rss.xml", rss([corrected, *ITEMS[1:]]).encode(), content_type=RSS_UTF8)
    clock.advance(seconds=INTERVAL)
    result = await poll_only(app, client)

    assert counts(result) == {Outcome.CORRECTED: 1, Outcome.UNCHANGED: 3}
    async with app.sessions() as s:
        article = (await s.scalars(select(Article).where(Article.url == corrected.link))).one()
        revisions = list(await s.scalars(select(ArticleRevision)))
    assert article.title == corrected.title
    assert article.revision == 2
    assert article.changed_at == clock.now()
    assert article.ingested_at == first_seen
    assert len(revisions) == 1
    assert revisions[0].article_id == article.id
    assert revisions[0].revision == 1
    assert revisions[0].title == ITEMS[0].title
    assert revisions[0].changed_fields == "title"
    assert revisions[0].replaced_at == clock.now()
    assert await count_articles(app) == 4


# --- concurrency ---------------------------------------------------------------------------


def story(number: int) -> Item:
    return Item(
        number,
        f"시의회 예산안 심사 {number}일차…복지 예산 공방",
        "시의회는 내년도 예산안에 대한 상임위원회 심사를 이어갔다.",
        datetime(2026, 11, 23, 8, 0, tzinfo=KST) + timedelta(minutes=number),
    )


@pytest.mark.parametrize("stories", ["different", "shared"])
async def test_feeds_polled_at_the_same_time_all_succeed(
    app: App,
    clock: FixedClock,
    client: httpx.AsyncClient,
    feed_server: FeedServer,
    stories: str,
) -> None:
    paths = [f"/section-{n}.xml" for n in range(SETTINGS.concurrency)]
    for path in paths:
        await add_feed(app, feed_server.url(path))

    errors: list[str] = []
    for round_ in range(3):  # fresh stories each round, every publisher answering at once
        together = asyncio.Barrier(len(paths))
        for n, path in enumerate(paths):
            first = 100 * round_ + (0 if stories == "shared" else 3 * n)
            items = [story(k) for k in range(first, first + 3)]
            feed_server.add(path, rss(items).encode(), content_type=RSS_UTF8, hold=together)
        results = await poll(app, client)
        errors += [f"round {round_}: {r.url}: {r.error}" for r in results if r.error]
        if errors:
            break  # a feed that failed now backs off and would miss the next round
        clock.advance(seconds=INTERVAL)

    assert errors == []
    per_round = 3 if stories == "shared" else 3 * len(paths)
    assert await count_articles(app) == 3 * per_round
