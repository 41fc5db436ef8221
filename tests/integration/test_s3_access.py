"""S3 access control through boto3: bucket policies, ACLs, Block Public Access, anonymous and
cross-account callers, presigned URLs of another account."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from s3_helpers import client_as, code_status, declare_accounts, error_of, owner_other_anon_fixtures, unique

from pycloud.services.s3.models import canonical_user_id
from pycloud.testing.server import PycloudServer

OWNER = {"id": "515151515151", "access_key": "AKIAS3ACCESSOWNER001", "secret_key": "owner-secret", "name": "owner"}
OTHER = {"id": "626262626262", "access_key": "AKIAS3ACCESSOTHER001", "secret_key": "other-secret", "name": "other"}
ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"


clients, owner, other, anon = owner_other_anon_fixtures(OWNER, OTHER)


@pytest.fixture
def bucket(owner):
    name = unique("acc")
    owner.create_bucket(Bucket=name)
    owner.put_object(Bucket=name, Key="public/a.txt", Body=b"hello")
    owner.put_object(Bucket=name, Key="secret/b.txt", Body=b"secret")
    return name


def _policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _stmt(effect: str, principal: Any, action: Any, resource: Any, condition: dict[str, Any] | None = None) -> dict:
    statement = {"Effect": effect, "Principal": principal, "Action": action, "Resource": resource}
    if condition:
        statement["Condition"] = condition
    return statement


def _denied(call: Any, **kwargs: Any) -> None:
    err = error_of(call, **kwargs)
    assert code_status(err) == ("AccessDenied", 403)
    assert err.response["Error"]["Message"] == "Access Denied"


def _public_read(bucket: str) -> str:
    return _policy(_stmt("Allow", "*", "s3:GetObject", f"arn:aws:s3:::{bucket}/public/*"))


# -- anonymous callers ----------------------------------------------------------------------------


def test_anonymous_account_operations_denied(anon):
    _denied(anon.list_buckets)
    _denied(anon.create_bucket, Bucket=unique("anon"))


def test_public_policy_lets_anonymous_read(owner, anon, bucket):
    _denied(anon.get_object, Bucket=bucket, Key="public/a.txt")  # nothing grants it yet
    owner.delete_public_access_block(Bucket=bucket)
    owner.put_bucket_policy(Bucket=bucket, Policy=_public_read(bucket))
    assert anon.get_object(Bucket=bucket, Key="public/a.txt")["Body"].read() == b"hello"
    _denied(anon.get_object, Bucket=bucket, Key="secret/b.txt")
    _denied(anon.list_objects_v2, Bucket=bucket)
    _denied(anon.put_object, Bucket=bucket, Key="public/x", Body=b"x")
    _denied(anon.get_bucket_policy, Bucket=bucket)
    assert owner.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"]["IsPublic"] is True


def test_restrict_public_buckets_voids_public_policy(owner, other, anon, bucket):
    owner.delete_public_access_block(Bucket=bucket)
    owner.put_bucket_policy(Bucket=bucket, Policy=_public_read(bucket))
    owner.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={"RestrictPublicBuckets": True})
    _denied(anon.get_object, Bucket=bucket, Key="public/a.txt")
    _denied(other.get_object, Bucket=bucket, Key="public/a.txt")
    assert owner.get_object(Bucket=bucket, Key="public/a.txt")["Body"].read() == b"hello"
    owner.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={"RestrictPublicBuckets": False})
    assert other.get_object(Bucket=bucket, Key="public/a.txt")["Body"].read() == b"hello"


def test_version_specific_action(owner, anon, bucket):
    owner.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    version = owner.put_object(Bucket=bucket, Key="public/v", Body=b"v1")["VersionId"]
    owner.delete_public_access_block(Bucket=bucket)
    owner.put_bucket_policy(Bucket=bucket, Policy=_public_read(bucket))
    assert anon.get_object(Bucket=bucket, Key="public/v")["Body"].read() == b"v1"
    _denied(anon.get_object, Bucket=bucket, Key="public/v", VersionId=version)
    owner.put_bucket_policy(
        Bucket=bucket, Policy=_policy(_stmt("Allow", "*", "s3:GetObjectVersion", f"arn:aws:s3:::{bucket}/public/*"))
    )
    assert anon.get_object(Bucket=bucket, Key="public/v", VersionId=version)["Body"].read() == b"v1"


# -- cross-account and owner ----------------------------------------------------------------------


def test_cross_account_allow_and_deny(owner, other, bucket):
    _denied(other.get_object, Bucket=bucket, Key="public/a.txt")
    _denied(other.list_objects_v2, Bucket=bucket)
    other_root = f"arn:aws:iam::{OTHER['id']}:root"
    owner.put_bucket_policy(
        Bucket=bucket,
        Policy=_policy(
            _stmt("Allow", {"AWS": other_root}, ["s3:GetObject", "s3:ListBucket"],
                  [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]),
            _stmt("Deny", {"AWS": OTHER["id"]}, "s3:GetObject", f"arn:aws:s3:::{bucket}/secret/*"),
        ),
    )
    assert other.get_object(Bucket=bucket, Key="public/a.txt")["Body"].read() == b"hello"
    assert {o["Key"] for o in other.list_objects_v2(Bucket=bucket)["Contents"]} == {"public/a.txt", "secret/b.txt"}
    _denied(other.get_object, Bucket=bucket, Key="secret/b.txt")
    _denied(other.put_object, Bucket=bucket, Key="public/new", Body=b"x")
    _denied(other.get_bucket_policy, Bucket=bucket)
    # A non-public (account-pinned) policy is not public.
    assert owner.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"]["IsPublic"] is False


def test_owner_explicit_deny(owner, bucket):
    owner.put_bucket_policy(
        Bucket=bucket,
        Policy=_policy(_stmt("Deny", "*", ["s3:DeleteObject", "s3:PutObject"], f"arn:aws:s3:::{bucket}/secret/*")),
    )
    # Within its own account S3 says which policy type denied.
    err = error_of(owner.delete_object, Bucket=bucket, Key="secret/b.txt")
    assert code_status(err) == ("AccessDenied", 403)
    assert err.response["Error"]["Message"] == (
        f"User: arn:aws:iam::{OWNER['id']}:root is not authorized to perform: s3:DeleteObject on resource: "
        f"arn:aws:s3:::{bucket}/secret/b.txt with an explicit deny in a resource-based policy"
    )
    assert code_status(error_of(owner.put_object, Bucket=bucket, Key="secret/c", Body=b"c")) == ("AccessDenied", 403)
    owner.put_object(Bucket=bucket, Key="public/c", Body=b"c")
    assert owner.get_object(Bucket=bucket, Key="secret/b.txt")["Body"].read() == b"secret"


def test_delete_objects_checks_every_key(owner, other, bucket):
    owner.put_bucket_policy(
        Bucket=bucket,
        Policy=_policy(_stmt("Allow", {"AWS": OTHER["id"]}, "s3:DeleteObject", f"arn:aws:s3:::{bucket}/public/*")),
    )
    _denied(other.delete_objects, Bucket=bucket, Delete={"Objects": [{"Key": "public/a.txt"}, {"Key": "secret/b.txt"}]})
    other.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "public/a.txt"}]})
    assert [o["Key"] for o in owner.list_objects_v2(Bucket=bucket)["Contents"]] == ["secret/b.txt"]


def test_copy_needs_read_on_the_source(owner, other, bucket):
    target = unique("acc-copy")
    other.create_bucket(Bucket=target)
    source = {"Bucket": bucket, "Key": "public/a.txt"}
    _denied(other.copy_object, Bucket=target, Key="copied", CopySource=source)
    owner.put_bucket_policy(
        Bucket=bucket,
        Policy=_policy(_stmt("Allow", {"AWS": OTHER["id"]}, "s3:GetObject", f"arn:aws:s3:::{bucket}/public/*")),
    )
    other.copy_object(Bucket=target, Key="copied", CopySource=source)
    assert other.get_object(Bucket=target, Key="copied")["Body"].read() == b"hello"
    _denied(other.copy_object, Bucket=target, Key="copied2", CopySource={"Bucket": bucket, "Key": "secret/b.txt"})
    _denied(owner.copy_object, Bucket=target, Key="into-other", CopySource=source)  # no write on the target


# -- conditions -----------------------------------------------------------------------------------


def test_source_ip_condition(owner, anon, bucket):
    def allow_from(cidr: str) -> str:
        return _policy(_stmt("Allow", "*", "s3:GetObject", f"arn:aws:s3:::{bucket}/*",
                             {"IpAddress": {"aws:SourceIp": cidr}}))

    # Pinned to one address: not public, so the default RestrictPublicBuckets does not void it.
    owner.put_bucket_policy(Bucket=bucket, Policy=allow_from("127.0.0.1/32"))
    assert owner.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"]["IsPublic"] is False
    assert anon.get_object(Bucket=bucket, Key="secret/b.txt")["Body"].read() == b"secret"
    owner.put_bucket_policy(Bucket=bucket, Policy=allow_from("10.0.0.0/8"))
    _denied(anon.get_object, Bucket=bucket, Key="secret/b.txt")


def test_prefix_condition_on_list(owner, other, bucket):
    owner.put_bucket_policy(
        Bucket=bucket,
        Policy=_policy(_stmt("Allow", {"AWS": OTHER["id"]}, "s3:ListBucket", f"arn:aws:s3:::{bucket}",
                             {"StringEquals": {"s3:prefix": "public/"}})),
    )
    listed = other.list_objects_v2(Bucket=bucket, Prefix="public/")
    assert [o["Key"] for o in listed["Contents"]] == ["public/a.txt"]
    _denied(other.list_objects_v2, Bucket=bucket)
    _denied(other.list_objects, Bucket=bucket, Prefix="secret/")


# -- ACLs -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("ownership", ["ObjectWriter", "BucketOwnerPreferred"])
def test_public_read_acl(owner, other, anon, ownership):
    name = unique("acc-acl")
    owner.create_bucket(Bucket=name, ObjectOwnership=ownership)
    owner.put_object(Bucket=name, Key="k", Body=b"v")
    owner.delete_public_access_block(Bucket=name)
    _denied(anon.list_objects_v2, Bucket=name)
    owner.put_bucket_acl(Bucket=name, ACL="public-read")
    assert [o["Key"] for o in anon.list_objects_v2(Bucket=name)["Contents"]] == ["k"]
    assert [o["Key"] for o in other.list_objects_v2(Bucket=name)["Contents"]] == ["k"]
    _denied(anon.get_object, Bucket=name, Key="k")  # bucket READ lists; the object's own ACL is private
    _denied(anon.put_object, Bucket=name, Key="w", Body=b"w")
    _denied(anon.get_bucket_acl, Bucket=name)
    owner.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration={"IgnorePublicAcls": True})
    _denied(anon.list_objects_v2, Bucket=name)
    _denied(other.list_objects_v2, Bucket=name)


def test_acl_grant_to_another_account_and_enforced_ownership(owner, other):
    name = unique("acc-grant")
    owner.create_bucket(Bucket=name, ObjectOwnership="BucketOwnerPreferred")
    owner_id = canonical_user_id(OWNER["id"])
    owner.put_bucket_acl(
        Bucket=name, GrantFullControl=f'id="{owner_id}"', GrantWrite=f'id="{canonical_user_id(OTHER["id"])}"'
    )
    other.put_object(Bucket=name, Key="from-other", Body=b"x")
    _denied(other.list_objects_v2, Bucket=name)  # WRITE does not grant READ
    # Under BucketOwnerEnforced ACLs count for nothing (switch back to an owner-only ACL first).
    owner.put_bucket_acl(Bucket=name, ACL="private")
    owner.put_bucket_ownership_controls(
        Bucket=name, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    )
    _denied(other.put_object, Bucket=name, Key="again", Body=b"x")


# -- presigned URLs -------------------------------------------------------------------------------


def _fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def test_presigned_url_of_another_account(owner, other, bucket):
    url = other.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "public/a.txt"}, ExpiresIn=300)
    status, body = _fetch(url)
    assert status == 403 and b"<Code>AccessDenied</Code>" in body
    owner.put_bucket_policy(
        Bucket=bucket,
        Policy=_policy(_stmt("Allow", {"AWS": OTHER["id"]}, "s3:GetObject", f"arn:aws:s3:::{bucket}/public/*")),
    )
    assert _fetch(url) == (200, b"hello")


# -- Block Public Access on writes ----------------------------------------------------------------


@pytest.fixture(scope="module")
def strict_server():
    """A server of its own: these tests change buckets' public access blocks."""
    with PycloudServer() as server:
        declare_accounts(server, OWNER, OTHER)
        yield server


