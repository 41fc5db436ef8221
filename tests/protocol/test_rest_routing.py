"""REST operation matching: requestUri templates, literal query parts, S3 disambiguation, decoding."""

from __future__ import annotations

from typing import Any

import pytest
from botocore_roundtrip import Roundtrip

from pycloud.protocol.errors import ServiceError
from pycloud.protocol.model import ServiceModel, load_service_model
from pycloud.protocol.rest_routing import extract_labels, match_operation


@pytest.fixture(scope="module")
def s3() -> ServiceModel:
    return load_service_model("s3")


@pytest.mark.parametrize(
    ("method", "path", "query", "headers", "expected", "labels"),
    [
        ("GET", "/", {}, {}, "ListBuckets", {}),
        ("GET", "/bucket", {}, {}, "ListObjects", {"Bucket": "bucket"}),
        ("GET", "/bucket/", {}, {}, "ListObjects", {"Bucket": "bucket"}),
        ("GET", "/bucket", {"list-type": ["2"]}, {}, "ListObjectsV2", {"Bucket": "bucket"}),
        ("GET", "/bucket", {"list-type": ["1"]}, {}, "ListObjects", {"Bucket": "bucket"}),
        ("GET", "/bucket", {"uploads": [""]}, {}, "ListMultipartUploads", {"Bucket": "bucket"}),
        ("GET", "/bucket", {"versions": [""]}, {}, "ListObjectVersions", {"Bucket": "bucket"}),
        ("GET", "/bucket", {"location": [""]}, {}, "GetBucketLocation", {"Bucket": "bucket"}),
        ("GET", "/bucket", {"lifecycle": [""]}, {}, "GetBucketLifecycleConfiguration", {"Bucket": "bucket"}),
        ("GET", "/bucket", {"analytics": [""]}, {}, "ListBucketAnalyticsConfigurations", {"Bucket": "bucket"}),
        (
            "GET",
            "/bucket",
            {"analytics": [""], "id": ["a"]},
            {},
            "GetBucketAnalyticsConfiguration",
            {"Bucket": "bucket"},
        ),
        ("PUT", "/bucket", {}, {}, "CreateBucket", {"Bucket": "bucket"}),
        ("PUT", "/bucket", {"tagging": [""]}, {}, "PutBucketTagging", {"Bucket": "bucket"}),
        ("POST", "/bucket", {"delete": [""]}, {}, "DeleteObjects", {"Bucket": "bucket"}),
        ("HEAD", "/bucket", {}, {}, "HeadBucket", {"Bucket": "bucket"}),
        ("HEAD", "/bucket/key", {}, {}, "HeadObject", {"Bucket": "bucket", "Key": "key"}),
        ("GET", "/bucket/a/b/c.txt", {}, {}, "GetObject", {"Bucket": "bucket", "Key": "a/b/c.txt"}),
        ("GET", "/bucket/dir/", {}, {}, "GetObject", {"Bucket": "bucket", "Key": "dir/"}),
        ("GET", "/bucket//lead", {}, {}, "GetObject", {"Bucket": "bucket", "Key": "/lead"}),
        ("GET", "/bucket/k", {"uploadId": ["u"]}, {}, "ListParts", {"Bucket": "bucket", "Key": "k"}),
        ("GET", "/bucket/k", {"tagging": [""]}, {}, "GetObjectTagging", {"Bucket": "bucket", "Key": "k"}),
        ("PUT", "/bucket/k", {}, {}, "PutObject", {"Bucket": "bucket", "Key": "k"}),
        ("PUT", "/bucket/k", {}, {"x-amz-copy-source": "src/k"}, "CopyObject", {"Bucket": "bucket", "Key": "k"}),
        (
            "PUT",
            "/bucket/k",
            {"partNumber": ["1"], "uploadId": ["u"]},
            {},
            "UploadPart",
            {"Bucket": "bucket", "Key": "k"},
        ),
        (
            "PUT",
            "/bucket/k",
            {"partNumber": ["1"], "uploadId": ["u"]},
            {"x-amz-copy-source": "src/k"},
            "UploadPartCopy",
            {"Bucket": "bucket", "Key": "k"},
        ),
        ("POST", "/bucket/k", {"uploads": [""]}, {}, "CreateMultipartUpload", {"Bucket": "bucket", "Key": "k"}),
        ("POST", "/bucket/k", {"uploadId": ["u"]}, {}, "CompleteMultipartUpload", {"Bucket": "bucket", "Key": "k"}),
        ("DELETE", "/bucket/k", {}, {}, "DeleteObject", {"Bucket": "bucket", "Key": "k"}),
        ("DELETE", "/bucket/k", {"uploadId": ["u"]}, {}, "AbortMultipartUpload", {"Bucket": "bucket", "Key": "k"}),
        (
            "POST",
            "/bucket/k",
            {"select": [""], "select-type": ["2"]},
            {},
            "SelectObjectContent",
            {"Bucket": "bucket", "Key": "k"},
        ),
    ],
)
def test_s3_operations(s3, method, path, query, headers, expected, labels):
    assert match_operation(s3, method, path, query, headers) == (expected, labels)


