"""S3 lifecycle rules executed when the virtual clock advances: expiration (days, filters, versioned
delete markers), noncurrent expiration, expired delete marker cleanup, incomplete upload abort,
Object Lock protection, disabled rules.

This module advances the virtual clock by days, which would expire presigned URLs and credentials
other modules create later; so it runs against its own server (a module-scoped ``pycloud``).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from clock_helpers import advance_to, lifecycle_due
from s3_helpers import account_client_fixture, code_status, error_of, unique

from pycloud.testing.plugin import private_server_fixture

ACCOUNT = "555566669999"
KEY_ID = "AKIAS3LIFECYCLE00001"
SECRET = "s3-lifecycle-tests-secret"
MARGIN = timedelta(minutes=5)


pycloud = private_server_fixture()
client = account_client_fixture(ACCOUNT, KEY_ID, SECRET, "s3-lifecycle-tests")


@pytest.fixture(scope="module")
def s3(client):
    return client()


def _bucket(s3, *, versioned: bool = False, lock: bool = False) -> str:
    name = unique("lc")
    if lock:
        s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    else:
        s3.create_bucket(Bucket=name)
    if versioned and not lock:
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


def _rules(s3, bucket: str, *rules: dict) -> None:
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": list(rules)})


def _exists(s3, bucket: str, key: str) -> bool:
    try:
        s3.head_object(Bucket=bucket, Key=key)
    except Exception:
        return False
    return True


def _versions(s3, bucket: str) -> list[tuple[str, str, bool]]:
    """(key, version id, is delete marker) of every version, newest first per key."""
    listing = s3.list_object_versions(Bucket=bucket)
    out = [(v["Key"], v["VersionId"], False) for v in listing.get("Versions", [])]
    out += [(m["Key"], m["VersionId"], True) for m in listing.get("DeleteMarkers", [])]
    return out


def test_expiration_by_days_with_prefix_filter(pycloud, s3):
    bucket = _bucket(s3)
    _rules(s3, bucket, {"ID": "logs", "Status": "Enabled", "Filter": {"Prefix": "logs/"}, "Expiration": {"Days": 2}})
    s3.put_object(Bucket=bucket, Key="logs/a", Body=b"x")
    modified = s3.head_object(Bucket=bucket, Key="logs/a")
    s3.put_object(Bucket=bucket, Key="keep/b", Body=b"y")
    due = lifecycle_due(modified["LastModified"], 2)
    advance_to(pycloud, due - MARGIN)  # the day before: at most the evening before midnight
    assert _exists(s3, bucket, "logs/a")
    advance_to(pycloud, due + MARGIN)
    assert code_status(error_of(s3.get_object, Bucket=bucket, Key="logs/a")) == ("NoSuchKey", 404)
    assert _exists(s3, bucket, "keep/b")


def test_expiration_tag_and_size_filters(pycloud, s3):
    bucket = _bucket(s3)
    _rules(s3, bucket, {"ID": "tagged", "Status": "Enabled", "Expiration": {"Days": 1},
                        "Filter": {"And": {"Tags": [{"Key": "tier", "Value": "temp"}], "ObjectSizeGreaterThan": 3}}})
    s3.put_object(Bucket=bucket, Key="temp-big", Body=b"12345", Tagging="tier=temp")
    s3.put_object(Bucket=bucket, Key="temp-small", Body=b"12", Tagging="tier=temp")
    s3.put_object(Bucket=bucket, Key="other", Body=b"12345", Tagging="tier=keep")
    s3.put_object(Bucket=bucket, Key="untagged", Body=b"12345")
    due = lifecycle_due(s3.head_object(Bucket=bucket, Key="untagged")["LastModified"], 1)
    advance_to(pycloud, due + MARGIN)
    assert not _exists(s3, bucket, "temp-big")
    assert all(_exists(s3, bucket, key) for key in ("temp-small", "other", "untagged"))


def test_versioned_expiration_adds_delete_marker(pycloud, s3):
    bucket = _bucket(s3, versioned=True)
    _rules(s3, bucket, {"ID": "all", "Status": "Enabled", "Filter": {}, "Expiration": {"Days": 1}})
    version = s3.put_object(Bucket=bucket, Key="doc", Body=b"v1")["VersionId"]
    due = lifecycle_due(s3.head_object(Bucket=bucket, Key="doc")["LastModified"], 1)
    advance_to(pycloud, due + MARGIN)
    assert code_status(error_of(s3.get_object, Bucket=bucket, Key="doc")) == ("NoSuchKey", 404)
    versions = _versions(s3, bucket)
    assert ("doc", version, False) in versions
    assert [v for v in versions if v[2]] and len(versions) == 2
    assert s3.get_object(Bucket=bucket, Key="doc", VersionId=version)["Body"].read() == b"v1"


def test_noncurrent_expiration_keeps_newer_noncurrent_versions(pycloud, s3):
    bucket = _bucket(s3, versioned=True)
    _rules(s3, bucket, {"ID": "old", "Status": "Enabled", "Filter": {"Prefix": ""},
                        "NoncurrentVersionExpiration": {"NoncurrentDays": 1, "NewerNoncurrentVersions": 1}})
    ids = [s3.put_object(Bucket=bucket, Key="k", Body=f"v{i}".encode())["VersionId"] for i in range(3)]
    listing = {v["VersionId"]: v["LastModified"] for v in s3.list_object_versions(Bucket=bucket)["Versions"]}
    due = lifecycle_due(listing[ids[1]], 1)  # ids[0] became noncurrent when ids[1] was written
    advance_to(pycloud, due - MARGIN)
    assert {v[1] for v in _versions(s3, bucket)} == set(ids)
    advance_to(pycloud, lifecycle_due(listing[ids[2]], 1) + MARGIN)
    assert {v[1] for v in _versions(s3, bucket)} == {ids[1], ids[2]}


def test_expired_delete_marker_cleanup(pycloud, s3):
    bucket = _bucket(s3, versioned=True)
    _rules(s3, bucket, {"ID": "clean", "Status": "Enabled", "Filter": {"Prefix": "gone"},
                        "Expiration": {"ExpiredObjectDeleteMarker": True},
                        "NoncurrentVersionExpiration": {"NoncurrentDays": 1}})
    s3.put_object(Bucket=bucket, Key="gone", Body=b"x")
    marker = s3.delete_object(Bucket=bucket, Key="gone")
    assert marker["DeleteMarker"]
    s3.put_object(Bucket=bucket, Key="stay", Body=b"x")
    s3.delete_object(Bucket=bucket, Key="stay")  # outside the rule's prefix: version and marker stay
    since = next(m["LastModified"] for m in s3.list_object_versions(Bucket=bucket)["DeleteMarkers"]
                 if m["Key"] == "gone")
    advance_to(pycloud, lifecycle_due(since, 1) - MARGIN)
    assert len([v for v in _versions(s3, bucket) if v[0] == "gone"]) == 2
    advance_to(pycloud, lifecycle_due(since, 1) + MARGIN)
    versions = _versions(s3, bucket)
    assert [v for v in versions if v[0] == "gone"] == []
    assert len([v for v in versions if v[0] == "stay"]) == 2


def test_abort_incomplete_multipart_upload(pycloud, s3):
    bucket = _bucket(s3)
    _rules(s3, bucket, {"ID": "mpu", "Status": "Enabled", "Filter": {"Prefix": "up/"},
                        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}})
    aborted = s3.create_multipart_upload(Bucket=bucket, Key="up/one")["UploadId"]
    kept = s3.create_multipart_upload(Bucket=bucket, Key="other/two")["UploadId"]
    initiated = next(u["Initiated"] for u in s3.list_multipart_uploads(Bucket=bucket)["Uploads"]
                     if u["UploadId"] == aborted)
    advance_to(pycloud, lifecycle_due(initiated, 1) - MARGIN)
    assert {u["UploadId"] for u in s3.list_multipart_uploads(Bucket=bucket)["Uploads"]} == {aborted, kept}
    advance_to(pycloud, lifecycle_due(initiated, 1) + MARGIN)
    assert {u["UploadId"] for u in s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])} == {kept}


def test_locked_version_survives_noncurrent_expiration(pycloud, s3):
    bucket = _bucket(s3, lock=True)
    _rules(s3, bucket, {"ID": "old", "Status": "Enabled", "Filter": {},
                        "NoncurrentVersionExpiration": {"NoncurrentDays": 1}})
    held = s3.put_object(Bucket=bucket, Key="held", Body=b"1", ObjectLockLegalHoldStatus="ON")["VersionId"]
    s3.put_object(Bucket=bucket, Key="held", Body=b"2")
    free = s3.put_object(Bucket=bucket, Key="free", Body=b"1")["VersionId"]
    s3.put_object(Bucket=bucket, Key="free", Body=b"2")
    newest = max(v["LastModified"] for v in s3.list_object_versions(Bucket=bucket)["Versions"])
    advance_to(pycloud, lifecycle_due(newest, 1) + MARGIN)
    ids = {v[1] for v in _versions(s3, bucket)}
    assert held in ids
    assert free not in ids
    assert len(ids) == 3


def test_disabled_rule_does_nothing(pycloud, s3):
    bucket = _bucket(s3)
    _rules(s3, bucket, {"ID": "off", "Status": "Disabled", "Filter": {}, "Expiration": {"Days": 1},
                        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}})
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    upload = s3.create_multipart_upload(Bucket=bucket, Key="u")["UploadId"]
    advance_to(pycloud, lifecycle_due(s3.head_object(Bucket=bucket, Key="k")["LastModified"], 1) + MARGIN)
    assert _exists(s3, bucket, "k")
    assert [u["UploadId"] for u in s3.list_multipart_uploads(Bucket=bucket)["Uploads"]] == [upload]
