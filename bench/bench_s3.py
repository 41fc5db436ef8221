"""S3 benchmarks against pycloud and moto's server in one run, with the machine's ceilings.

Workloads (each server fresh, ephemeral):
- PUT and GET of 4 KiB objects, req/s: wrk, 64 keep-alive connections, presigned SigV4 URLs
  (a PUT URL replays one object; a GET URL reads one object);
- PUT and GET of one 64 MiB object, MB/s: one connection, presigned URL, body from/to memory;
- a 1 GiB multipart upload with 8 MiB parts, MB/s (boto3, one connection);
- listing a 20,000-key bucket in 20 pages of 1,000, seconds: with boto3's paginator, and with a lean
  client (presigned URLs over one connection, XML scanned, not parsed) for the server's share.

Ceilings measured in the same run: nginx serving a 4 KiB file (wrk, same settings), raw loopback
TCP bandwidth, and the disk's sequential write bandwidth with fdatasync.

Run: ``pip install '.[bench]' && apt-get install wrk nginx && python bench/bench_s3.py``.
Writes ``bench/results/s3.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_gateway import Process, comparison_row, free_port, start_moto, start_pycloud, write_results, wrk  # noqa: E402

MiB = 1024 * 1024


def client(endpoint: str):
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(signature_version="s3v4", retries={"max_attempts": 1}, request_checksum_calculation="when_required",
                      max_pool_connections=32),
    )


def presign(s3, method: str, bucket: str, key: str) -> str:
    return s3.generate_presigned_url(method, Params={"Bucket": bucket, "Key": key}, ExpiresIn=3600)


def wrk_put(url: str, body: bytes, seconds: int) -> float:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(f'wrk.method = "PUT"\nwrk.body = string.rep("x", {len(body)})\n')
    out = subprocess.run(["wrk", "-t1", "-c64", f"-d{seconds}s", "-s", script.name, url],
                         capture_output=True, text=True, check=True).stdout
    os.unlink(script.name)
    rate = float(out.split("Requests/sec:")[1].split()[0])
    if "Non-2xx" in out:
        # Count only successful writes (moto's server refuses some concurrent PUTs).
        total = int(out.split(" requests in ")[0].split()[-1])
        failed = int(out.split("Non-2xx or 3xx responses:")[1].split()[0])
        print(f"    note: {failed} of {total} PUTs failed; counting successes only", flush=True)
        rate *= (total - failed) / total
    return rate


def transfer(url: str, method: str, body: bytes | None = None) -> float:
    """Seconds for one presigned PUT (body) or GET (read to the end) over a fresh connection."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=300)
    path = parts.path + "?" + parts.query
    started = time.perf_counter()
    conn.request(method, path, body=body)
    response = conn.getresponse()
    if method == "GET":
        view = memoryview(bytearray(8 * MiB))
        while response.readinto(view):
            pass
    else:
        response.read()
    elapsed = time.perf_counter() - started
    conn.close()
    if response.status != 200:
        raise RuntimeError(f"{method} answered {response.status}")
    return elapsed


def multipart(s3, bucket: str, total: int, part: int) -> float:
    body = os.urandom(part)
    started = time.perf_counter()
    upload = s3.create_multipart_upload(Bucket=bucket, Key="multipart")["UploadId"]
    parts = []
    for n in range(1, total // part + 1):
        etag = s3.upload_part(Bucket=bucket, Key="multipart", UploadId=upload, PartNumber=n, Body=body)["ETag"]
        parts.append({"PartNumber": n, "ETag": etag})
    s3.complete_multipart_upload(Bucket=bucket, Key="multipart", UploadId=upload, MultipartUpload={"Parts": parts})
    return time.perf_counter() - started


def list_keys(s3, bucket: str, count: int) -> float:
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda i: s3.put_object(Bucket=bucket, Key=f"k/{i:06d}", Body=b"x"), range(count)))
    started = time.perf_counter()
    seen = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, PaginationConfig={"PageSize": 1000}):
        seen += len(page.get("Contents", []))
    elapsed = time.perf_counter() - started
    if seen != count:
        raise RuntimeError(f"listed {seen} of {count}")
    return elapsed


def list_keys_lean(s3, endpoint: str, bucket: str, count: int) -> float:
    """The same 20 pages fetched over one keep-alive connection by presigned URL, the XML only
    scanned for keys and the continuation token: the server's share of a listing, without boto3's
    parsing (which costs more than the server on this machine)."""
    parts = urlsplit(endpoint)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=300)
    token = None
    seen = 0
    started = time.perf_counter()
    while True:
        params: dict[str, object] = {"Bucket": bucket, "MaxKeys": 1000}
        if token:
            params["ContinuationToken"] = token
        url = urlsplit(s3.generate_presigned_url("list_objects_v2", Params=params, ExpiresIn=3600))
        conn.request("GET", f"{url.path}?{url.query}")
        body = conn.getresponse().read()
        seen += body.count(b"<Key>")
        if b"<NextContinuationToken>" not in body:
            break
        token = body.split(b"<NextContinuationToken>")[1].split(b"<")[0].decode()
    elapsed = time.perf_counter() - started
    conn.close()
    if seen != count:
        raise RuntimeError(f"listed {seen} of {count}")
    return elapsed


