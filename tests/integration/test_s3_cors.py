"""S3 CORS as browsers use it: OPTIONS preflights and Access-Control-* headers on actual requests."""

from __future__ import annotations

import http.client
from urllib.parse import urlsplit

import pytest
from botocore.config import Config
from s3_helpers import account_client_fixture, code_status, error_of, unique

client = account_client_fixture("666677778888", "AKIAS3CORSTESTS00001", "s3-cors-secret", "s3-cors")

RULES = [
    {
        "AllowedOrigins": ["https://app.example.com"],
        "AllowedMethods": ["GET", "PUT"],
        "AllowedHeaders": ["content-type", "x-amz-*"],
        "ExposeHeaders": ["ETag"],
        "MaxAgeSeconds": 600,
    },
    {"AllowedOrigins": ["*"], "AllowedMethods": ["GET"]},
]


@pytest.fixture(scope="module")
def s3(client):
    return client(config=Config(signature_version="s3v4"))


@pytest.fixture
def bucket(s3):
    name = unique("cors")
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="index.html", Body=b"<html/>")
    return name


def _request(endpoint: str, method: str, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    parts = urlsplit(endpoint)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request(method, path, headers=headers)
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def _preflight(pycloud, bucket, **headers):
    wire = {"Origin": headers.get("origin"), "Access-Control-Request-Method": headers.get("method"),
            "Access-Control-Request-Headers": headers.get("request_headers")}
    return _request(pycloud.endpoint, "OPTIONS", f"/{bucket}/index.html", {k: v for k, v in wire.items() if v})


def test_preflight_without_cors_configuration(pycloud, bucket):
    status, _, body = _preflight(pycloud, bucket, origin="https://app.example.com", method="GET")
    assert status == 403 and b"<Code>CORSResponse</Code>" in body and b"not enabled" in body


def test_preflight_allowed_by_a_rule(pycloud, s3, bucket):
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": RULES})
    status, headers, body = _preflight(pycloud, bucket, origin="https://app.example.com", method="PUT",
                                       request_headers="Content-Type, X-Amz-Meta-Color")
    assert status == 200 and body == b""
    assert headers["access-control-allow-origin"] == "https://app.example.com"
    assert headers["access-control-allow-methods"] == "GET, PUT"
    assert headers["access-control-allow-headers"] == "content-type, x-amz-meta-color"
    assert headers["access-control-expose-headers"] == "ETag"
    assert headers["access-control-max-age"] == "600"
    assert headers["access-control-allow-credentials"] == "true"


def test_preflight_wildcard_origin_and_refusals(pycloud, s3, bucket):
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": RULES})
    status, headers, _ = _preflight(pycloud, bucket, origin="https://elsewhere.example", method="GET")
    assert status == 200 and headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in headers
    for origin, method, requested in (
        ("https://elsewhere.example", "PUT", None),  # only GET for other origins
        ("https://app.example.com", "DELETE", None),  # method not in any rule
        ("https://app.example.com", "PUT", "authorization"),  # header not allowed
    ):
        status, _, body = _preflight(pycloud, bucket, origin=origin, method=method, request_headers=requested)
        assert status == 403 and b"CORSResponse" in body, (origin, method, requested)
    status, _, body = _preflight(pycloud, bucket, method="GET")
    assert status == 400 and b"Origin" in body


def test_actual_request_gets_cors_headers(pycloud, s3, bucket):
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": RULES[:1]})
    url = urlsplit(s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "index.html"}))
    path = f"{url.path}?{url.query}"
    status, headers, body = _request(pycloud.endpoint, "GET", path, {"Origin": "https://app.example.com"})
    assert status == 200 and body == b"<html/>"
    assert headers["access-control-allow-origin"] == "https://app.example.com"
    assert headers["access-control-expose-headers"] == "ETag"
    status, headers, _ = _request(pycloud.endpoint, "GET", path, {"Origin": "https://evil.example"})
    assert status == 200 and "access-control-allow-origin" not in headers


def test_cors_configuration_errors(s3, bucket):
    err = error_of(s3.get_bucket_cors, Bucket=bucket)
    assert code_status(err) == ("NoSuchCORSConfiguration", 404)
