"""S3 object ACLs through boto3: canned ACLs, grant headers and AccessControlPolicy bodies on
PutObjectAcl / PutObject / CopyObject / CreateMultipartUpload, GetObjectAcl, per-version ACLs, object
ownership, anonymous and cross-account reads granted by ACLs, Block Public Access, BucketOwnerEnforced,
and CreateBucket's refusal of ACLs its defaults forbid."""

from __future__ import annotations

import http.client
import json
import sqlite3
from typing import Any
from urllib.parse import urlsplit

import botocore
import pytest
from s3_helpers import client_as, code_status, error_of, owner_other_anon_fixtures, unique

from pycloud.services.s3.models import canonical_user_id
from pycloud.testing import PycloudServer

OWNER = {"id": "717171717171", "access_key": "AKIAS3OBJACLOWNER001", "secret_key": "acl-owner-secret", "name": "acl-owner"}
OTHER = {"id": "828282828282", "access_key": "AKIAS3OBJACLOTHER001", "secret_key": "acl-other-secret", "name": "acl-other"}
OWNER_ID = canonical_user_id(OWNER["id"])
OTHER_ID = canonical_user_id(OTHER["id"])
ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTHENTICATED = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
ENFORCED = {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}


clients, owner, other, anon = owner_other_anon_fixtures(OWNER, OTHER)


def _bucket(s3: Any, ownership: str = "ObjectWriter", *, block: bool = False, versioned: bool = False) -> str:
    """A bucket with ACLs enabled; Block Public Access removed unless ``block``."""
    name = unique("oacl")
    s3.create_bucket(Bucket=name, ObjectOwnership=ownership)
    if not block:
        s3.delete_public_access_block(Bucket=name)
    if versioned:
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


@pytest.fixture
def open_bucket(owner) -> str:
    return _bucket(owner)


def _grants(response: dict[str, Any]) -> list[tuple[str, str]]:
    """(canonical id or group URI, permission) of each grant, in order."""
    return [(g["Grantee"].get("ID") or g["Grantee"].get("URI"), g["Permission"]) for g in response["Grants"]]


def _acl(s3: Any, bucket: str, key: str, **kwargs: Any) -> list[tuple[str, str]]:
    return _grants(s3.get_object_acl(Bucket=bucket, Key=key, **kwargs))


def _denied(call: Any, **kwargs: Any) -> None:
    assert code_status(error_of(call, **kwargs)) == ("AccessDenied", 403)


def _error(call: Any, **kwargs: Any) -> tuple[str, int]:
    return code_status(error_of(call, **kwargs))


def _read(s3: Any, bucket: str, key: str, **kwargs: Any) -> bytes:
    return s3.get_object(Bucket=bucket, Key=key, **kwargs)["Body"].read()


def _head_status(s3: Any, bucket: str, key: str) -> int:
    try:
        return s3.head_object(Bucket=bucket, Key=key)["ResponseMetadata"]["HTTPStatusCode"]
    except botocore.exceptions.ClientError as err:
        return err.response["ResponseMetadata"]["HTTPStatusCode"]


OWNER_FULL = [(OWNER_ID, "FULL_CONTROL")]


# -- GetObjectAcl / canned ACLs ---------------------------------------------------------------------


def test_default_acl_is_the_owners_full_control(owner, open_bucket):
    owner.put_object(Bucket=open_bucket, Key="k", Body=b"v")
    acl = owner.get_object_acl(Bucket=open_bucket, Key="k")
    assert acl["Owner"]["ID"] == OWNER_ID
    assert acl["Owner"]["DisplayName"] == OWNER["name"]
    assert acl["Grants"] == [{
        "Grantee": {"Type": "CanonicalUser", "ID": OWNER_ID, "DisplayName": OWNER["name"]},
        "Permission": "FULL_CONTROL",
    }]