def test_s3_key_decoding(s3):
    # %2F becomes part of the key, "+" stays literal in a path, UTF-8 is decoded.
    op, labels = match_operation(s3, "GET", "/b/a%2Fb+c%20d/%E2%82%AC%3F", {})
    assert op == "GetObject"
    assert labels == {"Bucket": "b", "Key": "a/b+c d/€?"}


def test_invalid_percent_encoding_is_invalid_uri(s3):
    with pytest.raises(ServiceError) as info:
        match_operation(s3, "GET", "/b/%FF%FE", {})
    assert info.value.code == "InvalidURI"
    assert info.value.status == 400


def test_x_id_picks_the_named_operation(s3):
    assert match_operation(s3, "GET", "/", {"x-id": ["ListDirectoryBuckets"]})[0] == "ListDirectoryBuckets"
    assert match_operation(s3, "GET", "/b/k", {"x-id": ["GetObject"]})[0] == "GetObject"


def test_unknown_method_or_path(s3):
    assert match_operation(s3, "PATCH", "/b", {}) is None
    lam = load_service_model("lambda")
    assert match_operation(lam, "GET", "/nope/functions", {}) is None


def test_lambda_routes():
    lam = load_service_model("lambda")
    assert match_operation(lam, "GET", "/2015-03-31/functions/", {}) == ("ListFunctions", {})
    assert match_operation(lam, "GET", "/2015-03-31/functions", {}) == ("ListFunctions", {})
    assert match_operation(lam, "POST", "/2015-03-31/functions", {}) == ("CreateFunction", {})
    assert match_operation(lam, "GET", "/2015-03-31/functions/my-fn", {}) == ("GetFunction", {"FunctionName": "my-fn"})
    arn = "arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Af"
    assert match_operation(lam, "POST", f"/2015-03-31/functions/{arn}/invocations", {}) == (
        "Invoke",
        {"FunctionName": "arn:aws:lambda:us-east-1:000000000000:function:f"},
    )
    # A literal segment beats a label in the same position.
    assert match_operation(lam, "GET", "/2015-03-31/functions/f/policy", {})[0] == "GetPolicy"


def test_literal_query_with_value_in_other_services():
    apigw = load_service_model("apigateway")
    assert match_operation(apigw, "POST", "/restapis", {"mode": ["import"]})[0] == "ImportRestApi"
    assert match_operation(apigw, "POST", "/restapis", {})[0] == "CreateRestApi"


def test_extract_labels(s3):
    assert extract_labels(s3, "GetObject", "/b/x%2By") == {"Bucket": "b", "Key": "x+y"}
    assert extract_labels(s3, "GetObject", "/") == {}
    assert extract_labels(s3, "NoSuchOperation", "/b") == {}


def _minimal(model: ServiceModel, shape_name: str, depth: int = 0) -> Any:
    """Smallest valid value of a shape (required members only)."""
    shape = model.shapes[shape_name]
    kind = shape["type"]
    if kind == "structure":
        return {m: _minimal(model, shape["members"][m]["shape"], depth + 1) for m in shape.get("required", [])}
    if kind == "list":
        return [_minimal(model, shape["member"]["shape"], depth + 1)] if depth < 6 else []
    if kind == "map":
        return {}
    if kind in ("integer", "long"):
        return max(1, int(shape.get("min", 1)))
    if kind in ("float", "double"):
        return 1.0
    if kind == "boolean":
        return True
    if kind == "blob":
        return b"x"
    if kind == "timestamp":
        return 0
    if "enum" in shape:
        return shape["enum"][0]
    return "a" * max(3, int(shape.get("min", 1)))


# Operations whose requests are identical on the wire to another one's (deprecated twins etc.).
_SAME_WIRE = {"ListDirectoryBuckets": "ListBuckets"}


@pytest.mark.parametrize("service", ["s3", "lambda"])
def test_every_operation_botocore_sends_routes_back_to_itself(service):
    rt = Roundtrip(service)
    mismatches = []
    for name, op in rt.model.operations.items():
        if op.get("deprecated") or name in ("WriteGetObjectResponse", "CreateSession"):
            continue
        params = _minimal(rt.model, op["input"]["shape"]) if op.get("input") else {}
        if service == "s3" and "Bucket" in params:
            params["Bucket"] = "my-bucket"
        try:
            request = rt.capture(name, params)
        except Exception:  # noqa: BLE001 - an operation botocore refuses minimal params for
            continue
        matched = match_operation(rt.model, request.method, request.path, request.query, request.headers)
        if matched is None or matched[0] != _SAME_WIRE.get(name, name):
            mismatches.append((name, matched))
    assert mismatches == []
