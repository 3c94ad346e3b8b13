"""`newsbot poll --once` as an operator runs it: a real process, a real feed over HTTP."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.fakes.feed_server import FeedServer
from tests.processes import NEWSBOT

FEED = """<?xml version="1.0" encoding="euc-kr"?>
<rss version="2.0"><channel><title>경기 예시</title><link>https://news.example.kr/</link>
<item><title>성남시, 드론 배송 시범사업 시작</title>
<link>https://news.example.kr/news/articleView.html?idxno=1&amp;utm_source=rss</link>
<guid isPermaLink="false">n-1</guid><pubDate>Fri, 20 Nov 2026 09:00:00 +0900</pubDate>
<description>[뉴스21 통신=최세영 ] 성남시가 판교에서 드론택배를 시작한다.</description></item>
<item><title>수원 교통정보센터 개소</title>
<link>https://news.example.kr/news/articleView.html?idxno=2</link>
<guid isPermaLink="false">n-2</guid><pubDate>Fri, 20 Nov 2026 10:00:00 +0900</pubDate>
<description>수원시 교통정보센터가 문을 열었다.</description></item>
</channel></rss>""".encode("cp949")


async def newsbot(cwd: Path, *argv: str) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
    process = await asyncio.create_subprocess_exec(
        NEWSBOT,
        *argv,
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


@pytest.fixture
async def workdir(tmp_path: Path) -> AsyncIterator[Path]:
    yield tmp_path


async def test_an_operator_adds_a_feed_polls_it_and_lists_the_articles(
    workdir: Path, feed_server: FeedServer
) -> None:
    feed_server.add("/rss.xml", FEED, content_type="text/xml; charset=euc-kr")
    url = feed_server.url("/rss.xml")

    assert (await newsbot(workdir, "feeds", "add", url, "--section", "지역"))[0] == 0
    code, out, err = await newsbot(workdir, "poll", "--once")
    again = await newsbot(workdir, "poll", "--once")
    listed = await newsbot(workdir, "articles", "list")

    assert code == 0, err
    assert f"feed 1 {url}: new 2, updated 0, unchanged 0, rejected 0" in out
    assert again[1].strip() == "no feeds are due"  # the next check is an interval away
    assert "성남시, 드론 배송 시범사업 시작" in listed[1]
    assert "수원 교통정보센터 개소" in listed[1]


async def test_a_failing_feed_is_reported_and_the_command_exits_1(
    workdir: Path, feed_server: FeedServer
) -> None:
    feed_server.add("/gone.xml", b"not here", status=404, content_type="text/plain")
    url = feed_server.url("/gone.xml")
    await newsbot(workdir, "feeds", "add", url)

    code, out, err = await newsbot(workdir, "poll", "--once")
    listed = await newsbot(workdir, "feeds", "list", "--json")

    assert code == 1
    assert f"feed 1 {url}: failed: HTTP 404 Not Found" in out
    assert "Traceback" not in err
    assert '"state": "failing"' in listed[1]
    assert '"last_error": "HTTP 404 Not Found"' in listed[1]
