"""S3 multipart uploads through boto3: create/upload/copy/complete/abort, listings, every rule and error."""

from __future__ import annotations

import base64
import hashlib
import os
import uuid

import pytest
from botocore.exceptions import ClientError

ACCOUNT = "666677778888"
KEY = "AKIAS3MULTIPARTTEST1"
SECRET = "s3-multipart-tests-secret"
MIB = 1024 * 1024


@pytest.fixture(scope="module")
def s3(pycloud):
    pycloud.admin("POST", "/_pycloud/accounts", {"id": ACCOUNT, "access_key": KEY, "secret_key": SECRET,
                                                 "name": "s3-multipart"})
    return pycloud.client("s3", access_key=KEY, secret_key=SECRET)


@pytest.fixture
def bucket(s3):
    name = f"mpu-{uuid.uuid4().hex[:16]}"
    s3.create_bucket(Bucket=name)
    return name


def error(call, **kwargs) -> tuple[str, int]:
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    return info.value.response["Error"]["Code"], info.value.response["ResponseMetadata"]["HTTPStatusCode"]


def md5(data: bytes) -> bytes:
    return hashlib.md5(data).digest()


def test_full_upload_round_trip(s3, bucket):
    created = s3.create_multipart_upload(Bucket=bucket, Key="big/obj", ContentType="text/plain",
                                         Metadata={"color": "blue"}, StorageClass="STANDARD_IA")
    upload_id = created["UploadId"]
    assert created["Bucket"] == bucket and created["Key"] == "big/obj"
    parts_data = [os.urandom(5 * MIB), os.urandom(5 * MIB), b"tail bytes"]
    etags = []
    for number, data in enumerate(parts_data, start=1):
        answer = s3.upload_part(Bucket=bucket, Key="big/obj", UploadId=upload_id, PartNumber=number, Body=data,
                                ContentMD5=base64.b64encode(md5(data)).decode())
        assert answer["ETag"] == f'"{hashlib.md5(data).hexdigest()}"'
        etags.append(answer["ETag"])
    listed = s3.list_parts(Bucket=bucket, Key="big/obj", UploadId=upload_id)
    assert [p["PartNumber"] for p in listed["Parts"]] == [1, 2, 3]
    assert [p["Size"] for p in listed["Parts"]] == [len(d) for d in parts_data]
    assert listed["StorageClass"] == "STANDARD_IA"
    assert listed["Initiator"]["ID"] == listed["Owner"]["ID"]
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key="big/obj", UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": n, "ETag": e} for n, e in enumerate(etags, start=1)]},
    )
    expected = hashlib.md5(b"".join(md5(d) for d in parts_data)).hexdigest() + "-3"
    assert done["ETag"] == f'"{expected}"'
    assert done["Bucket"] == bucket and done["Key"] == "big/obj"
    assert done["Location"].endswith(f"/{bucket}/big/obj")
    assert "VersionId" not in done
    got = s3.get_object(Bucket=bucket, Key="big/obj")
    assert got["Body"].read() == b"".join(parts_data)
    assert got["ContentType"] == "text/plain" and got["Metadata"] == {"color": "blue"}
    assert got["ETag"] == f'"{expected}"'
    assert s3.head_object(Bucket=bucket, Key="big/obj")["StorageClass"] == "STANDARD_IA"
    # The upload is gone once completed.
    assert error(s3.list_parts, Bucket=bucket, Key="big/obj", UploadId=upload_id) == ("NoSuchUpload", 404)


def test_versioned_completion_and_subset_of_parts(s3, bucket):
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    one = s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=1, Body=b"a" * (5 * MIB))
    s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=2, Body=b"unused")
    three = s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=3, Body=b"end")
    done = s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": one["ETag"]}, {"PartNumber": 3, "ETag": three["ETag"]}]})
    assert done["VersionId"] and done["VersionId"] != "null"
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"a" * (5 * MIB) + b"end"
    versions = s3.list_object_versions(Bucket=bucket)["Versions"]
    assert [v["VersionId"] for v in versions] == [done["VersionId"]]


