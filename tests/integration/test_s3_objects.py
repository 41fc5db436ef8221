"""S3 single-object reads and writes through boto3 and raw signed HTTP: ranges, conditional requests,
integrity (Content-MD5, flexible checksums in headers and trailers), metadata, storage classes, keys,
presigned URLs."""

from __future__ import annotations

import base64
import hashlib
import urllib.request
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from botocore.config import Config
from rawhttp import send
from s3_helpers import account_client_fixture, code_status, error_of, unique

from pycloud._core import hash_bytes

ACCOUNT = "555566667777"
KEY_ID = "AKIAS3OBJECTTESTS001"
SECRET = "s3-object-tests-secret"
BODY = b"0123456789abcdefghij"


client = account_client_fixture(ACCOUNT, KEY_ID, SECRET, "s3-object-tests")


@pytest.fixture(scope="module")
def s3(client):
    return client()


@pytest.fixture
def bucket(s3):
    name = unique("obj")
    s3.create_bucket(Bucket=name)
    return name


def _signed(pycloud, method, path, body, headers, **kw):
    """A SigV4-signed raw request as the tests' account (``keep_content_sha256`` keeps a given payload hash)."""
    from botocore.auth import S3SigV4Auth, SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest(method=method, url=pycloud.endpoint + path, data=body, headers=dict(headers or {}))
    signer = SigV4Auth if kw.get("keep_content_sha256") else S3SigV4Auth
    signer(Credentials(KEY_ID, SECRET), "s3", "us-east-1").add_auth(request)
    return send(pycloud.endpoint, method, path, body, dict(request.headers.items()))


# -- round trip, metadata -----------------------------------------------------------------------


def test_put_get_round_trip_with_metadata(s3, bucket):
    expires = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    put = s3.put_object(Bucket=bucket, Key="a/b c.txt", Body=BODY, Metadata={"Color": "blue"},
                        CacheControl="max-age=60", ContentDisposition="attachment", ContentEncoding="gzip",
                        ContentLanguage="fr", Expires=expires, WebsiteRedirectLocation="/other",
                        ContentType="text/plain")
    assert put["ETag"] == f'"{hashlib.md5(BODY).hexdigest()}"'
    got = s3.get_object(Bucket=bucket, Key="a/b c.txt")
    assert got["Body"].read() == BODY
    assert got["Metadata"] == {"color": "blue"}
    assert (got["CacheControl"], got["ContentDisposition"], got["ContentEncoding"], got["ContentLanguage"]) == (
        "max-age=60", "attachment", "gzip", "fr")
    assert got["ContentType"] == "text/plain"
    assert got["WebsiteRedirectLocation"] == "/other"
    assert got["ExpiresString"] == "Wed, 02 Jan 2030 03:04:05 GMT"
    assert got["ServerSideEncryption"] == "AES256"  # every bucket defaults to SSE-S3
    s3.put_object(Bucket=bucket, Key="plain", Body=b"x")
    assert s3.head_object(Bucket=bucket, Key="plain")["ContentType"] == "binary/octet-stream"


def test_response_overrides(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=BODY, ContentType="text/plain")
    got = s3.get_object(Bucket=bucket, Key="k", ResponseContentType="application/json",
                        ResponseCacheControl="no-cache", ResponseContentDisposition="inline",
                        ResponseExpires=datetime(2031, 5, 6, tzinfo=UTC))
    assert got["ContentType"] == "application/json"
    assert got["CacheControl"] == "no-cache"
    assert got["ContentDisposition"] == "inline"
    assert got["ExpiresString"] == "Tue, 06 May 2031 00:00:00 GMT"


def test_metadata_too_large_and_storage_classes(s3, bucket):
    err = error_of(s3.put_object, Bucket=bucket, Key="big", Body=b"x", Metadata={"k": "v" * 2048})
    assert code_status(err) == ("MetadataTooLarge", 400)
    assert err.response["Error"]["MaxSizeAllowed"] == "2048"
    s3.put_object(Bucket=bucket, Key="ok", Body=b"x", Metadata={"k": "v" * 2000})
    assert code_status(error_of(s3.put_object, Bucket=bucket, Key="sc", Body=b"x", StorageClass="NOPE")) == (
        "InvalidStorageClass", 400)
    s3.put_object(Bucket=bucket, Key="ia", Body=b"x", StorageClass="STANDARD_IA")
    assert s3.head_object(Bucket=bucket, Key="ia")["StorageClass"] == "STANDARD_IA"
    s3.put_object(Bucket=bucket, Key="cold", Body=b"x", StorageClass="GLACIER")
    assert s3.head_object(Bucket=bucket, Key="cold")["StorageClass"] == "GLACIER"
    err = error_of(s3.get_object, Bucket=bucket, Key="cold")
    assert code_status(err) == ("InvalidObjectState", 403)
    assert err.response["Error"]["StorageClass"] == "GLACIER"


