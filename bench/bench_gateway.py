"""Gateway benchmarks, all measured in one run on this machine so the ratios are meaningful.

1. requests/s of STS GetCallerIdentity and S3 ListBuckets against pycloud and moto's server, with
   wrk (``apt-get install wrk``) replaying presigned GET URLs over 64 keep-alive connections;
2. the bare HTTP layer: pycloud's HttpServer vs uvicorn, each answering 200 + 4 KiB;
3. start-up (process start → first answered request, median of 5) and idle RSS of pycloud and
   moto's server.

Run: ``pip install '.[bench]' && python bench/bench_gateway.py [--seconds 5]``. Results are printed
as a table and written to ``bench/results/gateway.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import textwrap
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


_PROBE = b"GET /_pycloud/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def wait_until_answers(port: int, timeout: float = 30.0) -> float:
    """Poll with a raw HTTP request until any answer arrives; returns the time it took.

    A raw socket keeps the client's own overhead (urllib's proxy lookup...) out of the figure.
    moto answers the probe path with a 404, which is still an answer.
    """
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
                sock.sendall(_PROBE)
                if sock.recv(64):
                    return time.perf_counter() - started
        except OSError:
            time.sleep(0.001)
    raise RuntimeError(f"port {port} did not answer within {timeout}s")


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


class Process:
    """A server subprocess with start-up timing."""

    def __init__(self, name: str, cmd: list[str], port: int) -> None:
        self.name = name
        self.port = port
        self.endpoint = f"http://127.0.0.1:{port}"
        started = time.perf_counter()
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until_answers(port)
        self.startup_s = time.perf_counter() - started

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def comparison_row(metric: str, value: float, theirs: float | None, lower_is_better: bool, ceiling: str,
                   width: int = 22) -> str:
    """One line of a pycloud-vs-moto table: both figures, pycloud's advantage, and a ceiling note."""
    ratio = (theirs / value if lower_is_better else value / theirs) if theirs else None
    moto_text = f"{theirs:>12,.1f}" if theirs else f"{'-':>12}"
    ratio_text = f"{ratio:>9.1f}x" if ratio else f"{'':>10}"
    return f"{metric:<{width}}{value:>12,.1f}{moto_text}{ratio_text}   {ceiling}"


def write_results(name: str, report: dict) -> None:
    """Write ``bench/results/<name>.json``."""
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(report, indent=2) + "\n")


def start_pycloud(port: int) -> Process:
    return Process("pycloud", [sys.executable, "-P", "-m", "pycloud", "serve", "--port", str(port), "--ephemeral"], port)


def start_moto(port: int) -> Process:
    exe = shutil.which("moto_server")
    cmd = [exe] if exe else [sys.executable, "-m", "moto.server"]
    return Process("moto", [*cmd, "-H", "127.0.0.1", "-p", str(port)], port)


def presigned(endpoint: str, service: str, operation: str) -> str:
    import boto3

    client = boto3.client(
        service, endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test"
    )
    return client.generate_presigned_url(operation, ExpiresIn=3600, HttpMethod="GET")


def wrk(url: str, seconds: int, connections: int = 64) -> float:
    """Requests/s that wrk reaches against ``url`` (non-2xx answers count as failures)."""
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", url], capture_output=True, text=True, check=True
    ).stdout
    if "Non-2xx" in out:
        raise RuntimeError(f"non-2xx answers from {url}:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


_RAW_PYCLOUD = textwrap.dedent(
    """
    import sys, uvloop
    from pycloud.gateway.server import HttpServer
    from pycloud.protocol.message import HttpResponse
    BODY = b"x" * 4096
    async def handler(request):
        return HttpResponse(200, [("Content-Type", "text/plain")], BODY)
    async def main():
        server = HttpServer(handler)
        await server.start("127.0.0.1", int(sys.argv[1]))
        import asyncio; await asyncio.Event().wait()
    uvloop.run(main())
    """
)
_RAW_UVICORN = textwrap.dedent(
    """
    import sys, uvicorn
    BODY = b"x" * 4096
    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": BODY})
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="error", loop="uvloop", http="httptools",
                access_log=False)
    """
)


def bench_raw(seconds: int) -> dict[str, float]:
    results = {}
    for name, source in (("pycloud HttpServer", _RAW_PYCLOUD), ("uvicorn", _RAW_UVICORN)):
        port = free_port()
        proc = Process(name, [sys.executable, "-P", "-c", source, str(port)], port)
        try:
            results[name] = wrk(proc.endpoint + "/", seconds)
        finally:
            proc.stop()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5, help="wrk duration per measurement")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk is required: apt-get install wrk", file=sys.stderr)
        return 2
    report: dict[str, object] = {"seconds": args.seconds}

    startup = {}
    for name, starter in (("pycloud", start_pycloud), ("moto", start_moto)):
        runs = []
        for _ in range(5):
            proc = starter(free_port())
            time.sleep(1.0)
            runs.append((proc.startup_s, rss_mib(proc.proc.pid)))
            proc.stop()
        startup[name] = {
            "startup_s": round(statistics.median(r[0] for r in runs), 3),
            "idle_rss_mib": round(statistics.median(r[1] for r in runs), 1),
        }
    report["startup"] = startup
    servers = {"pycloud": start_pycloud(free_port()), "moto": start_moto(free_port())}

    throughput: dict[str, dict[str, float]] = {}
    try:
        for label, service, operation in (("GetCallerIdentity", "sts", "get_caller_identity"),
                                          ("ListBuckets", "s3", "list_buckets")):
            throughput[label] = {}
            for name, proc in servers.items():
                url = presigned(proc.endpoint, service, operation)
                wrk(url, 1)  # warm-up: models, caches, JIT-free but lazy imports
                throughput[label][name] = wrk(url, args.seconds)
    finally:
        for proc in servers.values():
            proc.stop()
    report["requests_per_s"] = throughput
    report["raw_http_requests_per_s"] = bench_raw(args.seconds)

    print(f"\n{'workload':<22}{'pycloud':>12}{'moto':>12}{'ratio':>10}")
    for label, row in throughput.items():
        print(f"{label:<22}{row['pycloud']:>12.0f}{row['moto']:>12.0f}{row['pycloud'] / row['moto']:>9.1f}x")
    raw = report["raw_http_requests_per_s"]
    ours, theirs = raw["pycloud HttpServer"], raw["uvicorn"]
    print(f"{'raw 200+4KiB':<22}{ours:>12.0f}{'uvicorn':>12}{ours / theirs:>9.2f}x  (uvicorn {theirs:.0f})")
    for name, row in startup.items():
        print(f"{name:<10} start-up {row['startup_s']:.3f} s   idle RSS {row['idle_rss_mib']:.1f} MiB")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "gateway.json").write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.path = [p for p in sys.path if Path(p or ".").resolve() != HERE.parent]  # use the installed pycloud
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    raise SystemExit(main())
