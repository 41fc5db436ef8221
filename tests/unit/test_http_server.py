"""The HTTP/1.1 server on its own: keep-alive, pipelining, 100-continue, chunked and streaming
bodies with backpressure, limits, timeouts and graceful shutdown. The handler here is a small
test application; the server under test is the real one."""

from __future__ import annotations

import asyncio
import hashlib
import http.client
import socket
import threading
import time

import pytest
import uvloop

from pycloud.gateway.server import HttpServer, parse_query
from pycloud.protocol.message import HttpRequest, HttpResponse


class ServerThread:
    """Runs an HttpServer with a test handler on a uvloop loop in a background thread."""

    def __init__(self, **kwargs) -> None:
        self.seen: list[HttpRequest] = []
        self.max_buffered = 0
        self.kwargs = kwargs
        self.loop = uvloop.new_event_loop()
        self.server: HttpServer | None = None
        self.port = 0
        started = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(self.loop)
            self.server = HttpServer(self.handle, **self.kwargs)
            self.port = self.loop.run_until_complete(self.server.start("127.0.0.1", 0))
            started.set()
            self.loop.run_forever()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        started.wait(10)

    async def handle(self, request: HttpRequest) -> HttpResponse:
        self.seen.append(request)
        if request.path == "/hash":
            digest = hashlib.sha256()
            size = 0
            while True:
                chunk = await request.stream.read()
                if not chunk:
                    break
                self.max_buffered = max(self.max_buffered, request.stream._buffered + len(chunk))
                size += len(chunk)
                digest.update(chunk)
                await asyncio.sleep(0)  # a consumer slower than the socket
            return HttpResponse(200, [("Content-Type", "text/plain")], f"{size} {digest.hexdigest()}".encode())
        if request.path == "/stream-out":
            async def gen():
                for i in range(100):
                    yield bytes([65 + i % 26]) * 10_000

            return HttpResponse(200, [("Content-Type", "text/plain")], gen())
        if request.path == "/reject-early":
            return HttpResponse(403, [], b"no")
        if request.path == "/slow":
            await asyncio.sleep(0.5)
        if request.path == "/boom":
            raise RuntimeError("handler bug")
        if request.path == "/slow-boom":
            await asyncio.sleep(0.01)
            raise RuntimeError("handler bug after a wait")
        body = await request.stream.read_all()
        return HttpResponse(200, [("Content-Type", "text/plain")], b"echo:" + request.path.encode() + b":" + body)

    def stop(self) -> None:
        async def shutdown() -> None:
            await self.server.shutdown(2)

        asyncio.run_coroutine_threadsafe(shutdown(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@pytest.fixture
def srv():
    server = ServerThread()
    yield server
    server.stop()


def _connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=5)


def _read_responses(sock: socket.socket, count: int) -> list[bytes]:
    """Read ``count`` Content-Length-framed responses off a socket."""
    buf = b""
    out = []
    while len(out) < count:
        while b"\r\n\r\n" not in buf:
            data = sock.recv(65536)
            assert data, "connection closed early"
            buf += data
        head, _, rest = buf.partition(b"\r\n\r\n")
        length = int([ln.split(b":")[1] for ln in head.split(b"\r\n") if ln.lower().startswith(b"content-length")][0])
        while len(rest) < length:
            rest += sock.recv(65536)
        out.append(head + b"\r\n\r\n" + rest[:length])
        buf = rest[length:]
    return out


def test_keep_alive_reuses_the_connection(srv):
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=5)
    for i in range(20):
        conn.request("POST", f"/n{i}", body=b"x" * i)
        response = conn.getresponse()
        assert response.read() == f"echo:/n{i}:".encode() + b"x" * i
    assert conn.sock is not None  # never reconnected
    conn.close()


def test_pipelined_requests_are_answered_in_order(srv):
    with _connect(srv.port) as sock:
        sock.sendall(b"".join(f"GET /p{i} HTTP/1.1\r\nHost: x\r\n\r\n".encode() for i in range(50)))
        replies = _read_responses(sock, 50)
    assert [r.rsplit(b"\r\n\r\n", 1)[1] for r in replies] == [f"echo:/p{i}:".encode() for i in range(50)]