def test_key_length_and_addressing_styles(client, s3, bucket):
    longest = "k" * 1024
    s3.put_object(Bucket=bucket, Key=longest, Body=b"x")
    err = error_of(s3.put_object, Bucket=bucket, Key="é" * 513, Body=b"x")
    assert code_status(err) == ("KeyTooLongError", 400)
    for style in ("path", "virtual"):
        styled = client(config=Config(s3={"addressing_style": style}))
        styled.put_object(Bucket=bucket, Key=f"{style}/ü key", Body=style.encode())
        assert styled.get_object(Bucket=bucket, Key=f"{style}/ü key")["Body"].read() == style.encode()


# -- ranges and parts ---------------------------------------------------------------------------


@pytest.mark.parametrize(("header", "expected", "content_range"), [
    ("bytes=0-4", BODY[0:5], "bytes 0-4/20"),
    ("bytes=15-", BODY[15:], "bytes 15-19/20"),
    ("bytes=-3", BODY[-3:], "bytes 17-19/20"),
    ("bytes=10-999", BODY[10:], "bytes 10-19/20"),
    ("bytes=-100", BODY, "bytes 0-19/20"),
])
def test_ranges(s3, bucket, header, expected, content_range):
    s3.put_object(Bucket=bucket, Key="r", Body=BODY)
    got = s3.get_object(Bucket=bucket, Key="r", Range=header)
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert got["ContentRange"] == content_range
    assert got["ContentLength"] == len(expected)
    assert got["Body"].read() == expected
    head = s3.head_object(Bucket=bucket, Key="r", Range=header)
    assert head["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert head["ContentLength"] == len(expected)


def test_unsatisfiable_and_ignored_ranges(s3, bucket):
    s3.put_object(Bucket=bucket, Key="r", Body=BODY)
    err = error_of(s3.get_object, Bucket=bucket, Key="r", Range="bytes=20-")
    assert code_status(err) == ("InvalidRange", 416)
    assert err.response["Error"]["ActualObjectSize"] == "20"
    assert err.response["Error"]["RangeRequested"] == "bytes=20-"
    for ignored in ("bytes=0-1,4-5", "bytes=5-2", "items=0-1"):
        got = s3.get_object(Bucket=bucket, Key="r", Range=ignored)
        assert got["ResponseMetadata"]["HTTPStatusCode"] == 200
        assert got["Body"].read() == BODY


def test_part_number_on_single_part_object(s3, bucket):
    s3.put_object(Bucket=bucket, Key="p", Body=BODY)
    assert s3.get_object(Bucket=bucket, Key="p", PartNumber=1)["Body"].read() == BODY
    err = error_of(s3.get_object, Bucket=bucket, Key="p", PartNumber=2)
    assert code_status(err) == ("InvalidPartNumber", 416)
    err = error_of(s3.get_object, Bucket=bucket, Key="p", PartNumber=1, Range="bytes=0-1")
    assert code_status(err) == ("InvalidRequest", 400)


# -- conditional requests -----------------------------------------------------------------------


def test_conditional_reads(s3, bucket):
    etag = s3.put_object(Bucket=bucket, Key="c", Body=BODY)["ETag"]
    modified = s3.head_object(Bucket=bucket, Key="c")["LastModified"]
    before = modified - timedelta(hours=1)
    assert s3.get_object(Bucket=bucket, Key="c", IfMatch=etag)["Body"].read() == BODY
    err = error_of(s3.get_object, Bucket=bucket, Key="c", IfMatch='"nope"')
    assert code_status(err) == ("PreconditionFailed", 412)
    assert err.response["Error"]["Condition"] == "If-Match"
    err = error_of(s3.get_object, Bucket=bucket, Key="c", IfUnmodifiedSince=before)
    assert err.response["Error"]["Condition"] == "If-Unmodified-Since"
    # A true If-Match makes S3 ignore a false If-Unmodified-Since.
    assert s3.get_object(Bucket=bucket, Key="c", IfMatch=etag, IfUnmodifiedSince=before)["ContentLength"] == 20
    assert code_status(error_of(s3.get_object, Bucket=bucket, Key="c", IfNoneMatch=etag))[1] == 304
    assert code_status(error_of(s3.get_object, Bucket=bucket, Key="c", IfModifiedSince=modified))[1] == 304
    assert s3.get_object(Bucket=bucket, Key="c", IfModifiedSince=before)["ContentLength"] == 20
    # If-None-Match not matching: If-Modified-Since is ignored.
    assert s3.get_object(Bucket=bucket, Key="c", IfNoneMatch='"x"', IfModifiedSince=modified)["ContentLength"] == 20
    assert code_status(error_of(s3.head_object, Bucket=bucket, Key="c", IfNoneMatch=etag))[1] == 304
    assert code_status(error_of(s3.head_object, Bucket=bucket, Key="c", IfMatch='"x"'))[1] == 412


def test_not_modified_is_bodiless_with_validators(pycloud, s3, bucket):
    etag = s3.put_object(Bucket=bucket, Key="c", Body=BODY)["ETag"]
    status, headers, body = _signed(pycloud, "GET", f"/{bucket}/c", b"", {"If-None-Match": etag})
    assert (status, body) == (304, b"")
    assert headers["etag"] == etag
    assert "last-modified" in headers


def test_conditional_writes(s3, bucket):
    err = error_of(s3.put_object, Bucket=bucket, Key="w", Body=b"1", IfMatch='"abc"')
    assert code_status(err) == ("NoSuchKey", 404)
    etag = s3.put_object(Bucket=bucket, Key="w", Body=b"1", IfNoneMatch="*")["ETag"]
    err = error_of(s3.put_object, Bucket=bucket, Key="w", Body=b"2", IfNoneMatch="*")
    assert code_status(err) == ("PreconditionFailed", 412)
    assert err.response["Error"]["Condition"] == "If-None-Match"
    err = error_of(s3.put_object, Bucket=bucket, Key="w", Body=b"2", IfMatch='"0000"')
    assert code_status(err) == ("PreconditionFailed", 412)
    s3.put_object(Bucket=bucket, Key="w", Body=b"3", IfMatch=etag)
    assert s3.get_object(Bucket=bucket, Key="w")["Body"].read() == b"3"


# -- integrity ----------------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_content_md5(pycloud, s3, bucket):
    good = _b64(hashlib.md5(b"hello").digest())
    s3.put_object(Bucket=bucket, Key="m", Body=b"hello", ContentMD5=good)
    status, _, body = _signed(pycloud, "PUT", f"/{bucket}/bad", b"hello", {"Content-MD5": "not-base64!"})
    assert status == 400 and b"<Code>InvalidDigest</Code>" in body
    status, _, body = _signed(pycloud, "PUT", f"/{bucket}/bad", b"hellO", {"Content-MD5": good})
    assert status == 400 and b"<Code>BadDigest</Code>" in body
    assert code_status(error_of(s3.head_object, Bucket=bucket, Key="bad"))[1] == 404


@pytest.mark.parametrize("algorithm", ["CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"])
def test_flexible_checksum_headers(s3, bucket, algorithm):
    value = _b64(hash_bytes(algorithm.lower(), BODY))
    member = f"Checksum{algorithm}"
    put = s3.put_object(Bucket=bucket, Key="f", Body=BODY, **{member: value})
    assert put[member] == value
    assert put["ChecksumType"] == "FULL_OBJECT"
    head = s3.head_object(Bucket=bucket, Key="f", ChecksumMode="ENABLED")
    assert head[member] == value
    assert member not in s3.head_object(Bucket=bucket, Key="f")
    wrong = _b64(hash_bytes(algorithm.lower(), b"other"))
    err = error_of(s3.put_object, Bucket=bucket, Key="g", Body=BODY, **{member: wrong})
    assert code_status(err) == ("BadDigest", 400)
    assert code_status(error_of(s3.head_object, Bucket=bucket, Key="g"))[1] == 404


def test_default_checksum_is_crc64nvme(client, bucket):
    plain = client(config=Config(request_checksum_calculation="when_required"))
    put = plain.put_object(Bucket=bucket, Key="d", Body=BODY)
    assert put["ChecksumCRC64NVME"] == _b64(hash_bytes("crc64nvme", BODY))
    got = plain.get_object(Bucket=bucket, Key="d", ChecksumMode="ENABLED")
    assert got["ChecksumCRC64NVME"] == put["ChecksumCRC64NVME"]
    assert got["ChecksumType"] == "FULL_OBJECT"
    ranged = plain.get_object(Bucket=bucket, Key="d", ChecksumMode="ENABLED", Range="bytes=0-1")
    assert "ChecksumCRC64NVME" not in ranged  # a part of the body has no whole-object checksum


def test_malformed_checksum_header(pycloud, bucket):
    status, _, body = _signed(pycloud, "PUT", f"/{bucket}/x", BODY, {"x-amz-checksum-crc32": "AAAA"})
    assert status == 400 and b"<Code>InvalidRequest</Code>" in body


def _chunked(data: bytes, trailer: str) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n0\r\n" + trailer.encode() + b"\r\n\r\n"


@pytest.mark.parametrize("good", [True, False])
def test_trailer_checksum(pycloud, s3, bucket, good):
    value = _b64(hash_bytes("crc32", BODY if good else b"x"))
    headers = {
        "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        "Content-Encoding": "aws-chunked",
        "x-amz-decoded-content-length": str(len(BODY)),
        "x-amz-trailer": "x-amz-checksum-crc32",
    }
    body = _chunked(BODY, f"x-amz-checksum-crc32:{value}")
    status, response_headers, answer = _signed(pycloud, "PUT", f"/{bucket}/t", body, headers, keep_content_sha256=True)
    if good:
        assert status == 200, answer
        assert response_headers["x-amz-checksum-crc32"] == value
        head = s3.head_object(Bucket=bucket, Key="t", ChecksumMode="ENABLED")
        assert head["ChecksumCRC32"] == value
        assert "ContentEncoding" not in head  # aws-chunked is transfer framing, not stored
        assert s3.get_object(Bucket=bucket, Key="t")["Body"].read() == BODY
    else:
        assert status == 400 and b"<Code>BadDigest</Code>" in answer
        assert code_status(error_of(s3.head_object, Bucket=bucket, Key="t"))[1] == 404


# -- presigned URLs -----------------------------------------------------------------------------


@pytest.mark.parametrize("signature", [None, "s3v4"])
def test_presigned_get_and_put(pycloud, client, bucket, signature):
    signer = client(config=Config(signature_version=signature)) if signature else client()
    put_url = signer.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "pre"}, ExpiresIn=300)
    parts = urlsplit(put_url)
    # No Content-Type: SigV2 signs it, and the URL was made without one.
    status, _, answer = send(pycloud.endpoint, "PUT", f"{parts.path}?{parts.query}", BODY, {})
    assert status == 200, answer
    get_url = signer.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "pre"}, ExpiresIn=300)
    with urllib.request.urlopen(urllib.request.Request(get_url, headers={"Range": "bytes=2-5"})) as response:
        assert response.status == 206
        assert response.read() == BODY[2:6]
    tampered = put_url.replace("Signature=", "Signature=A").replace("X-Amz-Signature=", "X-Amz-Signature=0")
    parts = urlsplit(tampered)
    assert send(pycloud.endpoint, "PUT", f"{parts.path}?{parts.query}", BODY, {})[0] == 403