@pytest.mark.parametrize(
    ("canned", "expected"),
    [
        ("private", OWNER_FULL),
        ("public-read", OWNER_FULL + [(ALL_USERS, "READ")]),
        ("public-read-write", OWNER_FULL + [(ALL_USERS, "READ"), (ALL_USERS, "WRITE")]),
        ("authenticated-read", OWNER_FULL + [(AUTHENTICATED, "READ")]),
        ("aws-exec-read", OWNER_FULL),
        # The writer owns the object already: the bucket owner's grant adds nothing.
        ("bucket-owner-read", OWNER_FULL),
        ("bucket-owner-full-control", OWNER_FULL),
    ],
)
def test_canned_acls(owner, open_bucket, canned, expected):
    owner.put_object(Bucket=open_bucket, Key="put", Body=b"v", ACL=canned)
    assert _acl(owner, open_bucket, "put") == expected
    owner.put_object(Bucket=open_bucket, Key="later", Body=b"v")
    owner.put_object_acl(Bucket=open_bucket, Key="later", ACL=canned)
    assert _acl(owner, open_bucket, "later") == expected


def test_public_read_object_is_readable_anonymously(owner, anon, open_bucket):
    owner.put_object(Bucket=open_bucket, Key="public", Body=b"hello", ACL="public-read")
    owner.put_object(Bucket=open_bucket, Key="private", Body=b"secret")
    assert _read(anon, open_bucket, "public") == b"hello"
    assert _head_status(anon, open_bucket, "public") == 200
    _denied(anon.get_object, Bucket=open_bucket, Key="private")
    assert _head_status(anon, open_bucket, "private") == 403
    # An object's READ neither lists the bucket, reads the ACL, nor writes.
    _denied(anon.list_objects_v2, Bucket=open_bucket)
    _denied(anon.get_object_acl, Bucket=open_bucket, Key="public")
    _denied(anon.put_object_acl, Bucket=open_bucket, Key="public", ACL="private")
    _denied(anon.put_object, Bucket=open_bucket, Key="public", Body=b"x")
    _denied(anon.get_object, Bucket=open_bucket, Key="missing")  # no ListBucket: 403, not 404
    # Back to private: closed again.
    owner.put_object_acl(Bucket=open_bucket, Key="public", ACL="private")
    _denied(anon.get_object, Bucket=open_bucket, Key="public")


def test_authenticated_read_is_for_signed_callers(owner, other, anon, open_bucket):
    owner.put_object(Bucket=open_bucket, Key="k", Body=b"v", ACL="authenticated-read")
    assert _read(other, open_bucket, "k") == b"v"
    _denied(anon.get_object, Bucket=open_bucket, Key="k")


def test_bucket_policy_deny_beats_an_object_acl(owner, anon, open_bucket):
    owner.put_object(Bucket=open_bucket, Key="k", Body=b"v", ACL="public-read")
    assert _read(anon, open_bucket, "k") == b"v"
    deny = {"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{open_bucket}/*"}
    owner.put_bucket_policy(Bucket=open_bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [deny]}))
    _denied(anon.get_object, Bucket=open_bucket, Key="k")


# -- grants by id, uri, e-mail; AccessControlPolicy bodies -------------------------------------------


def test_grants_by_id_map_to_their_operations(owner, other, open_bucket):
    owner.put_object(Bucket=open_bucket, Key="k", Body=b"v")
    _denied(other.get_object, Bucket=open_bucket, Key="k")
    owner.put_object_acl(Bucket=open_bucket, Key="k", GrantFullControl=f'id="{OWNER_ID}"', GrantRead=f"id={OTHER_ID}")
    assert _acl(owner, open_bucket, "k") == OWNER_FULL + [(OTHER_ID, "READ")]
    assert _read(other, open_bucket, "k") == b"v"
    _denied(other.get_object_acl, Bucket=open_bucket, Key="k")  # READ is not READ_ACP
    owner.put_object_acl(Bucket=open_bucket, Key="k", GrantFullControl=f'id="{OWNER_ID}"',
                         GrantReadACP=f'id="{OTHER_ID}"')
    assert _acl(other, open_bucket, "k") == OWNER_FULL + [(OTHER_ID, "READ_ACP")]
    _denied(other.get_object, Bucket=open_bucket, Key="k")
    _denied(other.put_object_acl, Bucket=open_bucket, Key="k", ACL="private")
    owner.put_object_acl(Bucket=open_bucket, Key="k", GrantFullControl=f'id="{OWNER_ID}"',
                         GrantWriteACP=f'id="{OTHER_ID}"')
    _denied(other.get_object_acl, Bucket=open_bucket, Key="k")
    # WRITE_ACP lets the grantee rewrite the ACL, here to give itself full control.
    other.put_object_acl(Bucket=open_bucket, Key="k", GrantFullControl=f'id="{OWNER_ID}", id="{OTHER_ID}"')
    assert _acl(other, open_bucket, "k") == OWNER_FULL + [(OTHER_ID, "FULL_CONTROL")]
    assert _read(other, open_bucket, "k") == b"v"


