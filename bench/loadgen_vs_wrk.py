"""pycloud._core.LoadGenerator against wrk: is the native replay engine ever the bottleneck?

Both drive the same nginx (one worker, a 4 KiB static file, loopback) with one thread and the
same 64 keep-alive connections, several times each, interleaved so machine noise hits both alike.
Prints every run (with the client's CPU time per request, a figure machine noise disturbs less),
the medians and the ratio engine/wrk (the target is >= 0.90).

Run: ``apt-get install wrk nginx && python bench/loadgen_vs_wrk.py [--seconds 5] [--rounds 3]``.
"""

from __future__ import annotations

import argparse
import re
import resource
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from pycloud._core import LoadGenerator

CONNECTIONS = 64


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_nginx(root: Path, port: int) -> subprocess.Popen:
    """nginx serving root/small (4 KiB) on 127.0.0.1:port, one worker, in the foreground."""
    (root / "small").write_bytes(b"x" * 4096)
    conf = root / "nginx.conf"
    conf.write_text(
        f"worker_processes 1; daemon off; pid {root}/nginx.pid; error_log {root}/error.log;\n"
        f"events {{ worker_connections 1024; }}\n"
        f"http {{ access_log off; keepalive_requests 1000000; client_body_temp_path {root}; "
        f"proxy_temp_path {root}; fastcgi_temp_path {root}; uwsgi_temp_path {root}; scgi_temp_path {root}; "
        f"server {{ listen 127.0.0.1:{port}; root {root}; }} }}\n"
    )
    proc = subprocess.Popen(["nginx", "-c", str(conf), "-p", str(root)], stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("nginx did not start")


def cpu_seconds(who: int) -> float:
    """User + system CPU seconds used so far by this process or its waited-for children."""
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def run_wrk(port: int, seconds: float) -> tuple[float, float]:
    """wrk's requests/s and CPU microseconds per request (its request: GET /small with Host)."""
    cpu = cpu_seconds(resource.RUSAGE_CHILDREN)
    out = subprocess.run(
        ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds:g}s", f"http://127.0.0.1:{port}/small"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    if "Non-2xx" in out or "Socket errors" in out:
        raise RuntimeError(f"wrk saw errors:\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    return rps, (cpu_seconds(resource.RUSAGE_CHILDREN) - cpu) / (rps * seconds) * 1e6


def run_engine(port: int, seconds: float) -> tuple[float, float]:
    """LoadGenerator's requests/s and CPU microseconds per request, threads=1, same connections."""
    cpu = cpu_seconds(resource.RUSAGE_SELF)
    request = f"GET /small HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
    gen = LoadGenerator("127.0.0.1", port, [request], connections=CONNECTIONS, threads=1, duration_s=seconds)
    gen.start()
    gen.wait()
    result = gen.result()
    if result.errors or set(result.status_counts) != {200}:
        raise RuntimeError(f"engine saw errors: {result.error_counts} {result.status_counts}")
    return result.completed / result.elapsed_s, (cpu_seconds(resource.RUSAGE_SELF) - cpu) / result.completed * 1e6


def main() -> None:
    """Interleaves wrk and engine runs against one nginx and prints the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not shutil.which("nginx") or not shutil.which("wrk"):
        raise SystemExit("needs nginx and wrk on PATH")

    root = Path(tempfile.mkdtemp(prefix="loadgen-vs-wrk-"))
    port = free_port()
    proc = start_nginx(root, port)
    runs: dict[str, list[tuple[float, float]]] = {"wrk": [], "engine": []}
    try:
        run_engine(port, 0.5)  # warm up nginx and the page cache
        for i in range(args.rounds):
            # Alternate which goes first so a drifting machine does not favour one side.
            order = (
                (("wrk", run_wrk), ("engine", run_engine)) if i % 2 == 0 else (("engine", run_engine), ("wrk", run_wrk))
            )
            for name, fn in order:
                rps, cpu_us = fn(port, args.seconds)
                runs[name].append((rps, cpu_us))
                print(f"round {i + 1}  {name:<6} {rps:>10.0f} req/s  {cpu_us:5.1f} us CPU/request", flush=True)
    finally:
        proc.terminate()
        proc.wait()
        shutil.rmtree(root, ignore_errors=True)

    med = {name: statistics.median(rps for rps, _ in r) for name, r in runs.items()}
    cpu = {name: statistics.median(us for _, us in r) for name, r in runs.items()}
    print(f"wrk    -t1 -c{CONNECTIONS}        median: {med['wrk']:.0f} req/s, {cpu['wrk']:.1f} us CPU/request")
    print(f"engine threads=1 c={CONNECTIONS} median: {med['engine']:.0f} req/s, {cpu['engine']:.1f} us CPU/request")
    print(f"ratio engine/wrk: {med['engine'] / med['wrk']:.3f}")


if __name__ == "__main__":
    main()
