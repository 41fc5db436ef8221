"""Long polling: ReceiveMessage calls waiting for a message to arrive in their queue.

A waiting receive parks a future under its queue's engine name. Sends in this process (API calls,
S3 and SNS deliveries, dead-letter and move-task moves) wake that queue's waiters; advancing the
virtual clock wakes them all (delays and visibility timeouts may have run out). Waiters also time
out on their own at the engine's next visibility deadline, so nothing needs a background task.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class Waiters:
    """Futures of parked receives, by queue engine name."""

    def __init__(self) -> None:
        self._waiting: dict[str, set[asyncio.Future[None]]] = {}

    def notify(self, name: str) -> None:
        """Wake every receive waiting on queue ``name`` (safe from any thread)."""
        for future in self._waiting.pop(name, ()):
            _wake(future)

    def notify_all(self) -> None:
        """Wake every waiting receive (the clock moved)."""
        waiting, self._waiting = self._waiting, {}
        for futures in waiting.values():
            for future in futures:
                _wake(future)

    async def wait(self, name: str, timeout: float) -> None:
        """Return after ``timeout`` seconds or as soon as queue ``name`` is notified."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(name, set()).add(future)
        try:
            await asyncio.wait_for(future, timeout)
        except TimeoutError:
            pass
        finally:
            futures = self._waiting.get(name)
            if futures is not None:
                futures.discard(future)
                if not futures:
                    self._waiting.pop(name, None)


def _wake(future: asyncio.Future[None]) -> None:
    def resolve() -> None:
        if not future.done():
            future.set_result(None)

    future.get_loop().call_soon_threadsafe(resolve)


async def poll(
    attempt: Callable[[], T], is_result: Callable[[T], bool], wait_seconds: float,
    next_wake: Callable[[], float | None], waiters: Waiters, name: str,
) -> T:
    """Call ``attempt`` until it returns a result (``is_result``) or ``wait_seconds`` of real time
    have passed; between attempts sleep until notified or until ``next_wake()`` seconds (the time
    to the queue's next visibility deadline, None when there is none)."""
    deadline = time.monotonic() + wait_seconds
    while True:
        outcome = attempt()
        remaining = deadline - time.monotonic()
        if is_result(outcome) or remaining <= 0:
            return outcome
        until = next_wake()
        await waiters.wait(name, remaining if until is None else max(0.001, min(remaining, until)))

