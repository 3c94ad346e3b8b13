"""The CMS push API: ``POST /api/articles`` and ``POST /api/views`` on the one HTTP server.

A thin translator between HTTP and the importer. It checks the bearer token, the rate and
the size, decodes the body with ``newsbot.ingest.payloads`` (the same reader as `newsbot
import`), hands the records to the composition root's store functions, and answers JSON.
What is stored, de-duplicated or corrected, and what wakes the matcher, is decided below it.

    401  no bearer token, or not NEWSBOT_API_TOKEN           {"error": …}, WWW-Authenticate
    429  over NEWSBOT_API_PER_MINUTE for the token            {"error": …, "retry_after": s}
    413  body over NEWSBOT_API_MAX_BYTES                      {"error": …}
    400  body empty, or not JSON / NDJSON (CSV for views)     {"error": …}
    200  at least one item stored (new, corrected, updated or unchanged: already there)
    422  nothing stored: every item was rejected              both with the report below
    503  the store cannot be reached: send it again           {"error": …}, Retry-After

Reading a body (up to NEWSBOT_API_MAX_BYTES of JSON) is CPU work: it runs on a worker thread
(``asyncio.to_thread``), as do the importer's drafting and indexing below, so the loop that
also serves /healthz, webhooks and the dispatchers is never held for a whole body.

The report: ``received`` items, ``stored``, per-outcome counts for articles, and
``rejected``: one ``{"line": n, "reason": …}`` (NDJSON, CSV) or ``{"record": n, …}`` (a JSON
array) per refused item, so a CMS can fix exactly those and send the rest no more.
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import json
import logging
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from newsbot.errors import InputError
from newsbot.ingest.drafts import Problem
from newsbot.ingest.importer import ImportReport
from newsbot.ingest.payloads import Record, body_records, table_records
from newsbot.ingest.view_counts import ViewsReport
from newsbot.platforms.request_limit import RequestLimit
from newsbot.platforms.web import HttpServer
from newsbot.store.articles import Outcome
from newsbot.store.outage import is_unreachable

log = logging.getLogger(__name__)

ARTICLES_PATH = "/api/articles"
VIEWS_PATH = "/api/views"
STORE_RETRY_SECONDS = 5  # Retry-After while the store is unreachable
CHUNK = 64 * 1024
_dumps = functools.partial(json.dumps, ensure_ascii=False)  # reasons quote Korean titles

StoreArticles = Callable[[list[Record]], Awaitable[ImportReport]]
StoreViews = Callable[[list[Record]], Awaitable[ViewsReport]]
Decode = Callable[[bytes], list[Record]]


class _Refused(Exception):
    """An answer other than the report, with its status and headers."""

    def __init__(
        self, status: int, error: str, headers: dict[str, str] | None = None, **extra: Any
    ) -> None:
        super().__init__(error)
        self.status, self.error, self.extra = status, error, extra
        self.headers = headers or {}


@dataclass(slots=True)
class CmsApi:
    """The API's two routes; ``mount`` them on the server before it starts."""

    token: str
    max_bytes: int
    limit: RequestLimit
    store_articles: StoreArticles
    store_views: StoreViews
    decode_articles: Decode = body_records
    decode_views: Decode = table_records

    def mount(self, server: HttpServer) -> None:
        server.route("POST", ARTICLES_PATH, self._articles)
        server.route("POST", VIEWS_PATH, self._views)

    async def _articles(self, request: web.Request) -> web.Response:
        return await self._answer(request, self.decode_articles, self._article_report)

    async def _views(self, request: web.Request) -> web.Response:
        return await self._answer(request, self.decode_views, self._views_report)

    async def _answer(
        self,
        request: web.Request,
        decode: Decode,
        report: Callable[[list[Record]], Awaitable[tuple[bool, dict[str, Any]]]],
    ) -> web.Response:
        try:
            self._authorize(request)
            data = await self._body(request)
            try:
                records = await asyncio.to_thread(decode, data)
            except InputError as problem:
                raise _Refused(400, str(problem)) from None
            stored, body = await report(records)
        except _Refused as refused:
            return web.json_response(
                {"error": refused.error, **refused.extra},
                status=refused.status,
                headers=refused.headers,
                dumps=_dumps,
            )
        except Exception as problem:
            if not is_unreachable(problem):
                raise  # a bug: aiohttp logs it and answers 500
            log.warning("cms api: the store cannot be reached: %s", problem)
            return web.json_response(
                {"error": "the store cannot be reached; send the same body again later"},
                status=503,
                headers={"Retry-After": str(STORE_RETRY_SECONDS)},
            )
        return web.json_response(body, status=200 if stored else 422, dumps=_dumps)

    def _authorize(self, request: web.Request) -> None:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        given = given.strip()
        # The token is printable ASCII (config checks it); a header that is not (aiohttp
        # keeps undecodable bytes as surrogates) cannot be it, and must not reach .encode().
        if (
            scheme.lower() != "bearer"
            or not given.isascii()
            or not hmac.compare_digest(given.encode(), self.token.encode())
        ):
            raise _Refused(
                401,
                "missing or wrong bearer token (Authorization: Bearer <token>)",
                {"WWW-Authenticate": 'Bearer realm="newsbot"'},
            )
        wait = self.limit.take(self.token)
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            raise _Refused(
                429,
                f"too many requests: send again in {seconds} s",
                {"Retry-After": str(seconds)},
                retry_after=seconds,
            )

    async def _body(self, request: web.Request) -> bytes:
        """The whole body, refused as soon as it is known to be over ``max_bytes``."""
        too_big = _Refused(413, f"the body is over {self.max_bytes} bytes; send it in parts")
        if request.content_length is not None and request.content_length > self.max_bytes:
            raise too_big
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.content.iter_chunked(CHUNK):
            size += len(chunk)
            if size > self.max_bytes:
                raise too_big
            chunks.append(chunk)
        return b"".join(chunks)

    async def _article_report(self, records: list[Record]) -> tuple[bool, dict[str, Any]]:
        report = await self.store_articles(records)
        stored = sum(report.counts.values())
        body: dict[str, Any] = {
            "received": len(records),
            "stored": stored,
            **{outcome.value: report.counts[outcome] for outcome in Outcome},
            "rejected": [_rejection(p) for p in report.problems],
        }
        if report.notes:
            body["notes"] = report.notes
        return stored > 0, body

    async def _views_report(self, records: list[Record]) -> tuple[bool, dict[str, Any]]:
        report = await self.store_views(records)
        return report.stored > 0, {
            "received": len(records),
            "stored": report.stored,
            "rejected": [_rejection(p) for p in report.problems],
        }


def _rejection(problem: Problem) -> dict[str, Any]:
    """``line 3`` → {"line": 3, …}; ``record 2`` → {"record": 2, …}; else {"where": …}."""
    kind, _, number = problem.where.partition(" ")
    if kind in ("line", "record") and number.isdigit():
        return {kind: int(number), "reason": problem.reason}
    return {"where": problem.where, "reason": problem.reason}