def test_grant_by_group_uri(owner, anon, open_bucket):
    owner.put_object(Bucket=open_bucket, Key="k", Body=b"v", GrantRead=f'uri="{ALL_USERS}"')
    assert _acl(owner, open_bucket, "k") == [(ALL_USERS, "READ")]  # header grants are the whole ACL
    assert _read(anon, open_bucket, "k") == b"v"


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"GrantRead": 'emailAddress="someone@example.com"'}, ("UnresolvableGrantByEmailAddress", 400)),
        ({"GrantRead": 'id="0123456789abcdef"'}, ("InvalidArgument", 400)),
        ({"GrantRead": 'uri="http://acs.amazonaws.com/groups/global/Nobody"'}, ("InvalidArgument", 400)),
        ({"GrantRead": "everyone"}, ("InvalidArgument", 400)),
        ({"ACL": "world-readable"}, ("InvalidArgument", 400)),
        ({"ACL": "private", "GrantRead": f'id="{OTHER_ID}"'}, ("InvalidRequest", 400)),
        ({}, ("MissingSecurityHeader", 400)),
    ],
)
def test_put_object_acl_header_errors(owner, open_bucket, kwargs, expected):
    owner.put_object(Bucket=open_bucket, Key="k", Body=b"v", ACL="public-read")
    assert _error(owner.put_object_acl, Bucket=open_bucket, Key="k", **kwargs) == expected
    assert _acl(owner, open_bucket, "k") == OWNER_FULL + [(ALL_USERS, "READ")]  # unchanged


def test_put_object_header_errors(owner, open_bucket):
    cases = [
        ({"ACL": "world-readable"}, ("InvalidArgument", 400)),
        ({"ACL": "private", "GrantRead": f'id="{OTHER_ID}"'}, ("InvalidRequest", 400)),
        ({"GrantRead": 'emailAddress="someone@example.com"'}, ("UnresolvableGrantByEmailAddress", 400)),
    ]
    for kwargs, expected in cases:
        assert _error(owner.put_object, Bucket=open_bucket, Key="k", Body=b"v", **kwargs) == expected
    assert _error(owner.head_object, Bucket=open_bucket, Key="k")[1] == 404  # nothing was written


def _policy(owner_id: str, *grants: tuple[dict[str, str], str]) -> dict[str, Any]:
    return {"Owner": {"ID": owner_id}, "Grants": [{"Grantee": g, "Permission": p} for g, p in grants]}


