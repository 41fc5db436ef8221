"""The virtual clock: real time plus an offset that the admin API (and tests) can advance.

Everything time-based in pycloud reads ``clock.now()`` / ``clock.time()``, never ``time.time()``.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime


class Clock:
    """Wall-clock time shifted by an adjustable, never-negative offset."""

    def __init__(self, offset_seconds: float = 0.0) -> None:
        self._offset = float(offset_seconds)
        self._lock = threading.Lock()
        self._listeners: list = []

    @property
    def offset_seconds(self) -> float:
        return self._offset

    def time(self) -> float:
        """Seconds since the epoch, in virtual time."""
        return time.time() + self._offset

    def now(self) -> datetime:
        """The current virtual time as an aware UTC datetime."""
        return datetime.fromtimestamp(self.time(), UTC)

    def advance(self, seconds: float) -> float:
        """Move virtual time forward by ``seconds`` (must be ≥ 0); returns the new offset."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._offset += float(seconds)
            offset = self._offset
        for listener in list(self._listeners):
            listener(offset)
        return offset

    def reset(self) -> None:
        """Back to real time (used by a full state reset)."""
        with self._lock:
            self._offset = 0.0

    def on_advance(self, listener) -> None:
        """Call ``listener(new_offset)`` after every advance (schedulers re-check their deadlines)."""
        self._listeners.append(listener)


clock = Clock()
"""The process-wide clock."""
