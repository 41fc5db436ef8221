"""rest-json round trips through real botocore clients (Lambda, API Gateway, ...), without a server."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest
from botocore_roundtrip import StreamingRoundtrip, rest_call

from pycloud.protocol import get_protocol
from pycloud.protocol.errors import ServiceError
from pycloud.protocol.message import BodyStream, HttpRequest
from pycloud.protocol.rest_json import RestJsonProtocol

PROTO = RestJsonProtocol()
NOW = datetime(2024, 5, 6, 7, 8, 9, 500000, tzinfo=UTC)


@pytest.fixture(scope="module")
def lam() -> StreamingRoundtrip:
    return StreamingRoundtrip("lambda")


def call(rt, operation: str, params: dict, result: dict | None = None, error: ServiceError | None = None):
    """Send through botocore, route, parse, answer; returns (params, client result or ClientError, response)."""
    return rest_call(PROTO, rt, operation, params, result, error)


def test_registry_returns_rest_json():
    assert isinstance(get_protocol("rest-json"), RestJsonProtocol)


def test_list_functions(lam):
    functions = [
        {
            "FunctionName": "f1",
            "Runtime": "python3.12",
            "MemorySize": 128,
            "Timeout": 3,
            "LastModified": "2024-05-06T07:08:09.000+0000",
            "Environment": {"Variables": {"A": "1"}},
        },
        {"FunctionName": "f2", "Architectures": ["arm64"], "Layers": [{"Arn": "arn:l", "CodeSize": 10}]},
    ]
    params, out, response = call(
        lam,
        "ListFunctions",
        {"MaxItems": 5, "Marker": "m1", "FunctionVersion": "ALL"},
        {"Functions": functions, "NextMarker": "m2"},
    )
    assert params == {"MaxItems": 5, "Marker": "m1", "FunctionVersion": "ALL"}
    assert out == {"Functions": functions, "NextMarker": "m2"}
    assert response.get_header("Content-Type") == "application/json"
    assert response.get_header("x-amzn-RequestId") == "req-1"


def test_create_function_nested_json_and_blob(lam):
    zip_bytes = b"PK\x03\x04\x00\xff binary"
    params, out, response = call(
        lam,
        "CreateFunction",
        {
            "FunctionName": "f",
            "Role": "arn:aws:iam::000000000000:role/r",
            "Code": {"ZipFile": zip_bytes},
            "Runtime": "python3.12",
            "Handler": "app.handler",
            "MemorySize": 256,
            "Publish": True,
            "Environment": {"Variables": {"A": "1", "B": "two"}},
            "Tags": {"team": "x"},
            "VpcConfig": {"SubnetIds": ["s-1", "s-2"], "SecurityGroupIds": []},
        },
        {"FunctionName": "f", "CodeSize": len(zip_bytes), "MemorySize": 256, "State": "Pending"},
    )
    assert params["Code"] == {"ZipFile": zip_bytes}
    assert params["Environment"] == {"Variables": {"A": "1", "B": "two"}}
    assert params["VpcConfig"] == {"SubnetIds": ["s-1", "s-2"], "SecurityGroupIds": []}
    assert params["MemorySize"] == 256 and params["Publish"] is True
    assert out == {"FunctionName": "f", "CodeSize": len(zip_bytes), "MemorySize": 256, "State": "Pending"}
    assert response.status == 201  # the operation's responseCode


def test_invoke_payload_headers_and_status_code(lam):
    params, out, response = call(
        lam,
        "Invoke",
        {
            "FunctionName": "f",
            "Payload": b'{"n": 1}',
            "InvocationType": "RequestResponse",
            "LogType": "Tail",
            "Qualifier": "$LATEST",
            "ClientContext": base64.b64encode(b'{"custom":{}}').decode(),
        },
        {
            "StatusCode": 200,
            "Payload": b'{"ok": true}',
            "FunctionError": "Unhandled",
            "LogResult": "bG9n",
            "ExecutedVersion": "$LATEST",
        },
    )
    assert params["Payload"] == b'{"n": 1}'
    assert params["InvocationType"] == "RequestResponse" and params["LogType"] == "Tail"
    assert params["Qualifier"] == "$LATEST"
    assert out["Payload"].read() == b'{"ok": true}'
    assert out["StatusCode"] == 200 and out["FunctionError"] == "Unhandled" and out["ExecutedVersion"] == "$LATEST"
    assert response.body == b'{"ok": true}'  # a blob payload is the raw body

    _, out, response = call(lam, "Invoke", {"FunctionName": "f", "InvocationType": "Event"}, {"StatusCode": 202})
    assert out["StatusCode"] == 202 and response.status == 202  # statusCode member sets the HTTP status


class _Stream(BodyStream):
    async def read(self) -> bytes:
        return b""


def test_invoke_payload_stream_is_handed_over(lam):
    stream = _Stream()
    request = HttpRequest("POST", "/2015-03-31/functions/f/invocations", stream=stream)
    params = PROTO.parse(lam.model, "Invoke", request)
    assert params == {"FunctionName": "f", "Payload": stream}


def test_get_function_with_arn_label(lam):
    arn = "arn:aws:lambda:us-east-1:000000000000:function:f"
    params, out, _ = call(
        lam,
        "GetFunction",
        {"FunctionName": arn, "Qualifier": "1"},
        {
            "Configuration": {"FunctionName": "f", "FunctionArn": arn, "Version": "1"},
            "Code": {"RepositoryType": "S3", "Location": "https://x"},
            "Tags": {"a": "b"},
        },
    )
    assert params == {"FunctionName": arn, "Qualifier": "1"}
    assert out["Configuration"]["FunctionArn"] == arn and out["Tags"] == {"a": "b"}


def test_lambda_errors(lam):
    error = ServiceError("ResourceNotFoundException", "Function not found: f", 404)
    _, err, response = call(lam, "GetFunction", {"FunctionName": "f"}, error=error)
    assert err.response["Error"]["Code"] == "ResourceNotFoundException"
    assert err.response["Error"]["Message"] == "Function not found: f"
    assert err.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert err.response["ResponseMetadata"]["RequestId"] == "req-1"
    assert response.get_header("x-amzn-ErrorType") == "ResourceNotFoundException"
    assert json.loads(response.body)["Type"] == "User"
    assert type(err).__name__ == "ResourceNotFoundException"  # botocore's modeled exception class

    error = ServiceError(
        "TooManyRequestsException",
        "Rate exceeded",
        429,
        fields={"Reason": "CallerRateLimitExceeded"},
        headers={"Retry-After": "1"},
    )
    _, err, response = call(lam, "Invoke", {"FunctionName": "f"}, error=error)
    assert err.response["Error"]["Code"] == "TooManyRequestsException"
    assert err.response["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert err.response["Reason"] == "CallerRateLimitExceeded"
    assert err.response["retryAfterSeconds"] == "1"


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[1, 2]",
        b'{"FunctionName": 5}',
        b'{"FunctionName": "f", "MemorySize": "big"}',
        b'{"FunctionName": "f", "Code": {"ZipFile": "***"}}',
        b'{"FunctionName": "f", "Publish": "yes"}',
        b"\xff\xfe",
    ],
)
def test_malformed_json_is_serialization_exception(lam, body):
    request = HttpRequest("POST", "/2015-03-31/functions", body=body)
    with pytest.raises(ServiceError) as info:
        PROTO.parse(lam.model, "CreateFunction", request)
    assert (info.value.code, info.value.status) == ("SerializationException", 400)


def test_bad_query_integer(lam):
    with pytest.raises(ServiceError) as info:
        PROTO.parse(lam.model, "ListFunctions", HttpRequest("GET", "/2015-03-31/functions", query={"MaxItems": ["x"]}))
    assert info.value.code == "SerializationException"


def test_timestamps_are_epoch_seconds_in_bodies():
    apigw = StreamingRoundtrip("apigateway")
    _, out, response = call(
        apigw,
        "GetRestApi",
        {"restApiId": "abc"},
        {"id": "abc", "name": "api", "createdDate": NOW, "binaryMediaTypes": ["image/png"]},
    )
    assert json.loads(response.body)["createdDate"] == 1714979289.5
    assert out["createdDate"] == NOW and out["binaryMediaTypes"] == ["image/png"]


def test_querystring_map_takes_unclaimed_parameters():
    apigw = StreamingRoundtrip("apigateway")
    params, _, _ = call(
        apigw,
        "ImportRestApi",
        {"body": b"{}", "failOnWarnings": True, "parameters": {"endpointConfigurationTypes": "REGIONAL"}},
        {"id": "x"},
    )
    assert params["parameters"] == {"endpointConfigurationTypes": "REGIONAL"}  # not "mode" nor "failonwarnings"
    assert params["failOnWarnings"] is True
    assert params["body"] == b"{}"


def test_jsonvalue_headers_and_streaming_input():
    lex = StreamingRoundtrip("lex-runtime")
    params, out, response = call(
        lex,
        "PostContent",
        {
            "botName": "b",
            "botAlias": "a",
            "userId": "user-1",
            "contentType": "text/plain; charset=utf-8",
            "inputStream": b"hello",
            "sessionAttributes": {"k": "v"},
        },
        {"message": "hi", "sessionAttributes": {"n": 1}, "audioStream": b""},
    )
    assert params["sessionAttributes"] == {"k": "v"}
    assert params["inputStream"] == b"hello"
    assert out["sessionAttributes"] == {"n": 1}
    encoded = response.get_header("x-amz-lex-session-attributes")
    assert json.loads(base64.b64decode(encoded)) == {"n": 1}


def test_head_error_has_no_body():
    model = StreamingRoundtrip("mediastore-data").model
    response = PROTO.serialize_error(model, "DescribeObject", ServiceError("ObjectNotFoundException", "nope", 404), "r")
    assert response.status == 404 and response.body == b""
    assert response.get_header("x-amzn-ErrorType") == "ObjectNotFoundException"
