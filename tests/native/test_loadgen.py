"""pycloud._core.LoadGenerator through the bindings, against a small threaded HTTP server in the test:
exact counts, status and error accounting (connect, timeout, reset, parse), Content-Length, chunked,
HEAD and Connection: close answers, closed vs open loop (latency from the intended send time), the
histogram's byte layout, the timeline, several threads, progress, stop, the GIL and bad arguments.

Build first: ``python3 setup.py build_ext --inplace``.
"""

from __future__ import annotations

import math
import re
import socket
import socketserver
import struct
import threading
import time
from collections import Counter
from collections.abc import Iterator

import pytest

from pycloud._core import LoadGenerator, LoadResult
from pycloud.bench.histogram import BUCKETS, SUB_BITS, bucket_high, bucket_index, bucket_low

MS = 1_000_000  # ns

# The layout is the contract's; pycloud.bench.histogram (tested on its own against exact maths) is
# the Python side of it, so the native buckets are checked against that.


def decode(histogram: bytes) -> list[int]:
    """The counts of a result's histogram bytes (little-endian uint64)."""
    assert len(histogram) == BUCKETS * 8
    return list(struct.unpack(f"<{BUCKETS}Q", histogram))


def percentile(counts: list[int], p: float, max_seen: int) -> int:
    """The contract's percentile: bucket_high of the bucket holding rank ceil(p/100 * total)."""
    rank = max(1, math.ceil(p / 100 * sum(counts)))
    seen = 0
    for i, c in enumerate(counts):
        seen += c
        if seen >= rank:
            return min(bucket_high(i), max_seen)
    raise AssertionError("empty histogram")


# --- the server ---

CHUNKED_BODY = b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
BIG = b"b" * (3 << 20)
CONTENT_LENGTH = re.compile(rb"(?i)\r\ncontent-length: *(\d+)")


class Server(socketserver.ThreadingTCPServer):
    """Answers by path: /ok, /chunked, /head (HEAD), /close, /upload (reads a body), /big (3 MiB),
    /500, /delay/<ms>, /slow, /reset, /garbage, /gated (held while ``gate`` is clear). Counts
    requests per path."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.port = self.server_address[1]
        self.lock = threading.Lock()
        self.paths: Counter[str] = Counter()
        self.connections = 0
        self.gate = threading.Event()
        self.gate.set()
        self.release = threading.Event()  # ends /slow waits at teardown

    def reset_counts(self) -> None:
        with self.lock:
            self.paths.clear()
            self.connections = 0


class Handler(socketserver.BaseRequestHandler):
    server: Server

    def handle(self) -> None:
        sock: socket.socket = self.request
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.server.lock:
            self.server.connections += 1
        pending = b""
        while True:
            while b"\r\n\r\n" not in pending:
                try:
                    data = sock.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                pending += data
            head, pending = pending.split(b"\r\n\r\n", 1)
            method, path, _ = head.split(b"\r\n", 1)[0].decode().split(" ")
            match = CONTENT_LENGTH.search(head)
            length = int(match[1]) if match else 0
            while len(pending) < length:  # the request body
                data = sock.recv(1 << 20)
                if not data:
                    return
                pending += data
            pending = pending[length:]
            with self.server.lock:
                self.server.paths[path] += 1
            if not self.answer(sock, method, path):
                return

    def answer(self, sock: socket.socket, method: str, path: str) -> bool:
        """Sends the answer for path; False when the connection is to be closed."""
        if path == "/ok":
            sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")
        elif path == "/chunked":
            sock.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + CHUNKED_BODY)
        elif path == "/head":
            assert method == "HEAD"
            sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 4096\r\n\r\n")  # no body: a HEAD answer
        elif path == "/close":
            sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
            return False
        elif path == "/upload":
            sock.sendall(b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n")
        elif path == "/big":
            sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(BIG), BIG))
        elif path == "/500":
            sock.sendall(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n")
        elif path.startswith("/delay/"):
            time.sleep(int(path.rsplit("/", 1)[1]) / 1000)
            sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        elif path == "/gated":
            self.server.gate.wait(10)
            sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        elif path == "/slow":
            self.server.release.wait(5)
            return False
        elif path == "/reset":
            # Linger 0: close sends an RST instead of a FIN.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return False
        elif path == "/garbage":
            sock.sendall(b"NOT HTTP AT ALL\r\n\r\n")
        return True


@pytest.fixture(scope="module")
def module_server() -> Iterator[Server]:
    server = Server()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.release.set()
    server.gate.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def server(module_server: Server) -> Server:
    module_server.reset_counts()
    module_server.gate.set()
    return module_server


def req(path: str, method: str = "GET") -> bytes:
    return f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()


def run(server: Server, requests: list[bytes], **kwargs):
    """Runs a generator to the end (bounded by max_requests unless told) and returns its result."""
    kwargs.setdefault("connections", 4)
    kwargs.setdefault("duration_s", 0)
    kwargs.setdefault("timeout_s", 5.0)
    gen = LoadGenerator("127.0.0.1", server.port, requests, **kwargs)
    gen.start()
    assert gen.wait(20)
    return gen.result()


def refused_port() -> int:
    """A loopback port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- counting ---


