"""S3 bucket configurations through boto3: tagging, versioning, object lock, encryption, ownership,
ACLs, public access block, policy, request payment and accelerate."""

from __future__ import annotations

import json
import uuid

import pytest
from s3_helpers import BUCKET_TESTS_ACCOUNT, account_client_fixture, code_status, error_of

OTHER_ACCOUNT = "333344445555"
OTHER_KEY = "AKIAS3CONFIGOTHER001"
ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"

TEST_ACCOUNT, TEST_KEY, TEST_SECRET, _ = BUCKET_TESTS_ACCOUNT
client = account_client_fixture(*BUCKET_TESTS_ACCOUNT)


@pytest.fixture
def s3(client):
    return client()


@pytest.fixture
def bucket(s3):
    name = f"cfg-{uuid.uuid4().hex[:16]}"
    s3.create_bucket(Bucket=name)
    return name


# -- tagging ------------------------------------------------------------------------------------


def test_tagging_round_trip_and_delete(s3, bucket):
    err = error_of(s3.get_bucket_tagging, Bucket=bucket)
    assert code_status(err) == ("NoSuchTagSet", 404)
    assert err.response["Error"]["BucketName"] == bucket
    tags = [{"Key": "env", "Value": "prod"}, {"Key": "k" * 128, "Value": "v" * 256}, {"Key": "empty", "Value": ""}]
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tags})
    assert s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == tags
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "only", "Value": "one"}]})
    assert s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == [{"Key": "only", "Value": "one"}]
    assert s3.delete_bucket_tagging(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert code_status(error_of(s3.get_bucket_tagging, Bucket=bucket)) == ("NoSuchTagSet", 404)


@pytest.mark.parametrize(
    "tags",
    [
        [{"Key": "aws:reserved", "Value": "x"}],
        [{"Key": "k" * 129, "Value": "x"}],
        [{"Key": "k", "Value": "v" * 257}],
        [{"Key": "dup", "Value": "1"}, {"Key": "dup", "Value": "2"}],
        [{"Key": f"k{i}", "Value": "v"} for i in range(51)],
    ],
)
def test_invalid_tags(s3, bucket, tags):
    err = error_of(s3.put_bucket_tagging, Bucket=bucket, Tagging={"TagSet": tags})
    assert code_status(err) == ("InvalidTag", 400)


def test_fifty_tags_allowed(s3, bucket):
    tags = [{"Key": f"k{i}", "Value": "v"} for i in range(50)]
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tags})
    assert len(s3.get_bucket_tagging(Bucket=bucket)["TagSet"]) == 50


# -- versioning and object lock -----------------------------------------------------------------


def test_versioning_states(s3, bucket):
    fresh = s3.get_bucket_versioning(Bucket=bucket)
    assert "Status" not in fresh and "MFADelete" not in fresh
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Suspended"
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"MFADelete": "Disabled", "Status": "Enabled"})
    assert s3.get_bucket_versioning(Bucket=bucket) | {"ResponseMetadata": None} == {
        "Status": "Enabled",
        "MFADelete": "Disabled",
        "ResponseMetadata": None,
    }


def test_versioning_bad_status_and_mfa(s3, bucket, client):
    from botocore.config import Config

    raw = client(config=Config(parameter_validation=False, retries={"max_attempts": 1}))
    err = error_of(raw.put_bucket_versioning, Bucket=bucket, VersioningConfiguration={"Status": "Off"})
    assert code_status(err) == ("MalformedXML", 400)
    err = error_of(
        s3.put_bucket_versioning, Bucket=bucket, VersioningConfiguration={"Status": "Enabled", "MFADelete": "Enabled"}
    )
    assert code_status(err) == ("AccessDenied", 403)
    s3.put_bucket_versioning(
        Bucket=bucket,
        MFA=f"arn:aws:iam::{TEST_ACCOUNT}:mfa/root 123456",
        VersioningConfiguration={"Status": "Enabled", "MFADelete": "Enabled"},
    )
    assert s3.get_bucket_versioning(Bucket=bucket)["MFADelete"] == "Enabled"


