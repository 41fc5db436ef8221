"""Providers called directly with a RequestContext: STS, EC2, S3, DynamoDB, Lambda, CloudWatch."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from pycloud.clock import Clock
from pycloud.context import Principal, RequestContext
from pycloud.events import EventBus
from pycloud.iam.credentials import CredentialStore
from pycloud.protocol.errors import ServiceError
from pycloud.protocol.model import botocore_data_dir
from pycloud.services import pagination
from pycloud.services.awslambda.models import Function, FunctionVersion, function_arn
from pycloud.services.awslambda.provider import LambdaProvider
from pycloud.services.base import Provider, ServiceRuntime
from pycloud.services.cloudwatch.provider import CloudWatchProvider
from pycloud.services.dynamodb.models import Table, table_arn
from pycloud.services.dynamodb.provider import DynamoDbProvider
from pycloud.services.ec2.provider import Ec2Provider
from pycloud.services.ec2.regions import DEFAULT_REGIONS
from pycloud.services.registry import PROVIDERS, get_provider_class
from pycloud.services.s3.models import Bucket, canonical_user_id
from pycloud.services.s3.provider import S3Provider
from pycloud.services.sts.provider import StsProvider
from pycloud.state.store import StateStore

ACCOUNT = "000000000000"
OTHER = "111122223333"
NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def runtime(tmp_path):
    state = StateStore.open(tmp_path / "state")
    yield ServiceRuntime(clock=Clock(), state=state, events=EventBus(), credentials=CredentialStore())
    state.close()


def make_ctx(
    service: str = "",
    operation: str = "",
    region: str = "us-east-1",
    account: str = ACCOUNT,
    principal: Principal | None = None,
) -> RequestContext:
    principal = principal or Principal(account, f"arn:aws:iam::{account}:root", "root", "test")
    return RequestContext("req-1", service, operation, region, account, principal, NOW)


def error_of(call) -> ServiceError:
    with pytest.raises(ServiceError) as info:
        call()
    return info.value


def reopen(runtime: ServiceRuntime) -> ServiceRuntime:
    """A new runtime on the same data dir, as after a restart."""
    path = runtime.state.path
    runtime.state.close()
    return ServiceRuntime(runtime.clock, StateStore.open(path.parent), runtime.events, runtime.credentials)


# -- registry and pagination --


def test_registry_resolves_every_provider_lazily():
    for service, target in PROVIDERS.items():
        cls = get_provider_class(service)
        assert issubclass(cls, Provider) and cls.service == service, target
        assert (botocore_data_dir() / service).is_dir()  # keys are botocore's service names
    assert get_provider_class("lambda") is LambdaProvider
    assert get_provider_class("no-such-service") is None


def test_pagination_tokens_round_trip_and_reject_forgeries():
    token = pagination.encode_token("bucket-7", "s3:ListBuckets")
    assert re.fullmatch(r"[A-Za-z0-9_-]+", token)  # safe in a query string
    assert "bucket-7" not in token
    err = lambda: ServiceError("Bad", "bad token")  # noqa: E731
    assert pagination.decode_token(token, "s3:ListBuckets", err) == "bucket-7"
    for bad in ("", "!!!", "bm90IGpzb24", token[:-3], pagination.encode_token("x", "lambda:ListFunctions")):
        with pytest.raises(ServiceError, match="Bad"):
            pagination.decode_token(bad, "s3:ListBuckets", err)


def test_paginate_is_keyset_based():
    page = pagination.paginate(["c", "a", "b", "d"], str, None, 2)
    assert page.items == ["a", "b"] and page.last_key == "b" and page.truncated
    page = pagination.paginate(["c", "a", "b", "d"], str, "b", 2)
    assert page.items == ["c", "d"] and page.last_key is None
    # an item deleted before the next call does not shift the following page
    assert pagination.paginate(["a", "c", "d"], str, "b", 5).items == ["c", "d"]


# -- STS --


def test_sts_root_identity(runtime):
    result = StsProvider(runtime).get_caller_identity(make_ctx("sts"), {})
    assert result == {"UserId": ACCOUNT, "Account": ACCOUNT, "Arn": f"arn:aws:iam::{ACCOUNT}:root"}


def test_sts_user_and_role_identities(runtime):
    sts = StsProvider(runtime)
    user = Principal(OTHER, f"arn:aws:iam::{OTHER}:user/dev/alice", "user", "AKIA1", "AIDAEXAMPLEUSERID01")
    assert sts.get_caller_identity(make_ctx(account=OTHER, principal=user), {}) == {
        "UserId": "AIDAEXAMPLEUSERID01",
        "Account": OTHER,
        "Arn": f"arn:aws:iam::{OTHER}:user/dev/alice",
    }
    role = Principal(OTHER, f"arn:aws:sts::{OTHER}:assumed-role/Deploy/ci-run-7", "assumed-role", "ASIA1", "AROAROLEID")
    assert sts.get_caller_identity(make_ctx(principal=role), {})["UserId"] == "AROAROLEID:ci-run-7"
    no_id = Principal(OTHER, f"arn:aws:sts::{OTHER}:assumed-role/Deploy/s1", "assumed-role", "ASIA2")
    user_id = sts.get_caller_identity(make_ctx(principal=no_id), {})["UserId"]
    assert re.fullmatch(r"AROA[A-Z2-7]{17}:s1", user_id)
    again = Principal(OTHER, f"arn:aws:sts::{OTHER}:assumed-role/Deploy/s2", "assumed-role", "ASIA3")
    assert sts.get_caller_identity(make_ctx(principal=again), {})["UserId"].split(":")[0] == user_id.split(":")[0]


def test_sts_anonymous_is_refused(runtime):
    anon = Principal(ACCOUNT, "", "anonymous")
    err = error_of(lambda: StsProvider(runtime).get_caller_identity(make_ctx(principal=anon), {}))
    assert err.code == "MissingAuthenticationToken" and err.status == 403


# -- EC2 regions --


def _endpoints_regions() -> dict:
    data = json.loads((botocore_data_dir() / "endpoints.json").read_text())
    return next(p for p in data["partitions"] if p["partition"] == "aws")["regions"]


def test_describe_regions_lists_enabled_regions_by_default(runtime):
    regions = Ec2Provider(runtime).describe_regions(make_ctx("ec2"), {})["Regions"]
    names = [r["RegionName"] for r in regions]
    assert set(names) == DEFAULT_REGIONS & set(_endpoints_regions())
    assert names == sorted(names)
    east = next(r for r in regions if r["RegionName"] == "us-east-1")
    assert east == {
        "RegionName": "us-east-1",
        "Endpoint": "ec2.us-east-1.amazonaws.com",
        "OptInStatus": "opt-in-not-required",
    }


def test_describe_regions_all_regions_and_opt_in(runtime):
    ec2 = Ec2Provider(runtime)
    everything = ec2.describe_regions(make_ctx("ec2"), {"AllRegions": True})["Regions"]
    assert {r["RegionName"] for r in everything} == set(_endpoints_regions())
    status = {r["RegionName"]: r["OptInStatus"] for r in everything}
    assert status["af-south-1"] == "not-opted-in" and status["eu-west-1"] == "opt-in-not-required"

    ec2.set_region_opt_in(ACCOUNT, "af-south-1", True)
    enabled = {r["RegionName"]: r["OptInStatus"] for r in ec2.describe_regions(make_ctx("ec2"), {})["Regions"]}
    assert enabled["af-south-1"] == "opted-in"
    # opt-ins are per account
    other = ec2.describe_regions(make_ctx("ec2", account=OTHER), {})["Regions"]
    assert "af-south-1" not in {r["RegionName"] for r in other}


def test_region_opt_in_survives_restart(runtime):
    Ec2Provider(runtime).set_region_opt_in(ACCOUNT, "me-south-1", True)
    runtime = reopen(runtime)
    result = Ec2Provider(runtime).describe_regions(make_ctx("ec2"), {"RegionNames": ["me-south-1"]})
    assert result["Regions"][0]["OptInStatus"] == "opted-in"
    runtime.state.close()


def test_describe_regions_by_name_and_filters(runtime):
    ec2 = Ec2Provider(runtime)
    ctx = make_ctx("ec2")
    named = ec2.describe_regions(ctx, {"RegionNames": ["eu-west-1", "ap-east-1"]})["Regions"]
    assert [r["RegionName"] for r in named] == ["ap-east-1", "eu-west-1"]  # named ones even if not enabled
    by_filter = ec2.describe_regions(ctx, {"Filters": [{"Name": "region-name", "Values": ["us-*"]}]})["Regions"]
    assert sorted(r["RegionName"] for r in by_filter) == ["us-east-1", "us-east-2", "us-west-1", "us-west-2"]
    by_endpoint = ec2.describe_regions(
        ctx, {"Filters": [{"Name": "endpoint", "Values": ["ec2.eu-west-?.amazonaws.com"]}]}
    )["Regions"]
    assert sorted(r["RegionName"] for r in by_endpoint) == ["eu-west-1", "eu-west-2", "eu-west-3"]
    not_opted = ec2.describe_regions(
        ctx, {"AllRegions": True, "Filters": [{"Name": "opt-in-status", "Values": ["not-opted-in"]}]}
    )["Regions"]
    assert not_opted and all(r["RegionName"] not in DEFAULT_REGIONS for r in not_opted)


def test_describe_regions_errors(runtime):
    ec2 = Ec2Provider(runtime)
    err = error_of(lambda: ec2.describe_regions(make_ctx("ec2"), {"RegionNames": ["us-east-1", "xx-nowhere-9"]}))
    assert err.code == "InvalidParameterValue" and err.status == 400 and "xx-nowhere-9" in err.message
    err = error_of(lambda: ec2.describe_regions(make_ctx("ec2"), {"Filters": [{"Name": "bogus", "Values": ["x"]}]}))
    assert err.code == "InvalidParameterValue" and "bogus" in err.message
    err = error_of(lambda: ec2.describe_regions(make_ctx("ec2"), {"DryRun": True}))
    assert err.code == "DryRunOperation" and err.status == 412


# -- EC2 availability zones --


def test_describe_availability_zones_us_east_1(runtime):
    zones = Ec2Provider(runtime).describe_availability_zones(make_ctx("ec2"), {})["AvailabilityZones"]
    assert [z["ZoneName"] for z in zones] == [f"us-east-1{c}" for c in "abcdef"]
    assert sorted(z["ZoneId"] for z in zones) == [f"use1-az{i}" for i in range(1, 7)]
    assert zones[0] == {
        "State": "available",
        "OptInStatus": "opt-in-not-required",
        "Messages": [],
        "RegionName": "us-east-1",
        "ZoneName": "us-east-1a",
        "ZoneId": zones[0]["ZoneId"],
        "GroupName": "us-east-1",
        "NetworkBorderGroup": "us-east-1",
        "ZoneType": "availability-zone",
    }


@pytest.mark.parametrize(
    ("region", "expected_ids"),
    [
        ("eu-west-1", {"euw1-az1", "euw1-az2", "euw1-az3"}),
        ("ap-northeast-1", {"apne1-az1", "apne1-az2", "apne1-az4"}),
        ("us-west-1", {"usw1-az1", "usw1-az3"}),
        ("ap-southeast-3", {"apse3-az1", "apse3-az2", "apse3-az3"}),  # generic fallback
    ],
)
def test_zone_ids_per_region(runtime, region, expected_ids):
    zones = Ec2Provider(runtime).describe_availability_zones(make_ctx("ec2", region=region), {})["AvailabilityZones"]
    assert {z["ZoneId"] for z in zones} == expected_ids
    assert all(z["ZoneName"].startswith(region) and z["RegionName"] == region for z in zones)


def test_describe_availability_zones_selection(runtime):
    ec2 = Ec2Provider(runtime)
    ctx = make_ctx("ec2", region="us-west-2")
    by_name = ec2.describe_availability_zones(ctx, {"ZoneNames": ["us-west-2b"]})["AvailabilityZones"]
    assert [(z["ZoneName"], z["ZoneId"]) for z in by_name] == [("us-west-2b", "usw2-az2")]
    by_id = ec2.describe_availability_zones(ctx, {"ZoneIds": ["usw2-az4", "usw2-az1"]})["AvailabilityZones"]
    assert [z["ZoneName"] for z in by_id] == ["us-west-2a", "us-west-2d"]
    filtered = ec2.describe_availability_zones(
        ctx, {"Filters": [{"Name": "zone-name", "Values": ["*a", "*c"]}, {"Name": "state", "Values": ["available"]}]}
    )["AvailabilityZones"]
    assert [z["ZoneName"] for z in filtered] == ["us-west-2a", "us-west-2c"]
    none = ec2.describe_availability_zones(ctx, {"Filters": [{"Name": "region-name", "Values": ["eu-west-1"]}]})
    assert none["AvailabilityZones"] == []


def test_local_zones_need_all_zones_or_opt_in(runtime):
    ec2 = Ec2Provider(runtime)
    ctx = make_ctx("ec2", region="us-west-2")
    default = ec2.describe_availability_zones(ctx, {})["AvailabilityZones"]
    assert {z["ZoneType"] for z in default} == {"availability-zone"}
    everything = ec2.describe_availability_zones(ctx, {"AllAvailabilityZones": True})["AvailabilityZones"]
    local = [z for z in everything if z["ZoneType"] == "local-zone"]
    assert local and all(z["OptInStatus"] == "not-opted-in" for z in local)
    assert local[0]["GroupName"] == "us-west-2-lax-1" == local[0]["NetworkBorderGroup"]
    only_local = ec2.describe_availability_zones(
        ctx, {"AllAvailabilityZones": True, "Filters": [{"Name": "zone-type", "Values": ["local-zone"]}]}
    )["AvailabilityZones"]
    assert only_local == local
    ec2.set_region_opt_in(ACCOUNT, "us-west-2-lax-1", True)
    after = ec2.describe_availability_zones(ctx, {})["AvailabilityZones"]
    assert {z["ZoneName"] for z in after if z["OptInStatus"] == "opted-in"} == {z["ZoneName"] for z in local}


def test_describe_availability_zones_errors(runtime):
    ec2 = Ec2Provider(runtime)
    ctx = make_ctx("ec2")
    err = error_of(lambda: ec2.describe_availability_zones(ctx, {"ZoneNames": ["us-east-1z"]}))
    assert err.code == "InvalidParameterValue" and "us-east-1z" in err.message
    err = error_of(lambda: ec2.describe_availability_zones(ctx, {"ZoneNames": ["eu-west-1a"]}))  # other region
    assert err.code == "InvalidParameterValue"
    err = error_of(lambda: ec2.describe_availability_zones(ctx, {"ZoneIds": ["use1-az99"]}))
    assert err.code == "InvalidParameterValue" and "use1-az99" in err.message
    err = error_of(lambda: ec2.describe_availability_zones(ctx, {"Filters": [{"Name": "color", "Values": ["x"]}]}))
    assert err.code == "InvalidParameterValue"


# -- S3 --


def _add_bucket(s3: S3Provider, account: str, name: str, region: str = "us-east-1") -> None:
    s3.buckets.put(account, region, name, Bucket(name, account, region, NOW + timedelta(seconds=len(name))))


def test_list_buckets_fresh_account(runtime):
    result = S3Provider(runtime).list_buckets(make_ctx("s3"), {})
    assert result["Buckets"] == []
    assert re.fullmatch(r"[0-9a-f]{64}", result["Owner"]["ID"])
    assert result["Owner"]["ID"] == canonical_user_id(ACCOUNT) != canonical_user_id(OTHER)
    assert result["Owner"]["DisplayName"]
    assert "ContinuationToken" not in result and "Prefix" not in result


def test_list_buckets_per_account_sorted_with_fields(runtime):
    s3 = S3Provider(runtime)
    for name in ("zeta", "alpha", "mid"):
        _add_bucket(s3, ACCOUNT, name, "eu-west-1" if name == "mid" else "us-east-1")
    _add_bucket(s3, OTHER, "theirs")
    buckets = s3.list_buckets(make_ctx("s3"), {})["Buckets"]
    assert [b["Name"] for b in buckets] == ["alpha", "mid", "zeta"]
    assert buckets[1] == {
        "Name": "mid",
        "CreationDate": NOW + timedelta(seconds=3),
        "BucketRegion": "eu-west-1",
        "BucketArn": "arn:aws:s3:::mid",
    }
    other = s3.list_buckets(make_ctx("s3", account=OTHER), {})
    assert [b["Name"] for b in other["Buckets"]] == ["theirs"]
    assert other["Owner"]["ID"] == canonical_user_id(OTHER)


def test_list_buckets_pages_prefix_and_region(runtime):
    s3 = S3Provider(runtime)
    for i in range(7):
        _add_bucket(s3, ACCOUNT, f"logs-{i}", "us-west-2" if i % 2 else "us-east-1")
    _add_bucket(s3, ACCOUNT, "data")
    ctx = make_ctx("s3")
    seen, token = [], None
    while True:
        params = {"MaxBuckets": 3, "Prefix": "logs-"}
        if token:
            params["ContinuationToken"] = token
        result = s3.list_buckets(ctx, params)
        assert result["Prefix"] == "logs-" and len(result["Buckets"]) <= 3
        seen += [b["Name"] for b in result["Buckets"]]
        token = result.get("ContinuationToken")
        if not token:
            break
    assert seen == [f"logs-{i}" for i in range(7)]
    west = s3.list_buckets(ctx, {"BucketRegion": "us-west-2"})["Buckets"]
    assert [b["Name"] for b in west] == ["logs-1", "logs-3", "logs-5"]


def test_list_buckets_errors(runtime):
    s3 = S3Provider(runtime)
    err = error_of(lambda: s3.list_buckets(make_ctx("s3"), {"ContinuationToken": "garbage!"}))
    assert err.code == "InvalidArgument" and err.status == 400
    err = error_of(lambda: s3.list_buckets(make_ctx("s3"), {"MaxBuckets": 0}))
    assert err.code == "InvalidArgument"
    err = error_of(lambda: s3.list_buckets(make_ctx("s3"), {"MaxBuckets": 10_001}))
    assert err.code == "InvalidArgument"


def test_buckets_survive_restart(runtime):
    _add_bucket(S3Provider(runtime), ACCOUNT, "keep-me")
    runtime = reopen(runtime)
    buckets = S3Provider(runtime).list_buckets(make_ctx("s3"), {})["Buckets"]
    assert [(b["Name"], b["CreationDate"]) for b in buckets] == [("keep-me", NOW + timedelta(seconds=7))]
    runtime.state.close()


# -- DynamoDB --


def _add_table(ddb: DynamoDbProvider, name: str, region: str = "us-east-1", account: str = ACCOUNT) -> None:
    ddb.tables.put(account, region, name, Table(name, table_arn(account, region, name), NOW))


def test_list_tables_empty_and_isolated(runtime):
    ddb = DynamoDbProvider(runtime)
    assert ddb.list_tables(make_ctx("dynamodb"), {}) == {"TableNames": []}
    _add_table(ddb, "elsewhere", region="eu-west-1")
    _add_table(ddb, "theirs", account=OTHER)
    assert ddb.list_tables(make_ctx("dynamodb"), {}) == {"TableNames": []}


def test_list_tables_pagination(runtime):
    ddb = DynamoDbProvider(runtime)
    names = [f"t{i:03d}" for i in range(105)]
    for name in reversed(names):
        _add_table(ddb, name)
    ctx = make_ctx("dynamodb")
    first = ddb.list_tables(ctx, {})
    assert first["TableNames"] == names[:100] and first["LastEvaluatedTableName"] == "t099"
    second = ddb.list_tables(ctx, {"ExclusiveStartTableName": "t099"})
    assert second == {"TableNames": names[100:]}
    small = ddb.list_tables(ctx, {"Limit": 2, "ExclusiveStartTableName": "t050"})
    assert small == {"TableNames": ["t051", "t052"], "LastEvaluatedTableName": "t052"}
    # the start name need not exist
    assert ddb.list_tables(ctx, {"Limit": 1, "ExclusiveStartTableName": "t0505"})["TableNames"] == ["t051"]
    # exactly at the end: no LastEvaluatedTableName
    assert ddb.list_tables(ctx, {"Limit": 5, "ExclusiveStartTableName": "t099"}) == {"TableNames": names[100:]}


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"Limit": 0}, "at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1"),
        ({"Limit": 101}, "Member must have value less than or equal to 100"),
        ({"ExclusiveStartTableName": "ab"}, "at 'exclusiveStartTableName'"),
        ({"ExclusiveStartTableName": "bad name!"}, "regular expression pattern"),
    ],
)
def test_list_tables_validation(params, fragment):
    """ListTables' limits come from the model, checked before the provider runs."""
    from pycloud.protocol.model import load_service_model
    from pycloud.protocol.validate import validate_params

    err = error_of(lambda: validate_params(load_service_model("dynamodb"), "ListTables", params))
    assert err.code == "ValidationException" and err.status == 400
    assert err.message.startswith("1 validation error detected: ") and fragment in err.message