def test_completion_errors(s3, bucket):
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    small = s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=1, Body=b"small")["ETag"]
    other = s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=2, Body=b"other")["ETag"]

    def complete(parts, **kw):
        return s3.complete_multipart_upload(Bucket=bucket, Key=kw.get("key", "k"),
                                            UploadId=kw.get("upload_id", upload_id),
                                            MultipartUpload={"Parts": parts})

    assert error(complete, parts=[{"PartNumber": 1, "ETag": small}, {"PartNumber": 2, "ETag": other}]) == (
        "EntityTooSmall", 400)
    assert error(complete, parts=[{"PartNumber": 2, "ETag": other}, {"PartNumber": 1, "ETag": small}]) == (
        "InvalidPartOrder", 400)
    assert error(complete, parts=[{"PartNumber": 1, "ETag": other}]) == ("InvalidPart", 400)
    assert error(complete, parts=[{"PartNumber": 7, "ETag": small}]) == ("InvalidPart", 400)
    assert error(complete, parts=[]) == ("MalformedXML", 400)
    assert error(s3.complete_multipart_upload, Bucket=bucket, Key="k", UploadId=upload_id) == ("MalformedXML", 400)
    assert error(complete, parts=[{"PartNumber": 1, "ETag": small}], upload_id="nope") == ("NoSuchUpload", 404)
    # An upload id used with another key is not found.
    assert error(complete, parts=[{"PartNumber": 1, "ETag": small}], key="other") == ("NoSuchUpload", 404)
    # A single (last) part may be small: the failed attempts left the upload usable.
    done = complete([{"PartNumber": 1, "ETag": small}])
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"small"
    assert done["ETag"] == f'"{hashlib.md5(md5(b"small")).hexdigest()}-1"'


def test_upload_part_errors(s3, bucket):
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    for number in (0, 10001):
        assert error(s3.upload_part, Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=number,
                     Body=b"x") == ("InvalidArgument", 400)
    wrong = base64.b64encode(md5(b"something else")).decode()
    assert error(s3.upload_part, Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=1, Body=b"x",
                 ContentMD5=wrong) == ("BadDigest", 400)
    assert error(s3.upload_part, Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=1, Body=b"x",
                 ContentMD5="not base64!") == ("InvalidDigest", 400)
    # The rejected part was not kept.
    assert s3.list_parts(Bucket=bucket, Key="k", UploadId=upload_id).get("Parts", []) == []
    assert error(s3.upload_part, Bucket=bucket, Key="k", UploadId="missing", PartNumber=1,
                 Body=b"x") == ("NoSuchUpload", 404)
    other = f"mpu-{uuid.uuid4().hex[:16]}"
    s3.create_bucket(Bucket=other)
    assert error(s3.upload_part, Bucket=other, Key="k", UploadId=upload_id, PartNumber=1,
                 Body=b"x") == ("NoSuchUpload", 404)
    # Re-uploading a part number replaces it.
    s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=1, Body=b"first")
    second = s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=1, Body=b"second")
    parts = s3.list_parts(Bucket=bucket, Key="k", UploadId=upload_id)["Parts"]
    assert [(p["PartNumber"], p["ETag"], p["Size"]) for p in parts] == [(1, second["ETag"], 6)]


def test_checksums(s3, bucket):
    created = s3.create_multipart_upload(Bucket=bucket, Key="k", ChecksumAlgorithm="SHA256")
    assert created["ChecksumAlgorithm"] == "SHA256" and created["ChecksumType"] == "COMPOSITE"
    upload_id = created["UploadId"]
    data = [b"p" * (5 * MIB), b"last"]
    parts = []
    for number, body in enumerate(data, start=1):
        answer = s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=number, Body=body,
                                ChecksumAlgorithm="SHA256")
        assert answer["ChecksumSHA256"] == base64.b64encode(hashlib.sha256(body).digest()).decode()
        parts.append({"PartNumber": number, "ETag": answer["ETag"], "ChecksumSHA256": answer["ChecksumSHA256"]})
    bad = base64.b64encode(hashlib.sha256(b"no").digest()).decode()
    assert error(s3.upload_part, Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=3, Body=b"x",
                 ChecksumSHA256=bad) == ("BadDigest", 400)
    listed = s3.list_parts(Bucket=bucket, Key="k", UploadId=upload_id)
    assert listed["ChecksumAlgorithm"] == "SHA256"
    assert [p["ChecksumSHA256"] for p in listed["Parts"][:2]] == [p["ChecksumSHA256"] for p in parts]
    done = s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id,
                                        MultipartUpload={"Parts": parts})
    composite = hashlib.sha256(b"".join(hashlib.sha256(b).digest() for b in data)).digest()
    assert done["ChecksumSHA256"] == base64.b64encode(composite).decode() + "-2"


