"""Routing: which service, protocol and operation a request is for."""

from __future__ import annotations

import pytest

from pycloud.gateway.routing import Router, credential_scope, s3_bucket_from_host
from pycloud.gateway.server import parse_query
from pycloud.protocol.errors import ServiceError
from pycloud.protocol.message import HttpRequest


def _auth(service: str, region: str = "eu-west-1") -> str:
    return (
        f"AWS4-HMAC-SHA256 Credential=AKID/20240101/{region}/{service}/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=abc"
    )


def _request(method="POST", path="/", query="", headers=None, body=b"") -> HttpRequest:
    return HttpRequest(method, path, query, parse_query(query), dict(headers or {}), body)


@pytest.mark.parametrize(
    "host,bucket",
    [
        ("mybucket.s3.localhost:4566", "mybucket"),
        ("my.dotted.bucket.s3.localhost", "my.dotted.bucket"),
        ("mybucket.localhost:4566", "mybucket"),
        ("mybucket.s3.eu-west-1.amazonaws.com", "mybucket"),
        ("mybucket.s3-eu-west-1.amazonaws.com", "mybucket"),
        ("s3.localhost:4566", None),
        ("s3.eu-west-1.amazonaws.com", None),
        ("localhost:4566", None),
        ("127.0.0.1:4566", None),
    ],
)
def test_s3_bucket_from_host(host, bucket):
    assert s3_bucket_from_host(host) == bucket


def test_credential_scope_from_header_and_presigned_query():
    assert credential_scope(_request(headers={"authorization": _auth("sqs")})) == ("eu-west-1", "sqs")
    presigned = _request("GET", query="X-Amz-Credential=AKID%2F20240101%2Fus-west-2%2Fs3%2Faws4_request")
    assert credential_scope(presigned) == ("us-west-2", "s3")
    assert credential_scope(_request()) is None


def test_json_target_wins():
    route = Router().route(
        _request(headers={"authorization": _auth("dynamodb"), "x-amz-target": "DynamoDB_20120810.ListTables"})
    )
    assert (route.service, route.protocol, route.operation, route.region) == ("dynamodb", "json", "ListTables", "eu-west-1")


def test_cloudwatch_json_and_cbor():
    router = Router()
    json_route = router.route(
        _request(headers={"authorization": _auth("monitoring"), "x-amz-target": "GraniteServiceVersion20100801.ListMetrics"})
    )
    assert (json_route.service, json_route.protocol, json_route.operation) == ("cloudwatch", "json", "ListMetrics")
    cbor_route = router.route(
        _request(
            path="/service/GraniteServiceVersion20100801/operation/ListMetrics",
            headers={"authorization": _auth("monitoring"), "smithy-protocol": "rpc-v2-cbor"},
        )
    )
    assert (cbor_route.service, cbor_route.protocol, cbor_route.operation) == ("cloudwatch", "smithy-rpc-v2-cbor", "ListMetrics")


def test_query_action_in_body_needs_the_body():
    request = _request(
        headers={"authorization": _auth("sts"), "content-type": "application/x-www-form-urlencoded; charset=utf-8"},
        body=b"Action=GetCallerIdentity&Version=2011-06-15",
    )
    route = Router().route(request)
    assert (route.service, route.protocol, route.needs_body) == ("sts", "query", True)
    Router.resolve_from_body(route, request)
    assert route.operation == "GetCallerIdentity" and not route.needs_body


def test_ec2_action_in_query_string():
    route = Router().route(_request("GET", query="Action=DescribeRegions&Version=2016-11-15", headers={"authorization": _auth("ec2")}))
    assert (route.service, route.protocol, route.operation) == ("ec2", "ec2", "DescribeRegions")


def test_rest_json_by_template():
    route = Router().route(_request("GET", path="/2015-03-31/functions/", headers={"authorization": _auth("lambda")}))
    assert (route.service, route.protocol, route.operation) == ("lambda", "rest-json", "ListFunctions")


def test_s3_path_style_and_virtual_hosted():
    router = Router()
    path_style = router.route(_request("GET", path="/bucket/a/b.txt", headers={"authorization": _auth("s3"), "host": "localhost:4566"}))
    assert (path_style.operation, path_style.labels) == ("GetObject", {"Bucket": "bucket", "Key": "a/b.txt"})
    virtual = router.route(_request("GET", path="/a/b.txt", headers={"authorization": _auth("s3"), "host": "bucket.s3.localhost:4566"}))
    assert (virtual.operation, virtual.labels) == ("GetObject", {"Bucket": "bucket", "Key": "a/b.txt"})
    assert virtual.extra["virtual_host_bucket"] == "bucket"
    listing = router.route(_request("GET", path="/", query="list-type=2", headers={"authorization": _auth("s3"), "host": "bucket.s3.localhost"}))
    assert (listing.operation, listing.labels) == ("ListObjectsV2", {"Bucket": "bucket"})


def test_unsigned_requests_go_to_s3():
    route = Router().route(_request("GET", path="/public-bucket/key", headers={"host": "localhost"}))
    assert (route.service, route.operation, route.signing_name) == ("s3", "GetObject", "s3")


@pytest.mark.parametrize(
    "request_args,code",
    [
        ({"headers": {"x-amz-target": "NoSuchPrefix.Op"}}, "UnknownOperationException"),
        ({"path": "/service/Nope/operation/X", "headers": {"smithy-protocol": "rpc-v2-cbor"}}, "UnknownOperationException"),
        ({"headers": {"authorization": _auth("no-such-service")}}, "UnrecognizedService"),
        ({"method": "PATCH", "path": "/", "headers": {"host": "localhost"}}, "MethodNotAllowed"),
    ],
)
def test_unroutable_requests_get_aws_errors(request_args, code):
    with pytest.raises(ServiceError) as info:
        Router().route(_request(**request_args))
    assert info.value.code == code


def test_query_compatible_json_service_answers_query_clients():
    """SQS's model speaks JSON, but it is query-compatible: a form POST is routed as query."""
    request = _request(
        headers={"authorization": _auth("sqs"), "content-type": "application/x-www-form-urlencoded"},
        body=b"Action=ListQueues&Version=2012-11-05",
    )
    route = Router().route(request)
    assert (route.service, route.protocol, route.needs_body) == ("sqs", "query", True)
    json_route = Router().route(
        _request(headers={"authorization": _auth("sqs"), "x-amz-target": "AmazonSQS.ListQueues"})
    )
    assert (json_route.service, json_route.protocol, json_route.operation) == ("sqs", "json", "ListQueues")


def test_s3_options_is_a_cors_preflight():
    from pycloud.gateway.routing import CORS_PREFLIGHT

    route = Router().route(_request("OPTIONS", path="/bucket/a%20b/c.txt", headers={"host": "localhost"}))
    assert (route.service, route.operation, route.labels) == ("s3", CORS_PREFLIGHT, {"Bucket": "bucket", "Key": "a b/c.txt"})
    virtual = Router().route(_request("OPTIONS", path="/c.txt", headers={"host": "bucket.s3.localhost"}))
    assert virtual.labels == {"Bucket": "bucket", "Key": "c.txt"}
