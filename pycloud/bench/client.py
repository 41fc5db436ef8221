"""A lean blocking HTTP/1.1 keep-alive client for setup, teardown and dynamic workloads.

One socket, requests written as prepared bytes, answers parsed by hand (Content-Length or chunked,
no body for HEAD/204/304): far cheaper per call than http.client or botocore, so the client is not
what a run measures.
"""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass, field
from urllib.parse import urlsplit


class TransportError(Exception):
    """The connection failed; ``code`` is one of connect, reset, timeout, parse."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class Response:
    """A parsed HTTP answer; header names lower-cased."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    wire_bytes: int = 0


class Connection:
    """One keep-alive connection to ``url``'s host; reconnects lazily after a failure."""

    def __init__(self, url: str, timeout: float = 30.0) -> None:
        parts = urlsplit(url)
        self.tls = parts.scheme == "https"
        self.hostname = parts.hostname or "127.0.0.1"
        self.port = parts.port or (443 if self.tls else 80)
        self.timeout = timeout
        self.sock: socket.socket | None = None
        self.buffer = bytearray()

    def close(self) -> None:
        """Close the socket (the next request reconnects)."""
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass
        self.sock = None
        self.buffer = bytearray()

    def _connect(self) -> socket.socket:
        try:
            # connecting fails fast (an unreachable host should not stall a run); answers may take longer
            sock = socket.create_connection((self.hostname, self.port), timeout=min(self.timeout, 5.0))
            sock.settimeout(self.timeout)
        except TimeoutError as exc:
            raise TransportError("timeout", f"connect to {self.hostname}:{self.port}: {exc}") from exc
        except OSError as exc:
            raise TransportError("connect", f"connect to {self.hostname}:{self.port}: {exc}") from exc
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.tls:
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=self.hostname)
        return sock

    def request(self, raw: bytes, head: bool = False) -> Response:
        """Send one complete request and read its answer; raises TransportError on failure
        (the connection is then closed, and reopened by the next call)."""
        if self.sock is None:
            self.sock = self._connect()
        try:
            self.sock.sendall(raw)
            response = self._read(head)
        except TransportError:
            self.close()
            raise
        except TimeoutError as exc:
            self.close()
            raise TransportError("timeout", str(exc) or "timed out") from exc
        except (OSError, ValueError) as exc:
            self.close()
            raise TransportError("reset", str(exc) or type(exc).__name__) from exc
        if response.headers.get("connection", "").lower() == "close":
            self.close()
        return response

    def _fill(self) -> None:
        assert self.sock is not None
        chunk = self.sock.recv(262144)
        if not chunk:
            raise TransportError("reset", "connection closed by the server")
        self.buffer += chunk

    def _take(self, n: int) -> bytes:
        if len(self.buffer) >= n:
            data = bytes(self.buffer[:n])
            del self.buffer[:n]
            return data
        # large bodies are read straight into their final buffer: no quadratic re-copying
        assert self.sock is not None
        out = bytearray(n)
        have = len(self.buffer)
        out[:have] = self.buffer
        self.buffer.clear()
        view = memoryview(out)
        while have < n:
            got = self.sock.recv_into(view[have:], n - have)
            if not got:
                raise TransportError("reset", "connection closed by the server")
            have += got
        return bytes(out)

    def _line(self) -> bytes:
        while b"\r\n" not in self.buffer:
            self._fill()
        at = self.buffer.index(b"\r\n")
        line = bytes(self.buffer[:at])
        del self.buffer[: at + 2]
        return line

    def _read(self, head: bool) -> Response:
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        at = self.buffer.index(b"\r\n\r\n")
        block = bytes(self.buffer[:at])
        del self.buffer[: at + 4]
        wire = len(block) + 4
        lines = block.split(b"\r\n")
        try:
            status = int(lines[0].split(b" ", 2)[1])
        except (IndexError, ValueError) as exc:
            raise TransportError("parse", f"bad status line {lines[0][:80]!r}") from exc
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            headers[name.strip().lower().decode("latin-1")] = value.strip().decode("latin-1")
        if head or status in (204, 304) or 100 <= status < 200:
            return Response(status, headers, b"", wire)
        if headers.get("transfer-encoding", "").lower() == "chunked":
            pieces = []
            while True:
                size_line = self._line()
                wire += len(size_line) + 2
                size = int(size_line.split(b";", 1)[0], 16)
                if size == 0:
                    while self._line():  # trailers up to the empty line
                        pass
                    break
                pieces.append(self._take(size + 2)[:-2])
                wire += size + 2
            body = b"".join(pieces)
            return Response(status, headers, body, wire)
        length = int(headers.get("content-length", "0") or 0)
        body = self._take(length) if length else b""
        return Response(status, headers, body, wire + length)
