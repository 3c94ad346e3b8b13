"""The CMS push API end to end: a newsroom's CMS posts over real HTTP on loopback to the bot
as `newsbot run` builds it, and a subscribed Telegram chat on the fake Bot API gets the news.

Nothing between the CMS and the chat is patched: the API is a route on the bot's one HTTP
server, the importer stores, the matcher is woken, the dispatcher sends with the real
python-telegram-bot client. Each test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from newsbot.app import App
from newsbot.bot import Bot, Overrides, build_bot
from newsbot.clock import FixedClock
from newsbot.delivery.pacing import Limits
from newsbot.ingest.importer import ImportReport, import_records
from newsbot.ingest.payloads import Record, body_records
from newsbot.ingest.view_counts import ViewsReport, store_views
from newsbot.platforms.cms_api import CmsApi, Decode
from newsbot.platforms.request_limit import RequestLimit
from newsbot.platforms.telegram import TelegramPlatform
from newsbot.platforms.web import HttpServer, Listen
from newsbot.store.delivery_models import Delivery, DeliveryState
from newsbot.store.models import Article
from tests.builders import ALL_NEWS, PUBLISHED, add_chat
from tests.conftest import START, make_settings
from tests.fakes.telegram_api import TOKEN, FakeTelegram

API_TOKEN = "cms-test-token-0123456789"
READER = 5151
MAX_BYTES = 20_000
PER_MINUTE = 5  # more than any other test here posts; one more request earned every 12 s
FAST = Limits(overall_per_second=1000, per_chat_per_second=50, per_group_per_minute=3000)
TODAY = START.astimezone(ZoneInfo("Asia/Seoul")).date().isoformat()  # the views' day
Json = dict[str, Any]


def article(key: int, title: str | None = None, **fields: Any) -> Json:
    """Article ``key`` as the CMS sends it (the `newsbot import` schema)."""
    return {
        "guid": f"cms-{key}",
        "url": f"https://news.example.kr/articleView.html?idxno={key}",
        "title": title or f"시청 소식 {key}",
        "published_at": PUBLISHED.isoformat(),
        "section": "행정",
        **fields,
    }


def ndjson(*lines: Json | str) -> bytes:
    return "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines).encode()


@dataclass
class Answer:
    status: int
    body: Json
    headers: dict[str, str]


@dataclass
class Running:
    bot: Bot
    fake: FakeTelegram
    app: App

    @property
    def base(self) -> str:
        assert self.bot.server is not None and self.bot.server.port is not None
        return f"http://127.0.0.1:{self.bot.server.port}"

    async def post(
        self, path: str, body: bytes | Json | list[Json], *, token: str | None = API_TOKEN
    ) -> Answer:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        async with (
            aiohttp.ClientSession() as client,
            client.post(self.base + path, data=data, headers=headers) as response,
        ):
            return Answer(response.status, await response.json(), dict(response.headers))

    def texts(self, chat: int = READER) -> list[str]:
        return [m["text"] for m in self.fake.sent_to(chat)]

    async def received(self, words: str, chat: int = READER) -> Json:
        """The first message to ``chat`` containing ``words``, once it has arrived."""
        await self.fake.wait_for(
            lambda f: any(words in m["text"] for m in f.sent_to(chat)), timeout=15
        )
        return next(m for m in self.fake.sent_to(chat) if words in m["text"])

    async def top(self) -> str:
        """What the bot answers READER's /top (headlines may arrive meanwhile)."""
        before = len(self.fake.sent_to(READER))
        self.fake.send_update(READER, "/top 5")

        def answer(fake: FakeTelegram) -> str:
            later = [m["text"] for m in fake.sent_to(READER)[before:]]
            return next((t for t in later if t.startswith("<b>가장 많이 본 뉴스")), "")

        return await self.fake.wait_for(answer, timeout=15)


async def recorded_as_sent(app: App, deliveries: int) -> None:
    """Until the store has marked at least ``deliveries`` rows sent (the fake sees a message a
    moment before the dispatcher records it; a correction may follow it at once)."""
    async with asyncio.timeout(15):
        while True:
            async with app.sessions() as session:
                sent = await session.scalar(
                    select(func.count())
                    .select_from(Delivery)
                    .where(Delivery.state == DeliveryState.SENT)
                )
            if (sent or 0) >= deliveries:
                return
            await asyncio.sleep(0.02)


