"""SQS benchmarks against pycloud and moto's server in one run, with nginx as the ceiling.

Workloads (each server fresh, ephemeral, one standard queue, JSON protocol as current SDKs speak):
- SendMessage, req/s: wrk, 64 keep-alive connections, replaying SigV4-signed requests. Two ways:
  one signed request replayed (the server may remember its verified signature) and 12,000
  distinct signed requests cycled (more than the server's memo holds: every request verified);
- SendMessageBatch of 10, messages/s: the same with batches;
- ReceiveMessage(10) + DeleteMessageBatch, messages moved/s: a native client
  (``pycloud._core.sqs_drain``: 12 threads, one keep-alive connection each, SigV4 signing and JSON in
  C++, so the client is not the cap), every connection receiving up to 10 and deleting them in one
  batch, over a queue pre-filled with 1,000,000 messages (4,000 for moto);
- long-poll wake-up: a ReceiveMessage with WaitTimeSeconds=20 is waiting when a SendMessage is sent;
  latency from the send's start to the receive's answer, p50 and p99 of 200;
- send cost at depth: SendMessage req/s into an empty queue and into one holding 1,000,000 messages
  (pycloud only; moto's send cost grows with depth).

nginx serving a 4 KiB file (wrk, same settings) is measured in the same run as the ceiling.

Run: ``pip install '.[bench]' && apt-get install wrk nginx && python bench/bench_sqs.py``.
Writes ``bench/results/sqs.json``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_gateway import Process, comparison_row, free_port, start_moto, start_pycloud, write_results  # noqa: E402
from bench_s3 import nginx_4k  # noqa: E402

from pycloud import _core  # noqa: E402

REGION = "us-east-1"


def signed_request(endpoint: str, target: str, payload: dict) -> tuple[str, dict[str, str], bytes]:
    """(path, headers, body) of a SigV4-signed SQS JSON request, as botocore would send it."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    body = json.dumps(payload).encode()
    request = AWSRequest(method="POST", url=endpoint + "/", data=body, headers={
        "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": f"AmazonSQS.{target}",
    })
    SigV4Auth(Credentials("test", "test"), "sqs", REGION).add_auth(request)
    headers = {k: v for k, v in request.headers.items()}
    headers["Host"] = urlsplit(endpoint).netloc
    return "/", headers, body


def wrk_requests(endpoint: str, requests: list[tuple[str, dict[str, str], bytes]], seconds: int) -> float:
    """Requests/s wrk reaches cycling through pre-signed requests (non-2xx fails the run)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write("local reqs = {}\n")
        for path, headers, body in requests:
            lua_headers = ", ".join(f'["{k}"] = {json.dumps(v)}' for k, v in headers.items())
            script.write(f"reqs[#reqs + 1] = wrk.format('POST', '{path}', {{{lua_headers}}}, {json.dumps(body.decode())})\n")
        script.write("local i = 0\nrequest = function()\n  i = i % #reqs + 1\n  return reqs[i]\nend\n")
    try:
        out = subprocess.run(["wrk", "-t1", "-c64", f"-d{seconds}s", "-s", script.name, endpoint],
                             capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(script.name)
    if "Non-2xx" in out:
        raise RuntimeError(f"non-2xx answers:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


class Caller:
    """Signed SQS JSON calls over one keep-alive connection (for the client-driven workloads)."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        parts = urlsplit(endpoint)
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)

    def call(self, target: str, payload: dict) -> dict:
        path, headers, body = signed_request(self.endpoint, target, payload)
        self.conn.request("POST", path, body=body, headers=headers)
        response = self.conn.getresponse()
        data = response.read()
        if response.status != 200:
            raise RuntimeError(f"{target}: {response.status} {data[:200]!r}")
        return json.loads(data) if data else {}


def fill(endpoint: str, queue_url: str, count: int) -> None:
    def worker(n: int) -> None:
        caller = Caller(endpoint)
        for start in range(0, n, 10):
            entries = [{"Id": str(i), "MessageBody": "x" * 100} for i in range(min(10, n - start))]
            caller.call("SendMessageBatch", {"QueueUrl": queue_url, "Entries": entries})

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(worker, [count // 8] * 8))


def receive_delete(endpoint: str, queue_url: str, seconds: float, connections: int = 12) -> float:
    """Messages received and deleted per second (Receive(10) + DeleteMessageBatch) by the native
    client's ``connections`` threads. The backlog must outlast the run; if it drains first, the rate
    is counted up to the last delete."""
    parts = urlsplit(endpoint)
    result = _core.sqs_drain(parts.hostname, parts.port, queue_url, "test", "test", REGION,
                             connections=connections, duration_s=seconds)
    if result["errors"]:
        print(f"  receive+delete: {result['errors']} of {result['requests']} requests failed", flush=True)
    return result["messages"] / max(result["elapsed_s"], 1e-6)


def wake_up_latency(endpoint: str, queue_url: str, rounds: int = 200) -> tuple[float, float]:
    """(p50, p99) milliseconds from a send's start to a waiting long poll's answer."""
    receiver, sender = Caller(endpoint), Caller(endpoint)
    samples: list[float] = []
    for _ in range(rounds):
        answered: list[float] = []

        def poll(answered: list[float] = answered) -> None:
            receiver.call("ReceiveMessage", {"QueueUrl": queue_url, "WaitTimeSeconds": 20, "MaxNumberOfMessages": 1})
            answered.append(time.perf_counter())

        thread = threading.Thread(target=poll)
        thread.start()
        time.sleep(0.01)  # let the receive reach the server and start waiting
        sent = time.perf_counter()
        sender.call("SendMessage", {"QueueUrl": queue_url, "MessageBody": "wake"})
        thread.join()
        samples.append((answered[0] - sent) * 1000)
        # drain what the poll received so the next round starts empty
        for message in receiver.call("ReceiveMessage", {"QueueUrl": queue_url, "MaxNumberOfMessages": 10}).get(
                "Messages", []):
            receiver.call("DeleteMessage", {"QueueUrl": queue_url, "ReceiptHandle": message["ReceiptHandle"]})
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.99) - 1]


