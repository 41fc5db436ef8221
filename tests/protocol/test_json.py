"""The awsJson protocols, round-tripped through real botocore clients (DynamoDB, SQS, CloudWatch...)."""

from __future__ import annotations

import gzip
import json
import zlib
from datetime import UTC, datetime

import pytest
from botocore_roundtrip import Roundtrip, strip_metadata

from pycloud.protocol.errors import ServiceError
from pycloud.protocol.json_rpc import JsonProtocol
from pycloud.protocol.message import HttpRequest

PROTO = JsonProtocol()
T0 = datetime(2024, 3, 4, 5, 6, 7, 250000, tzinfo=UTC)
T_SEC = T0.replace(microsecond=0)  # botocore sends JSON timestamps in whole seconds


@pytest.fixture(scope="module")
def ddb() -> Roundtrip:
    return Roundtrip("dynamodb")


@pytest.fixture(scope="module")
def sqs() -> Roundtrip:
    return Roundtrip("sqs")


@pytest.fixture(scope="module")
def cw_json() -> Roundtrip:
    return Roundtrip("cloudwatch", protocol="json")


def _parse(rt: Roundtrip, operation: str, params: dict) -> dict:
    return PROTO.parse(rt.model, operation, rt.capture(operation, params))


def _respond(rt: Roundtrip, operation: str, params: dict, result: dict) -> dict:
    parsed = rt.respond(operation, params, lambda req: PROTO.serialize(rt.model, operation, result, "rid-j"))
    assert parsed["ResponseMetadata"]["RequestId"] == "rid-j"
    return strip_metadata(parsed)


ITEM = {
    "pk": {"S": "user#1"},
    "n": {"N": "12.5"},
    "b": {"B": b"\x00\x01\xfe"},
    "ss": {"SS": ["a", "b"]},
    "bs": {"BS": [b"x", b"y"]},
    "flag": {"BOOL": False},
    "nothing": {"NULL": True},
    "nested": {"M": {"list": {"L": [{"S": "x"}, {"N": "1"}, {"M": {"deep": {"BOOL": True}}}]}}},
}


def test_request_headers_and_dynamodb_put_item(ddb: Roundtrip) -> None:
    params = {
        "TableName": "users",
        "Item": ITEM,
        "ReturnValues": "ALL_OLD",
        "ConditionExpression": "attribute_not_exists(pk)",
    }
    request = ddb.capture("PutItem", params)
    assert request.headers["x-amz-target"] == "DynamoDB_20120810.PutItem"
    assert request.headers["content-type"] == "application/x-amz-json-1.0"
    assert PROTO.parse(ddb.model, "PutItem", request) == params


def test_dynamodb_query_response_items_and_doubles(ddb: Roundtrip) -> None:
    result = {
        "Items": [ITEM, {"pk": {"S": "user#2"}}],
        "Count": 2,
        "ScannedCount": 3,
        "LastEvaluatedKey": {"pk": {"S": "user#2"}},
        "ConsumedCapacity": {"TableName": "users", "CapacityUnits": 1.5},
    }
    params = {
        "TableName": "users",
        "KeyConditionExpression": "pk = :v",
        "ExpressionAttributeValues": {":v": {"S": "x"}},
    }
    response = PROTO.serialize(ddb.model, "Query", result, "rid-j")
    assert response.get_header("x-amz-crc32") == str(zlib.crc32(response.body) & 0xFFFFFFFF)
    assert _respond(ddb, "Query", params, result) == result


def test_dynamodb_timestamps_epoch(ddb: Roundtrip) -> None:
    result = {
        "Table": {
            "TableName": "t",
            "CreationDateTime": T0,
            "ItemCount": 5,
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "BillingModeSummary": {"BillingMode": "PAY_PER_REQUEST", "LastUpdateToPayPerRequestDateTime": T0},
        }
    }
    body = json.loads(PROTO.serialize(ddb.model, "DescribeTable", result, "r").body)
    assert body["Table"]["CreationDateTime"] == pytest.approx(T0.timestamp())
    assert _respond(ddb, "DescribeTable", {"TableName": "t"}, result) == result