async def count(app: App, model: type[Article] | type[Delivery]) -> int:
    async with app.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
async def cms(app: App, fake_telegram: FakeTelegram) -> AsyncIterator[Running]:
    await add_chat(app, str(READER), ALL_NEWS, platform="telegram")
    settings = make_settings(
        app.settings.database_url,
        telegram_token=TOKEN,
        api_token=API_TOKEN,
        api_max_bytes=MAX_BYTES,
        api_per_minute=PER_MINUTE,
        http_listen="127.0.0.1:0",
        corrections_in_place=True,
    )
    bot = build_bot(
        dataclasses.replace(app, settings=settings),
        overrides=Overrides(
            platforms={
                "telegram": TelegramPlatform(TOKEN, api_url=fake_telegram.api_url, limits=FAST)
            },
            dispatch_owner="e2e:cms",
        ),
    )
    # No timed matching pass to fall back on: an article arrives only if its POST woke the
    # matcher (in-process on SQLite, by the trigger's NOTIFY on PostgreSQL).
    bot.service.match_idle = 3600
    task = asyncio.create_task(bot.service.run(lead=True))
    try:
        await fake_telegram.wait_for(lambda f: f.polling, timeout=15)
        assert bot.server is not None and bot.server.port  # the API alone started the server
        yield Running(bot, fake_telegram, app)
    finally:
        bot.service.stop.set()
        await asyncio.wait_for(task, timeout=15)


# --- publishing ---------------------------------------------------------------------------


async def test_a_posted_article_reaches_a_subscribed_telegram_chat(cms: Running) -> None:
    answer = await cms.post("/api/articles", article(1, "판교 자율주행 버스 첫 운행"))

    assert (answer.status, answer.body) == (
        200,
        {
            "received": 1,
            "stored": 1,
            "new": 1,
            "corrected": 0,
            "updated": 0,
            "unchanged": 0,
            "rejected": [],
        },
    )
    sent = await cms.received("판교 자율주행 버스 첫 운행")
    assert "https://news.example.kr/articleView.html?idxno=1" in sent["text"]


async def test_a_json_array_is_stored_item_by_item(cms: Running) -> None:
    answer = await cms.post("/api/articles", [article(1), article(2), {"title": "주소 없음"}])

    assert answer.status == 200
    assert (answer.body["received"], answer.body["new"]) == (3, 2)
    assert answer.body["rejected"] == [
        {"record": 3, "reason": "url: Field required; published_at: Field required"}
    ]
    await cms.received("시청 소식 1")
    await cms.received("시청 소식 2")


async def test_ndjson_with_bad_lines_rejects_each_with_its_line_and_stores_the_rest(
    cms: Running,
) -> None:
    body = ndjson(
        article(1),
        "{not json",
        article(2, url="ftp://news.example.kr/2"),
        "",
        article(3, published_at="어제 오후"),
        article(4),
    )

    answer = await cms.post("/api/articles", body)

    assert answer.status == 200
    assert (answer.body["received"], answer.body["stored"], answer.body["new"]) == (5, 2, 2)
    assert answer.body["rejected"] == [
        {
            "line": 2,
            "reason": "not JSON: Expecting property name enclosed in double quotes at column 2",
        },
        {"line": 3, "reason": "not an absolute http(s) URL: 'ftp://news.example.kr/2'"},
        {
            "line": 5,
            "reason": "published_at: Input should be a valid datetime or date, "
            "invalid character in year",
        },
    ]
    await cms.received("시청 소식 4")
    await cms.received("시청 소식 1")
    assert await count(cms.app, Article) == 2


async def test_a_body_with_nothing_to_store_is_422_and_one_that_is_not_json_is_400(
    cms: Running,
) -> None:
    nothing = await cms.post("/api/articles", ndjson({"title": "제목만"}, "[1, 2"))
    garbage = await cms.post("/api/articles", b"<rss>not what the API takes</rss>")
    empty = await cms.post("/api/articles", b"  \n")

    assert nothing.status == 422
    assert [r["line"] for r in nothing.body["rejected"]] == [1, 2]
    assert (nothing.body["received"], nothing.body["stored"]) == (2, 0)
    assert (garbage.status, empty.status) == (400, 400)
    assert garbage.body["error"].startswith("the body is not JSON: ")
    assert "empty" in empty.body["error"]
    assert await count(cms.app, Article) == 0