def test_access_control_policy_body(owner, other, anon, open_bucket):
    owner.put_object(Bucket=open_bucket, Key="k", Body=b"v")
    body = _policy(
        OWNER_ID,
        ({"Type": "CanonicalUser", "ID": OWNER_ID}, "FULL_CONTROL"),
        ({"Type": "CanonicalUser", "ID": OTHER_ID}, "READ_ACP"),
        ({"Type": "Group", "URI": ALL_USERS}, "READ"),
    )
    owner.put_object_acl(Bucket=open_bucket, Key="k", AccessControlPolicy=body)
    acl = owner.get_object_acl(Bucket=open_bucket, Key="k")
    assert _grants(acl) == OWNER_FULL + [(OTHER_ID, "READ_ACP"), (ALL_USERS, "READ")]
    other_grant = acl["Grants"][1]["Grantee"]
    assert other_grant == {"Type": "CanonicalUser", "ID": OTHER_ID, "DisplayName": OTHER["name"]}
    assert _read(anon, open_bucket, "k") == b"v"
    assert _acl(other, open_bucket, "k")[2] == (ALL_USERS, "READ")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (_policy(OWNER_ID, ({"Type": "CanonicalUser", "ID": OWNER_ID}, "EVERYTHING")), ("MalformedACLError", 400)),
        ({"Grants": []}, ("MalformedACLError", 400)),
        (_policy(OTHER_ID, ({"Type": "CanonicalUser", "ID": OTHER_ID}, "FULL_CONTROL")), ("AccessDenied", 403)),
        (_policy(OWNER_ID, ({"Type": "AmazonCustomerByEmail", "EmailAddress": "a@example.com"}, "READ")),
         ("UnresolvableGrantByEmailAddress", 400)),
        (_policy(OWNER_ID, ({"Type": "CanonicalUser", "ID": "f" * 64}, "READ")), ("InvalidArgument", 400)),
        (_policy(OWNER_ID, ({"Type": "Group", "URI": "http://example.com/group"}, "READ")), ("InvalidArgument", 400)),
    ],
)
def test_access_control_policy_errors(owner, open_bucket, body, expected):
    owner.put_object(Bucket=open_bucket, Key="k", Body=b"v")
    assert _error(owner.put_object_acl, Bucket=open_bucket, Key="k", AccessControlPolicy=body) == expected
    assert _acl(owner, open_bucket, "k") == OWNER_FULL


def test_missing_objects(owner, open_bucket):
    for call in (owner.get_object_acl, lambda **kw: owner.put_object_acl(ACL="private", **kw)):
        err = error_of(call, Bucket=open_bucket, Key="missing")
        assert code_status(err) == ("NoSuchKey", 404)
    err = error_of(owner.get_object_acl, Bucket=unique("nobucket"), Key="k")
    assert code_status(err) == ("NoSuchBucket", 404)


# -- versions --------------------------------------------------------------------------------------


def test_each_version_has_its_own_acl(owner, anon):
    name = _bucket(owner, versioned=True)
    v1 = owner.put_object(Bucket=name, Key="k", Body=b"one", ACL="public-read")["VersionId"]
    v2 = owner.put_object(Bucket=name, Key="k", Body=b"two")["VersionId"]
    assert _acl(owner, name, "k") == OWNER_FULL
    assert _acl(owner, name, "k", VersionId=v1) == OWNER_FULL + [(ALL_USERS, "READ")]
    _denied(anon.get_object, Bucket=name, Key="k")  # the current version is private
    assert _read(anon, name, "k", VersionId=v1) == b"one"
    owner.put_object_acl(Bucket=name, Key="k", VersionId=v2, ACL="public-read")
    owner.put_object_acl(Bucket=name, Key="k", VersionId=v1, ACL="private")
    assert _read(anon, name, "k") == b"two"
    _denied(anon.get_object, Bucket=name, Key="k", VersionId=v1)
    # A delete marker has no ACL: 404 as the current version, 405 by its id; the others stay.
    marker = owner.delete_object(Bucket=name, Key="k")["VersionId"]
    assert _error(owner.get_object_acl, Bucket=name, Key="k") == ("NoSuchKey", 404)
    assert _error(owner.get_object_acl, Bucket=name, Key="k", VersionId=marker) == ("MethodNotAllowed", 405)
    assert _error(owner.put_object_acl, Bucket=name, Key="k", VersionId=marker, ACL="private") == (
        "MethodNotAllowed", 405)
    assert _acl(owner, name, "k", VersionId=v2) == OWNER_FULL + [(ALL_USERS, "READ")]
    other_version = owner.put_object(Bucket=name, Key="other", Body=b"x")["VersionId"]
    assert _error(owner.get_object_acl, Bucket=name, Key="k", VersionId=other_version) == ("NoSuchVersion", 404)


