"""Workload registry, size/mix specifications and replay request generation (each request parses
as HTTP and its signature verifies with the gateway's SigV4 primitives)."""

from __future__ import annotations

import hashlib
import json
from typing import ClassVar

import pytest

from pycloud.bench.session import Credentials
from pycloud.bench.workloads import WORKLOADS, SpecError, Workload, parse_mix, parse_size, parse_sizes, register
from pycloud.bench.workloads.s3 import MIXED_OPS
from pycloud.gateway import sigv4

CREDS = Credentials("AKIDBENCH", "bench-secret", "us-west-2")
URL = "http://127.0.0.1:4566"


def test_registry_holds_every_workload_of_the_issue() -> None:
    expected = {"s3-put", "s3-get", "s3-head", "s3-delete", "s3-mixed", "s3-multipart", "s3-list",
                "sqs-send", "sqs-send-batch", "sqs-receive", "sqs-e2e"}
    assert expected <= set(WORKLOADS)
    dynamic = {n for n, c in WORKLOADS.items() if not c.replayable}
    assert dynamic == {"s3-multipart", "s3-list", "sqs-receive", "sqs-e2e"}
    for name, cls in WORKLOADS.items():
        assert cls.name == name and cls.help and cls.service in ("s3", "sqs", "http")
        assert cls().resource_name().startswith("pycloud-bench-")
        assert bool(cls().resources()) == (cls.service != "http")  # the ceiling workload creates nothing


def test_http_get_replays_one_unsigned_get() -> None:
    workload = WORKLOADS["http-get"]({"path": "/4k"})
    workload.url = "http://127.0.0.1:18080"
    assert workload.replay_requests(5000) == [b"GET /4k HTTP/1.1\r\nHost: 127.0.0.1:18080\r\n\r\n"]
    for bad in ("4k", "/a b", "/x\r\nEvil: 1"):
        with pytest.raises(SpecError):
            WORKLOADS["http-get"].options[0].parse(bad)


def test_register_adds_a_small_class_and_refuses_duplicates() -> None:
    class Ping(Workload):
        name = "test-ping"
        help = "a test workload"
        service = "sts"
        options: ClassVar = ()

    try:
        assert register(Ping) is Ping and WORKLOADS["test-ping"] is Ping
        with pytest.raises(ValueError):
            register(Ping)
    finally:
        WORKLOADS.pop("test-ping", None)


@pytest.mark.parametrize(("text", "value"), [("4KiB", 4096), ("1MiB", 1 << 20), ("64MiB", 64 << 20), ("512B", 512),
                                             ("100", 100), ("1.5k", 1536), ("2MB", 2_000_000), ("1gib", 1 << 30)])
def test_parse_size(text: str, value: int) -> None:
    assert parse_size(text) == value


@pytest.mark.parametrize("text", ["", "4XB", "KiB", "-1KiB", "4 KiB 2"])
def test_parse_size_rejects(text: str) -> None:
    with pytest.raises(SpecError):
        parse_size(text)


def test_parse_sizes_distribution() -> None:
    assert parse_sizes("4KiB") == [(4096, 1.0)]
    assert parse_sizes("4KiB:80,1MiB:20") == [(4096, 80.0), (1 << 20, 20.0)]
    for bad in ("4KiB:0", "4KiB:x", "4KiB,,1MiB", "4KiB:-1"):
        with pytest.raises(SpecError):
            parse_sizes(bad)


def test_parse_mix() -> None:
    assert parse_mix("get=80,put=20", MIXED_OPS) == [("get", 80.0), ("put", 20.0)]
    assert parse_mix("GET=1, head=0,delete=2", MIXED_OPS) == [("get", 1.0), ("delete", 2.0)]
    for bad in ("get", "get=x", "list=1", "get=1,get=2", "get=0", "get=-1"):
        with pytest.raises(SpecError):
            parse_mix(bad, MIXED_OPS)


def _parse(raw: bytes) -> tuple[str, str, str, dict[str, str], bytes]:
    head, sep, body = raw.partition(b"\r\n\r\n")
    assert sep
    lines = head.decode("utf-8").split("\r\n")
    method, target, version = lines[0].split(" ")
    assert version == "HTTP/1.1"
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        assert colon and name == name.strip()
        assert name.lower() not in headers, f"duplicate header {name}"
        headers[name.lower()] = value.strip()
    assert int(headers.get("content-length", "0")) == len(body)
    path, _, query = target.partition("?")
    return method, path, query, headers, body