async def test_a_correction_edits_the_message_already_sent(cms: Running) -> None:
    await cms.post("/api/articles", article(7, "시의회 예산안 통과"))
    first = await cms.received("시의회 예산안 통과")
    # A correction goes to the chats the store knows were sent the article (see the report:
    # one that lands while the headline is in flight is not sent to that chat).
    await recorded_as_sent(cms.app, 1)

    answer = await cms.post("/api/articles", article(7, "시의회 예산안 수정 통과"))

    assert (answer.status, answer.body["corrected"], answer.body["new"]) == (200, 1, 0)
    await cms.fake.wait_for(
        lambda f: "시의회 예산안 수정 통과" in f.last_message(READER, first["message_id"])["text"],
        timeout=15,
    )
    assert len(cms.fake.sent_to(READER)) == 1  # edited in place, not sent again


async def test_a_correction_posted_at_once_reaches_the_reader_however_the_race_falls(
    cms: Running, clock: FixedClock
) -> None:
    await cms.post("/api/articles", article(8, "구청 예산안 통과"))
    answer = await cms.post("/api/articles", article(8, "구청 예산안 수정 통과"))  # no wait
    await recorded_as_sent(cms.app, 1)
    clock.advance(seconds=cms.bot.app.settings.dispatch_lease_seconds)  # a held-back correction

    def shows_the_correction(fake: FakeTelegram) -> bool:
        sent = fake.sent_to(READER)
        return (
            bool(sent) and "수정 통과" in fake.last_message(READER, sent[0]["message_id"])["text"]
        )

    await cms.fake.wait_for(shows_the_correction, timeout=15)
    assert answer.body["corrected"] == 1
    assert len(cms.fake.sent_to(READER)) == 1  # the one copy, right either way


async def test_posting_the_same_article_again_sends_nothing_twice(cms: Running) -> None:
    await cms.post("/api/articles", article(1))
    await cms.received("시청 소식 1")

    again = await cms.post("/api/articles", article(1))
    await cms.post("/api/articles", article(2))  # sent after anything the re-post caused
    await cms.received("시청 소식 2")

    assert (again.status, again.body["stored"], again.body["unchanged"]) == (200, 1, 1)
    assert sum("시청 소식 1" in text for text in cms.texts()) == 1
    assert await count(cms.app, Delivery) == 2


# --- views ----------------------------------------------------------------------------------


async def test_views_posted_during_the_day_reorder_top(cms: Running) -> None:
    await cms.post("/api/articles", [article(1, "조회 적은 기사"), article(2, "조회 많은 기사")])

    first = await cms.post(
        "/api/views",
        ndjson(
            {"url": article(1)["url"], "date": TODAY, "views": 900},
            {"guid": "cms-2", "date": TODAY, "views": 100},
        ),
    )
    before = await cms.top()
    later = await cms.post(
        "/api/views",
        f"guid,date,views\ncms-2,{TODAY},5000\nno-such-article,{TODAY},7\n".encode(),
    )
    after = await cms.top()

    assert (first.status, first.body) == (200, {"received": 2, "stored": 2, "rejected": []})
    assert before.index("조회 적은 기사") < before.index("조회 많은 기사")
    assert (later.status, later.body["stored"]) == (200, 1)
    assert later.body["rejected"] == [
        {"line": 3, "reason": "no stored article for no-such-article"}
    ]
    assert after.index("조회 많은 기사") < after.index("조회 적은 기사")


async def test_views_for_no_stored_article_store_nothing_and_say_so(cms: Running) -> None:
    answer = await cms.post("/api/views", [{"guid": "unknown", "date": TODAY, "views": 3}])

    assert answer.status == 422
    assert answer.body == {
        "received": 1,
        "stored": 0,
        "rejected": [{"record": 1, "reason": "no stored article for unknown"}],
    }


# --- what is refused --------------------------------------------------------------------------


async def test_without_the_token_nothing_is_stored(cms: Running) -> None:
    missing = await cms.post("/api/articles", article(1), token=None)
    wrong = await cms.post("/api/articles", article(1), token=API_TOKEN + "x")
    views = await cms.post("/api/views", [], token="not-the-token-either")

    assert (missing.status, wrong.status, views.status) == (401, 401, 401)
    assert missing.headers["WWW-Authenticate"] == 'Bearer realm="newsbot"'
    assert "bearer token" in wrong.body["error"]
    assert await count(cms.app, Article) == 0


