"""The query protocol, round-tripped through real botocore clients (STS, IAM, SNS, SQS, CloudWatch)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from botocore_roundtrip import Roundtrip, strip_metadata

from pycloud.protocol.errors import ServiceError
from pycloud.protocol.message import HttpRequest
from pycloud.protocol.query import QueryProtocol

PROTO = QueryProtocol()
T0 = datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)


@pytest.fixture(scope="module")
def sts() -> Roundtrip:
    return Roundtrip("sts")


@pytest.fixture(scope="module")
def iam() -> Roundtrip:
    return Roundtrip("iam")


@pytest.fixture(scope="module")
def sns() -> Roundtrip:
    return Roundtrip("sns")


@pytest.fixture(scope="module")
def sqs_query() -> Roundtrip:
    return Roundtrip("sqs", protocol="query")


@pytest.fixture(scope="module")
def cw_query() -> Roundtrip:
    return Roundtrip("cloudwatch", protocol="query")


def _roundtrip_params(rt: Roundtrip, operation: str, params: dict) -> dict:
    request = rt.capture(operation, params)
    assert request.headers["content-type"].startswith("application/x-www-form-urlencoded")
    return PROTO.parse(rt.model, operation, request)


def _respond(rt: Roundtrip, operation: str, params: dict, result: dict) -> dict:
    parsed = rt.respond(operation, params, lambda req: PROTO.serialize(rt.model, operation, result, "req-123"))
    assert parsed["ResponseMetadata"]["RequestId"] == "req-123"
    return strip_metadata(parsed)


def test_sts_assume_role_request_lists_and_integers(sts: Roundtrip) -> None:
    params = {
        "RoleArn": "arn:aws:iam::123456789012:role/demo",
        "RoleSessionName": "session-1",
        "DurationSeconds": 900,
        "PolicyArns": [{"arn": "arn:aws:iam::aws:policy/ReadOnly"}, {"arn": "arn:aws:iam::aws:policy/Other"}],
        "Tags": [{"Key": "team", "Value": "a b&c"}],
        "TransitiveTagKeys": ["team"],
    }
    assert _roundtrip_params(sts, "AssumeRole", params) == params


def test_sts_assume_role_response_with_timestamp(sts: Roundtrip) -> None:
    result = {
        "Credentials": {"AccessKeyId": "ASIAX", "SecretAccessKey": "s/k", "SessionToken": "<tok>", "Expiration": T0},
        "AssumedRoleUser": {"AssumedRoleId": "AROA:session-1", "Arn": "arn:aws:sts::123456789012:assumed-role/demo/s"},
        "PackedPolicySize": 7,
    }
    parsed = _respond(sts, "AssumeRole", {"RoleArn": "arn:aws:iam::1:role/r", "RoleSessionName": "sess"}, result)
    assert parsed["Credentials"]["Expiration"] == T0
    parsed["Credentials"]["Expiration"] = T0
    assert parsed == result


def test_response_accepts_epoch_and_iso_timestamps(sts: Roundtrip) -> None:
    for value in (T0.timestamp(), "2024-01-02T03:04:05.678Z"):
        result = {"Credentials": {"AccessKeyId": "A", "SecretAccessKey": "B", "SessionToken": "C", "Expiration": value}}
        parsed = _respond(sts, "GetSessionToken", {}, result)
        assert parsed["Credentials"]["Expiration"] == T0


def test_iam_list_roles_nested_lists_booleans(iam: Roundtrip) -> None:
    roles = [
        {
            "Path": "/",
            "RoleName": f"r{i}",
            "RoleId": f"AROA{i}",
            "Arn": f"arn:aws:iam::123456789012:role/r{i}",
            "CreateDate": T0,
            "MaxSessionDuration": 3600,
            "Tags": [{"Key": "k", "Value": str(i)}],
        }
        for i in range(3)
    ]
    parsed = _respond(iam, "ListRoles", {}, {"Roles": roles, "IsTruncated": True, "Marker": "m1"})
    assert parsed == {"Roles": roles, "IsTruncated": True, "Marker": "m1"}


def test_empty_list_response_and_request(iam: Roundtrip) -> None:
    parsed = _respond(iam, "ListRoles", {}, {"Roles": [], "IsTruncated": False})
    assert parsed == {"Roles": [], "IsTruncated": False}


def test_sns_non_flattened_map_with_custom_names_and_blob(sns: Roundtrip) -> None:
    params = {
        "TopicArn": "arn:aws:sns:us-east-1:123456789012:t",
        "Message": "hello\nworld",
        "MessageAttributes": {
            "color": {"DataType": "String", "StringValue": "blue"},
            "raw": {"DataType": "Binary", "BinaryValue": b"\x00\xff"},
        },
    }
    request = sns.capture("Publish", params)
    assert b"MessageAttributes.entry.1.Name=color" in request.body
    assert PROTO.parse(sns.model, "Publish", request) == params


def test_sns_map_response(sns: Roundtrip) -> None:
    attributes = {"Policy": '{"a": 1}', "DisplayName": "x & y"}
    parsed = _respond(sns, "GetTopicAttributes", {"TopicArn": "arn:t"}, {"Attributes": attributes})
    assert parsed == {"Attributes": attributes}


def test_sqs_query_flattened_lists_and_maps(sqs_query: Roundtrip) -> None:
    params = {
        "QueueUrl": "http://localhost/000000000000/q",
        "Entries": [
            {
                "Id": "m1",
                "MessageBody": "body-1",
                "DelaySeconds": 5,
                "MessageAttributes": {
                    "n": {"DataType": "Number", "StringValue": "42"},
                    "b": {"DataType": "Binary", "BinaryValue": b"\x01\x02"},
                },
            },
            {"Id": "m2", "MessageBody": "body-2"},
        ],
    }
    assert _roundtrip_params(sqs_query, "SendMessageBatch", params) == params


def test_sqs_query_receive_response_with_flattened_maps(sqs_query: Roundtrip) -> None:
    messages = [
        {
            "MessageId": "id-1",
            "ReceiptHandle": "rh",
            "MD5OfBody": "abc",
            "Body": "<xml> & stuff",
            "Attributes": {"SentTimestamp": "1700000000000", "ApproximateReceiveCount": "1"},
            "MessageAttributes": {"a": {"DataType": "String", "StringValue": "v"}},
        },
        {"MessageId": "id-2", "ReceiptHandle": "rh2", "Body": "two"},
    ]
    parsed = _respond(sqs_query, "ReceiveMessage", {"QueueUrl": "http://q"}, {"Messages": messages})
    assert parsed == {"Messages": messages}


def test_legacy_sqs_query_names_are_accepted(sqs_query: Roundtrip) -> None:
    body = (
        "Action=SendMessageBatch&Version=2012-11-05&QueueUrl=http%3A%2F%2Fq"
        "&SendMessageBatchRequestEntry.1.Id=a&SendMessageBatchRequestEntry.1.MessageBody=x"
        "&SendMessageBatchRequestEntry.1.MessageAttribute.1.Name=k"
        "&SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.DataType=String"
        "&SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.StringValue=v"
    )
    request = HttpRequest("POST", "/", body=body.encode())
    assert PROTO.parse(sqs_query.model, "SendMessageBatch", request) == {
        "QueueUrl": "http://q",
        "Entries": [
            {"Id": "a", "MessageBody": "x", "MessageAttributes": {"k": {"DataType": "String", "StringValue": "v"}}}
        ],
    }
    attrs = "Action=SetQueueAttributes&QueueUrl=q&Attribute.1.Name=DelaySeconds&Attribute.1.Value=5"
    parsed = PROTO.parse(sqs_query.model, "SetQueueAttributes", HttpRequest("POST", "/", body=attrs.encode()))
    assert parsed == {"QueueUrl": "q", "Attributes": {"DelaySeconds": "5"}}


def test_cloudwatch_query_put_metric_data_doubles_and_timestamps(cw_query: Roundtrip) -> None:
    params = {
        "Namespace": "App",
        "MetricData": [
            {
                "MetricName": "Latency",
                "Dimensions": [{"Name": "Host", "Value": "h1"}],
                "Timestamp": T0,
                "Values": [1.5, 2.25],
                "Counts": [3.0, 4.0],
                "Unit": "Milliseconds",
                "StorageResolution": 1,
            },
            {
                "MetricName": "Hits",
                "Value": 0.1,
                "StatisticValues": {"SampleCount": 2.0, "Sum": 3.0, "Minimum": 1.0, "Maximum": 2.0},
            },
        ],
    }
    assert _roundtrip_params(cw_query, "PutMetricData", params) == params


def test_cloudwatch_query_get_metric_data_response(cw_query: Roundtrip) -> None:
    result = {
        "MetricDataResults": [
            {"Id": "m1", "Label": "L", "Timestamps": [T0, T0], "Values": [1.0, 2.5], "StatusCode": "Complete"}
        ],
        "Messages": [],
    }
    params = {"MetricDataQueries": [{"Id": "m1", "Expression": "SUM(x)"}], "StartTime": T0, "EndTime": T0}
    assert _respond(cw_query, "GetMetricData", params, result) == result


def test_get_request_query_string_is_parsed(sts: Roundtrip) -> None:
    request = HttpRequest(
        "GET", "/", query={"Action": ["GetSessionToken"], "DurationSeconds": ["1200"], "SerialNumber": ["sn"]}
    )
    assert PROTO.parse(sts.model, "GetSessionToken", request) == {"DurationSeconds": 1200, "SerialNumber": "sn"}


def test_modeled_error_uses_query_code_and_model_status(iam: Roundtrip) -> None:
    error = ServiceError("NoSuchEntityException", "The role with name x cannot be found.")
    exc = iam.error("GetRole", {"RoleName": "x"}, lambda req: PROTO.serialize_error(iam.model, "GetRole", error, "e-1"))
    assert exc.response["Error"] == {"Type": "Sender", "Code": "NoSuchEntity", "Message": error.message}
    assert exc.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert exc.response["ResponseMetadata"]["RequestId"] == "e-1"
    assert type(exc).__name__ == "NoSuchEntityException"


def test_unmodeled_receiver_error(sts: Roundtrip) -> None:
    error = ServiceError("ServiceUnavailable", "busy <now>", 503, sender_fault=False)
    exc = sts.error("GetCallerIdentity", {}, lambda req: PROTO.serialize_error(sts.model, None, error, "e-2"))
    assert exc.response["Error"]["Code"] == "ServiceUnavailable"
    assert exc.response["Error"]["Type"] == "Receiver"
    assert exc.response["Error"]["Message"] == "busy <now>"
    assert exc.response["ResponseMetadata"]["HTTPStatusCode"] == 503


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ("DurationSeconds=abc", "DurationSeconds"),
        ("DurationSeconds=99999999999", "DurationSeconds"),
    ],
)
def test_unconvertible_values_are_validation_errors(sts: Roundtrip, body: str, param: str) -> None:
    request = HttpRequest("POST", "/", body=f"Action=GetSessionToken&{body}".encode())
    with pytest.raises(ServiceError) as info:
        PROTO.parse(sts.model, "GetSessionToken", request)
    assert info.value.code == "ValidationError"
    assert param in info.value.message


def test_bad_boolean_timestamp_and_blob(iam: Roundtrip, sns: Roundtrip, cw_query: Roundtrip) -> None:
    cases = [
        (iam, "ListRoles", "MaxItems=1&Marker=m&PathPrefix=/&X=1", None),
        (cw_query, "GetMetricData", "StartTime=yesterday&EndTime=2024-01-01T00:00:00Z", "StartTime"),
        (cw_query, "DescribeAlarms", "MaxRecords=1.5", "MaxRecords"),
        (
            sns,
            "Publish",
            "Message=m&MessageAttributes.entry.1.Name=a&MessageAttributes.entry.1.Value.DataType=Binary"
            "&MessageAttributes.entry.1.Value.BinaryValue=%%%",
            "BinaryValue",
        ),
    ]
    for rt, operation, body, bad in cases:
        request = HttpRequest("POST", "/", body=body.encode())
        if bad is None:
            assert PROTO.parse(rt.model, operation, request) == {"MaxItems": 1, "Marker": "m", "PathPrefix": "/"}
            continue
        with pytest.raises(ServiceError) as info:
            PROTO.parse(rt.model, operation, request)
        assert info.value.code == "ValidationError" and bad in info.value.message


def test_non_utf8_body_is_malformed(sts: Roundtrip) -> None:
    with pytest.raises(ServiceError) as info:
        PROTO.parse(sts.model, "GetSessionToken", HttpRequest("POST", "/", body=b"Action=\xff\xfe"))
    assert info.value.code == "MalformedQueryString"