def _progress(name: str, row: dict[str, float]) -> None:
    metric, value = next(reversed(row.items()))
    print(f"  {name} {metric}: {value:,.1f}", flush=True)


def bench_server(name: str, proc: Process, seconds: int, deep: bool, backlog: int) -> dict[str, float]:
    endpoint = proc.endpoint
    caller = Caller(endpoint)
    row: dict[str, float] = {}
    sends = caller.call("CreateQueue", {"QueueName": "sends"})["QueueUrl"]
    one = [signed_request(endpoint, "SendMessage", {"QueueUrl": sends, "MessageBody": "x" * 100})]
    row["send_replayed_per_s"] = wrk_requests(endpoint, one, seconds)
    _progress(name, row)
    distinct = [signed_request(endpoint, "SendMessage", {"QueueUrl": sends, "MessageBody": f"message {i:06d}"})
                for i in range(12_000)]
    row["send_per_s"] = wrk_requests(endpoint, distinct, seconds)
    _progress(name, row)
    batch = [signed_request(endpoint, "SendMessageBatch", {"QueueUrl": sends, "Entries": [
        {"Id": str(j), "MessageBody": f"message {i:05d}-{j}"} for j in range(10)]}) for i in range(2_000)]
    row["send_batch_msgs_per_s"] = 10 * wrk_requests(endpoint, batch, seconds)
    _progress(name, row)
    moves = caller.call("CreateQueue", {"QueueName": "moves"})["QueueUrl"]
    fill(endpoint, moves, backlog)
    row["receive_delete_msgs_per_s"] = receive_delete(endpoint, moves, seconds)
    _progress(name, row)
    polls = caller.call("CreateQueue", {"QueueName": "polls"})["QueueUrl"]
    row["wakeup_p50_ms"], row["wakeup_p99_ms"] = wake_up_latency(endpoint, polls)
    _progress(name, row)
    if deep:
        depth = caller.call("CreateQueue", {"QueueName": "depth"})["QueueUrl"]
        one_deep = [signed_request(endpoint, "SendMessage", {"QueueUrl": depth, "MessageBody": "x" * 100})]
        row["send_at_depth_0_per_s"] = wrk_requests(endpoint, one_deep, seconds)
        fill(endpoint, depth, 1_000_000)
        row["send_at_depth_1m_per_s"] = wrk_requests(endpoint, one_deep, seconds)
    print(f"  {name}: {row}", flush=True)
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--skip-moto", action="store_true")
    parser.add_argument("--skip-depth", action="store_true", help="skip the 1,000,000-message depth run")
    args = parser.parse_args()
    report: dict[str, object] = {}
    servers = [("pycloud", start_pycloud)] + ([] if args.skip_moto else [("moto", start_moto)])
    for name, starter in servers:
        proc = starter(free_port())
        try:
            # moto's sends slow down as its queue grows: a smaller backlog still outlasts its consumers
            report[name] = bench_server(name, proc, args.seconds, deep=name == "pycloud" and not args.skip_depth,
                                        backlog=1_000_000 if name == "pycloud" else 4_000)
        finally:
            proc.stop()
    nginx = report["nginx_4k_get_per_s"] = nginx_4k(args.seconds)
    ours = report["pycloud"]
    print(f"\n{'workload':<28}{'pycloud':>12}{'moto':>12}{'vs moto':>10}   vs nginx ({nginx:,.0f} req/s)")
    for metric, value in ours.items():
        lower_is_better = metric.endswith("_ms")
        ceiling = "" if lower_is_better else f"{value / nginx:.2f}x"
        print(comparison_row(metric, value, report.get("moto", {}).get(metric), lower_is_better, ceiling, 28))
    write_results("sqs", report)
    return 0


if __name__ == "__main__":
    sys.path = [p for p in sys.path if Path(p or ".").resolve() != HERE.parent]
    raise SystemExit(main())