def _verify(raw: bytes, service: str) -> tuple[str, dict[str, str], bytes]:
    """Check ``raw``'s SigV4 header signature the way the gateway does; returns (method, headers, body)."""
    method, path, query, headers, body = _parse(raw)
    auth = headers["authorization"]
    assert auth.startswith("AWS4-HMAC-SHA256 ")
    fields = dict(part.strip().split("=", 1) for part in auth[len("AWS4-HMAC-SHA256 "):].split(","))
    access_key, date, region, svc, _ = fields["Credential"].split("/")
    assert (access_key, region, svc) == (CREDS.access_key, CREDS.region, service)
    signed = fields["SignedHeaders"].split(";")
    assert {"host", "x-amz-date", "amz-sdk-invocation-id"} <= set(signed)
    payload_hash = hashlib.sha256(body).hexdigest()
    if service == "s3":
        assert headers["x-amz-content-sha256"] == payload_hash
    canonical = sigv4.canonical_request(
        method, sigv4.canonical_uri(path, s3=service == "s3"), sigv4.canonical_query_from_raw(query),
        sigv4.canonical_headers(headers, signed), fields["SignedHeaders"], payload_hash)
    scope = sigv4.credential_scope(date, region, svc)
    expected = sigv4.sign(sigv4.signing_key(CREDS.secret_key, date, region, svc),
                          sigv4.string_to_sign(headers["x-amz-date"], scope, canonical))
    assert sigv4.signatures_equal(expected, fields["Signature"])
    return method, headers, body


def _bound(name: str, **settings: object) -> Workload:
    workload = WORKLOADS[name](settings)
    workload.url, workload.credentials = URL, CREDS
    return workload


def test_s3_put_requests_are_distinct_signed_and_follow_the_size_distribution() -> None:
    workload = _bound("s3-put", size=parse_sizes("1KiB:50,3KiB:50"))
    requests = workload.replay_requests(4500)
    assert len(requests) == 4500 and len(set(requests)) == 4500
    sizes = set()
    for raw in requests[:300]:
        method, headers, body = _verify(raw, "s3")
        assert method == "PUT" and headers["host"] == "127.0.0.1:4566"
        sizes.add(len(body))
    assert sizes == {1024, 3072}


@pytest.mark.parametrize(("name", "method"), [("s3-get", "GET"), ("s3-head", "HEAD"), ("s3-delete", "DELETE")])
def test_s3_read_and_delete_requests(name: str, method: str) -> None:
    workload = _bound(name)
    workload.prefilled = [(f"obj/{i:06d}", 4096) for i in range(10)]
    requests = workload.replay_requests(50)
    assert len(set(requests)) == 50  # same 10 keys, but every request distinct (invocation id)
    paths = set()
    for raw in requests:
        got, headers, body = _verify(raw, "s3")
        assert got == method and body == b""
        paths.add(_parse(raw)[1])
    assert paths == {f"/{workload.bucket}/obj/{i:06d}" for i in range(10)}


def test_s3_mixed_follows_the_mix() -> None:
    workload = _bound("s3-mixed", mix=parse_mix("get=50,put=25,delete=25", MIXED_OPS))
    workload.prefilled = [("obj/000000", 4096)]
    workload.deletable = [("del/000000", 4096)]
    requests = workload.replay_requests(2000)
    methods = [_verify(raw, "s3")[0] for raw in requests]
    assert set(methods) == {"GET", "PUT", "DELETE"}
    assert 850 < methods.count("GET") < 1150 and 380 < methods.count("PUT") < 620


def test_sqs_send_and_batch_requests() -> None:
    workload = _bound("sqs-send", size=parse_sizes("100B"))
    workload.queue_url = "http://127.0.0.1:4566/000000000000/q"
    requests = workload.replay_requests(20)
    assert len(set(requests)) == 20
    for raw in requests:
        method, headers, body = _verify(raw, "sqs")
        assert method == "POST" and headers["x-amz-target"] == "AmazonSQS.SendMessage"
        payload = json.loads(body)
        assert payload["QueueUrl"] == workload.queue_url and len(payload["MessageBody"]) == 100
    batch = _bound("sqs-send-batch")
    batch.queue_url = "q"
    payload = json.loads(_verify(batch.replay_requests(1)[0], "sqs")[2])
    assert len(payload["Entries"]) == 10 and len({e["Id"] for e in payload["Entries"]}) == 10


def test_workload_options_are_validated() -> None:
    with pytest.raises(SpecError):
        WORKLOADS["s3-multipart"].options[1].parse("1MiB")  # part size below S3's 5 MiB minimum
    with pytest.raises(SpecError):
        WORKLOADS["sqs-send"].options[0].parse("2MiB")  # above SQS's message size limit
    assert WORKLOADS["s3-multipart"]().settings == {"size": [(32 << 20, 1.0)], "part_size": 8 << 20,
                                                    "parallel_parts": 4}


def test_workload_pickles_for_worker_processes() -> None:
    import pickle

    workload = _bound("sqs-send")
    workload.replay_requests(1)  # caches a signer, which must not travel
    clone = pickle.loads(pickle.dumps(workload))
    assert clone.queue_name == workload.queue_name and "_signer" not in clone.__dict__
