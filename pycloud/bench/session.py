"""A signing session against one endpoint: credentials, per-service signers and one connection."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from pycloud.bench.client import Connection, Response
from pycloud.bench.signing import Signer

_XML_CODE = re.compile(rb"<Code>([^<]{1,128})</Code>")


class BenchError(RuntimeError):
    """Setup or teardown failed (the endpoint refused a call we need)."""


@dataclass(frozen=True)
class Credentials:
    """What requests are signed with."""

    access_key: str = "test"
    secret_key: str = "test"
    region: str = "us-east-1"
    session_token: str | None = None


def error_code(response: Response) -> str:
    """The AWS error code of a failed answer (XML ``<Code>``, JSON ``__type``, the query-compatible
    header), else ``HTTP <status>``."""
    header = response.headers.get("x-amzn-query-error")
    if header:
        return header.split(";", 1)[0]
    body = response.body
    if body[:1] == b"{":
        try:
            kind = json.loads(body).get("__type")
        except (ValueError, AttributeError):
            kind = None
        if kind:
            return str(kind).rsplit("#", 1)[-1]
    match = _XML_CODE.search(body[:4096])
    if match:
        return match.group(1).decode("utf-8", "replace")
    return f"HTTP {response.status}"


class Session:
    """Signs and sends calls to ``url`` on one keep-alive connection (not thread-safe: one per thread)."""

    def __init__(self, url: str, credentials: Credentials, timeout: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self.credentials = credentials
        self.conn = Connection(self.url, timeout)
        self._signers: dict[str, Signer] = {}

    def signer(self, service: str) -> Signer:
        """The signer for ``service`` (``s3`` signs with S3's rules)."""
        signer = self._signers.get(service)
        if signer is None:
            c = self.credentials
            signer = self._signers[service] = Signer(c.access_key, c.secret_key, c.region, service, c.session_token)
        return signer

    def request_bytes(self, service: str, method: str, path: str, query: str = "",
                      headers: dict[str, str] | None = None, body: bytes = b"") -> bytes:
        """A complete signed request; ``path`` and ``query`` in wire form."""
        url = self.url + path + (f"?{query}" if query else "")
        return self.signer(service).http_request(method, url, headers, body)

    def send(self, service: str, method: str, path: str, query: str = "",
             headers: dict[str, str] | None = None, body: bytes = b"") -> Response:
        """Sign and send one call; transport failures raise ``client.TransportError``."""
        raw = self.request_bytes(service, method, path, query, headers, body)
        return self.conn.request(raw, head=method == "HEAD")

    def call(self, what: str, service: str, method: str, path: str, query: str = "",
             headers: dict[str, str] | None = None, body: bytes = b"", ok: tuple[int, ...] = ()) -> Response:
        """``send`` for setup/teardown: a non-2xx answer (unless listed in ``ok``) raises BenchError."""
        response = self.send(service, method, path, query, headers, body)
        if not 200 <= response.status < 300 and response.status not in ok:
            raise BenchError(f"{what}: {response.status} {error_code(response)}")
        return response

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()
