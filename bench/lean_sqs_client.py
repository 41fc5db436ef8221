"""A lean SQS JSON client for client-driven benchmarks: SigV4 signing with hashlib/hmac and raw
keep-alive sockets, so the client costs a fraction of what botocore would and the server, not the
client, is what a run measures.

Every request is signed for real (its own date, body hash and signature), exactly as SDKs sign:
``content-type;host;x-amz-date;x-amz-target`` over the SHA-256 of the body.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import time
from urllib.parse import urlsplit

_JSON = "application/x-amz-json-1.0"


class LeanSqsClient:
    """One keep-alive connection to an SQS JSON endpoint, signing every call."""

    def __init__(self, endpoint: str, access_key: str = "test", secret_key: str = "test",
                 region: str = "us-east-1", timeout: float = 60.0) -> None:
        parts = urlsplit(endpoint)
        self.host = parts.netloc
        self.address = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.access_key = access_key
        self.secret_key = secret_key
        self.region = region
        self._keys: dict[str, bytes] = {}
        self.timeout = timeout
        self.sock = socket.create_connection(self.address, timeout=timeout)  # a stuck server fails the run
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""

    def _key(self, date: str) -> bytes:
        key = self._keys.get(date)
        if key is None:
            key = ("AWS4" + self.secret_key).encode()
            for part in (date, self.region, "sqs", "aws4_request"):
                key = hmac.new(key, part.encode(), hashlib.sha256).digest()
            self._keys[date] = key
        return key

    def request_bytes(self, target: str, body: bytes) -> bytes:
        """The signed HTTP/1.1 request for ``AmazonSQS.<target>`` with ``body``."""
        amz_date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        date = amz_date[:8]
        scope = f"{date}/{self.region}/sqs/aws4_request"
        full_target = f"AmazonSQS.{target}"
        canonical = (f"POST\n/\n\ncontent-type:{_JSON}\nhost:{self.host}\nx-amz-date:{amz_date}\n"
                     f"x-amz-target:{full_target}\n\ncontent-type;host;x-amz-date;x-amz-target\n"
                     f"{hashlib.sha256(body).hexdigest()}")
        to_sign = f"AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
        signature = hmac.new(self._key(date), to_sign.encode(), hashlib.sha256).hexdigest()
        head = (f"POST / HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: {_JSON}\r\nX-Amz-Date: {amz_date}\r\n"
                f"X-Amz-Target: {full_target}\r\nContent-Length: {len(body)}\r\n"
                f"Authorization: AWS4-HMAC-SHA256 Credential={self.access_key}/{scope}, "
                "SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
                f"Signature={signature}\r\n\r\n")
        return head.encode() + body

    def call(self, target: str, payload: dict) -> dict:
        """Send one signed call and return its decoded JSON answer (non-200 raises)."""
        self.sock.sendall(self.request_bytes(target, json.dumps(payload).encode()))
        status, body = self._read_response()
        if status != 200:
            raise RuntimeError(f"{target}: {status} {body[:200]!r}")
        return json.loads(body) if body else {}

    def _read_response(self) -> tuple[int, bytes]:
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        head, _, rest = self.buffer.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        version, status_text = lines[0].split(b" ", 2)[:2]
        status = int(status_text)
        length = 0
        keep_alive = version == b"HTTP/1.1"
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection":
                keep_alive = value.strip().lower() == b"keep-alive" or (keep_alive and value.strip().lower() != b"close")
        while len(rest) < length:
            rest += self._recv()
        self.buffer = rest[length:]
        if not keep_alive:  # HTTP/1.0 servers (moto's) answer one request per connection
            self.sock.close()
            self.sock = socket.create_connection(self.address, timeout=self.timeout)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.buffer = b""
        return status, rest[:length]

    def _fill(self) -> None:
        self.buffer += self._recv()

    def _recv(self) -> bytes:
        data = self.sock.recv(1 << 16)
        if not data:
            raise ConnectionError("server closed the connection")
        return data

    def close(self) -> None:
        """Close the connection."""
        self.sock.close()
