"""End-to-end protocol round trips: real boto3 clients → a real ``pycloud serve`` → echoing stubs.

The stub providers (tests/support/stub_providers.py) answer with what they were sent, so every
assertion here compares what the client gets back with what it sent: both the parser and the
serializer of each protocol (json, smithy-rpc-v2-cbor, query, ec2, rest-xml, rest-json) must be
right for a test to pass. CloudWatch and SQS are also pinned to their alternative protocols by
loading a modified copy of their botocore model.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import io
import json
import os
import zlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import boto3
import botocore.session
import pytest
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

from pycloud.testing.server import PycloudServer

SUPPORT_DIR = Path(__file__).resolve().parents[1] / "support"
STUBS = {
    "dynamodb": "DynamoDbStub",
    "sqs": "SqsStub",
    "cloudwatch": "CloudWatchStub",
    "ec2": "Ec2Stub",
    "sts": "StsStub",
    "s3": "S3Stub",
    "lambda": "LambdaStub",
}
# Mirrors stub_providers.FIXED_TIME (the stubs run in the server process, not here).
FIXED_TIME = datetime(2024, 2, 29, 12, 34, 56, 789000, tzinfo=UTC)
# XML specials, quotes, a CR/LF pair, accents, CJK and a character outside the BMP.
WEIRD = "a<b>&c'd\"e — naïve café ✓ 日本語 🚀"
ALL_BYTES = bytes(range(256))
RETRIES = {"max_attempts": 1, "mode": "standard"}


@pytest.fixture(scope="module")
def server() -> Iterator[PycloudServer]:
    """One server with every stub plugged in (the stub module is imported from tests/support)."""
    args: list[str] = []
    for service, cls in STUBS.items():
        args += ["--provider", f"{service}=stub_providers:{cls}"]
    env = dict(os.environ, PYTHONPATH=str(SUPPORT_DIR))
    with PycloudServer(args, env=env) as srv:
        yield srv


@pytest.fixture(scope="module")
def pinned_client(server: PycloudServer, tmp_path_factory: pytest.TempPathFactory) -> Callable[[str, str], Any]:
    """``pinned_client(service, protocol)``: a client whose model is rewritten to speak ``protocol``."""
    root = tmp_path_factory.mktemp("models")
    cache: dict[tuple[str, str], Any] = {}

    def make(service: str, protocol: str) -> Any:
        if (service, protocol) not in cache:
            models = root / protocol
            original = botocore.session.get_session().get_component("data_loader")
            model = copy.deepcopy(original.load_service_model(service, "service-2"))
            model["metadata"]["protocol"] = protocol
            model["metadata"]["protocols"] = [protocol]
            api_dir = models / service / model["metadata"]["apiVersion"]
            api_dir.mkdir(parents=True, exist_ok=True)
            (api_dir / "service-2.json").write_text(json.dumps(model))
            # A fresh session: a loader caches what it has loaded, so it must see the path first.
            session = botocore.session.get_session()
            session.get_component("data_loader").search_paths.insert(0, str(models))
            client = session.create_client(
                service,
                endpoint_url=server.endpoint,
                region_name="us-east-1",
                aws_access_key_id="test",
                aws_secret_access_key="test",
                config=Config(retries=RETRIES),
            )
            assert client.meta.service_model.protocol == protocol
            cache[(service, protocol)] = client
        return cache[(service, protocol)]

    return make


def error_of(info: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    """(code, message, HTTP status) as the client saw them."""
    response = info.value.response
    return (
        response["Error"]["Code"],
        response["Error"].get("Message", ""),
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


def ms(seconds: float) -> timedelta:
    return timedelta(seconds=seconds)


# --- DynamoDB: json --------------------------------------------------------------------------------

ITEM = {
    "pk": {"S": WEIRD},
    "big": {"N": "123456789012345678901234567890.125"},
    "neg": {"N": "-0.5"},
    "blob": {"B": ALL_BYTES},
    "ss": {"SS": ["x", WEIRD]},
    "ns": {"NS": ["1", "2.5", "-3e10"]},
    "bs": {"BS": [b"\x00", b"\xff\xfe"]},
    "nested": {"M": {"list": {"L": [{"S": "in list"}, {"NULL": True}, {"BOOL": False}, {"M": {}}, {"L": []}]}}},
    "empty_list": {"L": []},
    "empty_map": {"M": {}},
    "yes": {"BOOL": True},
}


def test_dynamodb_put_item_echoes_every_attribute_type(server):
    client = server.client("dynamodb")
    result = client.put_item(
        TableName="stub-table", Item=ITEM, ReturnConsumedCapacity="INDEXES", ReturnValues="ALL_OLD"
    )
    assert result["Attributes"] == ITEM
    assert isinstance(result["Attributes"]["blob"]["B"], bytes)
    capacity = result["ConsumedCapacity"]
    assert capacity["TableName"] == "stub-table"
    assert capacity["CapacityUnits"] == len(ITEM) + 0.5
    assert capacity["Table"] == {"CapacityUnits": len(ITEM) + 0.5, "ReadCapacityUnits": 0.0}
    assert capacity["GlobalSecondaryIndexes"] == {"by-owner": {"CapacityUnits": (len(ITEM) + 0.5) / 4}}
    metrics = result["ItemCollectionMetrics"]
    assert metrics["ItemCollectionKey"] == {"big": ITEM["big"]}
    assert metrics["SizeEstimateRangeGB"] == [0.0, float(len(ITEM))]


def test_dynamodb_get_item_echoes_key_flags_and_names(server):
    client = server.client("dynamodb")
    key = {"pk": {"S": WEIRD}, "sk": {"N": "42"}}
    result = client.get_item(
        TableName="stub-table",
        Key=key,
        ConsistentRead=True,
        ProjectionExpression="#w, big.nested[0]",
        ExpressionAttributeNames={"#w": WEIRD, "#e": ""},
    )
    assert result["Item"] == {
        **key,
        "consistent": {"BOOL": True},
        "projection": {"S": "#w, big.nested[0]"},
        "names": {"M": {"#w": {"S": WEIRD}, "#e": {"S": ""}}},
    }
    assert "ConsumedCapacity" not in result  # ReturnConsumedCapacity not asked for
    assert client.get_item(TableName="stub-table", Key=key)["Item"]["consistent"] == {"BOOL": False}


def test_dynamodb_query_echoes_nested_expression_values(server):
    client = server.client("dynamodb")
    values = {":p": {"S": WEIRD}, ":m": {"M": {"deep": {"M": {"deeper": {"L": [{"N": "1"}, {"B": b"\x01\x02"}]}}}}}}
    start = {"pk": {"S": "start"}, "sk": {"N": "7"}}
    result = client.query(
        TableName="stub-table",
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues=values,
        ExclusiveStartKey=start,
        Limit=25,
        ReturnConsumedCapacity="TOTAL",
    )
    assert result["Items"] == [values, {"condition": {"S": "pk = :p"}}]
    assert result["Count"] == 2
    assert result["ScannedCount"] == 27
    assert result["LastEvaluatedKey"] == start
    assert result["ConsumedCapacity"]["CapacityUnits"] == 1.0


def test_dynamodb_modelled_error(server):
    client = server.client("dynamodb")
    with pytest.raises(client.exceptions.ResourceNotFoundException) as info:
        client.get_item(TableName="missing-table", Key={"pk": {"S": "x"}})
    assert error_of(info) == ("ResourceNotFoundException", "Requested resource not found", 400)


# --- SQS: json (its default) and query ---------------------------------------------------------------

SQS_ATTRIBUTES = {
    "str": {"DataType": "String", "StringValue": WEIRD},
    "num": {"DataType": "Number.float", "StringValue": "-1.5e10"},
    "bin": {"DataType": "Binary", "BinaryValue": ALL_BYTES},
    "custom": {"DataType": "String.custom-label", "StringValue": ""},
}


# botocore's SQS model speaks JSON; SQS is query-compatible, so older (query) SDKs are answered too.
SQS_PROTOCOLS = ["json", "query"]


def sqs_client(server: PycloudServer, pinned_client: Callable[[str, str], Any], protocol: str) -> Any:
    return server.client("sqs") if protocol == "json" else pinned_client("sqs", protocol)


@pytest.mark.parametrize("protocol", SQS_PROTOCOLS)
def test_sqs_batch_send_receive_attributes(server, pinned_client, protocol):
    client = sqs_client(server, pinned_client, protocol)
    assert client.meta.service_model.protocol == protocol
    url = f"{server.endpoint}/000000000000/roundtrip-{protocol}"
    bodies = {"a": WEIRD, "b": "line1\r\nline2\ttabbed", "fail-1": "refused <body>"}
    sent = client.send_message_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "a", "MessageBody": bodies["a"], "DelaySeconds": 0, "MessageAttributes": SQS_ATTRIBUTES},
            {
                "Id": "b",
                "MessageBody": bodies["b"],
                "MessageGroupId": "group-1",
                "MessageDeduplicationId": "dedup-1",
                "MessageSystemAttributes": {"AWSTraceHeader": {"DataType": "String", "StringValue": "Root=1-abc"}},
            },
            {"Id": "fail-1", "MessageBody": bodies["fail-1"]},
        ],
    )
    successful = {entry["Id"]: entry for entry in sent["Successful"]}
    assert set(successful) == {"a", "b"}
    for entry_id, entry in successful.items():
        assert entry["MD5OfMessageBody"] == hashlib.md5(bodies[entry_id].encode()).hexdigest()
    assert "SequenceNumber" not in successful["a"]
    assert successful["b"]["SequenceNumber"] == str(10**19 + 2)
    assert sent["Failed"] == [
        {"Id": "fail-1", "SenderFault": True, "Code": "InvalidParameterValue", "Message": bodies["fail-1"]}
    ]

    received = client.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"], MessageSystemAttributeNames=["All"]
    )["Messages"]
    assert [m["Body"] for m in received] == [bodies["a"], bodies["b"]]
    assert [m["MessageId"] for m in received] == [successful["a"]["MessageId"], successful["b"]["MessageId"]]
    assert received[0]["MessageAttributes"] == SQS_ATTRIBUTES
    assert "MessageAttributes" not in received[1]
    assert received[0]["Attributes"] == {
        "SentTimestamp": "1709210096789",
        "ApproximateReceiveCount": "1",
        "SenderId": "000000000000",
    }
    assert received[1]["Attributes"]["MessageGroupId"] == "group-1"
    assert [m["MD5OfBody"] for m in received] == [hashlib.md5(bodies[k].encode()).hexdigest() for k in ("a", "b")]

    only = client.receive_message(
        QueueUrl=url,
        MaxNumberOfMessages=1,
        MessageAttributeNames=["bin"],
        MessageSystemAttributeNames=["SentTimestamp"],
    )["Messages"]
    assert only[0]["MessageAttributes"] == {"bin": SQS_ATTRIBUTES["bin"]}
    assert only[0]["Attributes"] == {"SentTimestamp": "1709210096789"}


@pytest.mark.parametrize("protocol", SQS_PROTOCOLS)
def test_sqs_get_queue_attributes_map(server, pinned_client, protocol):
    client = sqs_client(server, pinned_client, protocol)
    url = f"{server.endpoint}/000000000000/attributes-{protocol}"
    attributes = client.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy", "VisibilityTimeout"])["Attributes"]
    assert attributes["VisibilityTimeout"] == "VisibilityTimeout=0"
    assert json.loads(attributes["Policy"]) == {"Statement": [{"Sid": "a<b>&'c\"", "Note": "naïve ✓"}]}
    assert set(attributes) == {"Policy", "VisibilityTimeout"}


@pytest.mark.parametrize("protocol", SQS_PROTOCOLS)
def test_sqs_modelled_error(server, pinned_client, protocol):
    """SQS's legacy error code reaches both kinds of client: JSON ones read it from the
    x-amzn-query-error header, query ones from <Code>. (The current model no longer maps that code
    to the QueueDoesNotExist class for query clients, so they see a plain ClientError.)"""
    client = sqs_client(server, pinned_client, protocol)
    expected = client.exceptions.QueueDoesNotExist if protocol == "json" else ClientError
    with pytest.raises(expected) as info:
        client.get_queue_attributes(QueueUrl=f"{server.endpoint}/000000000000/missing", AttributeNames=["All"])
    code, message, status = error_of(info)
    assert code == "AWS.SimpleQueueService.NonExistentQueue"
    assert message == "The specified queue does not exist."
    assert status == 400


# --- CloudWatch: smithy-rpc-v2-cbor, json, query ----------------------------------------------------

CW_PROTOCOLS = ["smithy-rpc-v2-cbor", "json", "query"]
T1 = FIXED_TIME - ms(120.25)
T2 = FIXED_TIME - ms(60.5)
T3 = FIXED_TIME - ms(1.001)


def metric_data() -> list[dict[str, Any]]:
    dims = [{"Name": "Host", "Value": WEIRD}, {"Name": "AZ", "Value": "us-east-1a"}]
    return [
        {
            "MetricName": "Latency",
            "Dimensions": dims,
            "Timestamp": T1,
            "Value": 1 / 3,
            "Unit": "Milliseconds",
            "StorageResolution": 1,
        },
        {
            "MetricName": "Latency",
            "Dimensions": dims,
            "Timestamp": T2,
            "StatisticValues": {"SampleCount": 3.0, "Sum": 1.5e300, "Minimum": -0.125, "Maximum": 2.5e-300},
            "Unit": "Seconds",
        },
        {
            "MetricName": "Histogram",
            "Timestamp": T3,
            "Values": [1.5, 2.25, 0.0],
            "Counts": [3.0, 4.0, 1.0],
            "Unit": "Count",
        },
    ]


@pytest.mark.parametrize("protocol", CW_PROTOCOLS)
def test_cloudwatch_put_then_get_metric_data(pinned_client, protocol):
    client = pinned_client("cloudwatch", protocol)
    namespace = f"Stub/{protocol}"
    data = metric_data()
    client.put_metric_data(Namespace=namespace, MetricData=data)
    result = client.get_metric_data(
        MetricDataQueries=[
            {
                "Id": "lat",
                "MetricStat": {
                    "Metric": {
                        "Namespace": namespace,
                        "MetricName": "Latency",
                        # the stub matches dimensions as a set: order must not matter
                        "Dimensions": list(reversed(data[0]["Dimensions"])),
                    },
                    "Period": 60,
                    "Stat": "p99.9",
                    "Unit": "Milliseconds",
                },
                "Label": WEIRD + "\r\nsecond line",
                "ReturnData": True,
            },
            {
                "Id": "hist",
                "MetricStat": {
                    "Metric": {"Namespace": namespace, "MetricName": "Histogram"},
                    "Period": 1,
                    "Stat": "Sum",
                },
            },
            {
                "Id": "none",
                "MetricStat": {
                    "Metric": {"Namespace": namespace, "MetricName": "Nothing"},
                    "Period": 60,
                    "Stat": "Average",
                },
            },
        ],
        StartTime=T1 - ms(0.5),
        EndTime=FIXED_TIME,
        ScanBy="TimestampAscending",
        MaxDatapoints=100,
        NextToken="token <&>",
    )
    lat, hist, none = result["MetricDataResults"]
    assert (lat["Id"], lat["Label"], lat["StatusCode"]) == ("lat", WEIRD + "\r\nsecond line", "Complete")
    assert lat["Timestamps"] == [T1, T2]
    assert lat["Values"] == [1 / 3, 1.5e300]
    echoed = [json.loads(m["Value"]) for m in lat["Messages"]]
    for sent, back in zip(data[:2], echoed, strict=True):
        assert datetime.fromisoformat(back.pop("Timestamp")) == sent["Timestamp"]
        assert back == {k: v for k, v in sent.items() if k != "Timestamp"}
    assert (hist["Timestamps"], hist["Values"]) == ([T3], [1.5 * 3 + 2.25 * 4])
    hist_datum = json.loads(hist["Messages"][0]["Value"])
    assert (hist_datum["Values"], hist_datum["Counts"], hist_datum["Unit"]) == (
        [1.5, 2.25, 0.0],
        [3.0, 4.0, 1.0],
        "Count",
    )
    assert "Dimensions" not in hist_datum
    assert (none["Timestamps"], none["Values"], none["StatusCode"]) == ([], [], "PartialData")
    window = {m["Code"]: m["Value"] for m in result["Messages"]}
    assert datetime.fromisoformat(window["StartTime"]) == T1 - ms(0.5)
    assert datetime.fromisoformat(window["EndTime"]) == FIXED_TIME
    assert window["ScanBy"] == "TimestampAscending"
    assert result["NextToken"] == "token <&>"


@pytest.mark.parametrize("protocol", CW_PROTOCOLS)
def test_cloudwatch_modelled_error(pinned_client, protocol):
    client = pinned_client("cloudwatch", protocol)
    with pytest.raises(client.exceptions.InvalidParameterValueException) as info:
        client.put_metric_data(Namespace="Stub/missing", MetricData=[{"MetricName": "m", "Value": 1.0}])
    assert error_of(info) == ("InvalidParameterValue", "The namespace Stub/missing is not allowed.", 400)


# --- EC2: ec2 --------------------------------------------------------------------------------------


def test_ec2_run_instances_echoes_nested_input(server):
    client = server.client("ec2")
    instance_tags = [{"Key": "Name", "Value": WEIRD}, {"Key": "empty", "Value": ""}]
    result = client.run_instances(
        ImageId="ami-12345678",
        MinCount=1,
        MaxCount=2,
        InstanceType="t3.micro",
        KeyName="key <&>\r\n\tend",
        UserData=WEIRD,  # botocore base64-encodes it
        EbsOptimized=True,
        DisableApiTermination=True,
        Monitoring={"Enabled": True},
        ClientToken="token-run",
        TagSpecifications=[
            {"ResourceType": "instance", "Tags": instance_tags},
            {"ResourceType": "volume", "Tags": [{"Key": "volume-only", "Value": "1"}]},
        ],
        BlockDeviceMappings=[
            {
                "DeviceName": "/dev/xvda",
                "Ebs": {
                    "VolumeSize": 8,
                    "VolumeType": "gp3",
                    "DeleteOnTermination": False,
                    "Encrypted": True,
                    "Iops": 3000,
                },
            },
            {"DeviceName": "/dev/sdb", "Ebs": {"VolumeSize": 2**31 - 1, "DeleteOnTermination": True}},
        ],
    )
    assert result["OwnerId"] == "000000000000"
    assert result["Groups"] == []
    instances = result["Instances"]
    assert [i["AmiLaunchIndex"] for i in instances] == [0, 1]
    assert [i["LaunchTime"] for i in instances] == [FIXED_TIME, FIXED_TIME + ms(1)]
    for instance in instances:
        assert instance["ImageId"] == "ami-12345678"
        assert instance["InstanceType"] == "t3.micro"
        assert instance["KeyName"] == "key <&>\r\n\tend"
        assert instance["ClientToken"] == "token-run"
        assert instance["Tags"] == instance_tags
        assert instance["EbsOptimized"] is True
        assert instance["SourceDestCheck"] is False
        assert instance["Monitoring"] == {"State": "enabled"}
        assert instance["State"] == {"Code": 0, "Name": "pending"}
        assert base64.b64decode(instance["StateTransitionReason"]).decode() == WEIRD
        devices = instance["BlockDeviceMappings"]
        assert [d["DeviceName"] for d in devices] == ["/dev/xvda", "/dev/sdb"]
        assert [d["Ebs"]["DeleteOnTermination"] for d in devices] == [False, True]
        assert [d["Ebs"]["EbsCardIndex"] for d in devices] == [8, 2**31 - 1]
        assert all(d["Ebs"]["AttachTime"] == FIXED_TIME for d in devices)


def test_ec2_describe_instances_filters(server):
    client = server.client("ec2")
    tag = f"describe {WEIRD}"
    launched = client.run_instances(
        ImageId="ami-87654321",
        MinCount=1,
        MaxCount=1,
        InstanceType="m5.large",
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": tag}]}],
    )["Instances"][0]
    found = client.describe_instances(
        Filters=[{"Name": "tag:Name", "Values": ["other", tag]}, {"Name": "instance-type", "Values": ["m5.large"]}]
    )["Reservations"]
    assert [[i["InstanceId"] for i in r["Instances"]] for r in found] == [[launched["InstanceId"]]]
    assert found[0]["Instances"][0]["Tags"] == [{"Key": "Name", "Value": tag}]
    by_id = client.describe_instances(InstanceIds=[launched["InstanceId"]])["Reservations"]
    assert by_id[0]["Instances"][0]["LaunchTime"] == FIXED_TIME
    assert client.describe_instances(Filters=[{"Name": "tag:Name", "Values": ["nope"]}])["Reservations"] == []


def test_ec2_error(server):
    client = server.client("ec2")
    with pytest.raises(ClientError) as info:
        client.describe_instances(InstanceIds=["i-0000000000missing"])
    assert error_of(info) == ("InvalidInstanceID.NotFound", "The instance ID 'i-0000000000missing' does not exist", 400)
    with pytest.raises(ClientError) as info:
        client.describe_instances(Filters=[{"Name": "bogus<&>", "Values": ["x"]}])
    assert error_of(info) == ("InvalidParameterValue", "The filter 'bogus<&>' is invalid", 400)


# --- STS: query ------------------------------------------------------------------------------------


def test_sts_assume_role_nested_credentials(server):
    client = server.client("sts")
    policy = json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Sid": WEIRD}]}
    )
    result = client.assume_role(
        RoleArn="arn:aws:iam::123456789012:role/stub-role",
        RoleSessionName="sess@example.com",
        DurationSeconds=7200,
        Policy=policy,
        PolicyArns=[{"arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}, {"arn": "arn:aws:iam::123456789012:policy/a&b"}],
        Tags=[{"Key": "team", "Value": WEIRD}, {"Key": "empty", "Value": ""}],
        TransitiveTagKeys=["team"],
        ExternalId="ext=a,b@c:d/e-f",
        SourceIdentity="src=,.@-",
    )
    credentials = result["Credentials"]
    assert credentials["Expiration"] == FIXED_TIME + timedelta(seconds=7200)
    assert credentials["AccessKeyId"].startswith("ASIA") and len(credentials["AccessKeyId"]) == 20
    assert json.loads(credentials["SessionToken"]) == {
        "PolicyArns": ["arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::123456789012:policy/a&b"],
        "Policy": policy,
        "Tags": {"team": WEIRD, "empty": ""},
        "TransitiveTagKeys": ["team"],
        "ExternalId": "ext=a,b@c:d/e-f",
    }
    assert result["AssumedRoleUser"]["Arn"] == "arn:aws:sts::000000000000:assumed-role/stub-role/sess@example.com"
    assert result["AssumedRoleUser"]["AssumedRoleId"].endswith(":sess@example.com")
    assert result["PackedPolicySize"] == len(policy) % 101
    assert result["SourceIdentity"] == "src=,.@-"


def test_sts_modelled_error(server):
    client = server.client("sts")
    with pytest.raises(client.exceptions.RegionDisabledException) as info:
        client.assume_role(RoleArn="arn:aws:iam::123456789012:role/missing", RoleSessionName="session")
    assert error_of(info) == ("RegionDisabledException", "STS is not activated in us-east-1 for this account.", 403)


# --- S3: rest-xml ----------------------------------------------------------------------------------

BUCKET = "stub-bucket"
MIB = 1024 * 1024


def big_payload(size: int, seed: int) -> bytes:
    """Deterministic, non-repeating-looking bytes (so a misplaced chunk cannot compare equal)."""
    block = hashlib.sha256(str(seed).encode()).digest() * 2048  # 64 KiB
    return b"".join(bytes([i % 251]) + block[:65535] for i in range(size // 65536 + 1))[:size]


def crc32_b64(data: bytes) -> str:
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def capture_headers(client: Any, operation: str) -> list[dict[str, str]]:
    """Record the headers of every request of ``operation`` the client sends."""
    seen: list[dict[str, str]] = []

    def record(request: Any, **_: Any) -> None:
        seen.append({k.lower(): v.decode() if isinstance(v, bytes) else v for k, v in request.headers.items()})

    client.meta.events.register(f"before-send.s3.{operation}", record)
    return seen


def test_s3_put_object_streamed_aws_chunked_with_crc_trailer(server):
    client = server.client("s3")

    # Over plain http botocore puts the checksum in a header and signs the body; over TLS it
    # streams aws-chunked with an unsigned CRC32 trailer. Choose the TLS behaviour here.
    def trailer(context: dict[str, Any], **_: Any) -> None:
        context["checksum"]["request_algorithm"]["in"] = "trailer"

    client.meta.events.register("before-call.s3.PutObject", trailer)
    headers = capture_headers(client, "PutObject")
    data = big_payload(20 * MIB, 1)
    result = client.put_object(
        Bucket=BUCKET, Key="big/streamed.bin", Body=io.BytesIO(data), ContentType="application/x-stub"
    )
    sent = headers[-1]
    assert sent["content-encoding"] == "aws-chunked"
    assert sent["x-amz-trailer"] == "x-amz-checksum-crc32"
    assert sent["x-amz-content-sha256"] == "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
    assert sent["expect"] == "100-continue"
    assert result["ETag"] == f'"{hashlib.md5(data).hexdigest()}"'
    assert result["ChecksumCRC32"] == crc32_b64(data)
    assert result["Size"] == len(data)


def test_s3_put_object_header_checksum_and_get_streamed_back(server):
    client = server.client("s3")
    headers = capture_headers(client, "PutObject")
    data = big_payload(20 * MIB, 2)
    result = client.put_object(Bucket=BUCKET, Key="big/header-checksum.bin", Body=data)
    assert "x-amz-checksum-crc32" in headers[-1] and "content-encoding" not in headers[-1]
    assert result["ChecksumCRC32"] == crc32_b64(data)
    got = client.get_object(Bucket=BUCKET, Key="big/header-checksum.bin")
    assert got["ContentLength"] == len(data)
    assert got["ETag"] == f'"{hashlib.md5(data).hexdigest()}"'
    body = got["Body"]
    chunks = list(body.iter_chunks(chunk_size=MIB))
    assert len(chunks) >= 20
    assert b"".join(chunks) == data


def test_s3_upload_fileobj_single_put(server):
    client = server.client("s3")
    headers = capture_headers(client, "PutObject")
    data = big_payload(8 * MIB, 3)
    config = TransferConfig(multipart_threshold=64 * MIB, use_threads=False)
    client.upload_fileobj(
        io.BytesIO(data), BUCKET, "big/upload-fileobj.bin", Config=config, ExtraArgs={"Metadata": {"kind": "transfer"}}
    )
    assert len(headers) == 1  # one PutObject, no multipart
    head = client.head_object(Bucket=BUCKET, Key="big/upload-fileobj.bin")
    assert head["ContentLength"] == len(data)
    assert head["ETag"] == f'"{hashlib.md5(data).hexdigest()}"'
    assert head["Metadata"] == {"kind": "transfer"}
    target = io.BytesIO()
    client.download_fileobj(BUCKET, "big/upload-fileobj.bin", target, Config=config)
    assert target.getvalue() == data


SPECIAL_KEYS = [
    "keys/a b c.txt",
    "keys/ünï cödé 日本.txt",
    "keys/plus+sign.txt",
    "keys/per%25cent%.txt",
    "keys/xml <&>'\".txt",
    "keys/sub/nested.txt",
    "keys/sub dir/x",
]


def test_s3_special_keys_round_trip_and_list(server):
    client = server.client("s3")
    for index, key in enumerate(SPECIAL_KEYS):
        client.put_object(Bucket=BUCKET, Key=key, Body=f"body {index} {key}".encode())
    for index, key in enumerate(SPECIAL_KEYS):
        assert client.get_object(Bucket=BUCKET, Key=key)["Body"].read() == f"body {index} {key}".encode()
    listing = client.list_objects_v2(Bucket=BUCKET, Prefix="keys/", Delimiter="/")
    flat = sorted(k for k in SPECIAL_KEYS if "/" not in k[len("keys/") :])
    assert [c["Key"] for c in listing["Contents"]] == flat
    assert [p["Prefix"] for p in listing["CommonPrefixes"]] == ["keys/sub dir/", "keys/sub/"]
    assert listing["Prefix"] == "keys/" and listing["Delimiter"] == "/"
    assert listing["KeyCount"] == len(flat) + 2 and listing["IsTruncated"] is False
    sizes = {c["Key"]: c["Size"] for c in listing["Contents"]}
    assert sizes == {k: len(f"body {SPECIAL_KEYS.index(k)} {k}".encode()) for k in flat}
    assert all(c["LastModified"] == FIXED_TIME for c in listing["Contents"])
    raw = client.list_objects_v2(Bucket=BUCKET, Prefix="keys/sub/")
    assert [c["Key"] for c in raw["Contents"]] == ["keys/sub/nested.txt"]
    assert raw.get("CommonPrefixes", []) == []


def test_s3_metadata_headers_round_trip(server):
    client = server.client("s3")
    # Non-ASCII metadata travels RFC 2047-encoded (S3 answers it that way; botocore sends what it gets).
    encoded = "=?UTF-8?B?" + base64.b64encode("héllo wörld ✓".encode()).decode() + "?="
    metadata = {"plain": "value with spaces", "encoded": encoded, "Mixed-Case": "x"}
    client.put_object(
        Bucket=BUCKET, Key="meta/obj", Body=b"{}", ContentType="application/json; charset=utf-8", Metadata=metadata
    )
    got = client.get_object(Bucket=BUCKET, Key="meta/obj")
    assert got["Metadata"] == {"plain": "value with spaces", "encoded": encoded, "mixed-case": "x"}
    assert got["ContentType"] == "application/json; charset=utf-8"
    # rest-xml headers carry second precision (RFC 822): the stub's millis are dropped on the wire.
    assert got["LastModified"] == FIXED_TIME.replace(microsecond=0)
    assert got["ContentLength"] == 2 and got["Body"].read() == b"{}"


def test_s3_delete_objects_echoes_xml_list(server):
    client = server.client("s3")
    client.put_object(Bucket=BUCKET, Key="del/one", Body=b"1")
    objects = [
        {"Key": "del/one"},
        {"Key": "del/two <&>", "VersionId": "v2"},
        {"Key": "del/locked ✓", "VersionId": "v3"},
    ]
    result = client.delete_objects(Bucket=BUCKET, Delete={"Objects": objects, "Quiet": False})
    assert result["Deleted"] == [
        {"Key": "del/one", "DeleteMarker": True},
        {"Key": "del/two <&>", "VersionId": "v2", "DeleteMarker": False},
    ]
    assert result["Errors"] == [
        {"Key": "del/locked ✓", "VersionId": "v3", "Code": "AccessDenied", "Message": "Access Denied"}
    ]
    with pytest.raises(client.exceptions.NoSuchKey):
        client.get_object(Bucket=BUCKET, Key="del/one")
    quiet = client.delete_objects(Bucket=BUCKET, Delete={"Objects": [{"Key": "del/x"}], "Quiet": True})
    assert quiet.get("Deleted", []) == [] and quiet.get("Errors", []) == []


def test_s3_bucket_tagging_round_trip(server):
    client = server.client("s3")
    tags = [{"Key": "team", "Value": WEIRD}, {"Key": "empty", "Value": ""}, {"Key": "k<&>", "Value": "v"}]
    client.put_bucket_tagging(Bucket=BUCKET, Tagging={"TagSet": tags})
    assert client.get_bucket_tagging(Bucket=BUCKET)["TagSet"] == tags


def test_s3_bucket_acl_grants_with_xml_attribute(server):
    client = server.client("s3")
    default = client.get_bucket_acl(Bucket="acl-default")
    assert default["Grants"][0]["Grantee"]["Type"] == "CanonicalUser"
    assert default["Grants"][0]["Permission"] == "FULL_CONTROL"
    assert default["Owner"]["DisplayName"] == "stub"
    owner = {"ID": "a" * 64, "DisplayName": "owner <&>"}
    grants = [
        {"Grantee": {"Type": "CanonicalUser", "ID": "b" * 64, "DisplayName": "other"}, "Permission": "READ"},
        {
            "Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"},
            "Permission": "READ_ACP",
        },
        {"Grantee": {"Type": "AmazonCustomerByEmail", "EmailAddress": "x@example.com"}, "Permission": "WRITE"},
    ]
    client.put_bucket_acl(Bucket="acl-set", AccessControlPolicy={"Owner": owner, "Grants": grants})
    got = client.get_bucket_acl(Bucket="acl-set")
    assert got["Owner"] == owner
    assert got["Grants"] == grants


def test_s3_errors(server):
    client = server.client("s3")
    with pytest.raises(client.exceptions.NoSuchKey) as info:
        client.get_object(Bucket=BUCKET, Key="nope <&>")
    assert error_of(info) == ("NoSuchKey", "The specified key does not exist.", 404)
    assert info.value.response["Error"]["Key"] == "nope <&>"
    with pytest.raises(ClientError) as info:
        client.head_object(Bucket=BUCKET, Key="nope")
    assert error_of(info)[0] == "404" and error_of(info)[2] == 404
    with pytest.raises(ClientError) as info:
        client.get_bucket_tagging(Bucket="untagged")
    assert error_of(info) == ("NoSuchTagSet", "The TagSet does not exist", 404)
    assert info.value.response["Error"]["BucketName"] == "untagged"


def test_s3_virtual_hosted_style(server):
    """``bucket.localhost`` does not resolve here: connect to 127.0.0.1 and keep the virtual Host header."""
    endpoint = f"http://localhost:{server.port}"
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(s3={"addressing_style": "virtual"}, retries=RETRIES),
    )
    hosts: list[str] = []

    def to_loopback(request: Any, **_: Any) -> None:
        parts = urlsplit(request.url)
        hosts.append(parts.netloc)
        request.headers["Host"] = parts.netloc  # already signed with this host
        request.url = urlunsplit(parts._replace(netloc=f"127.0.0.1:{server.port}"))

    client.meta.events.register("before-send.s3", to_loopback)
    key = "virtual/ünï key+%.txt"
    client.put_object(Bucket=BUCKET, Key=key, Body=b"virtual body")
    assert hosts[-1] == f"{BUCKET}.localhost:{server.port}"
    assert client.get_object(Bucket=BUCKET, Key=key)["Body"].read() == b"virtual body"
    listed = client.list_objects_v2(Bucket=BUCKET, Prefix="virtual/")
    assert [c["Key"] for c in listed["Contents"]] == [key]
    # The path-style client sees the same object: the bucket really came from the Host header.
    assert server.client("s3").get_object(Bucket=BUCKET, Key=key)["Body"].read() == b"virtual body"


# --- Lambda: rest-json -----------------------------------------------------------------------------

ZIP = b"PK\x03\x04" + ALL_BYTES * 4


def create_function(client: Any, name: str) -> dict[str, Any]:
    return client.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role="arn:aws:iam::000000000000:role/lambda-role",
        Handler="app.handler",
        Code={"ZipFile": ZIP},
        Description=WEIRD,
        Timeout=900,
        MemorySize=10240,
        Publish=True,
        Environment={"Variables": {"GREETING": WEIRD, "EMPTY": ""}},
        Tags={"team": WEIRD},
        Layers=["arn:aws:lambda:us-east-1:000000000000:layer:l:1"],
        Architectures=["arm64"],
        EphemeralStorage={"Size": 10240},
    )


def test_lambda_create_and_get_function(server):
    client = server.client("lambda")
    config = create_function(client, "stub-fn")
    assert config["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert config["FunctionArn"] == "arn:aws:lambda:us-east-1:000000000000:function:stub-fn"
    assert config["CodeSize"] == len(ZIP)
    assert config["CodeSha256"] == base64.b64encode(hashlib.sha256(ZIP).digest()).decode()
    assert config["Environment"] == {"Variables": {"GREETING": WEIRD, "EMPTY": ""}}
    assert (config["Description"], config["Timeout"], config["MemorySize"]) == (WEIRD, 900, 10240)
    assert config["Version"] == "1"
    assert config["Layers"] == [
        {
            "Arn": "arn:aws:lambda:us-east-1:000000000000:layer:l:1",
            "CodeSize": len("arn:aws:lambda:us-east-1:000000000000:layer:l:1"),
        }
    ]
    assert config["Architectures"] == ["arm64"]
    assert config["EphemeralStorage"] == {"Size": 10240}
    assert config["LastModified"] == "2024-02-29T12:34:56.789+0000"
    got = client.get_function(FunctionName="stub-fn")
    assert {k: v for k, v in got["Configuration"].items()} == {
        k: v for k, v in config.items() if k != "ResponseMetadata"
    }
    assert got["Tags"] == {"team": WEIRD}
    assert got["Code"] == {"RepositoryType": "S3", "Location": f"https://stub.invalid/stub-fn.zip?size={len(ZIP)}"}


def test_lambda_invoke_echoes_payload_and_headers(server):
    client = server.client("lambda")
    create_function(client, "invoke-fn")
    payload = json.dumps({"text": WEIRD, "n": [1, 2.5]}).encode()
    context = base64.b64encode(json.dumps({"custom": {"who": "tester"}}).encode()).decode()
    result = client.invoke(
        FunctionName="invoke-fn", Payload=payload, LogType="Tail", ClientContext=context, Qualifier="1"
    )
    assert result["StatusCode"] == 200
    assert result["Payload"].read() == payload
    assert result["ExecutedVersion"] == "1"
    assert "FunctionError" not in result
    log = base64.b64decode(result["LogResult"]).decode()
    assert (
        log == f"START invoke-fn bytes={len(payload)} crc={zlib.crc32(payload)}\n" + '{"custom": {"who": "tester"}}\n'
    )

    failed = client.invoke(FunctionName="invoke-fn", Payload=b'{"action": "fail"}')
    assert failed["FunctionError"] == "Unhandled"
    assert failed["Payload"].read() == b'{"action": "fail"}'
    assert "LogResult" not in failed

    binary = client.invoke(FunctionName="invoke-fn", Payload=ALL_BYTES)
    assert binary["Payload"].read() == ALL_BYTES

    event = client.invoke(FunctionName="invoke-fn", InvocationType="Event", Payload=b"{}")
    assert event["StatusCode"] == 202
    assert event["Payload"].read() == b""


def test_lambda_modelled_errors(server):
    client = server.client("lambda")
    with pytest.raises(client.exceptions.ResourceNotFoundException) as info:
        client.get_function(FunctionName="missing-fn")
    assert error_of(info) == ("ResourceNotFoundException", "Function not found: missing-fn", 404)
    assert info.value.response["Type"] == "User"
    create_function(client, "conflict-fn")
    with pytest.raises(client.exceptions.ResourceConflictException) as info:
        create_function(client, "conflict-fn")
    assert error_of(info) == ("ResourceConflictException", "Function already exist: conflict-fn", 409)