async def test_a_body_over_the_cap_is_413_with_or_without_a_length(cms: Running) -> None:
    huge = ndjson(*(article(n, "가" * 400) for n in range(30)))
    assert len(huge) > MAX_BYTES

    declared = await cms.post("/api/articles", huge)

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(huge), 4096):
            yield huge[start : start + 4096]

    async with (
        aiohttp.ClientSession() as client,
        client.post(
            cms.base + "/api/articles",
            data=chunks(),
            headers={"Authorization": f"Bearer {API_TOKEN}"},
        ) as streamed,
    ):
        streamed_status = streamed.status

    assert (declared.status, streamed_status) == (413, 413)
    assert str(MAX_BYTES) in declared.body["error"]
    assert await count(cms.app, Article) == 0


async def test_past_the_rate_limit_the_cms_is_told_when_to_come_back(cms: Running) -> None:
    answers = [await cms.post("/api/views", []) for _ in range(PER_MINUTE + 1)]

    statuses = {a.status for a in answers[:PER_MINUTE]}
    refused = answers[-1]
    assert statuses == {422}  # an empty list stores nothing, but still counts as a request
    assert refused.status == 429
    retry_after = int(refused.headers["Retry-After"])
    assert 1 <= retry_after <= 60 / PER_MINUTE
    assert refused.body["retry_after"] == retry_after
    # a refused request stores nothing even when it is good
    assert (await cms.post("/api/articles", article(1))).status == 429
    assert await count(cms.app, Article) == 0


async def test_the_token_alone_starts_the_http_server_with_the_api_on_it(app: App) -> None:
    settings = make_settings(app.settings.database_url, api_token=API_TOKEN)

    bot = build_bot(dataclasses.replace(app, settings=settings))

    assert bot.server is not None and bot.server.listen == Listen("127.0.0.1", 8080)
    assert {"/api/articles", "/api/views"} <= set(bot.server.paths)


async def test_the_api_is_off_without_a_token(app: App) -> None:
    settings = make_settings(app.settings.database_url, http_listen="127.0.0.1:0")
    bot = build_bot(dataclasses.replace(app, settings=settings))
    assert bot.cms_api is None
    assert bot.server is not None and "/api/articles" not in bot.server.paths
    without_listen = build_bot(app)
    assert without_listen.server is None  # and nothing starts an HTTP server for it


async def test_a_store_outage_is_503_and_the_same_body_sent_again_is_stored(app: App) -> None:
    """The API as the composition root mounts it, on a server of its own, over a store that
    cannot be reached at first: the CMS is told to come back, and loses nothing by it."""
    calls = 0

    async def articles(records: list[Record]) -> ImportReport:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise OperationalError("INSERT INTO articles", {}, ConnectionRefusedError())
        return await import_records(app.sessions, records, zone=app.settings.zone, clock=app.clock)

    async def views(records: list[Record]) -> ViewsReport:
        raise AssertionError("not posted here")

    server = HttpServer(Listen("127.0.0.1", 0))
    CmsApi(API_TOKEN, MAX_BYTES, RequestLimit(PER_MINUTE), articles, views).mount(server)
    await server.start()
    try:
        url = f"http://127.0.0.1:{server.port}/api/articles"
        headers = {"Authorization": f"Bearer {API_TOKEN}"}
        body = json.dumps([article(1), article(2)]).encode()
        async with aiohttp.ClientSession() as client:
            async with client.post(url, data=body, headers=headers) as down:
                down_status, retry_after = down.status, down.headers.get("Retry-After")
            async with client.post(url, data=body, headers=headers) as up:
                up_status, up_body = up.status, await up.json()
    finally:
        await server.stop()

    assert (down_status, retry_after) == (503, "5")
    assert (up_status, up_body["new"]) == (200, 2)
    assert await count(app, Article) == 2


# --- bad input is an answer, never a 500 ------------------------------------------------------