def test_pipelining_waits_for_slow_handler(srv):
    with _connect(srv.port) as sock:
        sock.sendall(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\nGET /fast HTTP/1.1\r\nHost: x\r\n\r\n")
        replies = _read_responses(sock, 2)
    assert replies[0].endswith(b"echo:/slow:") and replies[1].endswith(b"echo:/fast:")


def test_expect_100_continue(srv):
    with _connect(srv.port) as sock:
        sock.sendall(b"PUT /e HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        interim = sock.recv(1024)
        assert interim.startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
        sock.sendall(b"hello")
        assert _read_responses(sock, 1)[0].endswith(b"echo:/e:hello")


def test_early_rejection_without_100_continue_closes(srv):
    with _connect(srv.port) as sock:
        sock.sendall(b"PUT /reject-early HTTP/1.1\r\nHost: x\r\nContent-Length: 5000000\r\nExpect: 100-continue\r\n\r\n")
        reply = sock.recv(65536)
        assert reply.startswith(b"HTTP/1.1 403")
        assert b"100 Continue" not in reply
        assert b"Connection: close" in reply


def test_chunked_request_body(srv):
    body = b"".join(f"{len(p):x}\r\n".encode() + p + b"\r\n" for p in (b"abc", b"defgh", b"i" * 300)) + b"0\r\n\r\n"
    with _connect(srv.port) as sock:
        sock.sendall(b"POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + body)
        assert _read_responses(sock, 1)[0].endswith(b"echo:/c:abcdefgh" + b"i" * 300)


def test_large_upload_streams_with_bounded_buffer(srv):
    """200 MiB streamed through a slow consumer: the server never buffers more than ~1 MiB + a read."""
    size = 200 * 1024 * 1024
    block = bytes(range(256)) * 4096  # 1 MiB
    expected = hashlib.sha256()
    for _ in range(size // len(block)):
        expected.update(block)
    with _connect(srv.port) as sock:
        sock.settimeout(60)
        sock.sendall(f"PUT /hash HTTP/1.1\r\nHost: x\r\nContent-Length: {size}\r\n\r\n".encode())
        for _ in range(size // len(block)):
            sock.sendall(block)
        reply = _read_responses(sock, 1)[0]
    assert reply.endswith(f"{size} {expected.hexdigest()}".encode())
    assert srv.max_buffered < 4 * 1024 * 1024


def test_streamed_response_is_chunked(srv):
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=5)
    conn.request("GET", "/stream-out")
    response = conn.getresponse()
    assert response.getheader("Transfer-Encoding") == "chunked"
    data = response.read()
    assert len(data) == 1_000_000 and data[:1] == b"A" and data[-1:] == bytes([65 + 99 % 26])


def test_handler_exception_is_a_500_not_a_dead_connection(srv):
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=5)
    conn.request("GET", "/boom")
    response = conn.getresponse()
    assert response.status == 500 and b"Traceback" not in response.read()
    conn.request("GET", "/after")
    assert conn.getresponse().read() == b"echo:/after:"


def test_handler_failing_after_suspending_is_a_500(srv):
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=5)
    conn.request("GET", "/slow-boom")
    response = conn.getresponse()
    assert response.status == 500 and response.read() == b"Internal Server Error"
    conn.request("GET", "/after")
    assert conn.getresponse().read() == b"echo:/after:"


def test_client_leaving_mid_request_does_not_hurt_others(srv):
    sock = _connect(srv.port)
    sock.sendall(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
    sock.close()  # the handler is suspended; its task is cancelled with the connection
    time.sleep(0.1)
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=5)
    conn.request("GET", "/next")
    assert conn.getresponse().read() == b"echo:/next:"


def test_connection_close_is_honoured(srv):
    with _connect(srv.port) as sock:
        sock.sendall(b"GET /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    assert b"Connection: close" in data and data.endswith(b"echo:/x:")


def test_http_1_0_closes_by_default(srv):
    with _connect(srv.port) as sock:
        sock.sendall(b"GET /old HTTP/1.0\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    assert data.endswith(b"echo:/old:")


def test_idle_connections_time_out():
    server = ServerThread(idle_timeout=0.3, header_timeout=0.3)
    try:
        with _connect(server.port) as sock:
            sock.sendall(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n")
            _read_responses(sock, 1)
            started = time.monotonic()
            assert sock.recv(10) == b""  # closed by the server
            assert time.monotonic() - started < 3
        with _connect(server.port) as sock:  # a client that never finishes its headers
            sock.sendall(b"GET /a HTTP/1.1\r\nHo")
            assert sock.recv(10) == b""
    finally:
        server.stop()


def test_shutdown_lets_in_flight_requests_finish():
    server = ServerThread()
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    conn.request("GET", "/slow")
    time.sleep(0.1)
    stopper = threading.Thread(target=server.stop)
    stopper.start()
    response = conn.getresponse()
    assert response.status == 200 and response.read() == b"echo:/slow:"
    stopper.join(10)
    with pytest.raises(OSError):
        _connect(server.port).recv(1)


def test_parse_query_keeps_blank_and_repeated_values():
    assert parse_query("uploads&a=1&a=2&b=&c=x%20y+z") == {
        "uploads": [""], "a": ["1", "2"], "b": [""], "c": ["x y z"]
    }