def test_max_requests_exact_with_every_framing(server: Server) -> None:
    requests = [req("/ok"), req("/chunked"), req("/head", "HEAD"), req("/500")]
    r = run(server, requests, max_requests=400, connections=8, threads=2)
    assert r.completed == 400
    assert r.status_counts == {200: 300, 500: 100}
    assert r.errors == 100  # the 500s: answered, and errors
    assert r.error_counts == {}
    assert server.paths == {"/ok": 100, "/chunked": 100, "/head": 100, "/500": 100}
    assert server.connections == 8  # every answer kept its connection alive
    assert r.bytes_sent == 100 * sum(len(x) for x in requests)
    assert sum(decode(r.histogram)) == 400
    assert 0 < r.min_ns <= r.max_ns
    assert r.min_ns * 400 <= r.sum_ns <= r.max_ns * 400
    assert r.elapsed_s > 0


def test_large_bodies_both_ways(server: Server) -> None:
    # Far larger than a socket buffer: the request goes out in pieces, the answer comes in many reads.
    body = b"u" * (2 << 20)
    upload = f"PUT /upload HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body
    r = run(server, [upload, req("/big")], max_requests=8, connections=2)
    assert (r.completed, r.errors, r.status_counts) == (8, 0, {201: 4, 200: 4})
    assert r.bytes_sent == 4 * len(upload) + 4 * len(req("/big"))
    assert r.bytes_received > 4 * len(BIG)
    assert server.connections == 2


def test_connection_close_answers_reopen(server: Server) -> None:
    r = run(server, [req("/close")], max_requests=60, connections=3)
    assert (r.completed, r.errors, r.error_counts) == (60, 0, {})
    assert server.connections >= 60  # one connection per answer


def test_connect_refused_ends_run(server: Server) -> None:
    gen = LoadGenerator("127.0.0.1", refused_port(), [req("/ok")], connections=5, threads=2, duration_s=30)
    started = time.monotonic()
    gen.start()
    assert gen.wait(10)
    assert time.monotonic() - started < 5
    r = gen.result()
    assert (r.completed, r.errors, r.error_counts) == (0, 5, {"connect": 5})
    assert r.elapsed_s == 0


def test_timeout_counts_and_reopens(server: Server) -> None:
    started = time.monotonic()
    r = run(server, [req("/slow")], max_requests=2, connections=2, timeout_s=0.3)
    assert time.monotonic() - started < 3
    assert (r.completed, r.errors, r.error_counts) == (0, 2, {"timeout": 2})


def test_reset_and_parse_errors(server: Server) -> None:
    r = run(server, [req("/reset")], max_requests=6, connections=2)
    assert (r.completed, r.error_counts) == (0, {"reset": 6})
    r = run(server, [req("/garbage"), req("/ok")], max_requests=10, connections=1)
    assert r.error_counts == {"parse": 5}
    assert r.status_counts == {200: 5}
    assert r.errors == 5


# --- latencies ---


def test_histogram_layout_matches_contract(server: Server) -> None:
    assert LoadGenerator.HISTOGRAM_BUCKETS == BUCKETS == 2240
    assert LoadGenerator.HISTOGRAM_SUB_BITS == SUB_BITS
    r = run(server, [req("/delay/30"), req("/delay/150")], max_requests=8, connections=1)
    assert r.completed == 8
    counts = decode(r.histogram)
    nonzero = [i for i, c in enumerate(counts) if c]
    # The extremes land in the buckets the contract's bucket_index names.
    assert nonzero[0] == bucket_index(r.min_ns) and nonzero[-1] == bucket_index(r.max_ns)
    # Every sample is at least its server delay: it lies in a bucket reaching that far.
    fast = sum(c for i, c in enumerate(counts) if bucket_high(i) >= 30 * MS and bucket_low(i) < 120 * MS)
    slow = sum(c for i, c in enumerate(counts) if bucket_high(i) >= 150 * MS and bucket_low(i) < 400 * MS)
    assert (fast, slow) == (4, 4)
    assert percentile(counts, 50, r.max_ns) < 120 * MS <= 150 * MS <= percentile(counts, 51, r.max_ns)
    # Bucket width is under 1/64 of its value (< 0.8 % error).
    for i in nonzero:
        assert (bucket_high(i) - bucket_low(i) + 1) * 64 <= bucket_low(i)


def stalled_run(server: Server, rate: float) -> tuple[LoadResult, list[int]]:
    """Histogram counts of a 1.2 s run against /gated, where the server stalls from 0.3 s to 0.8 s."""
    gen = LoadGenerator("127.0.0.1", server.port, [req("/gated")], connections=4, duration_s=1.2, rate=rate)
    gen.start()
    time.sleep(0.3)
    server.gate.clear()
    time.sleep(0.5)
    server.gate.set()
    assert gen.wait(10)
    r = gen.result()
    assert r.errors == 0 and r.completed > 0
    return r, decode(r.histogram)


