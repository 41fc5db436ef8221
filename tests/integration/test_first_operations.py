"""The first real operations, one per protocol family, through boto3 against a live server."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError


def test_sts_get_caller_identity_default_account(pycloud_client):
    identity = pycloud_client("sts").get_caller_identity()
    assert identity["Account"] == "000000000000"
    assert identity["Arn"] == "arn:aws:iam::000000000000:root"
    assert identity["UserId"] == "000000000000"
    assert identity["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert identity["ResponseMetadata"]["RequestId"]


def test_sts_unknown_key_maps_to_default_account(pycloud_client):
    identity = pycloud_client("sts", access_key="AKIAUNKNOWN", secret_key="whatever").get_caller_identity()
    assert identity["Account"] == "000000000000"


def test_ec2_describe_regions_real_names(pycloud_client):
    regions = pycloud_client("ec2").describe_regions()["Regions"]
    names = {r["RegionName"] for r in regions}
    assert {"us-east-1", "us-west-2", "eu-west-1", "ap-southeast-1"} <= names
    assert all(r["OptInStatus"] in ("opt-in-not-required", "opted-in", "not-opted-in") for r in regions)
    one = pycloud_client("ec2").describe_regions(RegionNames=["eu-west-1"])["Regions"]
    assert [r["RegionName"] for r in one] == ["eu-west-1"]


def test_ec2_describe_regions_unknown_region(pycloud_client):
    with pytest.raises(ClientError) as info:
        pycloud_client("ec2").describe_regions(RegionNames=["xx-nowhere-9"])
    assert info.value.response["Error"]["Code"] == "InvalidParameterValue"


def test_ec2_describe_availability_zones_per_region(pycloud_client):
    zones = pycloud_client("ec2", region="us-east-1").describe_availability_zones()["AvailabilityZones"]
    assert {z["ZoneName"] for z in zones} >= {"us-east-1a", "us-east-1b", "us-east-1c"}
    assert all(z["RegionName"] == "us-east-1" and z["State"] == "available" for z in zones)
    assert all(z["ZoneId"].startswith("use1-az") for z in zones)
    west = pycloud_client("ec2", region="eu-west-1").describe_availability_zones(
        Filters=[{"Name": "zone-name", "Values": ["eu-west-1b"]}]
    )["AvailabilityZones"]
    assert [z["ZoneName"] for z in west] == ["eu-west-1b"]


def test_s3_list_buckets_empty(pycloud_client):
    result = pycloud_client("s3").list_buckets()
    assert result["Buckets"] == []
    assert len(result["Owner"]["ID"]) == 64


def test_dynamodb_list_tables_empty(pycloud_client):
    assert pycloud_client("dynamodb").list_tables()["TableNames"] == []


def test_dynamodb_list_tables_limit_validation(pycloud_client):
    from botocore.config import Config

    client = pycloud_client("dynamodb", config=Config(parameter_validation=False, retries={"max_attempts": 1}))
    with pytest.raises(ClientError) as info:
        client.list_tables(Limit=0)
    error = info.value.response["Error"]
    assert error["Code"] == "ValidationException"
    assert "limit" in error["Message"]


def test_lambda_list_functions_empty(pycloud_client):
    assert pycloud_client("lambda").list_functions()["Functions"] == []


def test_cloudwatch_list_metrics_empty(pycloud_client):
    assert pycloud_client("cloudwatch").list_metrics()["Metrics"] == []


@pytest.mark.parametrize("protocol", ["smithy-rpc-v2-cbor", "json", "query"])
def test_cloudwatch_list_metrics_in_each_protocol(pycloud, tmp_path, protocol):
    """CloudWatch's model offers CBOR, JSON and query; SDKs differ in which they pick, so the
    same endpoint answers all three (the client is pinned to one protocol here)."""
    import json

    import botocore.session
    from botocore.config import Config

    session = botocore.session.get_session()
    loader = session.get_component("data_loader")
    model = loader.load_service_model("cloudwatch", "service-2")
    model["metadata"]["protocol"] = protocol
    model["metadata"]["protocols"] = [protocol]
    api_dir = tmp_path / "cloudwatch" / model["metadata"]["apiVersion"]
    api_dir.mkdir(parents=True)
    (api_dir / "service-2.json").write_text(json.dumps(model))
    loader.search_paths.insert(0, str(tmp_path))
    client = session.create_client(
        "cloudwatch",
        endpoint_url=pycloud.endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}),
    )
    assert client.meta.service_model.protocol == protocol
    assert client.list_metrics(Namespace="AWS/EC2")["Metrics"] == []


def test_unimplemented_operation_is_named(pycloud_client):
    with pytest.raises(ClientError) as info:
        pycloud_client("sts").assume_root(TargetPrincipal="111122223333", TaskPolicyArn={"arn": "arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials"})
    error = info.value.response["Error"]
    assert error["Code"] == "NotImplemented"
    assert "AssumeRoot" in error["Message"]
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501