def test_block_public_policy_and_acls(strict_server):
    s3 = client_as(strict_server, OWNER)
    name = unique("acc-bpa")
    s3.create_bucket(Bucket=name, ObjectOwnership="ObjectWriter")
    _denied(s3.put_bucket_policy, Bucket=name, Policy=_public_read(name))
    pinned = _policy(_stmt("Allow", {"AWS": OTHER["id"]}, "s3:GetObject", f"arn:aws:s3:::{name}/*"))
    s3.put_bucket_policy(Bucket=name, Policy=pinned)  # not public: allowed
    _denied(s3.put_bucket_acl, Bucket=name, ACL="public-read")
    _denied(s3.put_bucket_acl, Bucket=name, GrantRead=f'uri="{ALL_USERS}"')
    _denied(s3.put_object, Bucket=name, Key="k", Body=b"v", ACL="public-read")
    s3.put_object(Bucket=name, Key="k", Body=b"v")
    s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration={"BlockPublicAcls": True})
    s3.put_bucket_policy(Bucket=name, Policy=_public_read(name))  # only the ACL block remains
    _denied(s3.put_bucket_acl, Bucket=name, ACL="public-read")
    s3.delete_public_access_block(Bucket=name)
    s3.put_bucket_acl(Bucket=name, ACL="public-read")
    assert any(g["Grantee"].get("URI") == ALL_USERS for g in s3.get_bucket_acl(Bucket=name)["Grants"])