def test_upload_part_copy_with_ranges(s3, bucket):
    source = os.urandom(6 * MIB + 123)
    s3.put_object(Bucket=bucket, Key="src", Body=source)
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="dst")["UploadId"]
    first = s3.upload_part_copy(Bucket=bucket, Key="dst", UploadId=upload_id, PartNumber=1,
                                CopySource={"Bucket": bucket, "Key": "src"}, CopySourceRange=f"bytes=0-{5 * MIB - 1}")
    assert first["CopyPartResult"]["ETag"] == f'"{hashlib.md5(source[:5 * MIB]).hexdigest()}"'
    second = s3.upload_part_copy(Bucket=bucket, Key="dst", UploadId=upload_id, PartNumber=2,
                                 CopySource={"Bucket": bucket, "Key": "src"})
    third = s3.upload_part_copy(Bucket=bucket, Key="dst", UploadId=upload_id, PartNumber=3,
                                CopySource=f"{bucket}/src", CopySourceRange="bytes=100-199")
    for bad_range in ("bytes=10-5", "bytes=0-99999999", "items=0-1"):
        assert error(s3.upload_part_copy, Bucket=bucket, Key="dst", UploadId=upload_id, PartNumber=4,
                     CopySource=f"{bucket}/src", CopySourceRange=bad_range) == ("InvalidArgument", 400)
    assert error(s3.upload_part_copy, Bucket=bucket, Key="dst", UploadId=upload_id, PartNumber=4,
                 CopySource=f"{bucket}/missing") == ("NoSuchKey", 404)
    assert error(s3.upload_part_copy, Bucket=bucket, Key="dst", UploadId=upload_id, PartNumber=4,
                 CopySource=f"{bucket}/src", CopySourceIfMatch='"0000"') == ("PreconditionFailed", 412)
    s3.complete_multipart_upload(Bucket=bucket, Key="dst", UploadId=upload_id, MultipartUpload={"Parts": [
        {"PartNumber": n, "ETag": r["CopyPartResult"]["ETag"]} for n, r in ((1, first), (2, second), (3, third))]})
    body = s3.get_object(Bucket=bucket, Key="dst")["Body"].read()
    assert body == source[:5 * MIB] + source + source[100:200]


def test_abort_frees_and_bucket_deletable(s3, bucket):
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=1, Body=b"z" * MIB)
    assert error(s3.delete_bucket, Bucket=bucket) == ("BucketNotEmpty", 409)
    assert error(s3.abort_multipart_upload, Bucket=bucket, Key="other", UploadId=upload_id) == ("NoSuchUpload", 404)
    s3.abort_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id)
    assert error(s3.abort_multipart_upload, Bucket=bucket, Key="k", UploadId=upload_id) == ("NoSuchUpload", 404)
    assert error(s3.upload_part, Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=1,
                 Body=b"x") == ("NoSuchUpload", 404)
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    s3.delete_bucket(Bucket=bucket)


def test_list_parts_pagination(s3, bucket):
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    numbers = [1, 2, 5, 9, 10, 11, 400]
    for n in numbers:
        s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=n, Body=str(n).encode())
    seen, marker = [], 0
    while True:
        page = s3.list_parts(Bucket=bucket, Key="k", UploadId=upload_id, MaxParts=3, PartNumberMarker=marker)
        assert page["MaxParts"] == 3 and page["PartNumberMarker"] == marker
        seen += [p["PartNumber"] for p in page["Parts"]]
        if not page["IsTruncated"]:
            break
        marker = page["NextPartNumberMarker"]
    assert seen == numbers
    s3.abort_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id)


