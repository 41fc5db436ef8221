"""Runs workloads on endpoints and measures them.

Replayable workloads are pre-signed and replayed by the native engine (``pycloud._core.
LoadGenerator``: its threads = --workers, its connections = --concurrency). Dynamic workloads run
in worker processes (one per core by default), each with many connection threads using lean
blocking clients; their histograms are merged. The Python worker path also replays pre-signed
requests when the native engine cannot (TLS endpoints, or a build without it). Around every run:
client CPU % (this process and its reaped workers) and, for a local server we started, its CPU %
and peak RSS.
"""

from __future__ import annotations

import itertools
import multiprocessing as mp
import os
import queue
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pycloud.bench.client import TransportError
from pycloud.bench.endpoints import Endpoint
from pycloud.bench.histogram import Histogram
from pycloud.bench.lanes import Lane, WorkerRun
from pycloud.bench.procstat import ServerSampler, own_cpu_seconds
from pycloud.bench.session import BenchError, Credentials, Session, error_code
from pycloud.bench.workloads import Workload

DISTINCT_REQUESTS = 5000
"""Distinct pre-signed requests per replayable run: more than pycloud's verified-signature memo
(4096 entries), so every replayed request is really verified."""
REPLAY_BUDGET = 256 << 20
"""Bytes of pre-signed requests at most (large objects get fewer distinct requests)."""


def native_engine() -> Any | None:
    """``pycloud._core.LoadGenerator`` when this build has it, else None."""
    try:
        from pycloud._core import LoadGenerator  # type: ignore[attr-defined]
    except ImportError:
        return None
    return LoadGenerator


@dataclass
class RunConfig:
    """How hard and how long to push (from the command line)."""

    duration: float | None = None
    requests: int | None = None
    concurrency: int = 64
    rate: float = 0.0
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    rounds: int = 1
    timeout: float = 10.0
    window_s: float = 0.1
    engine: str = "auto"  # auto | native | python
    credentials: Credentials = field(default_factory=Credentials)


