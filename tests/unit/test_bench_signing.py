"""The bench's lean SigV4 signer produces botocore's signatures for the same inputs and time."""

from __future__ import annotations

import datetime
import hashlib
from unittest import mock

import pytest
from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from pycloud.bench.signing import Signer, build_query, encode_key

WHEN = datetime.datetime(2026, 3, 4, 5, 6, 7)
AMZ_DATE = "20260304T050607Z"


def _botocore(auth_cls: type, service: str, method: str, url: str, headers: dict[str, str], body: bytes,
              token: str | None = None) -> dict[str, str]:
    request = AWSRequest(method=method, url=url, headers=dict(headers), data=body)
    auth = auth_cls(Credentials("AKIDEXAMPLE", "secret/key+1", token), service, "eu-west-3")
    with mock.patch("botocore.auth.get_current_datetime", return_value=WHEN):
        auth.add_auth(request)
    return dict(request.headers.items())


S3_CASES = [
    ("PUT", "/bucket/" + encode_key("plain.txt"), "", {}, b"hello"),
    ("GET", "/bucket/" + encode_key("dir/a b+c=d&e(1)!*'~é.txt"), "", {"amz-sdk-invocation-id": "x-1"}, b""),
    ("HEAD", "/bucket/" + encode_key("sp  ace/%percent"), "", {}, b""),
    ("GET", "/bucket", build_query({"list-type": "2", "prefix": "a b/", "continuation-token": "t=/+"}), {}, b""),
    ("POST", "/bucket/" + encode_key("k"), build_query({"uploads": None}), {"Content-Type": "text/plain"}, b""),
    ("PUT", "/bucket/k", build_query({"partNumber": "2", "uploadId": "u/+="}), {"X-Amz-Meta-Tag": "  a   b "},
     b"x" * 70000),
]


@pytest.mark.parametrize(("method", "path", "query", "headers", "body"), S3_CASES)
def test_s3_signatures_equal_botocore(method: str, path: str, query: str, headers: dict[str, str], body: bytes) -> None:
    url = "http://127.0.0.1:4566" + path + (f"?{query}" if query else "")
    ours = Signer("AKIDEXAMPLE", "secret/key+1", "eu-west-3", "s3").sign(method, url, headers, body, AMZ_DATE)
    theirs = _botocore(S3SigV4Auth, "s3", method, url, headers, body)
    assert ours["Authorization"] == theirs["Authorization"]
    assert ours["X-Amz-Content-SHA256"] == theirs["X-Amz-Content-SHA256"] == hashlib.sha256(body).hexdigest()
    assert ours["X-Amz-Date"] == theirs["X-Amz-Date"] == AMZ_DATE


@pytest.mark.parametrize("url", ["http://localhost/", "http://localhost:80/", "http://127.0.0.1:9000/",
                                 "http://[::1]:4566/", "http://sqs.example.com/a/./b/../c%20d"])
def test_json_service_signatures_equal_botocore(url: str) -> None:
    headers = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AmazonSQS.SendMessage",
               "User-Agent": "not signed"}
    body = b'{"QueueUrl": "q", "MessageBody": "hi"}'
    ours = Signer("AKIDEXAMPLE", "secret/key+1", "eu-west-3", "sqs").sign("POST", url, headers, body, AMZ_DATE)
    theirs = _botocore(SigV4Auth, "sqs", "POST", url, headers, body)
    assert ours["Authorization"] == theirs["Authorization"]
    assert "X-Amz-Content-SHA256" not in ours  # other services sign the body hash without sending it
    assert "user-agent" not in ours["Authorization"]


def test_session_token_signed_like_botocore() -> None:
    url = "http://127.0.0.1:4566/"
    headers = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AmazonSQS.ListQueues"}
    ours = Signer("AKIDEXAMPLE", "secret/key+1", "eu-west-3", "sqs", "tok/en").sign("POST", url, headers, b"{}",
                                                                                   AMZ_DATE)
    theirs = _botocore(SigV4Auth, "sqs", "POST", url, headers, b"{}", token="tok/en")
    assert ours["Authorization"] == theirs["Authorization"]
    assert ours["X-Amz-Security-Token"] == "tok/en"


def test_http_request_is_a_complete_request() -> None:
    raw = Signer("a", "b", "us-east-1", "s3").http_request("PUT", "http://127.0.0.1:4566/b/k%20x?uploads", {}, b"abc")
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    assert lines[0] == "PUT /b/k%20x?uploads HTTP/1.1"
    assert "Host: 127.0.0.1:4566" in lines and "Content-Length: 3" in lines
    assert body == b"abc"


def test_encoding_helpers() -> None:
    assert encode_key("a b/c+d~e") == "a%20b/c%2Bd~e"
    assert build_query({"uploads": None}) == "uploads"
    assert build_query([("a b", "c/d"), ("x", "")]) == "a%20b=c%2Fd&x="
