"""The HTTP/1.1 server: a thin asyncio Protocol on uvloop with httptools' parser.

One ``HttpConnection`` per TCP connection. Requests on a connection are answered in order
(pipelining); the handler for a request starts as soon as its headers are parsed and reads the body
as a stream, so a multi-GiB upload is never held in memory. Reading pauses while a body's unread
buffer is above a high-water mark (backpressure) and writing waits for the transport to drain.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from functools import lru_cache
from urllib.parse import unquote_plus

import httptools

from pycloud.protocol.message import BodyStream, HttpRequest, HttpResponse

log = logging.getLogger(__name__)

Handler = Callable[[HttpRequest], Awaitable[HttpResponse]]
NativeAnswer = Callable[[bytes, str], "bytes | bool | None"]

_HIGH_WATER = 1024 * 1024  # unread request-body bytes before we stop reading the socket
_LOW_WATER = 256 * 1024
_REASONS = {
    100: "Continue", 200: "OK", 201: "Created", 202: "Accepted", 204: "No Content",
    206: "Partial Content", 301: "Moved Permanently", 302: "Found", 303: "See Other",
    304: "Not Modified", 307: "Temporary Redirect", 400: "Bad Request", 401: "Unauthorized",
    403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 408: "Request Timeout",
    409: "Conflict", 411: "Length Required", 412: "Precondition Failed", 413: "Payload Too Large",
    414: "URI Too Long", 416: "Range Not Satisfiable", 429: "Too Many Requests",
    431: "Request Header Fields Too Large", 500: "Internal Server Error", 501: "Not Implemented",
    503: "Service Unavailable",
}


class ClientDisconnected(Exception):
    """The peer went away while its request body was still being read."""


_unquote_plus = lru_cache(maxsize=4096)(unquote_plus)
"""Encoded parameters repeat (a presigned URL's credential on every replay): decode each once."""


def parse_query(raw: str) -> dict[str, list[str]]:
    """Decode a query string into name → values, keeping blank values (``?uploads`` → ``[""]``)."""
    result: dict[str, list[str]] = {}
    if not raw:
        return result
    for part in raw.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        # Most names and values need no decoding: skip the slow path for each one that doesn't.
        if "%" in name or "+" in name:
            name = _unquote_plus(name)
        if "%" in value or "+" in value:
            value = _unquote_plus(value)
        result.setdefault(name, []).append(value)
    return result


class RequestBody(BodyStream):
    """The streaming body of one request, fed by the connection and read by the handler."""

    __slots__ = ("_conn", "_chunks", "_buffered", "_complete", "_waiter", "_error", "_expect_continue")

    def __init__(self, conn: HttpConnection, expect_continue: bool) -> None:
        self._conn = conn
        self._chunks: deque[bytes] = deque()
        self._buffered = 0
        self._complete = False
        self._waiter: asyncio.Future | None = None
        self._error: Exception | None = None
        self._expect_continue = expect_continue

    # -- producer side (the connection) --
    def feed(self, data: bytes) -> None:
        self._chunks.append(data)
        self._buffered += len(data)
        if self._buffered > _HIGH_WATER:
            self._conn.pause_reading()
        self._wake()

    def finish(self) -> None:
        self._complete = True
        self._wake()

    def fail(self, exc: Exception) -> None:
        self._error = exc
        self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    # -- consumer side (the handler) --
    async def read(self) -> bytes:
        """The next chunk of the body, or ``b""`` at its end."""
        if self._expect_continue:
            self._expect_continue = False
            self._conn.send_continue()
        while not self._chunks:
            if self._complete:
                return b""
            if self._error is not None:
                raise self._error
            self._waiter = self._conn.loop.create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        chunk = self._chunks.popleft()
        self._buffered -= len(chunk)
        if self._buffered < _LOW_WATER:
            self._conn.resume_reading()
        return chunk

    async def read_all(self, limit: int | None = None) -> bytes:
        """The whole body (fast path when it has already arrived in full)."""
        if self._complete and not self._expect_continue:
            data = b"".join(self._chunks) if len(self._chunks) != 1 else self._chunks[0]
            self._chunks.clear()
            self._buffered = 0
            if limit is not None and len(data) > limit:
                raise ValueError("body exceeds limit")
            self._conn.resume_reading()
            return data
        return await super().read_all(limit)

    @property
    def complete(self) -> bool:
        return self._complete


class HttpConnection(asyncio.Protocol):
    """One client connection: parses requests, runs the handler per request, writes responses."""

    def __init__(self, server: HttpServer) -> None:
        self.server = server
        self.loop = server.loop
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpRequestParser(self)
        self.remote_addr = ""
        self._url = b""
        self._headers: dict[str, str] = {}
        self._header_bytes = 0
        self._current_body: RequestBody | None = None
        self._pending: deque[tuple[HttpRequest, RequestBody, bool]] = deque()
        self._worker: asyncio.Task | None = None
        self._reading_paused = False
        self._writable = asyncio.Event()
        self._writable.set()
        self._closing = False
        self._discarding = False
        self._deadline = 0.0  # loop time after which an idle/slow connection is closed; 0: none
        self._in_flight = False
        self._between = True  # the parser is between requests (nothing of the next one fed to it)
        self._held = b""  # the start of a request offered to the native front, not yet fed to the parser

    # -- asyncio.Protocol --
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        peer = transport.get_extra_info("peername")
        if peer:
            self.remote_addr = str(peer[0])
        self.server.connections.add(self)
        self._set_deadline(self.server.settings_header_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        self.server.connections.discard(self)
        self._closing = True
        self._deadline = 0.0
        if self._current_body is not None and not self._current_body.complete:
            self._current_body.fail(ClientDisconnected())
        for _, body, _ in self._pending:
            if not body.complete:
                body.fail(ClientDisconnected())
        self._writable.set()
        if self._worker is not None and not self._worker.done():
            self._worker.cancel()

    def data_received(self, data: bytes) -> None:
        if self._discarding:
            return
        if self._held:
            data = self._held + data
            self._held = b""
        server = self.server
        native = server.native
        if (native is not None and self._between and not self._in_flight and not self._pending
                and self._writable.is_set() and not server.shutting_down):
            # A request read on an idle connection: the native front may answer it whole.
            response = native(data, self.remote_addr)
            if response is False:  # its start: hold it until the rest arrives
                self._held = data
                self._set_deadline(server.settings_header_timeout)
                return
            if response is not None:
                self.transport.write(response)  # type: ignore[union-attr]
                self._set_deadline(server.idle_timeout)
                return
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._reject(400, "Protocol upgrades are not supported")
        except httptools.HttpParserError as exc:
            if self._current_body is not None:
                self._current_body.fail(ClientDisconnected())
            # httptools wraps exceptions raised in callbacks; ours carry their own status.
            cause = exc.__context__ if isinstance(exc.__context__, _RequestTooLarge) else None
            if cause is not None:
                self._reject(cause.status, str(cause))
            else:
                self._reject(400, f"Malformed HTTP request: {exc}")
        except _RequestTooLarge as exc:
            self._reject(exc.status, str(exc))

    def pause_writing(self) -> None:
        self._writable.clear()

    def resume_writing(self) -> None:
        self._writable.set()

    # -- httptools callbacks --
    def on_message_begin(self) -> None:
        self._between = False
        self._url = b""
        self._headers = {}
        self._header_bytes = 0
        if not self._in_flight:
            self._set_deadline(self.server.settings_header_timeout)

    def on_url(self, url: bytes) -> None:
        self._url += url
        self._header_bytes += len(url)
        if self._header_bytes > self.server.max_header_bytes:
            raise _RequestTooLarge(414, "Request URI too long")

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_bytes += len(name) + len(value)
        if self._header_bytes > self.server.max_header_bytes:
            raise _RequestTooLarge(431, "Request headers too large")
        key = name.decode("latin-1").lower()
        text = value.decode("latin-1")
        previous = self._headers.get(key)
        self._headers[key] = text if previous is None else f"{previous},{text}"

    def on_headers_complete(self) -> None:
        url = self._url.decode("latin-1")
        path, _, raw_query = url.partition("?")
        if "#" in raw_query:
            raw_query = raw_query.split("#", 1)[0]
        headers = self._headers
        request = HttpRequest(
            method=self.parser.get_method().decode("ascii"),
            path=path,
            raw_query=raw_query,
            query=parse_query(raw_query),
            headers=headers,
            remote_addr=self.remote_addr,
        )
        expect = headers.get("expect", "").lower() == "100-continue"
        body = RequestBody(self, expect)
        request.stream = body
        self._current_body = body
        keep_alive = self.parser.should_keep_alive()
        self._pending.append((request, body, keep_alive))
        if self._worker is None or self._worker.done():
            self._worker = self.loop.create_task(self._run())

    def on_body(self, body: bytes) -> None:
        if self._current_body is not None:
            self._current_body.feed(body)

    def on_message_complete(self) -> None:
        self._between = True
        if self._current_body is not None:
            self._current_body.finish()
            self._current_body = None
        if len(self._pending) > 16:  # pipelined requests pile up: stop reading until we catch up
            self.pause_reading()

    # -- flow control --
    def pause_reading(self) -> None:
        if not self._reading_paused and self.transport is not None and not self._closing:
            self._reading_paused = True
            self.transport.pause_reading()

    def resume_reading(self) -> None:
        if self._reading_paused and self.transport is not None and not self._closing:
            self._reading_paused = False
            self.transport.resume_reading()

    def send_continue(self) -> None:
        if self.transport is not None and not self._closing:
            self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    # -- timeouts: one deadline per connection, checked by the server's sweeper (no per-request timers) --
    def _set_deadline(self, seconds: float) -> None:
        self._deadline = self.loop.time() + seconds if seconds > 0 else 0.0

    def expire(self, now: float) -> None:
        """Close the connection if its idle/header deadline has passed and nothing is in flight."""
        if self._deadline and now >= self._deadline and not self._in_flight and not self._pending:
            self._deadline = 0.0
            if self.transport is not None:
                self.transport.close()

    # -- request processing --
    async def _run(self) -> None:
        while self._pending and not self._closing:
            request, body, keep_alive = self._pending.popleft()
            self._in_flight = True
            self._deadline = 0.0
            if len(self._pending) <= 16:
                self.resume_reading()
            try:
                response = await self.server.handler(request)
            except asyncio.CancelledError:
                raise
            except ClientDisconnected:
                return
            except Exception:  # noqa: BLE001 - the handler must never take the connection down silently
                log.exception("unhandled error in request handler")
                response = HttpResponse(500, [("Content-Type", "text/plain")], b"Internal Server Error")
            if not body.complete:
                # The handler answered before the whole body arrived (or before the client got a
                # 100-continue): the connection's framing is unknown from here, so close after.
                keep_alive = False
            if self.server.shutting_down:
                keep_alive = False
            try:
                await self._write_response(request, response, keep_alive)
            except ConnectionError:
                self._closing = True
                return
            self._in_flight = False
            if not keep_alive:
                self._close()
                return
        if not self._closing:
            self._set_deadline(self.server.idle_timeout)

    async def _write_response(self, request: HttpRequest, response: HttpResponse, keep_alive: bool) -> None:
        transport = self.transport
        if transport is None or transport.is_closing():
            raise ConnectionError("closed")
        status = response.status
        head = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Unknown')}\r\n"]
        has_length = False
        has_type = False
        for name, value in response.headers:
            lname = name.lower()
            if lname == "content-length":
                has_length = True
            elif lname == "content-type":
                has_type = True
            head.append(f"{name}: {value}\r\n")
        body = response.body
        no_body = request.method == "HEAD" or status in (204, 304) or 100 <= status < 200
        if not keep_alive:
            head.append("Connection: close\r\n")
        if isinstance(body, (bytes, bytearray, memoryview)):
            if not has_length and status not in (204, 304):
                head.append(f"Content-Length: {len(body)}\r\n")
            if not has_type and body and not no_body:
                head.append("Content-Type: application/octet-stream\r\n")
            head.append("\r\n")
            data = "".join(head).encode("latin-1")
            if no_body or not body:
                transport.write(data)
            elif len(body) < 65536:
                transport.write(data + bytes(body))
            else:
                transport.write(data)
                transport.write(body)
            if not self._writable.is_set():
                await self._writable.wait()
            return
        # Streaming body: an async iterator of chunks.
        chunked = not has_length
        if chunked and not no_body:
            head.append("Transfer-Encoding: chunked\r\n")
        head.append("\r\n")
        transport.write("".join(head).encode("latin-1"))
        try:
            if no_body:
                return
            async for chunk in body:
                if not chunk:
                    continue
                if self._closing or transport.is_closing():
                    raise ConnectionError("closed")
                if chunked:
                    transport.write(b"%x\r\n" % len(chunk))
                    transport.write(chunk)
                    transport.write(b"\r\n")
                else:
                    transport.write(chunk)
                if not self._writable.is_set():
                    await self._writable.wait()
            if chunked:
                transport.write(b"0\r\n\r\n")
        finally:
            aclose = getattr(body, "aclose", None)
            if aclose is not None:
                await aclose()

    def _reject(self, status: int, message: str) -> None:
        """Answer a request we could not parse, then close (its framing is lost).

        The write side is half-closed first and further input discarded for a moment: closing at
        once while the client is still sending would reset the connection and lose the answer.
        """
        self._closing = True
        self._discarding = True
        self._deadline = 0.0
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        payload = message.encode()
        transport.write(
            f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\nContent-Type: text/plain\r\n"
            f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n".encode() + payload
        )
        if transport.can_write_eof():
            transport.write_eof()
            self.loop.call_later(2.0, transport.close)
        else:
            transport.close()

    def _close(self) -> None:
        self._closing = True
        self._deadline = 0.0
        if self.transport is not None:
            self.transport.close()

    def close_if_idle(self) -> bool:
        """Close now if no request is in flight (graceful shutdown); True if closed."""
        if self._in_flight or self._pending:
            return False
        self._close()
        return True


class _RequestTooLarge(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class HttpServer:
    """The listening socket plus its connections; ``serve()`` runs until ``shutdown()``."""

    def __init__(
        self,
        handler: Handler,
        *,
        native: NativeAnswer | None = None,
        max_header_bytes: int = 64 * 1024,
        idle_timeout: float = 75.0,
        header_timeout: float = 30.0,
    ) -> None:
        self.handler = handler
        self.native = native
        """Offered each request that arrives on an idle connection before it is parsed here; returns
        the complete response, False for the start of a request to offer again once more has
        arrived, or None to take the handler's road."""
        self.max_header_bytes = max_header_bytes
        self.idle_timeout = idle_timeout
        self.settings_header_timeout = header_timeout
        self.connections: set[HttpConnection] = set()
        self.shutting_down = False
        self.loop: asyncio.AbstractEventLoop = None  # type: ignore[assignment]
        self._server: asyncio.base_events.Server | None = None
        self._sweeper: asyncio.Task | None = None

    async def start(self, host: str, port: int) -> int:
        """Bind and listen; returns the bound port (useful with port 0)."""
        self.loop = asyncio.get_running_loop()
        self._server = await self.loop.create_server(
            lambda: HttpConnection(self), host, port, reuse_address=True, backlog=1024
        )
        self._sweeper = self.loop.create_task(self._sweep())
        return self._server.sockets[0].getsockname()[1]

    async def _sweep(self) -> None:
        """Close connections past their idle or header deadline (checked a few times per timeout)."""
        timeouts = [t for t in (self.idle_timeout, self.settings_header_timeout) if t > 0]
        if not timeouts:
            return
        interval = min(1.0, min(timeouts) / 4)
        while True:
            await asyncio.sleep(interval)
            now = self.loop.time()
            for conn in list(self.connections):
                conn.expire(now)

    async def shutdown(self, grace: float) -> None:
        """Stop accepting, let in-flight requests finish (up to ``grace`` s), close the rest."""
        self.shutting_down = True
        if self._sweeper is not None:
            self._sweeper.cancel()
        if self._server is not None:
            self._server.close()
        deadline = self.loop.time() + grace
        while True:
            busy = [c for c in list(self.connections) if not c.close_if_idle()]
            if not busy or self.loop.time() >= deadline:
                break
            await asyncio.sleep(0.05)
        for conn in list(self.connections):
            if conn.transport is not None:
                conn.transport.abort()
        if self._server is not None:
            await self._server.wait_closed()