def bench_server(name: str, proc: Process, seconds: int, list_count: int) -> dict[str, float]:
    s3 = client(proc.endpoint)
    s3.create_bucket(Bucket="bench")
    small = b"x" * 4096
    s3.put_object(Bucket="bench", Key="small", Body=small)
    row: dict[str, float] = {}
    row["put_4k_per_s"] = wrk_put(presign(s3, "put_object", "bench", "small-put"), small, seconds)
    row["get_4k_per_s"] = wrk(presign(s3, "get_object", "bench", "small"), seconds)
    big = os.urandom(64 * MiB)
    row["put_64m_mb_s"] = 64 / transfer(presign(s3, "put_object", "bench", "big"), "PUT", big)
    row["get_64m_mb_s"] = 64 / transfer(presign(s3, "get_object", "bench", "big"), "GET")
    row["multipart_1g_mb_s"] = 1024 / multipart(s3, "bench", 1024 * MiB, 8 * MiB)
    s3.create_bucket(Bucket="listing")
    row["list_20k_s"] = list_keys(s3, "listing", list_count)
    row["list_20k_lean_client_s"] = list_keys_lean(s3, proc.endpoint, "listing", list_count)
    print(f"  {name}: {row}", flush=True)
    return row


@contextlib.contextmanager
def nginx_serving_4k() -> Iterator[str]:
    """nginx (one worker) serving a 4 KiB file on a free loopback port; yields the file's URL."""
    root = Path(tempfile.mkdtemp(prefix="nginx-bench-"))
    (root / "small").write_bytes(b"x" * 4096)
    port = free_port()
    conf = root / "nginx.conf"
    conf.write_text(
        f"worker_processes 1; daemon off; pid {root}/nginx.pid; error_log {root}/error.log;\n"
        f"events {{ worker_connections 1024; }}\n"
        f"http {{ access_log off; client_body_temp_path {root}; proxy_temp_path {root}; "
        f"fastcgi_temp_path {root}; uwsgi_temp_path {root}; scgi_temp_path {root}; "
        f"server {{ listen 127.0.0.1:{port}; root {root}; keepalive_requests 10000000; }} }}\n"
    )
    proc = subprocess.Popen(["nginx", "-c", str(conf), "-p", str(root)], stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.5)
        yield f"http://127.0.0.1:{port}/small"
    finally:
        proc.terminate()
        proc.wait()
        shutil.rmtree(root, ignore_errors=True)


def nginx_4k(seconds: int) -> float:
    """wrk's req/s against nginx serving a 4 KiB file (the ceiling of the small-object figures)."""
    with nginx_serving_4k() as url:
        return wrk(url, seconds)


def loopback_mb_s(total: int = 2048 * MiB) -> float:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]

    def sink() -> None:
        conn, _ = server.accept()
        view = memoryview(bytearray(4 * MiB))
        while conn.recv_into(view):
            pass
        conn.close()

    thread = threading.Thread(target=sink)
    thread.start()
    chunk = b"\0" * (4 * MiB)
    with socket.create_connection(("127.0.0.1", port)) as sock:
        started = time.perf_counter()
        for _ in range(total // len(chunk)):
            sock.sendall(chunk)
    thread.join()
    elapsed = time.perf_counter() - started
    server.close()
    return total / MiB / elapsed


def disk_fdatasync_mb_s(total: int = 512 * MiB) -> float:
    chunk = os.urandom(8 * MiB)
    with tempfile.NamedTemporaryFile(dir=".", delete=True) as fh:
        started = time.perf_counter()
        for _ in range(total // len(chunk)):
            fh.write(chunk)
        fh.flush()
        os.fdatasync(fh.fileno())
        return total / MiB / (time.perf_counter() - started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--list-count", type=int, default=20_000)
    parser.add_argument("--skip-moto", action="store_true")
    args = parser.parse_args()
    report: dict[str, object] = {}
    servers = [("pycloud", start_pycloud)] + ([] if args.skip_moto else [("moto", start_moto)])
    for name, starter in servers:
        proc = starter(free_port())
        try:
            report[name] = bench_server(name, proc, args.seconds, args.list_count)
        finally:
            proc.stop()
    report["nginx_4k_get_per_s"] = nginx_4k(args.seconds)
    report["loopback_mb_s"] = loopback_mb_s()
    report["disk_fdatasync_mb_s"] = disk_fdatasync_mb_s()

    ours = report["pycloud"]
    print(f"\n{'workload':<22}{'pycloud':>12}{'moto':>12}{'vs moto':>10}   ceiling")
    ceilings = {
        "get_4k_per_s": ("nginx", report["nginx_4k_get_per_s"]),
        "put_4k_per_s": ("nginx", report["nginx_4k_get_per_s"]),
        "get_64m_mb_s": ("loopback", report["loopback_mb_s"]),
        "put_64m_mb_s": ("disk", report["disk_fdatasync_mb_s"]),
        "multipart_1g_mb_s": ("disk", report["disk_fdatasync_mb_s"]),
    }
    for metric, value in ours.items():
        ceiling = ceilings.get(metric)
        ceiling_text = f"{value / ceiling[1]:.2f}x {ceiling[0]} ({ceiling[1]:,.0f})" if ceiling else ""
        lower_is_better = metric.startswith("list")  # seconds
        print(comparison_row(metric, value, report.get("moto", {}).get(metric), lower_is_better, ceiling_text))
    write_results("s3", report)
    return 0


if __name__ == "__main__":
    sys.path = [p for p in sys.path if Path(p or ".").resolve() != HERE.parent]
    raise SystemExit(main())