def test_deleted_version_takes_its_acl_along(owner, anon, open_bucket):
    owner.put_object(Bucket=open_bucket, Key="k", Body=b"one", ACL="public-read")
    owner.delete_object(Bucket=open_bucket, Key="k")
    owner.put_object(Bucket=open_bucket, Key="k", Body=b"two")  # the same "null" version id again
    assert _acl(owner, open_bucket, "k") == OWNER_FULL
    _denied(anon.get_object, Bucket=open_bucket, Key="k")
    # An overwrite replaces the ACL with the new request's.
    owner.put_object(Bucket=open_bucket, Key="k", Body=b"three", ACL="public-read")
    owner.put_object(Bucket=open_bucket, Key="k", Body=b"four")
    assert _acl(owner, open_bucket, "k") == OWNER_FULL


def test_deleting_a_version_by_id(owner, anon):
    name = _bucket(owner, versioned=True)
    v1 = owner.put_object(Bucket=name, Key="k", Body=b"one", ACL="public-read")["VersionId"]
    owner.delete_object(Bucket=name, Key="k", VersionId=v1)
    _denied(anon.get_object, Bucket=name, Key="k", VersionId=v1)
    assert _error(owner.get_object_acl, Bucket=name, Key="k", VersionId=v1)[1] == 404


# -- writes carrying ACLs: copy, multipart ---------------------------------------------------------


def test_copy_takes_the_requests_acl_not_the_sources(owner, anon, open_bucket):
    owner.put_object(Bucket=open_bucket, Key="src", Body=b"v", ACL="public-read")
    owner.copy_object(Bucket=open_bucket, Key="plain", CopySource=f"{open_bucket}/src")
    assert _acl(owner, open_bucket, "plain") == OWNER_FULL
    _denied(anon.get_object, Bucket=open_bucket, Key="plain")
    owner.copy_object(Bucket=open_bucket, Key="public", CopySource=f"{open_bucket}/plain", ACL="public-read")
    assert _read(anon, open_bucket, "public") == b"v"


def test_object_acl_grants_read_of_a_copy_source(owner, other):
    source = _bucket(owner)
    owner.put_object(Bucket=source, Key="shared", Body=b"data", GrantRead=f'id="{OTHER_ID}"')
    owner.put_object(Bucket=source, Key="private", Body=b"data")
    target = _bucket(other)
    other.copy_object(Bucket=target, Key="copy", CopySource=f"{source}/shared")
    assert _read(other, target, "copy") == b"data"
    _denied(other.copy_object, Bucket=target, Key="copy2", CopySource=f"{source}/private")