def test_sqs_json_send_message_batch_and_receive(sqs: Roundtrip) -> None:
    params = {
        "QueueUrl": "http://localhost/000000000000/q",
        "Entries": [
            {
                "Id": "1",
                "MessageBody": "hello",
                "DelaySeconds": 2,
                "MessageAttributes": {
                    "bin": {"DataType": "Binary", "BinaryValue": b"\x00\x10"},
                    "s": {"DataType": "String", "StringValue": "v"},
                },
                "MessageSystemAttributes": {"AWSTraceHeader": {"DataType": "String", "StringValue": "Root=1"}},
            }
        ],
    }
    assert _parse(sqs, "SendMessageBatch", params) == params
    receive = {
        "QueueUrl": "http://q",
        "MaxNumberOfMessages": 10,
        "MessageAttributeNames": ["All"],
        "WaitTimeSeconds": 1,
    }
    assert _parse(sqs, "ReceiveMessage", receive) == receive
    messages = {
        "Messages": [
            {
                "MessageId": "m",
                "ReceiptHandle": "r",
                "Body": "b",
                "Attributes": {"SentTimestamp": "1", "ApproximateReceiveCount": "2"},
                "MessageAttributes": {"bin": {"DataType": "Binary", "BinaryValue": b"\xff"}},
            }
        ]
    }
    assert _respond(sqs, "ReceiveMessage", {"QueueUrl": "http://q"}, messages) == messages


def test_cloudwatch_json_get_metric_data(cw_json: Roundtrip) -> None:
    params = {
        "MetricDataQueries": [
            {
                "Id": "m1",
                "MetricStat": {
                    "Metric": {"Namespace": "App", "MetricName": "Lat", "Dimensions": [{"Name": "H", "Value": "1"}]},
                    "Period": 60,
                    "Stat": "Average",
                },
                "ReturnData": True,
            }
        ],
        "StartTime": T_SEC,
        "EndTime": T_SEC,
    }
    assert _parse(cw_json, "GetMetricData", params) == params
    result = {"MetricDataResults": [{"Id": "m1", "Timestamps": [T0], "Values": [1.25], "StatusCode": "Complete"}]}
    assert _respond(cw_json, "GetMetricData", params, result) == result


def test_union_and_document_members() -> None:
    logs = Roundtrip("logs")
    union = {
        "integrationName": "i",
        "integrationType": "OPENSEARCH",
        "resourceConfig": {
            "openSearchResourceConfig": {
                "dataSourceRoleArn": "arn:aws:iam::1:role/r",
                "dashboardViewerPrincipals": ["p"],
                "retentionDays": 30,
            }
        },
    }
    assert _parse(logs, "PutIntegration", union) == union
    idp = Roundtrip("cognito-idp")
    document = {"UserPoolId": "us-east-1_abc", "ClientId": "c" * 26, "Settings": {"a": [1, {"b": None}], "c": "d"}}
    assert _parse(idp, "CreateManagedLoginBranding", document) == document
    result = {
        "ManagedLoginBranding": {"ManagedLoginBrandingId": "x", "Settings": {"k": [True, 1.5]}, "CreationDate": T0}
    }
    assert _respond(idp, "CreateManagedLoginBranding", document, result) == result


def test_modeled_error(ddb: Roundtrip) -> None:
    error = ServiceError("ResourceNotFoundException", "Requested resource not found")
    exc = ddb.error(
        "GetItem",
        {"TableName": "t", "Key": {"pk": {"S": "x"}}},
        lambda req: PROTO.serialize_error(ddb.model, "GetItem", error, "rid-e"),
    )
    assert exc.response["Error"] == {"Code": "ResourceNotFoundException", "Message": "Requested resource not found"}
    assert exc.response["ResponseMetadata"]["RequestId"] == "rid-e"
    assert type(exc).__name__ == "ResourceNotFoundException"
    response = PROTO.serialize_error(ddb.model, "GetItem", error, "rid-e")
    assert json.loads(response.body)["__type"].endswith("#ResourceNotFoundException")
    assert response.get_header("x-amzn-ErrorType") == "ResourceNotFoundException"