def test_part_number_on_multipart_object(s3, bucket):
    parts = [b"a" * (5 * 1024 * 1024), b"b" * 1000]
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    etags = [s3.upload_part(Bucket=bucket, Key="mp", UploadId=upload, PartNumber=n, Body=data)["ETag"]
             for n, data in enumerate(parts, 1)]
    s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=upload, MultipartUpload={
        "Parts": [{"PartNumber": n, "ETag": etag} for n, etag in enumerate(etags, 1)]})
    second = s3.get_object(Bucket=bucket, Key="mp", PartNumber=2)
    assert second["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert second["ContentRange"] == f"bytes {len(parts[0])}-{len(parts[0]) + 999}/{len(parts[0]) + 1000}"
    assert second["PartsCount"] == 2
    assert second["Body"].read() == parts[1]
    assert s3.head_object(Bucket=bucket, Key="mp", PartNumber=1)["ContentLength"] == len(parts[0])
    err = error_of(s3.get_object, Bucket=bucket, Key="mp", PartNumber=3)
    assert code_status(err) == ("InvalidPartNumber", 416)
    assert err.response["Error"]["ActualPartCount"] == "2"
    attributes = s3.get_object_attributes(Bucket=bucket, Key="mp", ObjectAttributes=["ObjectParts"], MaxParts=1)
    assert attributes["ObjectParts"]["TotalPartsCount"] == 2
    assert attributes["ObjectParts"]["IsTruncated"] is True
    assert attributes["ObjectParts"]["Parts"] == [{"PartNumber": 1, "Size": len(parts[0])}]