def test_object_lock_configuration(s3, bucket):
    err = error_of(s3.get_object_lock_configuration, Bucket=bucket)
    assert code_status(err) == ("ObjectLockConfigurationNotFoundError", 404)
    config = {"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 5}}}
    err = error_of(s3.put_object_lock_configuration, Bucket=bucket, ObjectLockConfiguration=config)
    assert code_status(err) == ("InvalidBucketState", 409)
    # An existing bucket can take Object Lock once versioning is Enabled.
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration=config)
    assert s3.get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"] == config
    err = error_of(s3.put_bucket_versioning, Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    assert code_status(err) == ("InvalidBucketState", 409)


@pytest.mark.parametrize(
    ("retention", "code"),
    [
        ({"Mode": "COMPLIANCE", "Days": 1, "Years": 1}, "MalformedXML"),
        ({"Mode": "COMPLIANCE"}, "MalformedXML"),
        ({"Mode": "COMPLIANCE", "Days": 0}, "InvalidArgument"),
        ({"Mode": "COMPLIANCE", "Years": 101}, "InvalidArgument"),
        ({"Days": 3}, "MalformedXML"),
    ],
)
def test_object_lock_retention_rules(s3, retention, code):
    name = f"lock-{uuid.uuid4().hex[:16]}"
    s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    config = {"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": retention}}
    err = error_of(s3.put_object_lock_configuration, Bucket=name, ObjectLockConfiguration=config)
    assert code_status(err) == (code, 400)


def test_object_lock_years(s3):
    name = f"lock-{uuid.uuid4().hex[:16]}"
    s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    config = {"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Years": 2}}}
    s3.put_object_lock_configuration(Bucket=name, ObjectLockConfiguration=config)
    assert s3.get_object_lock_configuration(Bucket=name)["ObjectLockConfiguration"] == config


# -- encryption ---------------------------------------------------------------------------------


def test_default_encryption_and_kms(s3, bucket):
    rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules == [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": False}]
    kms = {
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/key"},
        "BucketKeyEnabled": True,
    }
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [kms]})
    assert s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"] == [kms]
    dsse = {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms:dsse"}, "BucketKeyEnabled": False}
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [dsse]})
    assert s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"] == [dsse]
    s3.delete_bucket_encryption(Bucket=bucket)  # back to SSE-S3, never "no encryption"
    rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}


def test_encryption_errors(s3, bucket, client):
    from botocore.config import Config

    raw = client(config=Config(parameter_validation=False, retries={"max_attempts": 1}))
    bad_key = {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256", "KMSMasterKeyID": "k"}}
    err = error_of(s3.put_bucket_encryption, Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [bad_key]})
    assert code_status(err) == ("InvalidArgument", 400)
    bad_algorithm = {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "ROT13"}}
    err = error_of(
        raw.put_bucket_encryption, Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [bad_algorithm]}
    )
    assert code_status(err) == ("MalformedXML", 400)


# -- ownership, ACLs, public access block --------------------------------------------------------


def test_new_bucket_defaults_enforced_ownership_and_blocks(s3, bucket):
    assert s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"] == [
        {"ObjectOwnership": "BucketOwnerEnforced"}
    ]
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert block == {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True,
    }


def test_acl_disabled_when_owner_enforced(s3, bucket):
    err = error_of(s3.put_bucket_acl, Bucket=bucket, ACL="public-read")
    assert code_status(err) == ("AccessControlListNotSupported", 400)
    s3.put_bucket_acl(Bucket=bucket, ACL="private")  # owner-only ACLs stay allowed
    acl = s3.get_bucket_acl(Bucket=bucket)
    assert acl["Grants"] == [
        {
            "Grantee": {"Type": "CanonicalUser", "ID": acl["Owner"]["ID"], "DisplayName": acl["Owner"]["DisplayName"]},
            "Permission": "FULL_CONTROL",
        }
    ]


