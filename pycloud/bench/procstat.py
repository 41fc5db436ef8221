"""CPU time and memory of a local process from /proc (Linux only; psutil is not a dependency)."""

from __future__ import annotations

import os
import resource
import sys
import threading
import time

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def supported(pid: int | None) -> bool:
    """True when ``pid``'s /proc entries can be read here."""
    return pid is not None and sys.platform.startswith("linux") and os.path.exists(f"/proc/{pid}/stat")


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds used so far by ``pid`` (None when unreadable)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except OSError:
        return None
    fields = data[data.rindex(b")") + 2:].split()  # after "pid (comm) ": comm may hold spaces
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime (fields 14 and 15)


def rss_bytes(pid: int) -> int | None:
    """Resident set size of ``pid`` in bytes (None when unreadable)."""
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            for line in f:
                if line.startswith(b"VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def own_cpu_seconds() -> float:
    """CPU seconds of this process and its reaped children (the dynamic workers)."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


class ServerSampler:
    """Samples a server's CPU use and peak RSS while a run goes on (a daemon thread)."""

    def __init__(self, pid: int | None, interval: float = 0.25) -> None:
        self.pid = pid if supported(pid) else None
        self.interval = interval
        self.peak_rss: int | None = None
        self._cpu0: float | None = None
        self._t0 = 0.0
        self.cpu_percent: float | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Take the first CPU reading and start sampling RSS."""
        if self.pid is None:
            return
        self._cpu0 = cpu_seconds(self.pid)
        self._t0 = time.monotonic()
        self._sample()
        self._thread = threading.Thread(target=self._loop, name="bench-sampler", daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        assert self.pid is not None
        rss = rss_bytes(self.pid)
        if rss is not None and (self.peak_rss is None or rss > self.peak_rss):
            self.peak_rss = rss

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def stop(self) -> None:
        """Stop sampling and compute the CPU % over the sampled interval."""
        if self.pid is None:
            return
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._sample()
        cpu1 = cpu_seconds(self.pid)
        elapsed = time.monotonic() - self._t0
        if self._cpu0 is not None and cpu1 is not None and elapsed > 0:
            self.cpu_percent = 100.0 * (cpu1 - self._cpu0) / elapsed
