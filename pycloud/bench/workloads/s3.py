"""S3 workloads: put, get, head, delete, mixed (replayable); multipart and list (dynamic).

Path-style addressing (``/bucket/key``), signed payloads (the body's real SHA-256). Each run works
in a bucket of its own, emptied and deleted at teardown.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import queue
import re
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pycloud.bench.client import TransportError
from pycloud.bench.lanes import Lane
from pycloud.bench.session import BenchError, Session, error_code
from pycloud.bench.signing import build_query, encode_key
from pycloud.bench.workloads import register
from pycloud.bench.workloads.base import (
    Option,
    SpecError,
    Workload,
    invocation_id,
    parse_mix,
    parse_size,
    parse_sizes,
    payload,
    weighted_sequence,
)

PREFILL_BUDGET = 256 << 20
"""Bytes of objects written before a read/delete workload (bounds setup time and server memory)."""
PREFILL_MAX = 1000
MIN_PART = 5 << 20
MIXED_OPS = ("get", "put", "head", "delete")
_KEY = re.compile(rb"<Key>([^<]*)</Key>")
_UPLOAD = re.compile(rb"<Upload>.*?<Key>([^<]*)</Key>.*?<UploadId>([^<]*)</UploadId>.*?</Upload>", re.S)
_TOKEN = re.compile(rb"<NextContinuationToken>([^<]*)</NextContinuationToken>")
_UPLOAD_ID = re.compile(rb"<UploadId>([^<]*)</UploadId>")


def _size_option(default: str) -> Option:
    return Option("size", parse_sizes, default, "object size or distribution: 4KiB, 1MiB, 64MiB, 4KiB:80,1MiB:20")


def _xml_unescape(raw: bytes) -> str:
    text = raw.decode("utf-8")
    for entity, char in (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&apos;", "'"), ("&amp;", "&")):
        text = text.replace(entity, char)
    return text


class S3Workload(Workload):
    """Shared S3 plumbing: the bucket, request building, prefill and teardown."""

    service = "s3"
    options = (_size_option("4KiB"),)

    def __init__(self, settings: dict[str, Any] | None = None) -> None:
        super().__init__(settings)
        self.bucket = self.resource_name()
        self.prefilled: list[tuple[str, int]] = []  # (key, size)

    def resources(self) -> list[str]:
        return [f"S3 bucket {self.bucket} (and every object in it)"]

    def path(self, key: str | None = None) -> str:
        """The wire path of the bucket or one of its objects."""
        return f"/{self.bucket}" + (f"/{encode_key(key)}" if key is not None else "")

    def sizes(self) -> list[tuple[int, float]]:
        return self.settings.get("size") or [(4096, 1.0)]

    def setup(self, session: Session) -> None:
        super().setup(session)
        session.call("CreateBucket", "s3", "PUT", self.path())

    def prefill(self, prefix: str, count: int, sizes: list[tuple[int, float]] | None = None,
                threads: int = 8) -> list[tuple[str, int]]:
        """Write ``count`` objects under ``prefix`` (sizes drawn from the distribution) in parallel."""
        sizes = sizes or self.sizes()
        mean = sum(s * w for s, w in sizes) / sum(w for _, w in sizes)
        count = max(1, min(count, int(PREFILL_BUDGET // max(mean, 1)))) if count else 0
        drawn = weighted_sequence(sizes, count, seed=11)
        bodies = {size: payload(size) for size in set(drawn)}
        objects = [(f"{prefix}{i:06d}", size) for i, size in enumerate(drawn)]
        sessions: queue.Queue[Session] = queue.Queue()
        for _ in range(threads):
            sessions.put(self.session())

        def put(item: tuple[str, int]) -> None:
            s = sessions.get()
            try:
                s.call(f"prefill PutObject {item[0]}", "s3", "PUT", self.path(item[0]), body=bodies[item[1]])
            finally:
                sessions.put(s)

        try:
            with ThreadPoolExecutor(threads) as pool:
                list(pool.map(put, objects))
        finally:
            while not sessions.empty():
                sessions.get().close()
        return objects

    def teardown(self, session: Session) -> None:
        response = session.send("s3", "GET", self.path(), build_query({"uploads": None}))
        if response.status == 404:
            return  # the bucket was never created
        for key, upload_id in _UPLOAD.findall(response.body):
            session.send("s3", "DELETE", self.path(_xml_unescape(key)),
                         build_query({"uploadId": _xml_unescape(upload_id)}))
        while True:
            listing = session.call("ListObjectsV2", "s3", "GET", self.path(),
                                   build_query({"list-type": "2", "max-keys": "1000"}))
            keys = [_xml_unescape(k) for k in _KEY.findall(listing.body)]
            if not keys:
                break
            body = ("<Delete><Quiet>true</Quiet>" + "".join(
                f"<Object><Key>{_xml_escape(k)}</Key></Object>" for k in keys) + "</Delete>").encode()
            md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
            session.call("DeleteObjects", "s3", "POST", self.path(), build_query({"delete": None}),
                         {"Content-MD5": md5, "Content-Type": "application/xml"}, body)
        session.call("DeleteBucket", "s3", "DELETE", self.path(), ok=(404,))

    # replay helpers

    def signed(self, method: str, key: str, body: bytes = b"") -> bytes:
        """One signed request on ``key`` carrying a fresh invocation id."""
        from pycloud.bench.signing import Signer

        signer = getattr(self, "_signer", None)
        if signer is None:
            c = self.credentials
            signer = self._signer = Signer(c.access_key, c.secret_key, c.region, "s3", c.session_token)
        return signer.http_request(method, self.url + self.path(key), {"amz-sdk-invocation-id": invocation_id()}, body)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_signer", None)
        return state


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class _ReadWorkload(S3Workload):
    method = "GET"

    def request_bytes_estimate(self) -> int:
        return 1024  # the answers are large, the requests are not

    def setup(self, session: Session) -> None:
        super().setup(session)
        self.prefilled = self.prefill("obj/", PREFILL_MAX)

    def replay_requests(self, count: int) -> list[bytes]:
        objects = self.prefilled
        return [self.signed(self.method, objects[i % len(objects)][0]) for i in range(count)]


@register
class S3Put(S3Workload):
    name = "s3-put"
    help = "PutObject of --size objects (distinct keys, overwritten when the requests cycle)"

    def replay_requests(self, count: int) -> list[bytes]:
        sizes = weighted_sequence(self.sizes(), count, seed=3)
        bodies: dict[tuple[int, int], bytes] = {}
        out = []
        for i, size in enumerate(sizes):
            variant = i % 4 if size <= (1 << 20) else 0
            body = bodies.get((size, variant))
            if body is None:
                body = bodies[(size, variant)] = payload(size, variant)
            out.append(self.signed("PUT", f"put/{i:06d}", body))
        return out


@register
class S3Get(_ReadWorkload):
    name = "s3-get"
    help = "GetObject over a pre-filled set of --size objects"


@register
class S3Head(_ReadWorkload):
    name = "s3-head"
    help = "HeadObject over a pre-filled set of --size objects"
    method = "HEAD"


@register
class S3Delete(S3Workload):
    name = "s3-delete"
    help = "DeleteObject of pre-filled objects (once they are gone, deletes of missing keys: still 204)"

    def request_bytes_estimate(self) -> int:
        return 1024

    def setup(self, session: Session) -> None:
        super().setup(session)
        self.prefilled = self.prefill("del/", self.replay_count or PREFILL_MAX)

    def replay_requests(self, count: int) -> list[bytes]:
        return [self.signed("DELETE", self.prefilled[i % len(self.prefilled)][0]) for i in range(count)]


@register
class S3Mixed(S3Workload):
    name = "s3-mixed"
    help = "a mix of get/put/head/delete (--mix get=80,put=20)"
    options = (_size_option("4KiB"), Option("mix", lambda text: parse_mix(text, MIXED_OPS), "get=80,put=20",
                                            "s3-mixed ratio, e.g. get=70,put=20,head=5,delete=5"))

    def setup(self, session: Session) -> None:
        super().setup(session)
        ops = {op for op, _ in self.settings["mix"]}
        self.prefilled = self.prefill("obj/", PREFILL_MAX) if ops & {"get", "head"} else []
        self.deletable = self.prefill("del/", PREFILL_MAX) if "delete" in ops else []

    def replay_requests(self, count: int) -> list[bytes]:
        ops = weighted_sequence(self.settings["mix"], count, seed=5)
        sizes = weighted_sequence(self.sizes(), count, seed=3)
        bodies: dict[int, bytes] = {}
        out = []
        for i, op in enumerate(ops):
            if op == "put":
                body = bodies.get(sizes[i])
                if body is None:
                    body = bodies[sizes[i]] = payload(sizes[i])
                out.append(self.signed("PUT", f"put/{i:06d}", body))
            elif op == "delete":
                out.append(self.signed("DELETE", self.deletable[i % len(self.deletable)][0]))
            else:
                out.append(self.signed(op.upper(), self.prefilled[i % len(self.prefilled)][0]))
        return out


def _part_size(text: str) -> int:
    size = parse_size(text)
    if size < MIN_PART:
        raise SpecError(f"--part-size {text}: S3 parts must be at least 5MiB (all but the last)")
    return size


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise SpecError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise SpecError(f"expected a positive integer, got {text!r}")
    return value


@register
class S3Multipart(S3Workload):
    name = "s3-multipart"
    help = "multipart upload of --size objects: create, parts in parallel, complete (one op per upload)"
    replayable = False
    options = (
        _size_option("32MiB"),
        Option("part-size", _part_size, "8MiB", "s3-multipart part size (>= 5MiB)"),
        Option("parallel-parts", _positive, "4", "s3-multipart parts uploaded at once per upload"),
    )

    def run_dynamic(self, session: Session, lane: Lane) -> None:
        part_size = self.settings["part_size"]
        parallel = self.settings["parallel_parts"]
        part = payload(part_size)
        part_hash = hashlib.sha256(part).hexdigest()
        sizes = weighted_sequence(self.sizes(), 64, seed=lane.index + 31 * lane.worker)
        key = f"mpu/{lane.worker}-{lane.index}"  # overwritten by each upload: storage stays bounded
        sessions: queue.Queue[Session] = queue.Queue()
        for _ in range(parallel):
            sessions.put(self.session())
        signer = session.signer("s3")

        def upload(upload_id: str, number: int, length: int) -> tuple[int, str, int]:
            s = sessions.get()
            try:
                body = part if length == part_size else part[:length]
                digest = part_hash if length == part_size else hashlib.sha256(body).hexdigest()
                url = self.url + self.path(key) + "?" + build_query({"partNumber": str(number), "uploadId": upload_id})
                headers = signer.sign("PUT", url, {}, body, payload_hash=digest)
                head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
                target = url[len(self.url):]
                raw = f"PUT {target} HTTP/1.1\r\n{head}Content-Length: {length}\r\n\r\n".encode() + body
                response = s.conn.request(raw)
                if response.status != 200:
                    raise BenchError(error_code(response))
                return number, response.headers.get("etag", ""), response.wire_bytes + len(raw)
            finally:
                sessions.put(s)

        with ThreadPoolExecutor(parallel) as pool:
            n = 0
            while lane.take():
                size = sizes[n % len(sizes)]
                n += 1
                start = time.perf_counter_ns()
                try:
                    created = session.send("s3", "POST", self.path(key), build_query({"uploads": None}))
                    match = _UPLOAD_ID.search(created.body)
                    if created.status != 200 or not match:
                        lane.error(error_code(created))
                        continue
                    upload_id = _xml_unescape(match.group(1))
                    lengths = [min(part_size, size - off) for off in range(0, max(size, 1), part_size)] or [0]
                    results = list(pool.map(upload, itertools.repeat(upload_id), range(1, len(lengths) + 1), lengths))
                    body = ("<CompleteMultipartUpload>" + "".join(
                        f"<Part><PartNumber>{num}</PartNumber><ETag>{etag}</ETag></Part>" for num, etag, _ in results
                    ) + "</CompleteMultipartUpload>").encode()
                    done = session.send("s3", "POST", self.path(key), build_query({"uploadId": upload_id}),
                                        {"Content-Type": "application/xml"}, body)
                    if done.status != 200 or b"<Error>" in done.body:
                        lane.error(error_code(done))
                        continue
                    lane.record(time.perf_counter_ns() - start, sum(r[2] for r in results))
                except TransportError as exc:
                    lane.error(exc.code)
                except BenchError as exc:
                    lane.error(str(exc))
        while not sessions.empty():
            sessions.get().close()


@register
class S3List(S3Workload):
    name = "s3-list"
    help = "ListObjectsV2 pages over a pre-filled bucket (--objects keys, --page-size per page)"
    replayable = False
    options = (
        _size_option("0B"),
        Option("objects", _positive, "5000", "s3-list objects written before the run"),
        Option("page-size", _positive, "1000", "s3-list keys per page (max-keys, at most 1000)"),
    )

    def setup(self, session: Session) -> None:
        super().setup(session)
        self.prefilled = self.prefill("list/", self.settings["objects"], threads=16)

    def run_dynamic(self, session: Session, lane: Lane) -> None:
        token: str | None = None
        page = str(min(self.settings["page_size"], 1000))
        while lane.take():
            params = {"list-type": "2", "max-keys": page}
            if token:
                params["continuation-token"] = token
            start = time.perf_counter_ns()
            try:
                response = session.send("s3", "GET", self.path(), build_query(params))
            except TransportError as exc:
                lane.error(exc.code)
                token = None
                continue
            if response.status != 200:
                lane.error(error_code(response), response.wire_bytes)
                token = None
                continue
            lane.record(time.perf_counter_ns() - start, response.wire_bytes)
            match = _TOKEN.search(response.body)
            token = _xml_unescape(match.group(1)) if match else None