def test_open_loop_measures_from_intended_time(server: Server) -> None:
    r, counts = stalled_run(server, rate=100)
    # ~120 intended sends; during the stall only 4 can be on the wire, the rest wait for a free
    # connection and their latency counts that wait: a third of the samples are 0.1-0.5 s.
    assert 100 <= r.completed <= 125
    assert percentile(counts, 90, r.max_ns) >= 200 * MS
    assert r.max_ns >= 400 * MS


def test_closed_loop_hides_the_stall_in_few_samples(server: Server) -> None:
    r, counts = stalled_run(server, rate=0)
    # Only the 4 requests in flight saw the stall; every other sample is a quick answer.
    assert r.max_ns >= 400 * MS
    assert r.completed > 400
    assert percentile(counts, 99, r.max_ns) < 100 * MS


def test_open_loop_paces_and_counts_exactly(server: Server) -> None:
    started = time.monotonic()
    r = run(server, [req("/ok")], max_requests=30, rate=100, connections=4)
    assert time.monotonic() - started >= 0.28
    assert r.completed == 30 and r.errors == 0
    assert 0.25 <= r.elapsed_s <= 2


# --- the run ---


def test_timeline_sums_to_totals(server: Server) -> None:
    r = run(server, [req("/ok"), req("/500")], duration_s=0.5, window_s=0.05)
    assert 9 <= len(r.timeline) <= 11
    assert sum(c for c, _ in r.timeline) == r.completed > 0
    assert sum(e for _, e in r.timeline) == r.errors == r.status_counts[500]


def test_several_threads(server: Server) -> None:
    r = run(server, [req("/ok")], max_requests=1000, connections=8, threads=4, window_s=0.01)
    assert r.completed == 1000 and r.status_counts == {200: 1000}
    assert server.paths["/ok"] == 1000 and server.connections == 8
    assert sum(c for c, _ in r.timeline) == 1000


def test_localhost_and_more_threads_than_connections(server: Server) -> None:
    gen = LoadGenerator("localhost", server.port, [req("/ok")], connections=2, threads=8, max_requests=20, duration_s=0)
    gen.start()
    assert gen.result().completed == 20  # result() waits for the end


def test_progress_while_running_and_stop_early(server: Server) -> None:
    gen = LoadGenerator("127.0.0.1", server.port, [req("/delay/1")], connections=4, duration_s=30)
    assert gen.progress() == (0, 0, 0.0)
    gen.start()
    time.sleep(0.3)
    first = gen.progress()
    time.sleep(0.3)
    second = gen.progress()
    assert 0 < first[0] < second[0] and first[2] < second[2]
    assert not gen.wait(0.01)
    gen.stop()
    assert gen.wait(5)
    r = gen.result()
    assert r.completed >= second[0] and r.elapsed_s < 5
    done = gen.progress()
    assert done[0] == r.completed and done == gen.progress()  # frozen once finished


def test_wait_releases_the_gil(server: Server) -> None:
    gen = LoadGenerator("127.0.0.1", server.port, [req("/ok")], connections=2, duration_s=0.6)
    ticks = 0
    stop = threading.Event()

    def spin() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            time.sleep(0.001)

    thread = threading.Thread(target=spin)
    gen.start()
    thread.start()
    before = ticks
    assert gen.wait()
    after = ticks
    stop.set()
    thread.join()
    assert after - before > 50  # the other thread ran while wait() blocked


def test_not_started(server: Server) -> None:
    gen = LoadGenerator("127.0.0.1", server.port, [req("/ok")], max_requests=1, duration_s=0)
    assert gen.wait(0.01) is False
    r = gen.result()
    assert (r.completed, r.errors, r.timeline, r.status_counts) == (0, 0, [], {})
    assert len(r.histogram) == BUCKETS * 8


@pytest.mark.parametrize(
    "kwargs",
    [
        {"requests": []},
        {"requests": [b""]},
        {"connections": 0},
        {"threads": 0},
        {"duration_s": 0, "max_requests": 0},
        {"max_requests": -1},
        {"duration_s": -1},
        {"rate": -5},
        {"rate": float("nan")},
        {"timeout_s": 0},
        {"window_s": 0},
        {"port": 0},
        {"port": 70000},
        {"host": "not-an-ip.example"},
    ],
)
def test_bad_arguments(kwargs: dict) -> None:
    args = {"host": "127.0.0.1", "port": 8080, "requests": [req("/ok")], **kwargs}
    with pytest.raises(ValueError):
        LoadGenerator(**args)


def test_requests_must_be_a_list_of_bytes() -> None:
    with pytest.raises(TypeError):
        LoadGenerator("127.0.0.1", 8080, req("/ok"))  # bytes, not a list of them
    with pytest.raises(TypeError):
        LoadGenerator("127.0.0.1", 8080, ["GET / HTTP/1.1\r\n\r\n"])
