"""S3 object features through boto3: SSE (S3, KMS, bucket default, SSE-C), CopyObject, DeleteObjects,
object tagging, Object Lock retention / legal hold, GetObjectAttributes."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from s3_helpers import account_client_fixture, code_status, error_of, unique

from pycloud._core import hash_bytes

ACCOUNT = "555566668888"
KEY_ID = "AKIAS3OBJFEATURES001"
SECRET = "s3-object-features-secret"


client = account_client_fixture(ACCOUNT, KEY_ID, SECRET, "s3-object-features")


@pytest.fixture(scope="module")
def s3(client):
    return client()


def _name() -> str:
    return unique("objf")


@pytest.fixture
def bucket(s3):
    name = _name()
    s3.create_bucket(Bucket=name)
    return name


@pytest.fixture
def versioned(s3):
    name = _name()
    s3.create_bucket(Bucket=name)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


@pytest.fixture
def locked(s3):
    name = _name()
    s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    return name


# -- SSE ----------------------------------------------------------------------------------------


def test_sse_s3_and_kms_echoed(s3, bucket):
    put = s3.put_object(Bucket=bucket, Key="kms", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId="my-key")
    arn = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/my-key"
    assert (put["ServerSideEncryption"], put["SSEKMSKeyId"]) == ("aws:kms", arn)
    head = s3.head_object(Bucket=bucket, Key="kms")
    assert (head["ServerSideEncryption"], head["SSEKMSKeyId"]) == ("aws:kms", arn)
    err = error_of(s3.put_object, Bucket=bucket, Key="bad", Body=b"x", ServerSideEncryption="AES256",
                   SSEKMSKeyId="my-key")
    assert code_status(err) == ("InvalidArgument", 400)


def test_bucket_default_encryption_applies(s3, bucket):
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [{
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "default-key"},
        "BucketKeyEnabled": True}]})
    put = s3.put_object(Bucket=bucket, Key="d", Body=b"x")
    assert put["ServerSideEncryption"] == "aws:kms"
    assert put["SSEKMSKeyId"].endswith(":key/default-key")
    assert put["BucketKeyEnabled"] is True
    assert s3.put_object(Bucket=bucket, Key="e", Body=b"x", ServerSideEncryption="AES256")[
        "ServerSideEncryption"] == "AES256"


def _customer_key(seed: bytes) -> dict[str, str]:
    key = hashlib.sha256(seed).digest()
    return {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": base64.b64encode(key).decode(),
            "SSECustomerKeyMD5": base64.b64encode(hashlib.md5(key).digest()).decode()}


def test_sse_c_enforced(s3, bucket):
    key = _customer_key(b"one")
    put = s3.put_object(Bucket=bucket, Key="c", Body=b"secret", **key)
    assert put["SSECustomerKeyMD5"] == key["SSECustomerKeyMD5"]
    assert "ServerSideEncryption" not in put
    got = s3.get_object(Bucket=bucket, Key="c", **key)
    assert got["Body"].read() == b"secret"
    assert got["SSECustomerAlgorithm"] == "AES256"
    assert code_status(error_of(s3.get_object, Bucket=bucket, Key="c")) == ("InvalidRequest", 400)
    assert code_status(error_of(s3.get_object, Bucket=bucket, Key="c", **_customer_key(b"two"))) == (
        "AccessDenied", 403)
    assert code_status(error_of(s3.head_object, Bucket=bucket, Key="c"))[1] == 400
    short = base64.b64encode(b"k" * 16).decode()
    err = error_of(s3.put_object, Bucket=bucket, Key="s", Body=b"x", SSECustomerAlgorithm="AES256",
                   SSECustomerKey=short, SSECustomerKeyMD5=base64.b64encode(hashlib.md5(b"k" * 16).digest()).decode())
    assert code_status(err) == ("InvalidArgument", 400)
    mismatched = dict(key, SSECustomerKeyMD5=_customer_key(b"two")["SSECustomerKeyMD5"])
    assert code_status(error_of(s3.put_object, Bucket=bucket, Key="s", Body=b"x", **mismatched)) == (
        "InvalidArgument", 400)


# -- CopyObject ---------------------------------------------------------------------------------


def test_copy_metadata_directives(s3, bucket):
    s3.put_object(Bucket=bucket, Key="src", Body=b"payload", Metadata={"a": "1"}, ContentType="text/plain",
                  Tagging="t=1")
    copied = s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"})
    assert copied["CopyObjectResult"]["ETag"] == f'"{hashlib.md5(b"payload").hexdigest()}"'
    assert "LastModified" in copied["CopyObjectResult"]
    head = s3.head_object(Bucket=bucket, Key="dst")
    assert (head["Metadata"], head["ContentType"], head["TagCount"]) == ({"a": "1"}, "text/plain", 1)
    s3.copy_object(Bucket=bucket, Key="dst2", CopySource=f"{bucket}/src", MetadataDirective="REPLACE",
                   Metadata={"b": "2"}, TaggingDirective="REPLACE", Tagging="x=y&z=w")
    head = s3.head_object(Bucket=bucket, Key="dst2")
    assert (head["Metadata"], head["ContentType"], head["TagCount"]) == ({"b": "2"}, "binary/octet-stream", 2)
    assert s3.get_object(Bucket=bucket, Key="dst2")["Body"].read() == b"payload"
    err = error_of(s3.copy_object, Bucket=bucket, Key="src", CopySource=f"{bucket}/src")
    assert code_status(err) == ("InvalidRequest", 400)
    s3.copy_object(Bucket=bucket, Key="src", CopySource=f"{bucket}/src", MetadataDirective="REPLACE")
    assert s3.head_object(Bucket=bucket, Key="src")["Metadata"] == {}
    assert code_status(error_of(s3.copy_object, Bucket=bucket, Key="x", CopySource=f"{bucket}/missing")) == (
        "NoSuchKey", 404)
    assert code_status(error_of(s3.copy_object, Bucket=bucket, Key="x", CopySource=f"{_name()}/k")) == (
        "NoSuchBucket", 404)


def test_copy_conditions_and_versions(s3, versioned):
    first = s3.put_object(Bucket=versioned, Key="k", Body=b"one")
    s3.put_object(Bucket=versioned, Key="k", Body=b"two")
    copied = s3.copy_object(Bucket=versioned, Key="old",
                            CopySource={"Bucket": versioned, "Key": "k", "VersionId": first["VersionId"]})
    assert copied["CopySourceVersionId"] == first["VersionId"]
    assert s3.get_object(Bucket=versioned, Key="old")["Body"].read() == b"one"
    err = error_of(s3.copy_object, Bucket=versioned, Key="x", CopySource=f"{versioned}/k",
                   CopySourceIfMatch='"nope"')
    assert code_status(err) == ("PreconditionFailed", 412)
    assert err.response["Error"]["Condition"] == "x-amz-copy-source-If-Match"
    etag = s3.head_object(Bucket=versioned, Key="k")["ETag"]
    err = error_of(s3.copy_object, Bucket=versioned, Key="x", CopySource=f"{versioned}/k", CopySourceIfNoneMatch=etag)
    assert code_status(err) == ("PreconditionFailed", 412)
    s3.copy_object(Bucket=versioned, Key="x", CopySource=f"{versioned}/k", CopySourceIfMatch=etag)
    large = bytes(range(256)) * 12000  # several copy chunks
    s3.put_object(Bucket=versioned, Key="large", Body=large)
    s3.copy_object(Bucket=versioned, Key="large-copy", CopySource=f"{versioned}/large")
    assert s3.get_object(Bucket=versioned, Key="large-copy")["Body"].read() == large


# -- DeleteObjects ------------------------------------------------------------------------------


def test_delete_objects(s3, versioned):
    v1 = s3.put_object(Bucket=versioned, Key="a", Body=b"1")["VersionId"]
    s3.put_object(Bucket=versioned, Key="b", Body=b"1")
    result = s3.delete_objects(Bucket=versioned, Delete={"Objects": [
        {"Key": "a", "VersionId": v1}, {"Key": "b"}, {"Key": "never"}]})
    by_key = {d["Key"]: d for d in result["Deleted"]}
    assert by_key["a"]["VersionId"] == v1 and "DeleteMarker" not in by_key["a"]
    assert by_key["b"]["DeleteMarker"] is True and by_key["b"]["DeleteMarkerVersionId"]
    assert "never" in by_key
    quiet = s3.delete_objects(Bucket=versioned, Delete={"Objects": [{"Key": "b"}], "Quiet": True})
    assert "Deleted" not in quiet and "Errors" not in quiet
    too_many = {"Objects": [{"Key": f"k{i}"} for i in range(1001)]}
    assert code_status(error_of(s3.delete_objects, Bucket=versioned, Delete=too_many)) == ("MalformedXML", 400)


def test_delete_objects_reports_per_key_errors(s3, locked):
    version = s3.put_object(Bucket=locked, Key="held", Body=b"x", ObjectLockLegalHoldStatus="ON")["VersionId"]
    result = s3.delete_objects(Bucket=locked, Delete={"Objects": [{"Key": "held", "VersionId": version}]})
    assert result["Errors"] == [{"Key": "held", "VersionId": version, "Code": "AccessDenied",
                                 "Message": "Access Denied because object protected by object lock."}]


# -- tagging ------------------------------------------------------------------------------------


def test_object_tagging(s3, versioned):
    v1 = s3.put_object(Bucket=versioned, Key="t", Body=b"1", Tagging="k%20one=v%26&empty=")["VersionId"]
    assert s3.get_object_tagging(Bucket=versioned, Key="t")["TagSet"] == [
        {"Key": "k one", "Value": "v&"}, {"Key": "empty", "Value": ""}]
    assert s3.get_object(Bucket=versioned, Key="t")["TagCount"] == 2
    v2 = s3.put_object(Bucket=versioned, Key="t", Body=b"2")["VersionId"]
    assert s3.get_object_tagging(Bucket=versioned, Key="t")["TagSet"] == []
    assert "TagCount" not in s3.head_object(Bucket=versioned, Key="t")
    out = s3.put_object_tagging(Bucket=versioned, Key="t", VersionId=v2, Tagging={"TagSet": [{"Key": "a", "Value": "b"}]})
    assert out["VersionId"] == v2
    assert s3.get_object_tagging(Bucket=versioned, Key="t", VersionId=v1)["TagSet"][0]["Key"] == "k one"
    s3.delete_object_tagging(Bucket=versioned, Key="t", VersionId=v1)
    assert s3.get_object_tagging(Bucket=versioned, Key="t", VersionId=v1)["TagSet"] == []
    s3.delete_object(Bucket=versioned, Key="t", VersionId=v2)
    s3.put_object(Bucket=versioned, Key="t", Body=b"3")
    assert s3.get_object_tagging(Bucket=versioned, Key="t")["TagSet"] == []


@pytest.mark.parametrize("tags", [
    [{"Key": f"k{i}", "Value": "v"} for i in range(11)],
    [{"Key": "k" * 129, "Value": "v"}],
    [{"Key": "k", "Value": "v" * 257}],
    [{"Key": "k", "Value": "1"}, {"Key": "k", "Value": "2"}],
    [{"Key": "aws:reserved", "Value": "v"}],
])
def test_invalid_tags(s3, bucket, tags):
    s3.put_object(Bucket=bucket, Key="t", Body=b"1")
    err = error_of(s3.put_object_tagging, Bucket=bucket, Key="t", Tagging={"TagSet": tags})
    assert code_status(err) == ("InvalidTag", 400)


def test_tagging_header_limit_and_missing_key(s3, bucket):
    header = "&".join(f"k{i}=v" for i in range(11))
    assert code_status(error_of(s3.put_object, Bucket=bucket, Key="t", Body=b"1", Tagging=header)) == (
        "InvalidTag", 400)
    assert code_status(error_of(s3.get_object_tagging, Bucket=bucket, Key="none")) == ("NoSuchKey", 404)


# -- Object Lock --------------------------------------------------------------------------------


def test_lock_requires_lock_bucket(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"1")
    until = datetime.now(UTC) + timedelta(days=1)
    err = error_of(s3.put_object_retention, Bucket=bucket, Key="k",
                   Retention={"Mode": "GOVERNANCE", "RetainUntilDate": until})
    assert code_status(err) == ("InvalidRequest", 400)
    err = error_of(s3.put_object, Bucket=bucket, Key="k", Body=b"1", ObjectLockMode="GOVERNANCE",
                   ObjectLockRetainUntilDate=until)
    assert code_status(err) == ("InvalidRequest", 400)
    assert code_status(error_of(s3.get_object_legal_hold, Bucket=bucket, Key="k")) == ("InvalidRequest", 400)


def test_retention_rules(s3, locked):
    now = datetime.now(UTC)
    version = s3.put_object(Bucket=locked, Key="k", Body=b"1")["VersionId"]
    assert code_status(error_of(s3.get_object_retention, Bucket=locked, Key="k")) == (
        "NoSuchObjectLockConfiguration", 404)
    s3.put_object_retention(Bucket=locked, Key="k", Retention={"Mode": "GOVERNANCE",
                                                               "RetainUntilDate": now + timedelta(days=2)})
    err = error_of(s3.delete_object, Bucket=locked, Key="k", VersionId=version)
    assert code_status(err) == ("AccessDenied", 403)
    shorter = {"Mode": "GOVERNANCE", "RetainUntilDate": now + timedelta(days=1)}
    assert code_status(error_of(s3.put_object_retention, Bucket=locked, Key="k", Retention=shorter)) == (
        "AccessDenied", 403)
    s3.put_object_retention(Bucket=locked, Key="k", Retention=shorter, BypassGovernanceRetention=True)
    s3.put_object_retention(Bucket=locked, Key="k", Retention={"Mode": "COMPLIANCE",
                                                               "RetainUntilDate": now + timedelta(days=3)})
    retention = s3.get_object_retention(Bucket=locked, Key="k")["Retention"]
    assert retention["Mode"] == "COMPLIANCE"
    assert abs((retention["RetainUntilDate"] - (now + timedelta(days=3))).total_seconds()) < 2
    head = s3.head_object(Bucket=locked, Key="k")
    assert head["ObjectLockMode"] == "COMPLIANCE"
    err = error_of(s3.put_object_retention, Bucket=locked, Key="k", BypassGovernanceRetention=True,
                   Retention={"Mode": "COMPLIANCE", "RetainUntilDate": now + timedelta(days=1)})
    assert code_status(err) == ("AccessDenied", 403)
    err = error_of(s3.delete_object, Bucket=locked, Key="k", VersionId=version, BypassGovernanceRetention=True)
    assert code_status(err) == ("AccessDenied", 403)
    past = {"Mode": "GOVERNANCE", "RetainUntilDate": now - timedelta(days=1)}
    assert code_status(error_of(s3.put_object_retention, Bucket=locked, Key="k", Retention=past)) == (
        "InvalidArgument", 400)
    # A delete without a version id only adds a delete marker.
    assert s3.delete_object(Bucket=locked, Key="k")["DeleteMarker"] is True


def test_governance_bypass_delete_and_legal_hold(s3, locked):
    until = datetime.now(UTC) + timedelta(days=1)
    version = s3.put_object(Bucket=locked, Key="g", Body=b"1", ObjectLockMode="GOVERNANCE",
                            ObjectLockRetainUntilDate=until)["VersionId"]
    s3.put_object_legal_hold(Bucket=locked, Key="g", LegalHold={"Status": "ON"})
    assert s3.get_object_legal_hold(Bucket=locked, Key="g")["LegalHold"]["Status"] == "ON"
    err = error_of(s3.delete_object, Bucket=locked, Key="g", VersionId=version, BypassGovernanceRetention=True)
    assert code_status(err) == ("AccessDenied", 403)
    s3.put_object_legal_hold(Bucket=locked, Key="g", LegalHold={"Status": "OFF"})
    s3.delete_object(Bucket=locked, Key="g", VersionId=version, BypassGovernanceRetention=True)
    assert code_status(error_of(s3.head_object, Bucket=locked, Key="g"))[1] == 404


def test_default_retention_applies(s3, locked):
    s3.put_object_lock_configuration(Bucket=locked, ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}}})
    s3.put_object(Bucket=locked, Key="d", Body=b"1")
    retention = s3.get_object_retention(Bucket=locked, Key="d")["Retention"]
    assert retention["Mode"] == "GOVERNANCE"
    remaining = retention["RetainUntilDate"] - datetime.now(UTC)
    assert timedelta(hours=23) < remaining <= timedelta(days=1)
    err = error_of(s3.put_object, Bucket=locked, Key="x", Body=b"1", ObjectLockMode="GOVERNANCE")
    assert code_status(err) == ("InvalidArgument", 400)


# -- GetObjectAttributes ------------------------------------------------------------------------


def test_get_object_attributes(s3, versioned):
    body = b"attributes"
    version = s3.put_object(Bucket=versioned, Key="a", Body=body, ChecksumAlgorithm="SHA256",
                            StorageClass="STANDARD_IA")["VersionId"]
    out = s3.get_object_attributes(Bucket=versioned, Key="a",
                                   ObjectAttributes=["ETag", "Checksum", "StorageClass", "ObjectSize"])
    assert out["ETag"] == hashlib.md5(body).hexdigest()
    assert out["Checksum"]["ChecksumSHA256"] == base64.b64encode(hash_bytes("sha256", body)).decode()
    assert out["Checksum"]["ChecksumType"] == "FULL_OBJECT"
    assert (out["StorageClass"], out["ObjectSize"], out["VersionId"]) == ("STANDARD_IA", len(body), version)
    only = s3.get_object_attributes(Bucket=versioned, Key="a", ObjectAttributes=["ObjectSize"])
    assert "ETag" not in only and only["ObjectSize"] == len(body)
    assert code_status(error_of(s3.get_object_attributes, Bucket=versioned, Key="none",
                                ObjectAttributes=["ETag"])) == ("NoSuchKey", 404)