@dataclass
class RunResult:
    """One workload on one endpoint for one round (or several rounds merged)."""

    workload: str
    endpoint: str
    url: str
    round: int = 0
    engine: str = ""
    completed: int = 0
    errors: int = 0
    error_codes: dict[str, int] = field(default_factory=dict)
    bytes: int = 0
    elapsed_s: float = 0.0
    histogram: Histogram = field(default_factory=Histogram)
    timeline: list[tuple[int, int]] = field(default_factory=list)
    window_s: float = 0.1
    client_cpu_pct: float | None = None
    server_cpu_pct: float | None = None
    server_rss: int | None = None

    @property
    def ops_per_s(self) -> float:
        return self.completed / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def mb_per_s(self) -> float:
        """Megabytes (10^6) per second on the wire, both directions."""
        return self.bytes / self.elapsed_s / 1e6 if self.elapsed_s > 0 else 0.0

    @classmethod
    def merged(cls, results: list[RunResult]) -> RunResult:
        """Several rounds of the same workload and endpoint as one result."""
        first = results[0]
        out = cls(first.workload, first.endpoint, first.url, -1, first.engine, window_s=first.window_s)
        cpu_c = cpu_s = 0.0
        for r in results:
            out.completed += r.completed
            out.errors += r.errors
            out.bytes += r.bytes
            out.elapsed_s += r.elapsed_s
            out.histogram.merge(r.histogram)
            out.timeline.extend(r.timeline)
            for code, n in r.error_codes.items():
                out.error_codes[code] = out.error_codes.get(code, 0) + n
            cpu_c += (r.client_cpu_pct or 0.0) * r.elapsed_s
            cpu_s += (r.server_cpu_pct or 0.0) * r.elapsed_s
            if r.server_rss is not None:
                out.server_rss = max(out.server_rss or 0, r.server_rss)
        if out.elapsed_s > 0:
            out.client_cpu_pct = cpu_c / out.elapsed_s if first.client_cpu_pct is not None else None
            out.server_cpu_pct = cpu_s / out.elapsed_s if first.server_cpu_pct is not None else None
        return out

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (latencies in ms, the histogram in its compact form)."""
        return {
            "workload": self.workload,
            "endpoint": self.endpoint,
            "url": self.url,
            "round": self.round,
            "engine": self.engine,
            "completed": self.completed,
            "errors": self.errors,
            "error_codes": self.error_codes,
            "bytes": self.bytes,
            "elapsed_s": round(self.elapsed_s, 6),
            "ops_per_s": round(self.ops_per_s, 3),
            "mb_per_s": round(self.mb_per_s, 3),
            "latency_ms": {k: v / 1e6 for k, v in self.histogram.percentiles().items()}
            | {"min": self.histogram.min / 1e6, "mean": self.histogram.mean / 1e6},
            "client_cpu_pct": self.client_cpu_pct,
            "server_cpu_pct": self.server_cpu_pct,
            "server_rss_bytes": self.server_rss,
            "window_s": self.window_s,
            "timeline": [list(t) for t in self.timeline],
            "histogram": self.histogram.to_dict(),
        }


class Reporter:
    """What the driver tells the display; the default shows nothing."""

    def phase(self, text: str) -> None:
        """A step outside measurement (setup, teardown)."""

    def start(self, label: str, requests: int | None, duration: float | None) -> None:
        """A measured run begins."""

    def update(self, completed: int, errors: int, elapsed: float) -> None:
        """Progress of the measured run."""

    def finish(self) -> None:
        """The measured run ended."""

    def note(self, text: str) -> None:
        """A one-off remark (engine fallback, teardown trouble)."""


def replay_count(workload: Workload, config: RunConfig) -> int:
    """How many distinct requests to pre-sign for ``workload``."""
    count = DISTINCT_REQUESTS if not config.requests else min(DISTINCT_REQUESTS, config.requests)
    per_request = max(workload.request_bytes_estimate(), 1)
    return max(1, min(count, REPLAY_BUDGET // per_request))


def choose_engine(workload: Workload, endpoint: Endpoint, config: RunConfig) -> tuple[str, str | None]:
    """("native" | "python", a note explaining a fallback or None)."""
    if not workload.replayable:
        return "python", None
    available = native_engine() is not None
    if config.engine == "python":
        return "python", None
    if endpoint.tls:
        if config.engine == "native":
            raise BenchError("--engine native cannot reach https endpoints (the native engine speaks plain HTTP)")
        return "python", f"{endpoint.label}: https endpoint, replaying with Python workers (slower client)"
    if not available:
        if config.engine == "native":
            raise BenchError("--engine native: this build of pycloud._core has no LoadGenerator")
        return "python", "the native replay engine (pycloud._core.LoadGenerator) is unavailable: " \
                         "replaying with Python workers, the client may be the bottleneck"
    return "native", None


def run_plan(workloads: list[tuple[type[Workload], dict[str, Any]]], endpoints: list[Endpoint],
             config: RunConfig, reporter: Reporter | None = None) -> list[RunResult]:
    """Every workload on every endpoint, interleaved (A, B, A, B ... over --rounds)."""
    reporter = reporter or Reporter()
    results: list[RunResult] = []
    for round_index in range(config.rounds):
        for cls, settings in workloads:
            for endpoint in endpoints:
                results.append(run_one(cls(settings), endpoint, config, reporter, round_index))
    return results


def run_one(workload: Workload, endpoint: Endpoint, config: RunConfig, reporter: Reporter,
            round_index: int = 0) -> RunResult:
    """Set up, measure and tear down one workload on one endpoint."""
    engine, note = choose_engine(workload, endpoint, config)
    if note:
        reporter.note(note)
    count = replay_count(workload, config) if workload.replayable else 0
    workload.replay_count = count if workload.replayable else (config.requests or 0)
    session = Session(endpoint.url, config.credentials, timeout=max(config.timeout, 30.0))
    label = f"{workload.name} @ {endpoint.label}"
    try:
        reporter.phase(f"{label}: setup")
        workload.setup(session)
        requests = workload.replay_requests(count) if workload.replayable else None
        result = RunResult(workload.name, endpoint.label, endpoint.url, round_index, engine, window_s=config.window_s)
        sampler = ServerSampler(endpoint.pid)
        reporter.start(label, config.requests, config.duration)
        cpu0 = own_cpu_seconds()
        sampler.start()
        try:
            if engine == "native":
                _run_native(endpoint, requests or [], config, reporter, result)
            else:
                _run_processes(workload, endpoint, requests, config, reporter, result)
        finally:
            sampler.stop()
            reporter.finish()
        if result.elapsed_s > 0:
            result.client_cpu_pct = 100.0 * (own_cpu_seconds() - cpu0) / result.elapsed_s
        result.server_cpu_pct = sampler.cpu_percent
        result.server_rss = sampler.peak_rss
        return result
    finally:
        reporter.phase(f"{label}: teardown")
        try:
            workload.teardown(session)
        except (BenchError, TransportError, ValueError) as exc:
            reporter.note(f"{label}: teardown failed ({exc}); resources named pycloud-bench-* may remain")
        session.close()


# --- native replay ------------------------------------------------------------------------------


def _native_host(endpoint: Endpoint) -> str:
    host = endpoint.hostname
    if host == "localhost":
        return host
    try:
        socket.inet_pton(socket.AF_INET6 if ":" in host else socket.AF_INET, host)
        return host
    except OSError:
        return socket.getaddrinfo(host, endpoint.port, type=socket.SOCK_STREAM)[0][4][0]


def _run_native(endpoint: Endpoint, requests: list[bytes], config: RunConfig, reporter: Reporter,
                result: RunResult) -> None:
    generator_cls = native_engine()
    assert generator_cls is not None
    generator = generator_cls(
        host=_native_host(endpoint), port=endpoint.port, requests=requests,
        connections=config.concurrency, threads=max(1, min(config.workers, config.concurrency)),
        duration_s=float(config.duration or 0.0), max_requests=int(config.requests or 0),
        rate=float(config.rate), timeout_s=float(config.timeout), window_s=float(config.window_s),
    )
    generator.start()
    try:
        while not generator.wait(0.1):
            reporter.update(*generator.progress())
    except KeyboardInterrupt:
        generator.stop()
        generator.wait()
    r = generator.result()
    reporter.update(r.completed, r.errors, r.elapsed_s)
    result.completed = r.completed
    result.errors = r.errors
    result.bytes = r.bytes_sent + r.bytes_received
    result.elapsed_s = r.elapsed_s
    result.histogram = Histogram.from_native(r.histogram, r.min_ns, r.max_ns, r.sum_ns)
    result.timeline = [tuple(t) for t in r.timeline]
    codes = {f"HTTP {status}": n for status, n in r.status_counts.items() if not 200 <= status < 400 and n}
    codes.update({code: n for code, n in r.error_counts.items() if n})
    result.error_codes = codes


# --- worker processes ---------------------------------------------------------------------------


def split(total: int, parts: int) -> list[int]:
    """``total`` spread over ``parts`` as evenly as possible (the first ones get the remainder)."""
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def _replay_loop(session: Session, lane: Lane, requests: list[bytes], counter: Callable[[], int],
                 rate: float, start_ns: int) -> None:
    """Replay pre-signed requests in order (cycled); open loop when ``rate`` > 0 (per worker)."""
    conn = session.conn
    n = len(requests)
    offset = lane.worker * 7919  # workers start at different places in the list
    while lane.take():
        k = counter()
        raw = requests[(k + offset) % n]
        if rate > 0:
            intended = start_ns + int(k * 1e9 / rate)
            delay = intended - time.monotonic_ns()
            if delay > 0:
                time.sleep(delay / 1e9)
            begin = intended
        else:
            begin = time.monotonic_ns()
        try:
            response = conn.request(raw, head=raw.startswith(b"HEAD "))
        except TransportError as exc:
            lane.error(exc.code, len(raw))
            continue
        wire = len(raw) + response.wire_bytes
        if response.status < 400:
            lane.record(time.monotonic_ns() - begin, wire)
        else:
            lane.error(error_code(response), wire)


def _worker_main(job: dict[str, Any], slot: int, ready: Any, go: Any, start_at: Any, stop_flag: Any,
                 progress: Any, results: Any) -> None:
    """A worker process: open its connections, wait for the start signal, run its lanes."""
    workload: Workload = job["workload"]
    lanes = job["lanes"]
    sessions = [Session(job["url"], job["credentials"], job["timeout"]) for _ in range(lanes)]
    for s in sessions:  # connect before the clock starts
        try:
            s.conn.sock = s.conn._connect()
        except TransportError:
            pass
    ready.put(slot)
    go.wait()
    run = WorkerRun(quota=job["quota"], start=start_at.value, duration=job["duration"], window_s=job["window_s"],
                    stop=stop_flag, progress=progress, slot=slot)
    counter = itertools.count().__next__  # atomic under the GIL
    rate = job["rate"] / job["workers"] if job["rate"] else 0.0
    start_ns = int(start_at.value * 1e9)

    def lane_main(index: int) -> None:
        lane = Lane(run, index, lanes, slot, job["workers"])
        try:
            if job["requests"] is not None:
                _replay_loop(sessions[index], lane, job["requests"], counter, rate, start_ns)
            else:
                workload.run_dynamic(sessions[index], lane)
        except Exception as exc:  # a client-side failure must not hang the run: report it
            lane.error(f"client {type(exc).__name__}: {exc}"[:100])
        finally:
            sessions[index].close()

    threads = [threading.Thread(target=lane_main, args=(i,), daemon=True) for i in range(lanes)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    results.put((slot, run.result()))


def _run_processes(workload: Workload, endpoint: Endpoint, requests: list[bytes] | None, config: RunConfig,
                   reporter: Reporter, result: RunResult) -> None:
    workers = max(1, min(config.workers, config.concurrency, config.requests or config.concurrency))
    lanes = split(config.concurrency, workers)
    quotas: list[int | None] = list(split(config.requests, workers)) if config.requests else [None] * workers
    ctx = mp.get_context("spawn")  # no fork of a process that may hold display threads
    ready, results = ctx.Queue(), ctx.Queue()
    go = ctx.Event()
    start_at = ctx.Value("d", 0.0, lock=False)
    stop_flag = ctx.Value("i", 0, lock=False)
    progress = ctx.Array("q", 2 * workers, lock=False)
    processes = []
    for slot in range(workers):
        job = {"workload": workload, "url": endpoint.url, "credentials": config.credentials, "lanes": lanes[slot],
               "quota": quotas[slot], "duration": config.duration, "window_s": config.window_s,
               "timeout": config.timeout, "rate": config.rate, "workers": workers, "requests": requests}
        p = ctx.Process(target=_worker_main, args=(job, slot, ready, go, start_at, stop_flag, progress, results),
                        daemon=True, name=f"bench-worker-{slot}")
        p.start()
        processes.append(p)
    try:
        for _ in range(workers):
            while True:
                try:
                    ready.get(timeout=0.5)
                    break
                except queue.Empty:
                    if any(p.exitcode not in (None, 0) for p in processes):
                        raise BenchError("a benchmark worker process failed to start") from None
        start_at.value = time.monotonic()
        go.set()
        collected: dict[int, dict[str, Any]] = {}
        while len(collected) < workers:
            try:
                slot, data = results.get(timeout=0.1)
                collected[slot] = data
            except queue.Empty:
                if all(p.exitcode is not None for p in processes) and len(collected) < workers:
                    try:
                        slot, data = results.get(timeout=1.0)
                        collected[slot] = data
                        continue
                    except queue.Empty:
                        raise BenchError("a benchmark worker process died") from None
            except KeyboardInterrupt:
                stop_flag.value = 1
                continue
            reporter.update(sum(progress[0::2]), sum(progress[1::2]), time.monotonic() - start_at.value)
    finally:
        stop_flag.value = 1
        for p in processes:
            p.join(10)
            if p.is_alive():
                p.terminate()
                p.join()
    start = start_at.value
    last_end = start
    timeline: list[list[int]] = []
    for data in collected.values():
        result.completed += data["completed"]
        result.errors += data["errors"]
        result.bytes += data["bytes"]
        result.histogram.merge(Histogram.from_dict(data["histogram"]))
        for code, n in data["error_codes"].items():
            result.error_codes[code] = result.error_codes.get(code, 0) + n
        for i, (c, e) in enumerate(data["timeline"]):
            while len(timeline) <= i:
                timeline.append([0, 0])
            timeline[i][0] += c
            timeline[i][1] += e
        last_end = max(last_end, data["last_end"])
    result.elapsed_s = max(last_end - start, 1e-9)
    result.timeline = [(c, e) for c, e in timeline]
    reporter.update(result.completed, result.errors, result.elapsed_s)