# -- Lambda --


def _add_function(fn: LambdaProvider, name: str, published: int = 0, region: str = "us-east-1") -> None:
    def version(v: str) -> dict:
        return FunctionVersion(
            v, "python3.12", f"arn:aws:iam::{ACCOUNT}:role/r", "app.handler", 10, "abc=", NOW
        ).to_record()

    arn = function_arn(ACCOUNT, region, name)
    fn.functions.put(
        ACCOUNT, region, name, Function(name, arn, version("$LATEST"), [version(str(i + 1)) for i in range(published)])
    )


def test_list_functions_empty(runtime):
    assert LambdaProvider(runtime).list_functions(make_ctx("lambda"), {}) == {"Functions": []}


def test_list_functions_configuration_shape(runtime):
    fn = LambdaProvider(runtime)
    _add_function(fn, "hello")
    (config,) = fn.list_functions(make_ctx("lambda"), {})["Functions"]
    assert config["FunctionName"] == "hello"
    assert config["FunctionArn"] == f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:hello"
    assert config["Version"] == "$LATEST" and config["Runtime"] == "python3.12" and config["Handler"] == "app.handler"
    assert config["LastModified"] == "2024-06-01T12:00:00.000+0000"
    assert fn.list_functions(make_ctx("lambda", region="eu-west-1"), {}) == {"Functions": []}


