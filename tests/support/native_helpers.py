"""Shared pieces of the native-module tests: worker threads and SIGKILLed child processes."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable


def run_in_threads(worker: Callable[[int], None], count: int) -> None:
    """Run ``worker(0)`` … ``worker(count - 1)`` on threads at once and wait for them all; fails the
    test with whatever any of them raised (an exception on a thread would otherwise be lost)."""
    errors: list[BaseException] = []

    def guarded(index: int) -> None:
        try:
            worker(index)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors


def run_until_killed(script: str, *args: str, max_seconds: float) -> list[str]:
    """Run ``script`` (Python source) in a child with ``args``, wait for its ``ready`` line, let it work
    for a random 0.1 to ``max_seconds`` seconds and SIGKILL it; the lines it printed after ``ready``,
    the ones written just before the kill included (what it acknowledged)."""
    proc = subprocess.Popen([sys.executable, "-P", "-c", script, *args], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    deadline = time.monotonic() + random.uniform(0.1, max_seconds)
    lines = []
    while time.monotonic() < deadline:
        lines.append(proc.stdout.readline())
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    return lines + proc.stdout.read().splitlines()