def test_multipart_upload_acl_applies_at_completion(owner, other, anon, open_bucket):
    upload = owner.create_multipart_upload(Bucket=open_bucket, Key="mp", ACL="public-read")["UploadId"]
    etag = owner.upload_part(Bucket=open_bucket, Key="mp", UploadId=upload, PartNumber=1, Body=b"part")["ETag"]
    _denied(anon.get_object, Bucket=open_bucket, Key="mp")
    owner.complete_multipart_upload(Bucket=open_bucket, Key="mp", UploadId=upload,
                                    MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
    assert _acl(owner, open_bucket, "mp") == OWNER_FULL + [(ALL_USERS, "READ")]
    assert _read(anon, open_bucket, "mp") == b"part"
    upload = owner.create_multipart_upload(Bucket=open_bucket, Key="mp2", GrantRead=f'id="{OTHER_ID}"')["UploadId"]
    etag = owner.upload_part(Bucket=open_bucket, Key="mp2", UploadId=upload, PartNumber=1, Body=b"two")["ETag"]
    owner.complete_multipart_upload(Bucket=open_bucket, Key="mp2", UploadId=upload,
                                    MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
    assert _acl(owner, open_bucket, "mp2") == [(OTHER_ID, "READ")]
    assert _read(other, open_bucket, "mp2") == b"two"


# -- object ownership ------------------------------------------------------------------------------


def _shared_bucket(owner: Any, ownership: str) -> str:
    """A bucket whose ACL lets the other account write into it."""
    name = _bucket(owner, ownership, block=True)
    owner.put_bucket_acl(Bucket=name, GrantFullControl=f'id="{OWNER_ID}"', GrantWrite=f'id="{OTHER_ID}"')
    return name


def test_the_writer_owns_its_object(owner, other, anon):
    name = _shared_bucket(owner, "ObjectWriter")
    other.put_object(Bucket=name, Key="mine", Body=b"v")
    acl = other.get_object_acl(Bucket=name, Key="mine")  # the object's ACL lets its owner read it
    assert acl["Owner"]["ID"] == OTHER_ID
    assert _grants(acl) == [(OTHER_ID, "FULL_CONTROL")]
    assert _read(other, name, "mine") == b"v"
    _denied(anon.get_object, Bucket=name, Key="mine")
    # bucket-owner-full-control under ObjectWriter: the writer still owns it, the bucket owner is granted.
    other.put_object(Bucket=name, Key="shared", Body=b"v", ACL="bucket-owner-full-control")
    assert _acl(owner, name, "shared") == [(OTHER_ID, "FULL_CONTROL"), (OWNER_ID, "FULL_CONTROL")]
    listed = owner.list_objects_v2(Bucket=name, FetchOwner=True)["Contents"]
    assert {o["Key"]: o["Owner"]["ID"] for o in listed} == {"mine": OTHER_ID, "shared": OTHER_ID}


def test_bucket_owner_preferred_takes_ownership_with_full_control(owner, other):
    name = _shared_bucket(owner, "BucketOwnerPreferred")
    other.put_object(Bucket=name, Key="given", Body=b"v", ACL="bucket-owner-full-control")
    acl = owner.get_object_acl(Bucket=name, Key="given")
    assert acl["Owner"]["ID"] == OWNER_ID
    assert _grants(acl) == OWNER_FULL
    _denied(other.get_object, Bucket=name, Key="given")  # the writer gave it away
    other.put_object(Bucket=name, Key="kept", Body=b"v", ACL="bucket-owner-read")
    acl = owner.get_object_acl(Bucket=name, Key="kept")
    assert acl["Owner"]["ID"] == OTHER_ID
    assert _grants(acl) == [(OTHER_ID, "FULL_CONTROL"), (OWNER_ID, "READ")]


# -- BucketOwnerEnforced -------------------------------------------------------------------------


def test_enforced_ownership_refuses_acls_but_the_owners(owner):
    name = unique("oacl")
    owner.create_bucket(Bucket=name)  # today's defaults: BucketOwnerEnforced, Block Public Access on
    not_supported = ("AccessControlListNotSupported", 400)
    assert _error(owner.put_object, Bucket=name, Key="k", Body=b"v", ACL="public-read") == not_supported
    assert _error(owner.put_object, Bucket=name, Key="k", Body=b"v", GrantRead=f'id="{OTHER_ID}"') == not_supported
    assert _error(owner.create_multipart_upload, Bucket=name, Key="k", ACL="authenticated-read") == not_supported
    for canned in ("bucket-owner-full-control", "private", "bucket-owner-read"):
        owner.put_object(Bucket=name, Key=canned, Body=b"v", ACL=canned)
        assert _acl(owner, name, canned) == OWNER_FULL
    owner.put_object(Bucket=name, Key="granted", Body=b"v", GrantFullControl=f'id="{OWNER_ID}"')
    assert _error(owner.copy_object, Bucket=name, Key="c", CopySource=f"{name}/private", ACL="public-read") == (
        not_supported)
    assert _error(owner.put_object_acl, Bucket=name, Key="private", ACL="public-read") == not_supported
    owner.put_object_acl(Bucket=name, Key="private", ACL="bucket-owner-full-control")
    assert _acl(owner, name, "private") == OWNER_FULL


def test_enforcing_ownership_turns_object_acls_off_and_back_on(owner, other, anon):
    name = _shared_bucket(owner, "ObjectWriter")
    owner.delete_public_access_block(Bucket=name)
    owner.put_object(Bucket=name, Key="public", Body=b"v", ACL="public-read")
    other.put_object(Bucket=name, Key="theirs", Body=b"v")
    assert _read(anon, name, "public") == b"v"
    owner.put_bucket_acl(Bucket=name, ACL="private")
    owner.put_bucket_ownership_controls(Bucket=name, OwnershipControls=ENFORCED)
    _denied(anon.get_object, Bucket=name, Key="public")
    _denied(other.get_object, Bucket=name, Key="theirs")
    acl = owner.get_object_acl(Bucket=name, Key="theirs")  # the bucket owner owns everything now
    assert (acl["Owner"]["ID"], _grants(acl)) == (OWNER_ID, OWNER_FULL)
    assert _acl(owner, name, "public") == OWNER_FULL
    owner.put_bucket_ownership_controls(Bucket=name, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]})
    assert _read(anon, name, "public") == b"v"  # the stored ACL is back
    assert other.get_object_acl(Bucket=name, Key="theirs")["Owner"]["ID"] == OTHER_ID


