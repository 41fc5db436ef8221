"""A minimal asyncio HTTP/1.1 client for SNS's HTTP/HTTPS deliveries (POST, one request per connection)."""

from __future__ import annotations

import asyncio
import ssl
from urllib.parse import urlsplit

TIMEOUT_SECONDS = 15.0
"""SNS waits this long for an endpoint's answer before counting the attempt as failed."""


class DeliveryFailed(Exception):
    """The endpoint could not be reached or did not answer in time."""


async def post(url: str, headers: list[tuple[str, str]], body: bytes, timeout: float = TIMEOUT_SECONDS) -> int:
    """POST ``body`` to ``url``; returns the response status. Raises DeliveryFailed on network errors."""
    parts = urlsplit(url)
    secure = parts.scheme == "https"
    host = parts.hostname or ""
    port = parts.port or (443 if secure else 80)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    host_header = parts.netloc.rsplit("@", 1)[-1]
    head = [f"POST {target} HTTP/1.1", f"Host: {host_header}", f"Content-Length: {len(body)}", "Connection: close"]
    head += [f"{name}: {value}" for name, value in headers]
    payload = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1", "replace") + body
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(
                host, port, ssl=ssl.create_default_context() if secure else None
            )
            try:
                writer.write(payload)
                await writer.drain()
                status_line = await reader.readline()
            finally:
                writer.close()
    except (OSError, TimeoutError, ssl.SSLError) as exc:
        raise DeliveryFailed(str(exc) or type(exc).__name__) from None
    fields = status_line.decode("latin-1").split(" ", 2)
    if len(fields) < 2 or not fields[1].isdigit():
        raise DeliveryFailed("malformed HTTP response")
    return int(fields[1])
