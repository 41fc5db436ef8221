"""Per-process run state shared by the connection threads of a worker, and each thread's ``Lane``.

A lane is one connection's view of the run: ``take()`` claims the next operation (quota, deadline
and stop checked), ``record()``/``error()`` account for its outcome in the worker's histogram,
counters and timeline, and mirror the totals into a shared progress slot for the live display.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any

from pycloud.bench.histogram import Histogram


class WorkerRun:
    """What one worker process accumulates; every method is thread-safe."""

    def __init__(self, *, quota: int | None, start: float, duration: float | None, window_s: float,
                 stop: Any = None, progress: Any = None, slot: int = 0) -> None:
        self.lock = threading.Lock()
        self.histogram = Histogram()
        self.completed = 0
        self.errors = 0
        self.bytes = 0
        self.error_codes: Counter[str] = Counter()
        self.timeline: dict[int, list[int]] = {}
        self.quota = quota
        self.start = start
        self.deadline = start + duration if duration else None
        self.window_s = window_s
        self.stop_flag = stop  # a multiprocessing Value (int) or None
        self.progress = progress  # a shared array: [completed, errors] per worker slot
        self.slot = slot
        self.last_end = start
        self.scratch: dict[str, Any] = {}  # workload coordination (e.g. producers still running)

    def stopped(self) -> bool:
        """True once the deadline passed or a stop was asked."""
        if self.stop_flag is not None and self.stop_flag.value:
            return True
        return self.deadline is not None and time.monotonic() >= self.deadline

    def take(self) -> bool:
        """Claim one operation: False when the quota is used up, the deadline passed or a stop was asked."""
        if self.stopped():
            return False
        with self.lock:
            if self.quota is None:
                return True
            if self.quota <= 0:
                return False
            self.quota -= 1
            return True

    def give_back(self) -> None:
        """Return a claimed operation that was not performed."""
        with self.lock:
            if self.quota is not None:
                self.quota += 1

    def _account(self, ok: bool, nbytes: int, code: str | None, latency_ns: int | None) -> None:
        now = time.monotonic()
        window = max(0, int((now - self.start) / self.window_s))
        with self.lock:
            slot = self.timeline.get(window)
            if slot is None:
                slot = self.timeline[window] = [0, 0]
            if ok:
                self.completed += 1
                slot[0] += 1
                if latency_ns is not None:
                    self.histogram.record(latency_ns)
            else:
                self.errors += 1
                slot[1] += 1
                self.error_codes[code or "error"] += 1
            self.bytes += nbytes
            self.last_end = max(self.last_end, now)
            if self.progress is not None:
                self.progress[2 * self.slot] = self.completed
                self.progress[2 * self.slot + 1] = self.errors

    def result(self) -> dict[str, Any]:
        """A picklable summary for the parent process."""
        last = max(self.timeline) + 1 if self.timeline else 0
        return {
            "histogram": self.histogram.to_dict(),
            "completed": self.completed,
            "errors": self.errors,
            "bytes": self.bytes,
            "error_codes": dict(self.error_codes),
            "timeline": [tuple(self.timeline.get(i, (0, 0))) for i in range(last)],
            "last_end": self.last_end,
        }


class Lane:
    """One connection thread's handle on the run."""

    def __init__(self, run: WorkerRun, index: int, lanes: int, worker: int, workers: int) -> None:
        self.run = run
        self.index = index
        self.lanes = lanes
        self.worker = worker
        self.workers = workers

    def take(self) -> bool:
        """Claim the next operation (see ``WorkerRun.take``)."""
        return self.run.take()

    def give_back(self) -> None:
        """Return a claimed operation that was not performed."""
        self.run.give_back()

    def stopped(self) -> bool:
        """True once the deadline passed or a stop was asked."""
        return self.run.stopped()

    def record(self, latency_ns: int, nbytes: int = 0) -> None:
        """Account one successful operation."""
        self.run._account(True, nbytes, None, latency_ns)

    def error(self, code: str, nbytes: int = 0) -> None:
        """Account one failed operation under ``code`` (an AWS error code or a transport error)."""
        self.run._account(False, nbytes, code, None)
