"""The ec2 protocol, round-tripped through a real botocore EC2 client."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from botocore_roundtrip import Roundtrip, strip_metadata

from pycloud.protocol.ec2 import Ec2Protocol
from pycloud.protocol.errors import ServiceError
from pycloud.protocol.message import HttpRequest

PROTO = Ec2Protocol()
T0 = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)


@pytest.fixture(scope="module")
def ec2() -> Roundtrip:
    return Roundtrip("ec2")


def _parse(rt: Roundtrip, operation: str, params: dict) -> dict:
    return PROTO.parse(rt.model, operation, rt.capture(operation, params))


def test_describe_instances_filters_and_ids(ec2: Roundtrip) -> None:
    params = {
        "InstanceIds": ["i-1", "i-2"],
        "Filters": [
            {"Name": "instance-state-name", "Values": ["running", "pending"]},
            {"Name": "tag:Env", "Values": ["x"]},
        ],
        "MaxResults": 10,
        "DryRun": False,
    }
    request = ec2.capture("DescribeInstances", params)
    # EC2 naming: capitalised locationNames, every list flattened.
    assert b"Filter.1.Value.2=pending" in request.body and b"InstanceId.2=i-2" in request.body
    assert PROTO.parse(ec2.model, "DescribeInstances", request) == params


def test_run_instances_tag_specifications_and_blob_like_user_data(ec2: Roundtrip) -> None:
    params = {
        "ImageId": "ami-123",
        "MinCount": 1,
        "MaxCount": 2,
        "InstanceType": "t3.micro",
        "SecurityGroupIds": ["sg-1"],
        "UserData": "IyEvYmluL3NoCg==",
        "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 20, "DeleteOnTermination": True}}],
        "TagSpecifications": [
            {"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "web"}, {"Key": "Env", "Value": "dev"}]}
        ],
        "Monitoring": {"Enabled": True},
    }
    assert _parse(ec2, "RunInstances", params) == params


def test_describe_instances_response(ec2: Roundtrip) -> None:
    result = {
        "Reservations": [
            {
                "ReservationId": "r-1",
                "OwnerId": "000000000000",
                "Groups": [{"GroupId": "sg-1", "GroupName": "default"}],
                "Instances": [
                    {
                        "InstanceId": "i-1",
                        "ImageId": "ami-1",
                        "State": {"Code": 16, "Name": "running"},
                        "LaunchTime": T0,
                        "Tags": [{"Key": "Name", "Value": "web & db"}],
                        "EbsOptimized": False,
                        "SecurityGroups": [],
                    }
                ],
            }
        ],
        "NextToken": "tok",
    }
    parsed = ec2.respond(
        "DescribeInstances", {}, lambda req: PROTO.serialize(ec2.model, "DescribeInstances", result, "rq-9")
    )
    assert parsed["ResponseMetadata"]["RequestId"] == "rq-9"
    assert strip_metadata(parsed) == result


def test_response_body_shape(ec2: Roundtrip) -> None:
    response = PROTO.serialize(ec2.model, "DescribeRegions", {"Regions": [{"RegionName": "us-east-1"}]}, "rid")
    body = response.body.decode()
    assert '<DescribeRegionsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">' in body
    assert "<requestId>rid</requestId>" in body
    assert "<regionInfo><item><regionName>us-east-1</regionName></item></regionInfo>" in body


def test_error_format(ec2: Roundtrip) -> None:
    error = ServiceError("InvalidInstanceID.NotFound", "The instance ID 'i-9' does not exist")
    exc = ec2.error(
        "DescribeInstances", {}, lambda req: PROTO.serialize_error(ec2.model, "DescribeInstances", error, "rid-e")
    )
    assert exc.response["Error"]["Code"] == "InvalidInstanceID.NotFound"
    assert exc.response["Error"]["Message"] == error.message
    assert exc.response["ResponseMetadata"]["RequestId"] == "rid-e"
    assert exc.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    body = PROTO.serialize_error(ec2.model, None, error, "x").body.decode()
    assert "<Response><Errors><Error><Code>" in body and "<RequestID>x</RequestID>" in body


def test_bad_integer_is_invalid_parameter_value(ec2: Roundtrip) -> None:
    request = HttpRequest("POST", "/", body=b"Action=RunInstances&ImageId=ami-1&MinCount=1&MaxCount=lots")
    with pytest.raises(ServiceError) as info:
        PROTO.parse(ec2.model, "RunInstances", request)
    assert info.value.code == "InvalidParameterValue"
    assert "MaxCount" in info.value.message and "lots" in info.value.message


def test_bad_boolean(ec2: Roundtrip) -> None:
    request = HttpRequest("POST", "/", body=b"Action=DescribeInstances&DryRun=maybe")
    with pytest.raises(ServiceError) as info:
        PROTO.parse(ec2.model, "DescribeInstances", request)
    assert info.value.code == "InvalidParameterValue"