def test_acl_canned_headers_and_policy(s3, bucket):
    s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]})
    s3.delete_public_access_block(Bucket=bucket)  # new buckets block public ACLs and policies
    s3.put_bucket_acl(Bucket=bucket, ACL="public-read-write")
    permissions = sorted(g["Permission"] for g in s3.get_bucket_acl(Bucket=bucket)["Grants"])
    assert permissions == ["FULL_CONTROL", "READ", "WRITE"]

    owner = s3.get_bucket_acl(Bucket=bucket)["Owner"]
    s3.put_bucket_acl(Bucket=bucket, GrantRead=f'uri="{ALL_USERS}"', GrantFullControl=f'id="{owner["ID"]}"')
    grants = s3.get_bucket_acl(Bucket=bucket)["Grants"]
    assert {"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "READ"} in grants
    assert any(g["Grantee"].get("ID") == owner["ID"] and g["Permission"] == "FULL_CONTROL" for g in grants)

    policy = {
        "Owner": {"ID": owner["ID"]},
        "Grants": [
            {"Grantee": {"Type": "CanonicalUser", "ID": owner["ID"]}, "Permission": "FULL_CONTROL"},
            {
                "Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/s3/LogDelivery"},
                "Permission": "WRITE",
            },
        ],
    }
    s3.put_bucket_acl(Bucket=bucket, AccessControlPolicy=policy)
    grants = s3.get_bucket_acl(Bucket=bucket)["Grants"]
    assert [g["Permission"] for g in grants] == ["FULL_CONTROL", "WRITE"]
    assert grants[1]["Grantee"]["URI"] == "http://acs.amazonaws.com/groups/s3/LogDelivery"

    # BucketOwnerEnforced cannot be turned on while the ACL grants others access.
    err = error_of(
        s3.put_bucket_ownership_controls,
        Bucket=bucket,
        OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
    )
    assert code_status(err) == ("InvalidBucketAclWithObjectOwnership", 400)


def test_acl_errors(s3, bucket):
    s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]})
    owner = s3.get_bucket_acl(Bucket=bucket)["Owner"]
    err = error_of(s3.put_bucket_acl, Bucket=bucket, ACL="public-read", GrantRead=f'uri="{ALL_USERS}"')
    assert code_status(err) == ("InvalidRequest", 400)
    err = error_of(s3.put_bucket_acl, Bucket=bucket, GrantRead='uri="http://acs.amazonaws.com/groups/global/Nobody"')
    assert code_status(err) == ("InvalidArgument", 400)
    err = error_of(s3.put_bucket_acl, Bucket=bucket, GrantRead='id="' + "0" * 64 + '"')
    assert code_status(err) == ("InvalidArgument", 400)
    err = error_of(s3.put_bucket_acl, Bucket=bucket, GrantRead='emailAddress="someone@example.com"')
    assert code_status(err) == ("UnresolvableGrantByEmailAddress", 400)
    bad_owner = {"Owner": {"ID": "f" * 64}, "Grants": []}
    err = error_of(s3.put_bucket_acl, Bucket=bucket, AccessControlPolicy=bad_owner)
    assert code_status(err) == ("AccessDenied", 403)
    no_owner = {"Grants": [{"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "READ"}]}
    err = error_of(s3.put_bucket_acl, Bucket=bucket, AccessControlPolicy=no_owner)
    assert code_status(err) == ("MalformedACLError", 400)
    err = error_of(s3.put_bucket_acl, Bucket=bucket)
    assert code_status(err) == ("MissingSecurityHeader", 400)
    assert owner["ID"]


def test_acl_grant_to_another_account(s3, bucket, pycloud):
    pycloud.admin(
        "POST", "/_pycloud/accounts", {"id": OTHER_ACCOUNT, "access_key": OTHER_KEY, "secret_key": "x", "name": "peer"}
    )
    peer_id = pycloud.client("s3", access_key=OTHER_KEY, secret_key="x").list_buckets()["Owner"]["ID"]
    s3.put_bucket_ownership_controls(
        Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerPreferred"}]}
    )
    s3.put_bucket_acl(Bucket=bucket, GrantReadACP=f'id="{peer_id}"')
    grants = s3.get_bucket_acl(Bucket=bucket)["Grants"]
    assert grants == [
        {"Grantee": {"Type": "CanonicalUser", "ID": peer_id, "DisplayName": "peer"}, "Permission": "READ_ACP"}
    ]


def test_ownership_controls_delete_and_errors(s3, bucket, client):
    from botocore.config import Config

    s3.delete_bucket_ownership_controls(Bucket=bucket)
    err = error_of(s3.get_bucket_ownership_controls, Bucket=bucket)
    assert code_status(err) == ("OwnershipControlsNotFoundError", 404)
    assert err.response["Error"]["BucketName"] == bucket
    raw = client(config=Config(parameter_validation=False, retries={"max_attempts": 1}))
    err = error_of(
        raw.put_bucket_ownership_controls, Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "Mine"}]}
    )
    assert code_status(err) == ("MalformedXML", 400)