# -- Block Public Access ----------------------------------------------------------------------------


def test_ignore_public_acls_voids_object_grants(owner, other, anon, open_bucket):
    owner.put_object(Bucket=open_bucket, Key="public", Body=b"v", ACL="public-read")
    owner.put_object(Bucket=open_bucket, Key="signed", Body=b"v", ACL="authenticated-read")
    owner.put_object(Bucket=open_bucket, Key="granted", Body=b"v", GrantRead=f'id="{OTHER_ID}"')
    owner.put_public_access_block(Bucket=open_bucket, PublicAccessBlockConfiguration={"IgnorePublicAcls": True})
    _denied(anon.get_object, Bucket=open_bucket, Key="public")
    assert _head_status(anon, open_bucket, "public") == 403
    _denied(other.get_object, Bucket=open_bucket, Key="signed")
    assert _read(other, open_bucket, "granted") == b"v"  # a grant to an account is not public
    assert _acl(owner, open_bucket, "public") == OWNER_FULL + [(ALL_USERS, "READ")]  # kept, only ignored
    owner.delete_public_access_block(Bucket=open_bucket)
    assert _read(anon, open_bucket, "public") == b"v"


def test_block_public_acls_refuses_public_object_acls(owner):
    name = _bucket(owner, block=True)  # ACLs on, Block Public Access left as a new bucket has it
    public_body = _policy(OWNER_ID, ({"Type": "CanonicalUser", "ID": OWNER_ID}, "FULL_CONTROL"),
                          ({"Type": "Group", "URI": AUTHENTICATED}, "READ"))
    _denied(owner.put_object, Bucket=name, Key="k", Body=b"v", ACL="public-read")
    _denied(owner.put_object, Bucket=name, Key="k", Body=b"v", GrantRead=f'uri="{ALL_USERS}"')
    _denied(owner.create_multipart_upload, Bucket=name, Key="k", ACL="public-read-write")
    owner.put_object(Bucket=name, Key="k", Body=b"v", ACL="private")
    _denied(owner.copy_object, Bucket=name, Key="c", CopySource=f"{name}/k", ACL="authenticated-read")
    _denied(owner.put_object_acl, Bucket=name, Key="k", ACL="public-read")
    _denied(owner.put_object_acl, Bucket=name, Key="k", GrantRead=f'uri="{ALL_USERS}"')
    _denied(owner.put_object_acl, Bucket=name, Key="k", AccessControlPolicy=public_body)
    owner.put_object_acl(Bucket=name, Key="k", GrantRead=f'id="{OTHER_ID}"')  # not public: allowed
    assert _acl(owner, name, "k") == [(OTHER_ID, "READ")]
    # Validation comes first: a bad ACL is reported as such even when it is public.
    assert _error(owner.put_object_acl, Bucket=name, Key="k", ACL="public-read", GrantRead="x") == (
        "InvalidRequest", 400)


# -- CreateBucket -----------------------------------------------------------------------------------