@contextlib.asynccontextmanager
async def api_server(
    app: App, *, max_bytes: int = MAX_BYTES, **decoders: Decode
) -> AsyncIterator[str]:
    """The API on a server of its own over ``app``'s store, storing through the real
    importer; yields its base URL."""

    async def articles(records: list[Record]) -> ImportReport:
        return await import_records(app.sessions, records, zone=app.settings.zone, clock=app.clock)

    async def views(records: list[Record]) -> ViewsReport:
        return await store_views(app.sessions, records)

    server = HttpServer(Listen("127.0.0.1", 0))
    CmsApi(API_TOKEN, max_bytes, RequestLimit(60), articles, views, **decoders).mount(server)
    await server.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        await server.stop()


async def post(base: str, path: str, data: bytes) -> tuple[int, Json]:
    headers = {"Authorization": f"Bearer {API_TOKEN}"}
    async with (
        aiohttp.ClientSession() as client,
        client.post(base + path, data=data, headers=headers) as response,
    ):
        return response.status, await response.json()


DEEP = "[" * 5000 + "]" * 5000  # deeper than Python's recursion limit, under MAX_BYTES


async def test_an_authorization_header_that_is_not_utf8_is_401_not_a_crash(app: App) -> None:
    async with api_server(app) as base:
        port = int(base.rsplit(":", 1)[1])
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            b"POST /api/articles HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
            b"Authorization: Bearer \xff\xfe\xc3token\r\nConnection: close\r\n\r\n{}"
        )
        await writer.drain()
        status_line = await reader.readline()
        writer.close()

    assert status_line.split()[1] == b"401"
    assert await count(app, Article) == 0


async def test_deep_json_is_400_and_one_deep_ndjson_line_is_rejected_alone(app: App) -> None:
    async with api_server(app) as base:
        whole = await post(base, "/api/articles", DEEP.encode())
        lines = await post(base, "/api/articles", ndjson(article(1), '{"title": ' + DEEP + "}"))
        views = await post(base, "/api/views", DEEP.encode())

    assert whole == (400, {"error": "the body: JSON nested too deeply"})
    assert views == (400, {"error": "the body: JSON nested too deeply"})
    assert lines[0] == 200
    assert lines[1]["rejected"] == [{"line": 2, "reason": "JSON nested too deeply"}]
    assert await count(app, Article) == 1


async def test_a_csv_field_over_the_csv_readers_limit_is_400_saying_where(app: App) -> None:
    table = (
        b"url,date,views\n" + b"https://x.kr/" + b"x" * 200_000 + b"," + TODAY.encode() + b",5\n"
    )

    async with api_server(app, max_bytes=1_000_000) as base:
        status, body = await post(base, "/api/views", table)

    assert status == 400
    assert body["error"].startswith("the body: not CSV at line 2: field larger than field limit")


async def test_a_count_past_the_views_column_range_is_a_rejected_row(app: App) -> None:
    """article_views.views is a 32-bit integer on PostgreSQL: a bigger count is refused by
    the importer on either store, never left to the database."""
    async with api_server(app) as base:
        await post(base, "/api/articles", json.dumps(article(1)).encode())
        key = {"guid": "cms-1", "date": TODAY}
        rows = [key | {"views": 2**31 - 1}, key | {"views": 2**31}, key | {"views": 10**30}]
        status, body = await post(base, "/api/views", json.dumps(rows).encode())

    assert (status, body["stored"]) == (200, 1)
    assert body["rejected"] == [
        {
            "record": 2,
            "reason": "views 2147483648 is over 2147483647, the most a day's count can be",
        },
        {
            "record": 3,
            "reason": f"views {10**30} is over 2147483647, the most a day's count can be",
        },
    ]


async def test_a_body_is_read_off_the_event_loop_so_health_checks_answer_meanwhile(
    app: App,
) -> None:
    """The decoder is held until /healthz has answered: were it run on the event loop, the
    health check could not be served until it gave up, and the test would see that."""
    reading, answered = threading.Event(), threading.Event()
    released: list[bool] = []

    def held_decode(data: bytes) -> list[Record]:
        reading.set()
        released.append(answered.wait(timeout=10))
        return body_records(data)

    async with api_server(app, decode_articles=held_decode) as base:
        posting = asyncio.create_task(post(base, "/api/articles", json.dumps(article(1)).encode()))
        await asyncio.to_thread(reading.wait, 10)
        async with aiohttp.ClientSession() as client, client.get(base + "/healthz") as health:
            health_status = health.status
        answered.set()
        status, _ = await posting

    assert (health_status, released, status) == (200, [True], 200)