def test_public_access_block_put_delete(s3, bucket):
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={"BlockPublicAcls": True})
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert block == {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": False,
        "BlockPublicPolicy": False,
        "RestrictPublicBuckets": False,
    }
    s3.delete_public_access_block(Bucket=bucket)
    err = error_of(s3.get_public_access_block, Bucket=bucket)
    assert code_status(err) == ("NoSuchPublicAccessBlockConfiguration", 404)


# -- policy -------------------------------------------------------------------------------------


def _policy(bucket: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}
            ],
        }
    )


def test_policy_round_trip(s3, bucket):
    err = error_of(s3.get_bucket_policy, Bucket=bucket)
    assert code_status(err) == ("NoSuchBucketPolicy", 404)
    assert err.response["Error"]["BucketName"] == bucket
    err = error_of(s3.put_bucket_policy, Bucket=bucket, Policy=_policy(bucket))
    assert code_status(err) == ("AccessDenied", 403)  # new buckets block public policies
    s3.delete_public_access_block(Bucket=bucket)
    s3.put_bucket_policy(Bucket=bucket, Policy=_policy(bucket))
    assert s3.get_bucket_policy(Bucket=bucket)["Policy"] == _policy(bucket)
    assert s3.delete_bucket_policy(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert code_status(error_of(s3.get_bucket_policy, Bucket=bucket)) == ("NoSuchBucketPolicy", 404)


@pytest.mark.parametrize(
    "policy",
    [
        "not json",
        "{ broken",
        '{"Version": "2012-10-17"}',
        '{"Version": "1999-01-01", "Statement": []}',
        '{"Statement": [{"Effect": "Maybe", "Principal": "*", "Action": "s3:*", "Resource": "*"}]}',
        '{"Statement": [{"Effect": "Allow", "Principal": "*", "Resource": "*"}]}',
        '{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "getobject", "Resource": "*"}]}',
        '{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*",'
        ' "Condition": {"StringSoundsLike": {"aws:username": "x"}}}]}',
        '{"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}',
        '{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "' + "x" * 21000 + '"}]}',
    ],
)
def test_malformed_policies(s3, bucket, policy):
    err = error_of(s3.put_bucket_policy, Bucket=bucket, Policy=policy)
    assert code_status(err) == ("MalformedPolicy", 400)


# -- request payment, accelerate -----------------------------------------------------------------


def test_request_payment(s3, bucket, client):
    from botocore.config import Config

    assert s3.get_bucket_request_payment(Bucket=bucket)["Payer"] == "BucketOwner"
    s3.put_bucket_request_payment(Bucket=bucket, RequestPaymentConfiguration={"Payer": "Requester"})
    assert s3.get_bucket_request_payment(Bucket=bucket)["Payer"] == "Requester"
    raw = client(config=Config(parameter_validation=False, retries={"max_attempts": 1}))
    err = error_of(raw.put_bucket_request_payment, Bucket=bucket, RequestPaymentConfiguration={"Payer": "Nobody"})
    assert code_status(err) == ("MalformedXML", 400)


def test_accelerate(s3, bucket):
    assert "Status" not in s3.get_bucket_accelerate_configuration(Bucket=bucket)
    s3.put_bucket_accelerate_configuration(Bucket=bucket, AccelerateConfiguration={"Status": "Enabled"})
    assert s3.get_bucket_accelerate_configuration(Bucket=bucket)["Status"] == "Enabled"
    s3.put_bucket_accelerate_configuration(Bucket=bucket, AccelerateConfiguration={"Status": "Suspended"})
    assert s3.get_bucket_accelerate_configuration(Bucket=bucket)["Status"] == "Suspended"
    dotted = f"dot.{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=dotted)
    err = error_of(s3.put_bucket_accelerate_configuration, Bucket=dotted, AccelerateConfiguration={"Status": "Enabled"})
    assert code_status(err) == ("InvalidRequest", 400)