def test_list_functions_marker_pagination(runtime):
    fn = LambdaProvider(runtime)
    for i in range(60):
        _add_function(fn, f"fn-{i:02d}")
    ctx = make_ctx("lambda")
    first = fn.list_functions(ctx, {})
    assert len(first["Functions"]) == 50 and "NextMarker" in first  # never more than 50 a page
    second = fn.list_functions(ctx, {"Marker": first["NextMarker"]})
    assert [f["FunctionName"] for f in second["Functions"]] == [f"fn-{i:02d}" for i in range(50, 60)]
    assert "NextMarker" not in second
    names, marker = [], None
    while True:
        page = fn.list_functions(ctx, {"MaxItems": 7, **({"Marker": marker} if marker else {})})
        assert len(page["Functions"]) <= 7
        names += [f["FunctionName"] for f in page["Functions"]]
        marker = page.get("NextMarker")
        if not marker:
            break
    assert names == [f"fn-{i:02d}" for i in range(60)]


def test_list_functions_all_versions(runtime):
    fn = LambdaProvider(runtime)
    _add_function(fn, "api", published=11)
    ctx = make_ctx("lambda")
    assert [f["Version"] for f in fn.list_functions(ctx, {})["Functions"]] == ["$LATEST"]
    every = fn.list_functions(ctx, {"FunctionVersion": "ALL"})["Functions"]
    assert [f["Version"] for f in every] == ["$LATEST"] + [str(i) for i in range(1, 12)]
    assert every[2]["FunctionArn"].endswith(":function:api:2")
    assert fn.list_functions(ctx, {"FunctionVersion": "ALL", "MasterRegion": "us-east-1"}) == {"Functions": []}


