"""python-telegram-bot's transport over one aiohttp session.

../shared/design/FANOUT-THROUGHPUT.md measured PTB's stock HTTPX layer at about 430
sendMessage/s from one process on this kind of machine (its connection-pool scan dominates),
against about 3,100/s for a BaseRequest over aiohttp, everything above the transport
unchanged. Fan-out to thousands of chats needs the latter. Timeouts become PTB's TimedOut and
transport failures its NetworkError, so error handling above is the same as with the stock
layer.
"""

from __future__ import annotations

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData


class AiohttpRequest(BaseRequest):
    def __init__(
        self,
        *,
        connections: int = 64,
        read_timeout: float = 5.0,
        connect_timeout: float = 5.0,
        media_timeout: float = 20.0,
    ) -> None:
        self._connections = connections
        self._read_timeout = read_timeout
        self._connect_timeout = connect_timeout
        self._media_timeout = media_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._connections, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(connector=connector)

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        files = request_data.multipart_data if request_data else None
        read = self._read_timeout if isinstance(read_timeout, DefaultValue) else read_timeout
        if files:
            read = max(read or 0.0, self._media_timeout)
            form = aiohttp.FormData()
            for key, value in (request_data.json_parameters if request_data else {}).items():
                form.add_field(key, value)
            for name, (filename, content, mime) in files.items():
                form.add_field(name, content, filename=filename, content_type=mime)
            body: object = form
            headers = {"User-Agent": self.USER_AGENT}
        else:
            body = request_data.json_payload if request_data else b""
            headers = {"User-Agent": self.USER_AGENT, "Content-Type": "application/json"}
        timeout = aiohttp.ClientTimeout(
            total=None,
            sock_connect=self._connect_timeout
            if isinstance(connect_timeout, DefaultValue)
            else connect_timeout,
            sock_read=read,
        )
        try:
            async with self._session.request(
                method, url, data=body, headers=headers, timeout=timeout
            ) as response:
                return response.status, await response.read()
        except TimeoutError as exc:
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc
