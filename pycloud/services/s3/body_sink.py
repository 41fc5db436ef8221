"""Moving an upload's body from the socket into the native store.

Hashing (MD5, flexible checksums) and writing happen natively with the GIL released; done on the
event loop's thread they would stall it and leave the socket idle. Chunks are batched to about
1 MiB and handed to a worker thread, so receiving the next batch overlaps writing this one. Small
bodies (under one batch) are written inline: a thread hop would cost more than it saves.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from pycloud.protocol.message import BodyStream

WRITE_BATCH = 1024 * 1024


async def write_body(body: Any, sink: Callable[[bytes], None]) -> None:
    """Feed a request body (a BodyStream, bytes or None) to ``sink`` in order."""
    if not isinstance(body, BodyStream):
        if body:
            sink(body.encode() if isinstance(body, str) else bytes(body))
        return
    loop = asyncio.get_running_loop()
    pending: asyncio.Future | None = None
    batch: list[bytes] = []
    size = 0
    try:
        while chunk := await body.read():
            batch.append(chunk)
            size += len(chunk)
            if size >= WRITE_BATCH:
                data = b"".join(batch) if len(batch) > 1 else batch[0]
                batch, size = [], 0
                if pending is not None:
                    await pending
                pending = loop.run_in_executor(None, sink, data)
    finally:
        if pending is not None:
            await asyncio.shield(pending)  # never abort a writer a worker thread is still using
    if batch:
        sink(b"".join(batch))