def test_list_functions_errors(runtime):
    fn = LambdaProvider(runtime)
    ctx = make_ctx("lambda")
    err = error_of(lambda: fn.list_functions(ctx, {"Marker": "not-a-marker"}))
    assert err.code == "InvalidParameterValueException" and err.status == 400
    err = error_of(lambda: fn.list_functions(ctx, {"MasterRegion": "us-east-1"}))
    assert err.code == "InvalidParameterValueException"
    token = pagination.encode_token("x", "cloudwatch:ListMetrics")  # another operation's token
    assert error_of(lambda: fn.list_functions(ctx, {"Marker": token})).code == "InvalidParameterValueException"


# -- CloudWatch --


def test_list_metrics_empty(runtime):
    assert CloudWatchProvider(runtime).list_metrics(make_ctx("cloudwatch"), {}) == {"Metrics": []}


def test_list_metrics_filters(runtime):
    cw = CloudWatchProvider(runtime)
    put = lambda ns, name, dims, when=NOW: cw.record_metric(ACCOUNT, "us-east-1", ns, name, dims, when)  # noqa: E731
    put("AWS/EC2", "CPUUtilization", [{"Name": "InstanceId", "Value": "i-1"}])
    put("AWS/EC2", "CPUUtilization", [{"Name": "InstanceId", "Value": "i-2"}])
    put("AWS/EC2", "NetworkIn", [{"Name": "InstanceId", "Value": "i-1"}, {"Name": "Az", "Value": "a"}])
    put("App", "Latency", [], NOW - timedelta(hours=5))
    cw.record_metric(OTHER, "us-east-1", "AWS/EC2", "CPUUtilization", [], NOW)
    ctx = make_ctx("cloudwatch")

    def names(params):
        return sorted(
            (m["Namespace"], m["MetricName"], tuple(sorted(d["Value"] for d in m["Dimensions"])))
            for m in cw.list_metrics(ctx, params)["Metrics"]
        )

    assert len(names({})) == 4
    assert names({"Namespace": "App"}) == [("App", "Latency", ())]
    assert names({"MetricName": "NetworkIn"}) == [("AWS/EC2", "NetworkIn", ("a", "i-1"))]
    assert [n[2] for n in names({"Dimensions": [{"Name": "InstanceId", "Value": "i-1"}]})] == [("i-1",), ("a", "i-1")]
    assert len(names({"Dimensions": [{"Name": "InstanceId"}]})) == 3
    assert names({"Dimensions": [{"Name": "Az"}, {"Name": "InstanceId", "Value": "i-2"}]}) == []
    assert ("App", "Latency", ()) not in names({"RecentlyActive": "PT3H"})
    assert len(names({"RecentlyActive": "PT3H"})) == 3
    linked = cw.list_metrics(ctx, {"IncludeLinkedAccounts": True, "Namespace": "App"})
    assert linked["OwningAccounts"] == [ACCOUNT]
    assert cw.list_metrics(ctx, {"OwningAccount": OTHER}) == {"Metrics": []}


