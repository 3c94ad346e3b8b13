"""A fake feed publisher: a real HTTP server on loopback that serves whatever a test registers.

Each test registers routes (a body with its headers, validators that earn a 304, a redirect, a
slow, chunked or gzip-encoded answer, an error status) and then reads ``requests`` to see
exactly what the poller sent. The server binds port 0 inside the test's event loop and is a
fixture, never a global, so tests can run side by side.
"""

from __future__ import annotations

import asyncio
import gzip as gzip_codec
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field

import pytest
from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request as the server received it."""

    method: str
    path: str
    query: str
    headers: CIMultiDictProxy[str]
    body: bytes


@dataclass(slots=True)
class Route:
    status: int = 200
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    gzip: bool = False
    delay: float = 0.0  # seconds to wait before answering at all
    chunks: Sequence[bytes] | None = None  # streamed chunked, with no Content-Length
    chunk_delay: float = 0.0  # seconds between chunks: a publisher that drips
    hold: asyncio.Barrier | None = None  # answer only when every party of the barrier asked


class FeedServer:
    """Serves registered routes on 127.0.0.1 and records every request it gets."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[RecordedRequest] = []
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._handlers: set[asyncio.Task[object]] = set()

    # --- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        # handler_cancellation: a handler whose client hung up (a timed-out fetch) is cancelled
        # instead of sleeping on; a short shutdown_timeout keeps teardown quick either way.
        self._runner = web.AppRunner(
            app, handle_signals=False, handler_cancellation=True, shutdown_timeout=0.5
        )
        await self._runner.setup()
        self._site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await self._site.start()

    async def close(self) -> None:
        for task in list(self._handlers):
            task.cancel()
        if self._handlers:
            await asyncio.gather(*self._handlers, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def port(self) -> int:
        assert self._site is not None, "the feed server is not started"
        return self._site.port

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    # --- registering routes ----------------------------------------------------------------

    def add(
        self,
        path: str,
        body: bytes = b"",
        *,
        status: int = 200,
        content_type: str | None = "application/rss+xml; charset=utf-8",
        headers: Mapping[str, str] | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
        gzip: bool = False,
        delay: float = 0.0,
        chunks: Sequence[bytes] | None = None,
        chunk_delay: float = 0.0,
        hold: asyncio.Barrier | None = None,
    ) -> None:
        """Serve ``body`` at ``path`` (replacing what was there).

        ``etag``/``last_modified`` are sent and answered with 304 when the request's
        If-None-Match / If-Modified-Since matches; ``gzip`` compresses the body and says so;
        ``chunks`` are streamed instead of ``body``, chunked and with no Content-Length;
        ``hold`` makes routes sharing a barrier answer together, so their clients race.
        """
        all_headers = dict(headers or {})
        if content_type is not None:
            all_headers["Content-Type"] = content_type
        self.routes[path] = Route(
            status=status,
            body=body,
            headers=all_headers,
            etag=etag,
            last_modified=last_modified,
            gzip=gzip,
            delay=delay,
            chunks=chunks,
            chunk_delay=chunk_delay,
            hold=hold,
        )

    def redirect(self, path: str, to: str, *, status: int = 302) -> None:
        """Answer ``path`` with a redirect to ``to`` (a path on this server or a full URL)."""
        self.add(path, status=status, content_type=None, headers={"Location": to})

    def requests_to(self, path: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path == path]

    # --- serving ---------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(
            RecordedRequest(
                method=request.method,
                path=request.path,
                query=request.query_string,
                headers=CIMultiDictProxy(CIMultiDict(request.headers)),
                body=await request.read(),
            )
        )
        route = self.routes.get(request.path)
        if route is None:
            return web.Response(status=404, text="no such feed")
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            if route.hold is not None:
                await route.hold.wait()
            if route.delay:
                await asyncio.sleep(route.delay)
            return await self._answer(request, route)
        finally:
            self._handlers.discard(task)

    async def _answer(self, request: web.Request, route: Route) -> web.StreamResponse:
        headers = CIMultiDict(route.headers)
        if route.etag:
            headers["ETag"] = route.etag
        if route.last_modified:
            headers["Last-Modified"] = route.last_modified
        if route.status == 200 and _not_modified(request, route):
            headers.pop("Content-Type", None)
            return web.Response(status=304, headers=headers)
        if route.chunks is not None:
            return await self._stream(request, route, headers)
        body = gzip_codec.compress(route.body) if route.gzip else route.body
        if route.gzip:
            headers["Content-Encoding"] = "gzip"
        return web.Response(status=route.status, body=body, headers=headers)

    async def _stream(
        self, request: web.Request, route: Route, headers: CIMultiDict[str]
    ) -> web.StreamResponse:
        response = web.StreamResponse(status=route.status, headers=headers)
        response.enable_chunked_encoding()
        await response.prepare(request)
        try:
            for chunk in route.chunks or ():
                await response.write(chunk)
                if route.chunk_delay:
                    await asyncio.sleep(route.chunk_delay)
            await response.write_eof()
        except ConnectionResetError:
            pass  # the client stopped reading, as a size cap should make it
        return response


def _not_modified(request: web.Request, route: Route) -> bool:
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:  # takes precedence over If-Modified-Since (RFC 9110 13.2.2)
        return route.etag is not None and route.etag in (
            t.strip() for t in if_none_match.split(",")
        )
    if_modified_since = request.headers.get("If-Modified-Since")
    return route.last_modified is not None and if_modified_since == route.last_modified


@pytest.fixture(name="feed_server")
async def feed_server_fixture() -> AsyncIterator[FeedServer]:
    """A started FeedServer; import this name into a test module to use ``feed_server``."""
    server = FeedServer()
    await server.start()
    try:
        yield server
    finally:
        await server.close()
