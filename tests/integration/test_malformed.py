"""Malformed requests of every kind get the AWS error for them: never a 500, never a traceback."""

from __future__ import annotations

import json

import cbor2
import pytest
from rawhttp import raw_exchange, send, signed_request

JSON_10 = "application/x-amz-json-1.0"


def _dynamodb(pycloud, target: str, body: bytes):
    return signed_request(
        pycloud.endpoint, "POST", "/", service="dynamodb", body=body,
        headers={"X-Amz-Target": f"DynamoDB_20120810.{target}", "Content-Type": JSON_10},
    )


def _error_type(headers: dict[str, str], body: bytes) -> str:
    return headers.get("x-amzn-errortype", "").split(":")[0] or json.loads(body)["__type"].split("#")[-1]


@pytest.mark.parametrize("body", [b"{not json", b'{"Limit": 5', b"\xff\xfe", b"[1, 2]"])
def test_bad_json(pycloud, body):
    status, headers, payload = _dynamodb(pycloud, "ListTables", body)
    assert status == 400
    assert _error_type(headers, payload) == "SerializationException"


def test_wrong_json_type(pycloud):
    status, headers, payload = _dynamodb(pycloud, "ListTables", b'{"Limit": "ten"}')
    assert status == 400
    assert _error_type(headers, payload) == "SerializationException"


def test_missing_required_member(pycloud):
    status, headers, payload = _dynamodb(pycloud, "DescribeTable", b"{}")
    assert status == 400
    assert _error_type(headers, payload) == "ValidationException"
    assert "tableName" in json.loads(payload)["message"]


def test_out_of_range_member(pycloud):
    status, headers, payload = _dynamodb(pycloud, "ListTables", b'{"Limit": 1000}')
    assert status == 400
    assert _error_type(headers, payload) == "ValidationException"


def test_unknown_json_target(pycloud):
    status, headers, payload = _dynamodb(pycloud, "NoSuchOperation", b"{}")
    assert status == 400
    assert "UnknownOperation" in _error_type(headers, payload)


def _cbor(pycloud, body: bytes):
    return signed_request(
        pycloud.endpoint, "POST", "/service/GraniteServiceVersion20100801/operation/ListMetrics",
        service="monitoring", body=body,
        headers={"smithy-protocol": "rpc-v2-cbor", "Content-Type": "application/cbor", "Accept": "application/cbor"},
    )


@pytest.mark.parametrize("body", [b"\xbf\x61", b"\x1f\xff\xff", cbor2.dumps({"Namespace": 5})])
def test_bad_cbor(pycloud, body):
    status, _headers, payload = _cbor(pycloud, body)
    assert status == 400
    assert "SerializationException" in str(cbor2.loads(payload)["__type"])


def test_good_cbor_by_hand(pycloud):
    status, headers, payload = _cbor(pycloud, cbor2.dumps({"Namespace": "AWS/EC2"}))
    assert status == 200
    assert headers["smithy-protocol"] == "rpc-v2-cbor"
    assert cbor2.loads(payload).get("Metrics", []) == []


def test_query_bad_timestamp(pycloud):
    body = (
        b"Action=GetMetricStatistics&Version=2010-08-01&Namespace=N&MetricName=M"
        b"&StartTime=not-a-date&EndTime=2024-01-01T00:00:00Z&Period=60&Statistics.member.1=Sum"
    )
    status, _headers, payload = signed_request(
        pycloud.endpoint, "POST", "/", service="monitoring", body=body,
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    assert 400 <= status < 500
    assert b"<Code>" in payload


def test_query_missing_action(pycloud):
    status, _headers, payload = signed_request(
        pycloud.endpoint, "POST", "/", service="sts", body=b"Version=2011-06-15",
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    assert status == 400
    assert b"<Code>MissingAction</Code>" in payload


def test_query_unknown_action(pycloud):
    status, _headers, payload = signed_request(
        pycloud.endpoint, "POST", "/", service="sts", body=b"Action=StealEverything&Version=2011-06-15",
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    assert status == 400
    assert b"<Code>InvalidAction</Code>" in payload


def test_ec2_missing_required_parameter(pycloud):
    status, _headers, payload = signed_request(
        pycloud.endpoint, "POST", "/", service="ec2", body=b"Action=DescribeInstanceAttribute&Version=2016-11-15",
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    assert status == 400
    assert b"<Code>MissingParameter</Code>" in payload


@pytest.mark.parametrize(
    "body",
    [
        b"<CreateBucketConfiguration><LocationConstraint>eu-west-1",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
        b"<CreateBucketConfiguration><LocationConstraint>&b;</LocationConstraint></CreateBucketConfiguration>",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        b"<CreateBucketConfiguration><LocationConstraint>&e;</LocationConstraint></CreateBucketConfiguration>",
    ],
    ids=["truncated", "entity-expansion", "external-entity"],
)
def test_bad_xml(pycloud, body):
    status, _headers, payload = signed_request(pycloud.endpoint, "PUT", "/malformed-xml-bucket", service="s3", body=body)
    assert status == 400
    assert b"<Code>MalformedXML</Code>" in payload
    assert b"root:" not in payload


def test_bad_chunk_signature(pycloud):
    """An aws-chunked body whose chunk signature is wrong is refused before any provider sees it."""
    body = b"<Tagging><TagSet></TagSet></Tagging>"
    chunked = (
        f"{len(body):x};chunk-signature={'0' * 64}\r\n".encode() + body + b"\r\n"
        + f"0;chunk-signature={'0' * 64}\r\n\r\n".encode()
    )
    status, _headers, payload = signed_request(
        pycloud.endpoint, "PUT", "/some-bucket?tagging", service="s3", body=chunked,
        headers={
            "Content-Encoding": "aws-chunked",
            "x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
            "x-amz-decoded-content-length": str(len(body)),
        },
        keep_content_sha256=True,
    )
    assert status == 403
    assert b"<Code>SignatureDoesNotMatch</Code>" in payload


def test_unsigned_request_to_non_s3_service(pycloud):
    status, _headers, payload = send(
        pycloud.endpoint, "POST", "/", b"Action=GetCallerIdentity&Version=2011-06-15",
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status in (400, 403)
    assert b"<Code>MissingAuthenticationToken</Code>" in payload or b"<Code>InvalidClientTokenId" in payload


@pytest.mark.parametrize(
    "raw,status",
    [
        (b"THIS IS NOT HTTP\r\n\r\n", b"400"),
        (b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 200_000 + b"\r\n\r\n", b"431"),
        (b"GET /" + b"a" * 200_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", b"414"),
        (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", b"400"),
    ],
    ids=["garbage", "huge-header", "huge-url", "bad-chunk-framing"],
)
def test_broken_http_is_answered_and_closed(pycloud, raw, status):
    reply = raw_exchange(pycloud.endpoint, raw)
    assert reply.split(b" ", 2)[1] == status
    assert b"Traceback" not in reply


def test_truncated_body_does_not_hang_the_server(pycloud):
    reply = raw_exchange(
        pycloud.endpoint,
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\nX-Amz-Target: DynamoDB_20120810.ListTables\r\n\r\n{}",
        timeout=1.0,
    )
    assert reply == b""  # nothing answered yet: the body is incomplete and the client went away
    assert pycloud.admin("GET", "/_pycloud/health")["status"] == "running"