def test_create_bucket_refuses_acls_its_defaults_forbid(owner):
    name = unique("oacl")
    assert _error(owner.create_bucket, Bucket=name, ACL="public-read") == ("InvalidBucketAclWithObjectOwnership", 400)
    assert _error(owner.create_bucket, Bucket=name, GrantRead=f'id="{OTHER_ID}"') == (
        "InvalidBucketAclWithObjectOwnership", 400)
    public = ("InvalidBucketAclWithBlockPublicAccessError", 400)
    for ownership in ("ObjectWriter", "BucketOwnerPreferred"):
        assert _error(owner.create_bucket, Bucket=name, ObjectOwnership=ownership, ACL="public-read") == public
        assert _error(owner.create_bucket, Bucket=name, ObjectOwnership=ownership, ACL="authenticated-read") == public
        assert _error(owner.create_bucket, Bucket=name, ObjectOwnership=ownership,
                      GrantRead=f'uri="{ALL_USERS}"') == public
    assert _error(owner.head_bucket, Bucket=name)[1] == 404  # none of them made it
    # Grants that are not public are fine once ACLs are enabled; the owner alone always is.
    owner.create_bucket(Bucket=name, ObjectOwnership="ObjectWriter", GrantFullControl=f'id="{OWNER_ID}"',
                        GrantRead=f'id="{OTHER_ID}"')
    assert _grants(owner.get_bucket_acl(Bucket=name)) == OWNER_FULL + [(OTHER_ID, "READ")]
    enforced = unique("oacl")
    owner.create_bucket(Bucket=enforced, GrantFullControl=f'id="{OWNER_ID}"')
    assert _grants(owner.get_bucket_acl(Bucket=enforced)) == OWNER_FULL


def test_recreate_in_us_east_1_checks_the_acl_against_the_bucket(owner):
    name = _bucket(owner, block=True)
    assert _error(owner.create_bucket, Bucket=name, ACL="public-read") == (
        "InvalidBucketAclWithBlockPublicAccessError", 400)
    owner.delete_public_access_block(Bucket=name)
    owner.create_bucket(Bucket=name, ACL="public-read")
    assert _grants(owner.get_bucket_acl(Bucket=name)) == OWNER_FULL + [(ALL_USERS, "READ")]
    enforced = unique("oacl")
    owner.create_bucket(Bucket=enforced)
    assert _error(owner.create_bucket, Bucket=enforced, GrantRead=f'id="{OTHER_ID}"') == (
        "InvalidBucketAclWithObjectOwnership", 400)


# -- the website endpoint ---------------------------------------------------------------------------


def _website_status(pycloud: Any, bucket: str, key: str) -> tuple[int, bytes]:
    parts = urlsplit(pycloud.endpoint)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request("GET", f"/_website/{bucket}/{key}")
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def test_website_serves_objects_a_public_acl_opens(pycloud, owner, open_bucket):
    owner.put_bucket_website(Bucket=open_bucket, WebsiteConfiguration={"IndexDocument": {"Suffix": "index.html"}})
    owner.put_object(Bucket=open_bucket, Key="page.html", Body=b"<p>hi</p>", ACL="public-read")
    owner.put_object(Bucket=open_bucket, Key="private.html", Body=b"<p>no</p>")
    assert _website_status(pycloud, open_bucket, "page.html") == (200, b"<p>hi</p>")
    assert _website_status(pycloud, open_bucket, "private.html")[0] == 403


# -- persistence -------------------------------------------------------------------------------------


def _acl_records(data_dir: str) -> list[str]:
    """Keys of the stored object ACL records (state.db, see docs/formats.md)."""
    with sqlite3.connect(f"{data_dir}/state.db") as db:
        return [row[0] for row in db.execute("SELECT key FROM records WHERE service='s3' AND kind='object-acl'")]


def test_acls_persist_and_leave_with_their_version(tmp_path):
    data_dir = str(tmp_path / "data")
    with PycloudServer(["--data-dir", data_dir], ephemeral=False) as server:
        s3 = client_as(server, {"access_key": "test", "secret_key": "test"})
        name = _bucket(s3, versioned=True)
        v1 = s3.put_object(Bucket=name, Key="k", Body=b"one", ACL="public-read")["VersionId"]
        s3.put_object(Bucket=name, Key="k", Body=b"two")  # the default ACL: nothing stored
    assert _acl_records(data_dir) == [f"{name}/{v1}/k"]
    with PycloudServer(["--data-dir", data_dir], ephemeral=False) as server:
        assert _read(client_as(server, None), name, "k", VersionId=v1) == b"one"
        s3 = client_as(server, {"access_key": "test", "secret_key": "test"})
        s3.delete_object(Bucket=name, Key="k", VersionId=v1)
    assert _acl_records(data_dir) == []