def test_record_metric_dimension_order_is_one_metric(runtime):
    cw = CloudWatchProvider(runtime)
    a, b = {"Name": "A", "Value": "1"}, {"Name": "B", "Value": "2"}
    cw.record_metric(ACCOUNT, "us-east-1", "N", "M", [a, b], NOW)
    cw.record_metric(ACCOUNT, "us-east-1", "N", "M", [b, a], NOW + timedelta(minutes=1))
    assert len(cw.list_metrics(make_ctx("cloudwatch"), {})["Metrics"]) == 1


def test_list_metrics_pagination_and_restart(runtime):
    cw = CloudWatchProvider(runtime)
    for i in range(501):
        cw.record_metric(ACCOUNT, "us-east-1", "Load", f"m{i:04d}", [], NOW)
    ctx = make_ctx("cloudwatch")
    first = cw.list_metrics(ctx, {})
    assert len(first["Metrics"]) == 500 and first["NextToken"]
    runtime = reopen(runtime)
    cw = CloudWatchProvider(runtime)  # the registry and the token both survive a restart
    second = cw.list_metrics(ctx, {"NextToken": first["NextToken"]})
    assert [m["MetricName"] for m in second["Metrics"]] == ["m0500"] and "NextToken" not in second
    runtime.state.close()


def test_list_metrics_errors(runtime):
    cw = CloudWatchProvider(runtime)
    ctx = make_ctx("cloudwatch")
    err = error_of(lambda: cw.list_metrics(ctx, {"NextToken": "nope"}))
    assert err.code == "InvalidNextToken" and err.status == 400
    err = error_of(lambda: cw.list_metrics(ctx, {"Dimensions": [{"Name": f"d{i}"} for i in range(11)]}))
    assert err.code == "InvalidParameterValue"


def test_reset_forgets_persisted_state(runtime):
    s3 = S3Provider(runtime)
    _add_bucket(s3, ACCOUNT, "gone")
    s3.reset()
    assert s3.list_buckets(make_ctx("s3"), {})["Buckets"] == []
    assert list(runtime.state.load("s3")) == []
