"""Fetching feed bytes politely and defensively.

Conditional GET (ETag / Last-Modified → 304), redirects (at most five), a timeout on every
phase, and a cap on the *decoded* size so a gzip bomb or an endless stream cannot eat memory.
Failures come back as FetchError with a reason an operator can read in `newsbot feeds list`.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass

import httpx

MAX_REDIRECTS = 5


class FetchError(Exception):
    def __init__(self, reason: str, status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


@dataclass(frozen=True, slots=True)
class Fetched:
    status: int  # 200 or 304
    body: bytes
    content_type: str | None
    etag: str | None
    last_modified: str | None
    final_url: str
    permanent_url: str | None  # where an unbroken run of 301/308 from the start led


def make_client(*, timeout: float, user_agent: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        follow_redirects=True,
        max_redirects=MAX_REDIRECTS,
        timeout=httpx.Timeout(timeout),
        headers={
            "User-Agent": user_agent,
            "Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, "
            "text/xml;q=0.8, */*;q=0.5",
        },
    )


def _permanent_target(response: httpx.Response) -> str | None:
    """Only permanent hops from the start count: a 301 to a 302'd CDN URL moves the feed to
    the 301's target, not to today's signed CDN address."""
    hops = [*response.history, response]
    target = None
    for hop, following in itertools.pairwise(hops):
        if hop.status_code not in (301, 308):
            break
        target = str(following.url)
    return target


async def fetch_feed(
    client: httpx.AsyncClient,
    url: str,
    *,
    max_bytes: int,
    etag: str | None = None,
    last_modified: str | None = None,
    deadline: float = 60.0,
) -> Fetched:
    """Fetch within ``deadline`` seconds overall: a server that drips bytes just under the
    per-read timeout must not hold a polling slot for ever."""
    try:
        async with asyncio.timeout(deadline):
            return await _fetch(client, url, max_bytes, etag, last_modified)
    except TimeoutError:
        raise FetchError(f"timed out (no complete response within {deadline:g}s)") from None


async def _fetch(
    client: httpx.AsyncClient,
    url: str,
    max_bytes: int,
    etag: str | None,
    last_modified: str | None,
) -> Fetched:
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        async with client.stream("GET", url, headers=headers) as response:
            moved = _permanent_target(response)
            if response.status_code == 304:
                return Fetched(304, b"", None, etag, last_modified, str(response.url), moved)
            if response.status_code >= 400:
                raise FetchError(
                    f"HTTP {response.status_code} {response.reason_phrase}", response.status_code
                )
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise FetchError(
                    f"response is {declared} bytes, over the {max_bytes} limit",
                    response.status_code,
                )
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise FetchError(
                        f"response is over the {max_bytes} byte limit", response.status_code
                    )
                chunks.append(chunk)
            return Fetched(
                status=response.status_code,
                body=b"".join(chunks),
                content_type=response.headers.get("content-type"),
                etag=response.headers.get("etag"),
                last_modified=response.headers.get("last-modified"),
                final_url=str(response.url),
                permanent_url=moved,
            )
    except httpx.TooManyRedirects:
        raise FetchError(f"more than {MAX_REDIRECTS} redirects") from None
    except httpx.TimeoutException as exc:
        raise FetchError(f"timed out ({type(exc).__name__})") from None
    except httpx.DecodingError as exc:
        raise FetchError(f"cannot decode the response: {exc}") from None
    except httpx.InvalidURL as exc:
        raise FetchError(f"invalid URL: {exc}") from None
    except httpx.TransportError as exc:
        raise FetchError(f"cannot connect: {exc or type(exc).__name__}") from None