def test_query_compatible_error_header(sqs: Roundtrip) -> None:
    error = ServiceError("QueueDoesNotExist", "The specified queue does not exist.")
    response = PROTO.serialize_error(sqs.model, "GetQueueUrl", error, "r")
    assert response.get_header("x-amzn-query-error") == "QueueDoesNotExist;Sender"
    exc = sqs.error("GetQueueUrl", {"QueueName": "q"}, lambda req: response)
    assert exc.response["Error"]["Code"] == "QueueDoesNotExist"
    assert exc.response["Error"]["Type"] == "Sender"
    assert exc.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_provider_can_override_the_query_error_header(sqs: Roundtrip) -> None:
    legacy = "AWS.SimpleQueueService.NonExistentQueue;Sender"
    error = ServiceError("QueueDoesNotExist", "gone", headers={"x-amzn-query-error": legacy})
    response = PROTO.serialize_error(sqs.model, "GetQueueUrl", error, "r")
    assert [v for k, v in response.headers if k.lower() == "x-amzn-query-error"] == [legacy]
    exc = sqs.error("GetQueueUrl", {"QueueName": "q"}, lambda req: response)
    assert exc.response["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue"
    assert exc.response["Error"]["QueryErrorCode"] == "QueueDoesNotExist"


def test_error_status_from_model_and_fields(cw_json: Roundtrip) -> None:
    error = ServiceError("ResourceNotFound", "no dashboard", fields={"dashboardName": "d"})
    response = PROTO.serialize_error(cw_json.model, "GetDashboard", error, "r")
    assert response.status == 404
    assert json.loads(response.body)["dashboardName"] == "d"
    assert response.get_header("x-amzn-query-error") == "ResourceNotFound;Sender"


def _raw(body: bytes, **headers: str) -> HttpRequest:
    return HttpRequest("POST", "/", headers={"content-type": "application/x-amz-json-1.0", **headers}, body=body)


@pytest.mark.parametrize(
    "body",
    [
        b'{"TableName": "t", "Key": ',  # truncated
        b"not json",
        b"\xff\xfe",
        b"[1, 2]",  # not an object
        b'{"TableName": 5, "Key": {}}',  # number for string
        b'{"TableName": "t", "Key": []}',  # list for map
        b'{"TableName": "t", "Key": {"pk": {"B": "%%%"}}}',  # bad base64
        b'{"TableName": "t", "Key": {"pk": {"BOOL": "yes"}}}',  # string for boolean
        b'{"TableName": "t", "Key": {"pk": "x"}}',  # string for structure
        b'{"TableName": "t", "Key": {"pk": {"SS": "a"}}}',  # string for list
        b'{"TableName": "t", "ConsistentRead": 1}',
        b"[" * 100000,  # deep nesting
    ],
)
def test_malformed_bodies_are_serialization_exceptions(ddb: Roundtrip, body: bytes) -> None:
    with pytest.raises(ServiceError) as info:
        PROTO.parse(ddb.model, "GetItem", _raw(body))
    assert info.value.code == "SerializationException"
    assert info.value.status == 400


def test_wrong_numeric_types() -> None:
    kinesis = Roundtrip("kinesis")
    for body in (b'{"StreamName": "s", "MaxResults": "10"}', b'{"MaxResults": 1.5}', b'{"MaxResults": 99999999999}'):
        with pytest.raises(ServiceError) as info:
            PROTO.parse(kinesis.model, "ListShards", _raw(body))
        assert info.value.code == "SerializationException"
    assert PROTO.parse(kinesis.model, "ListShards", _raw(b'{"MaxResults": 10.0}')) == {"MaxResults": 10}
    ts = b'{"StreamName": "s", "StreamCreationTimestamp": "not-a-date"}'
    with pytest.raises(ServiceError) as info:
        PROTO.parse(kinesis.model, "ListShards", _raw(ts))
    assert info.value.code == "SerializationException"


def test_empty_body_and_nulls(ddb: Roundtrip) -> None:
    assert PROTO.parse(ddb.model, "ListTables", _raw(b"")) == {}
    assert PROTO.parse(ddb.model, "ListTables", _raw(b'{"Limit": null}')) == {}


def test_gzip_body_is_inflated(cw_json: Roundtrip) -> None:
    body = json.dumps({"Namespace": "N", "MetricData": [{"MetricName": "m", "Value": 1.0}]}).encode()
    request = _raw(gzip.compress(body), **{"content-encoding": "gzip"})
    assert PROTO.parse(cw_json.model, "PutMetricData", request) == {
        "Namespace": "N",
        "MetricData": [{"MetricName": "m", "Value": 1.0}],
    }
    with pytest.raises(ServiceError):
        PROTO.parse(cw_json.model, "PutMetricData", _raw(b"\x1f\x8bjunk", **{"content-encoding": "gzip"}))
