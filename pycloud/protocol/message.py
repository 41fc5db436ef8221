"""Protocol-neutral HTTP request/response records passed between gateway, parsers and serializers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field


class BodyStream:
    """An async request body delivered in chunks (used for streaming payload operations).

    The gateway implements it; consumers call ``read()`` until it returns ``b""``.
    """

    async def read(self) -> bytes:  # pragma: no cover - interface
        raise NotImplementedError

    async def read_all(self, limit: int | None = None) -> bytes:
        """Collect the rest of the stream (use only for bounded payloads)."""
        parts: list[bytes] = []
        size = 0
        while True:
            chunk = await self.read()
            if not chunk:
                return b"".join(parts)
            size += len(chunk)
            if limit is not None and size > limit:
                raise ValueError("body exceeds limit")
            parts.append(chunk)


@dataclass
class HttpRequest:
    """One parsed HTTP request.

    ``headers`` has lower-cased names; repeated headers are joined with ``","``.
    ``path`` is the raw (still percent-encoded) path without the query string.
    ``query`` maps each decoded query parameter to all its decoded values, in order.
    ``body`` holds the buffered body; for streaming operations it is ``b""`` and ``stream``
    delivers the payload instead.
    """

    method: str
    path: str
    raw_query: str = ""
    query: dict[str, list[str]] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    stream: BodyStream | None = None
    remote_addr: str = ""

    def header(self, name: str, default: str | None = None) -> str | None:
        """Header value by lower-case name."""
        return self.headers.get(name, default)

    def query_value(self, name: str) -> str | None:
        """First value of a query parameter, or None."""
        values = self.query.get(name)
        return values[0] if values else None


@dataclass
class HttpResponse:
    """One HTTP response. ``body`` is bytes, or an async iterator of byte chunks for streaming."""

    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes | AsyncIterator[bytes] = b""

    def set_header(self, name: str, value: str) -> None:
        """Replace any header of that name (case-insensitive) with one value."""
        lname = name.lower()
        self.headers = [(k, v) for k, v in self.headers if k.lower() != lname]
        self.headers.append((name, value))

    def get_header(self, name: str) -> str | None:
        lname = name.lower()
        for k, v in self.headers:
            if k.lower() == lname:
                return v
        return None