def test_list_multipart_uploads(s3, bucket):
    keys = ["a/1", "a/2", "a/b/3", "b", "c/x", "c/y", "d"]
    ids = {}
    for key in keys:
        ids[key] = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    twice = s3.create_multipart_upload(Bucket=bucket, Key="b")["UploadId"]
    everything = s3.list_multipart_uploads(Bucket=bucket)
    assert [u["Key"] for u in everything["Uploads"]] == ["a/1", "a/2", "a/b/3", "b", "b", "c/x", "c/y", "d"]
    assert {u["UploadId"] for u in everything["Uploads"] if u["Key"] == "b"} == {ids["b"], twice}
    assert all(u["StorageClass"] == "STANDARD" and u["Initiator"]["ID"] for u in everything["Uploads"])

    rolled = s3.list_multipart_uploads(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in rolled["CommonPrefixes"]] == ["a/", "c/"]
    assert [u["Key"] for u in rolled["Uploads"]] == ["b", "b", "d"]
    nested = s3.list_multipart_uploads(Bucket=bucket, Delimiter="/", Prefix="a/")
    assert [p["Prefix"] for p in nested["CommonPrefixes"]] == ["a/b/"]
    assert [u["Key"] for u in nested["Uploads"]] == ["a/1", "a/2"]

    # Paginate with delimiter, one entry per page: uploads and prefixes in order, none twice.
    entries, kwargs = [], {}
    for _ in range(20):
        page = s3.list_multipart_uploads(Bucket=bucket, Delimiter="/", MaxUploads=1, **kwargs)
        entries += [("u", u["Key"], u["UploadId"]) for u in page.get("Uploads", [])]
        entries += [("p", p["Prefix"], "") for p in page.get("CommonPrefixes", [])]
        if not page["IsTruncated"]:
            break
        kwargs = {"KeyMarker": page["NextKeyMarker"], "UploadIdMarker": page["NextUploadIdMarker"]}
    assert [(kind, key) for kind, key, _ in entries] == [("p", "a/"), ("u", "b"), ("u", "b"), ("p", "c/"), ("u", "d")]
    assert len({uid for kind, _, uid in entries if kind == "u"}) == 3

    after = s3.list_multipart_uploads(Bucket=bucket, KeyMarker="b")
    assert [u["Key"] for u in after["Uploads"]] == ["c/x", "c/y", "d"]
    assert error(s3.list_multipart_uploads, Bucket=bucket, MaxUploads=-1) == ("InvalidArgument", 400)
    for key, upload_id in [*ids.items(), ("b", twice)]:
        s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
    s3.delete_bucket(Bucket=bucket)


def test_tags_and_default_retention_reach_the_completed_object(s3):
    """Tagging and Object Lock given at CreateMultipartUpload apply to the completed object."""
    from datetime import UTC, datetime, timedelta

    name = f"mpu-lock-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    until = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0)
    created = s3.create_multipart_upload(Bucket=name, Key="locked", Tagging="team=a&tier=gold",
                                         ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=until)
    upload_id = created["UploadId"]
    etag = s3.upload_part(Bucket=name, Key="locked", UploadId=upload_id, PartNumber=1, Body=b"only part")["ETag"]
    done = s3.complete_multipart_upload(Bucket=name, Key="locked", UploadId=upload_id,
                                        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
    version = done["VersionId"]
    tags = s3.get_object_tagging(Bucket=name, Key="locked", VersionId=version)["TagSet"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [("team", "a"), ("tier", "gold")]
    retention = s3.get_object_retention(Bucket=name, Key="locked", VersionId=version)["Retention"]
    assert retention["Mode"] == "GOVERNANCE" and retention["RetainUntilDate"] == until
    assert error(s3.delete_object, Bucket=name, Key="locked", VersionId=version) == ("AccessDenied", 403)
