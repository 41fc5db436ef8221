"""S3 bucket operations through boto3 and the AWS CLI: create/head/location/delete/list, name and
region rules, accounts, persistence across a restart."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest
from s3_helpers import BUCKET_TESTS_ACCOUNT, account_client_fixture, code_status, error_of, unique

from pycloud.testing.server import PycloudServer

OTHER_ACCOUNT = "222233334444"
OTHER_KEY = "AKIAS3BUCKETSOTHER01"


TEST_ACCOUNT, TEST_KEY, TEST_SECRET, _ = BUCKET_TESTS_ACCOUNT
client = account_client_fixture(*BUCKET_TESTS_ACCOUNT)


@pytest.fixture
def s3(client):
    return client()


@pytest.fixture
def s3_eu(client):
    return client(region="eu-west-1")


@pytest.fixture(scope="module")
def other_account(pycloud):
    pycloud.admin(
        "POST",
        "/_pycloud/accounts",
        {"id": OTHER_ACCOUNT, "access_key": OTHER_KEY, "secret_key": "other-secret", "name": "other"},
    )
    return OTHER_ACCOUNT


@pytest.fixture
def s3_other(pycloud, other_account):
    return pycloud.client("s3", access_key=OTHER_KEY, secret_key="other-secret")


# -- create / head / location / delete ----------------------------------------------------------


def test_create_head_location_delete_us_east_1(s3):
    name = unique()
    created = s3.create_bucket(Bucket=name)
    assert created["Location"] == f"/{name}"
    head = s3.head_bucket(Bucket=name)
    assert head["ResponseMetadata"]["HTTPHeaders"]["x-amz-bucket-region"] == "us-east-1"
    assert head["BucketRegion"] == "us-east-1"
    assert s3.get_bucket_location(Bucket=name)["LocationConstraint"] is None  # empty element
    assert name in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    deleted = s3.delete_bucket(Bucket=name)
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    err = error_of(s3.head_bucket, Bucket=name)
    assert code_status(err) == ("404", 404)
    assert name not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_create_in_eu_west_1(s3_eu):
    name = unique()
    created = s3_eu.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert created["Location"] == f"http://{name}.s3.eu-west-1.amazonaws.com/"
    assert s3_eu.get_bucket_location(Bucket=name)["LocationConstraint"] == "eu-west-1"
    assert s3_eu.head_bucket(Bucket=name)["BucketRegion"] == "eu-west-1"
    listed = s3_eu.list_buckets(BucketRegion="eu-west-1")["Buckets"]
    assert {"Name": name, "BucketRegion": "eu-west-1"}.items() <= next(b for b in listed if b["Name"] == name).items()


def test_us_east_1_endpoint_creates_in_named_region(s3):
    name = unique()
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "ap-southeast-2"})
    assert s3.get_bucket_location(Bucket=name)["LocationConstraint"] == "ap-southeast-2"


def test_legacy_eu_constraint_means_eu_west_1(s3):
    name = unique()
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "EU"})
    assert s3.head_bucket(Bucket=name)["BucketRegion"] == "eu-west-1"


def test_location_constraint_rules(s3, s3_eu):
    err = error_of(s3.create_bucket, Bucket=unique(), CreateBucketConfiguration={"LocationConstraint": "us-east-1"})
    assert code_status(err) == ("InvalidLocationConstraint", 400)
    assert err.response["Error"]["LocationConstraint"] == "us-east-1"
    assert err.response["Error"]["Message"] == "The specified location-constraint is not valid"

    err = error_of(s3.create_bucket, Bucket=unique(), CreateBucketConfiguration={"LocationConstraint": "xx-moon-1"})
    assert code_status(err) == ("InvalidLocationConstraint", 400)

    err = error_of(s3_eu.create_bucket, Bucket=unique())
    assert code_status(err) == ("IllegalLocationConstraintException", 400)
    assert "unspecified location constraint" in err.response["Error"]["Message"]

    err = error_of(s3_eu.create_bucket, Bucket=unique(), CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    assert code_status(err) == ("IllegalLocationConstraintException", 400)
    assert err.response["Error"]["Message"].startswith("The us-west-2 location constraint is incompatible")


@pytest.mark.parametrize(
    "name",
    [
        "ab",
        "a" * 64,
        "Upper-case-bucket",
        "under_score",
        "-starts-with-hyphen",
        "ends-with-hyphen-",
        "double..dots",
        "192.168.5.4",
        "xn--punycode",
        "sthree-reserved",
        "bucket-s3alias",
        "bucket--ol-s3",
        "bucket.mrap",
    ],
)
def test_invalid_bucket_names(s3_unvalidated, name):
    err = error_of(s3_unvalidated.create_bucket, Bucket=name)
    assert code_status(err) == ("InvalidBucketName", 400)
    assert err.response["Error"]["BucketName"] == name
    assert err.response["Error"]["Message"] == "The specified bucket is not valid."


@pytest.fixture
def s3_unvalidated(client):
    from botocore.config import Config

    # botocore refuses some names client-side; the server's own rules are what is tested here.
    return client(config=Config(parameter_validation=False, retries={"max_attempts": 1}))


def test_valid_edge_names(s3):
    tag = uuid.uuid4().hex
    for name in (f"z{tag[:2]}", (tag * 2)[:63], f"with.dots.{tag[:8]}", f"1-{tag[:8]}"):
        assert s3.create_bucket(Bucket=name)["Location"] == f"/{name}"
        s3.head_bucket(Bucket=name)


def test_same_owner_recreate_us_east_1_is_ok_elsewhere_owned_by_you(s3, s3_eu):
    name = unique()
    s3.create_bucket(Bucket=name)
    again = s3.create_bucket(Bucket=name)  # North Virginia's legacy 200
    assert again["ResponseMetadata"]["HTTPStatusCode"] == 200

    eu_name = unique()
    s3_eu.create_bucket(Bucket=eu_name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    err = error_of(s3_eu.create_bucket, Bucket=eu_name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert code_status(err) == ("BucketAlreadyOwnedByYou", 409)
    assert err.response["Error"]["BucketName"] == eu_name


def test_us_east_1_recreate_resets_acl(s3):
    name = unique()
    s3.create_bucket(Bucket=name, ObjectOwnership="ObjectWriter")
    s3.delete_public_access_block(Bucket=name)  # new buckets block public ACLs
    s3.put_bucket_acl(Bucket=name, ACL="public-read")
    assert len(s3.get_bucket_acl(Bucket=name)["Grants"]) == 2
    s3.create_bucket(Bucket=name)
    grants = s3.get_bucket_acl(Bucket=name)["Grants"]
    assert [g["Permission"] for g in grants] == ["FULL_CONTROL"]


def test_names_are_global_across_accounts(s3, s3_other):
    name = unique()
    s3.create_bucket(Bucket=name)
    err = error_of(s3_other.create_bucket, Bucket=name)
    assert code_status(err) == ("BucketAlreadyExists", 409)
    assert err.response["Error"]["BucketName"] == name


def test_other_accounts_bucket_is_access_denied(s3, s3_other):
    name = unique()
    s3.create_bucket(Bucket=name)
    for call, kwargs in [
        (s3_other.get_bucket_location, {}),
        (s3_other.get_bucket_versioning, {}),
        (s3_other.delete_bucket, {}),
        (s3_other.put_bucket_tagging, {"Tagging": {"TagSet": [{"Key": "k", "Value": "v"}]}}),
    ]:
        err = error_of(call, Bucket=name, **kwargs)
        assert code_status(err) == ("AccessDenied", 403)
    err = error_of(s3_other.head_bucket, Bucket=name)
    assert code_status(err) == ("403", 403)
    assert err.response["ResponseMetadata"]["HTTPHeaders"]["x-amz-bucket-region"] == "us-east-1"
    s3.head_bucket(Bucket=name)  # still there


def test_list_buckets_is_owner_scoped(s3, s3_other, other_account):
    mine, theirs = unique("mine"), unique("theirs")
    s3.create_bucket(Bucket=mine)
    s3_other.create_bucket(Bucket=theirs)
    my_names = {b["Name"] for b in s3.list_buckets()["Buckets"]}
    their = s3_other.list_buckets()
    their_names = {b["Name"] for b in their["Buckets"]}
    assert mine in my_names and theirs not in my_names
    assert theirs in their_names and mine not in their_names
    assert their["Owner"]["DisplayName"] == "other"
    assert their["Owner"]["ID"] != s3.list_buckets()["Owner"]["ID"]


def test_list_buckets_prefix_and_pagination(s3):
    prefix = unique("page")
    names = [f"{prefix}-{i}" for i in range(3)]
    for name in names:
        s3.create_bucket(Bucket=name)
    first = s3.list_buckets(Prefix=prefix, MaxBuckets=2)
    assert [b["Name"] for b in first["Buckets"]] == names[:2]
    rest = s3.list_buckets(Prefix=prefix, MaxBuckets=2, ContinuationToken=first["ContinuationToken"])
    assert [b["Name"] for b in rest["Buckets"]] == names[2:]
    assert "ContinuationToken" not in rest


def test_missing_bucket_is_no_such_bucket_everywhere(s3):
    name = unique("missing")
    calls = [
        (s3.get_bucket_location, {}),
        (s3.delete_bucket, {}),
        (s3.get_bucket_tagging, {}),
        (s3.get_bucket_versioning, {}),
        (s3.get_bucket_acl, {}),
        (s3.get_bucket_policy, {}),
        (
            s3.put_bucket_cors,
            {"CORSConfiguration": {"CORSRules": [{"AllowedMethods": ["GET"], "AllowedOrigins": ["*"]}]}},
        ),
        (s3.get_bucket_lifecycle_configuration, {}),
        (s3.get_object_lock_configuration, {}),
        (s3.get_public_access_block, {}),
    ]
    for call, kwargs in calls:
        err = error_of(call, Bucket=name, **kwargs)
        assert code_status(err) == ("NoSuchBucket", 404), call
        assert err.response["Error"]["BucketName"] == name
        assert err.response["Error"]["Message"] == "The specified bucket does not exist"


def test_expected_bucket_owner(s3):
    name = unique()
    s3.create_bucket(Bucket=name)
    s3.get_bucket_versioning(Bucket=name, ExpectedBucketOwner=TEST_ACCOUNT)
    err = error_of(s3.get_bucket_versioning, Bucket=name, ExpectedBucketOwner="999999999999")
    assert code_status(err) == ("AccessDenied", 403)


def test_object_lock_at_creation_enables_versioning(s3):
    name = unique()
    s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    assert s3.get_bucket_versioning(Bucket=name)["Status"] == "Enabled"
    config = s3.get_object_lock_configuration(Bucket=name)["ObjectLockConfiguration"]
    assert config == {"ObjectLockEnabled": "Enabled"}


def test_create_with_acl_and_ownership(s3):
    name = unique()
    err = error_of(s3.create_bucket, Bucket=name, ACL="public-read")
    assert code_status(err) == ("InvalidBucketAclWithObjectOwnership", 400)
    # ACLs enabled, but a new bucket blocks public ACLs.
    err = error_of(s3.create_bucket, Bucket=name, ACL="public-read", ObjectOwnership="BucketOwnerPreferred")
    assert code_status(err) == ("InvalidBucketAclWithBlockPublicAccessError", 400)
    s3.create_bucket(Bucket=name, ACL="log-delivery-write", ObjectOwnership="BucketOwnerPreferred")
    grants = s3.get_bucket_acl(Bucket=name)["Grants"]
    assert {
        "Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/s3/LogDelivery"},
        "Permission": "WRITE",
    } in grants
    rules = s3.get_bucket_ownership_controls(Bucket=name)["OwnershipControls"]["Rules"]
    assert rules == [{"ObjectOwnership": "BucketOwnerPreferred"}]


def test_delete_removes_configurations(s3):
    name = unique()
    s3.create_bucket(Bucket=name)
    s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": "a", "Value": "1"}]})
    s3.delete_bucket(Bucket=name)
    s3.create_bucket(Bucket=name)
    err = error_of(s3.get_bucket_tagging, Bucket=name)
    assert code_status(err) == ("NoSuchTagSet", 404)


# -- persistence --------------------------------------------------------------------------------


def test_buckets_and_configurations_survive_restart(tmp_path):
    data = str(tmp_path / "data")
    name, gone = unique(), unique("gone")
    policy = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::x/*"}]}'
    with PycloudServer(["--data-dir", data], ephemeral=False) as server:
        s3 = server.client("s3", region="eu-west-1")
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        s3.create_bucket(Bucket=gone, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": "team", "Value": "data"}]})
        s3.delete_public_access_block(Bucket=name)  # new buckets block public policies
        s3.put_bucket_policy(Bucket=name, Policy=policy)
        s3.put_bucket_lifecycle_configuration(
            Bucket=name,
            LifecycleConfiguration={
                "Rules": [{"ID": "r1", "Status": "Enabled", "Filter": {"Prefix": "logs/"}, "Expiration": {"Days": 7}}]
            },
        )
        s3.delete_bucket(Bucket=gone)
    with PycloudServer(["--data-dir", data], ephemeral=False) as server:
        s3 = server.client("s3", region="eu-west-1")
        assert s3.get_bucket_location(Bucket=name)["LocationConstraint"] == "eu-west-1"
        assert s3.get_bucket_versioning(Bucket=name)["Status"] == "Enabled"
        assert s3.get_bucket_tagging(Bucket=name)["TagSet"] == [{"Key": "team", "Value": "data"}]
        assert s3.get_bucket_policy(Bucket=name)["Policy"] == policy
        assert s3.get_bucket_lifecycle_configuration(Bucket=name)["Rules"][0]["Expiration"] == {"Days": 7}
        assert code_status(error_of(s3.head_bucket, Bucket=gone)) == ("404", 404)
        # the global name index is rebuilt from the store: another create is refused
        err = error_of(s3.create_bucket, Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        assert code_status(err) == ("BucketAlreadyOwnedByYou", 409)


# -- AWS CLI ------------------------------------------------------------------------------------


def _aws(endpoint: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.update(
        AWS_ACCESS_KEY_ID=TEST_KEY,
        AWS_SECRET_ACCESS_KEY=TEST_SECRET,
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
    )
    return subprocess.run(
        [sys.executable, "-m", "awscli", "--endpoint-url", endpoint, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def test_aws_cli_mb_ls_versioning_rb(pycloud, s3):
    pytest.importorskip("awscli")
    name = unique("cli")
    made = _aws(pycloud.endpoint, "s3", "mb", f"s3://{name}")
    assert made.returncode == 0, made.stderr
    assert f"make_bucket: {name}" in made.stdout
    listed = _aws(pycloud.endpoint, "s3", "ls")
    assert listed.returncode == 0 and name in listed.stdout
    versioned = _aws(
        pycloud.endpoint,
        "s3api",
        "put-bucket-versioning",
        "--bucket",
        name,
        "--versioning-configuration",
        "Status=Enabled",
    )
    assert versioned.returncode == 0, versioned.stderr
    assert s3.get_bucket_versioning(Bucket=name)["Status"] == "Enabled"
    removed = _aws(pycloud.endpoint, "s3", "rb", f"s3://{name}")
    assert removed.returncode == 0, removed.stderr
    assert name not in {b["Name"] for b in s3.list_buckets()["Buckets"]}
    again = _aws(pycloud.endpoint, "s3", "rb", f"s3://{name}")
    assert again.returncode != 0 and "NoSuchBucket" in again.stderr
