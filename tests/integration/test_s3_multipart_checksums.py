"""S3 multipart checksums through boto3: FULL_OBJECT CRCs combined from the parts' CRCs, COMPOSITE
checksums of checksums, the type/algorithm rules of CreateMultipartUpload, verification on Complete,
and what boto3's managed upload_file sends by default."""

from __future__ import annotations

import base64
import hashlib
import os
import zlib

import pytest
from boto3.s3.transfer import TransferConfig
from s3_helpers import account_client_fixture, code_status, error_of, unique

from pycloud._core import hash_bytes

ACCOUNT = "121212343434"
KEY_ID = "AKIAS3MPUCHECKSUMS01"
SECRET = "s3-multipart-checksums-secret"
MIB = 1024 * 1024
MEMBER = {"CRC32": "ChecksumCRC32", "CRC32C": "ChecksumCRC32C", "CRC64NVME": "ChecksumCRC64NVME",
          "SHA1": "ChecksumSHA1", "SHA256": "ChecksumSHA256"}

client = account_client_fixture(ACCOUNT, KEY_ID, SECRET, "s3-multipart-checksums")


@pytest.fixture(scope="module")
def s3(client):
    return client()


@pytest.fixture
def bucket(s3):
    name = unique("mpck")
    s3.create_bucket(Bucket=name)
    return name


def b64(algorithm: str, data: bytes) -> str:
    """The base64 checksum S3 shows for ``data`` (computed independently where Python can)."""
    if algorithm == "CRC32":
        return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()
    if algorithm in ("SHA1", "SHA256"):
        return base64.b64encode(hashlib.new(algorithm.lower(), data).digest()).decode()
    return base64.b64encode(hash_bytes(algorithm.lower(), data)).decode()


def upload(s3, bucket: str, key: str, algorithm: str, bodies: list[bytes], **create: str) -> tuple[str, list[dict]]:
    """Creates an upload with the algorithm and uploads the bodies as parts (each with its checksum)."""
    created = s3.create_multipart_upload(Bucket=bucket, Key=key, ChecksumAlgorithm=algorithm, **create)
    upload_id = created["UploadId"]
    parts = []
    for number, body in enumerate(bodies, start=1):
        # The part's checksum is sent precomputed: botocore computes CRC32C/CRC64NVME only with awscrt.
        answer = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=body,
                                **{MEMBER[algorithm]: b64(algorithm, body)})
        assert answer[MEMBER[algorithm]] == b64(algorithm, body)
        parts.append({"PartNumber": number, "ETag": answer["ETag"], MEMBER[algorithm]: answer[MEMBER[algorithm]]})
    return upload_id, parts


@pytest.mark.parametrize("algorithm", ["CRC32", "CRC32C", "CRC64NVME"])
def test_full_object_checksum_is_crc_of_whole_body(s3, bucket, algorithm):
    bodies = [os.urandom(5 * MIB), os.urandom(5 * MIB + 3), os.urandom(1001)]
    whole = b"".join(bodies)
    created = s3.create_multipart_upload(Bucket=bucket, Key="k", ChecksumAlgorithm=algorithm,
                                         ChecksumType="FULL_OBJECT")
    assert (created["ChecksumAlgorithm"], created["ChecksumType"]) == (algorithm, "FULL_OBJECT")
    s3.abort_multipart_upload(Bucket=bucket, Key="k", UploadId=created["UploadId"])
    upload_id, parts = upload(s3, bucket, "k", algorithm, bodies, ChecksumType="FULL_OBJECT")
    listed = s3.list_parts(Bucket=bucket, Key="k", UploadId=upload_id)
    assert (listed["ChecksumAlgorithm"], listed["ChecksumType"]) == (algorithm, "FULL_OBJECT")
    done = s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": parts},
                                        **{MEMBER[algorithm]: b64(algorithm, whole)}, ChecksumType="FULL_OBJECT",
                                        MpuObjectSize=len(whole))
    assert done[MEMBER[algorithm]] == b64(algorithm, whole)
    assert done["ChecksumType"] == "FULL_OBJECT"
    got = s3.get_object(Bucket=bucket, Key="k", ChecksumMode="ENABLED")
    assert got["Body"].read() == whole
    assert got[MEMBER[algorithm]] == b64(algorithm, whole) and got["ChecksumType"] == "FULL_OBJECT"
    head = s3.head_object(Bucket=bucket, Key="k", ChecksumMode="ENABLED")
    assert head[MEMBER[algorithm]] == b64(algorithm, whole) and head["ChecksumType"] == "FULL_OBJECT"
    attrs = s3.get_object_attributes(Bucket=bucket, Key="k", ObjectAttributes=["Checksum"])
    assert attrs["Checksum"] == {MEMBER[algorithm]: b64(algorithm, whole), "ChecksumType": "FULL_OBJECT"}
    assert MEMBER[algorithm] not in s3.head_object(Bucket=bucket, Key="k")  # only with ChecksumMode


def test_crc64nvme_defaults_to_full_object_and_single_part(s3, bucket):
    body = b"only part"
    upload_id, parts = upload(s3, bucket, "one", "CRC64NVME", [body])
    done = s3.complete_multipart_upload(Bucket=bucket, Key="one", UploadId=upload_id,
                                        MultipartUpload={"Parts": parts})
    assert (done["ChecksumCRC64NVME"], done["ChecksumType"]) == (b64("CRC64NVME", body), "FULL_OBJECT")


def test_full_object_mismatch_is_bad_digest_and_upload_survives(s3, bucket):
    bodies = [os.urandom(5 * MIB), b"tail"]
    upload_id, parts = upload(s3, bucket, "k", "CRC32C", bodies, ChecksumType="FULL_OBJECT")
    wrong = b64("CRC32C", b"something else")
    err = error_of(s3.complete_multipart_upload, Bucket=bucket, Key="k", UploadId=upload_id,
                   MultipartUpload={"Parts": parts}, ChecksumCRC32C=wrong)
    assert code_status(err) == ("BadDigest", 400)
    # Another algorithm's value, another checksum type or another size are refused as well.
    err = error_of(s3.complete_multipart_upload, Bucket=bucket, Key="k", UploadId=upload_id,
                   MultipartUpload={"Parts": parts}, ChecksumCRC32=b64("CRC32", b"".join(bodies)))
    assert code_status(err) == ("InvalidRequest", 400)
    err = error_of(s3.complete_multipart_upload, Bucket=bucket, Key="k", UploadId=upload_id,
                   MultipartUpload={"Parts": parts}, ChecksumType="COMPOSITE")
    assert code_status(err) == ("InvalidRequest", 400)
    err = error_of(s3.complete_multipart_upload, Bucket=bucket, Key="k", UploadId=upload_id,
                   MultipartUpload={"Parts": parts}, MpuObjectSize=5 * MIB)
    assert code_status(err) == ("InvalidRequest", 400)
    assert code_status(error_of(s3.head_object, Bucket=bucket, Key="k")) == ("404", 404)
    done = s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": parts})
    assert done["ChecksumCRC32C"] == b64("CRC32C", b"".join(bodies))


@pytest.mark.parametrize(("algorithm", "checksum_type"), [("SHA256", "FULL_OBJECT"), ("SHA1", "FULL_OBJECT"),
                                                          ("CRC64NVME", "COMPOSITE")])
def test_unsupported_type_for_algorithm(s3, bucket, algorithm, checksum_type):
    err = error_of(s3.create_multipart_upload, Bucket=bucket, Key="k", ChecksumAlgorithm=algorithm,
                   ChecksumType=checksum_type)
    assert code_status(err) == ("InvalidRequest", 400)
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_composite_stays_checksum_of_checksums(s3, bucket):
    bodies = [os.urandom(5 * MIB), b"last part"]
    upload_id, parts = upload(s3, bucket, "c", "CRC32", bodies)  # CRC32 without a type: COMPOSITE
    done = s3.complete_multipart_upload(Bucket=bucket, Key="c", UploadId=upload_id, MultipartUpload={"Parts": parts})
    raw = b"".join(zlib.crc32(b).to_bytes(4, "big") for b in bodies)
    assert done["ChecksumCRC32"] == f"{b64('CRC32', raw)}-2" and done["ChecksumType"] == "COMPOSITE"
    head = s3.head_object(Bucket=bucket, Key="c", ChecksumMode="ENABLED")
    assert (head["ChecksumCRC32"], head["ChecksumType"]) == (done["ChecksumCRC32"], "COMPOSITE")


def test_part_with_another_algorithm_is_refused(s3, bucket):
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="k", ChecksumAlgorithm="CRC32C",
                                           ChecksumType="FULL_OBJECT")["UploadId"]
    err = error_of(s3.upload_part, Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=1, Body=b"x",
                   ChecksumCRC32=b64("CRC32", b"x"))
    assert code_status(err) == ("InvalidRequest", 400)


def test_upload_file_default_checksums(s3, bucket, tmp_path):
    """boto3's managed upload asks for CRC32 on CreateMultipartUpload without a type (so COMPOSITE);
    given a whole-file CRC32 in ExtraArgs it asks for FULL_OBJECT and sends the value on Complete."""
    data = os.urandom(12 * MIB + 77)
    source = tmp_path / "f.bin"
    source.write_bytes(data)
    config = TransferConfig(multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB, max_concurrency=3)
    s3.upload_file(str(source), bucket, "default", Config=config)
    head = s3.head_object(Bucket=bucket, Key="default", ChecksumMode="ENABLED")
    assert head["ChecksumType"] == "COMPOSITE" and head["ChecksumCRC32"].endswith("-3")

    s3.upload_file(str(source), bucket, "full", Config=config, ExtraArgs={"ChecksumCRC32": b64("CRC32", data)})
    head = s3.head_object(Bucket=bucket, Key="full", ChecksumMode="ENABLED")
    assert (head["ChecksumCRC32"], head["ChecksumType"]) == (b64("CRC32", data), "FULL_OBJECT")
    assert head["ETag"].strip('"').endswith("-3")

    wrong = {"ChecksumCRC32": b64("CRC32", data + b"!")}
    with pytest.raises(Exception) as info:  # s3transfer wraps the ClientError of the Complete call
        s3.upload_file(str(source), bucket, "bad", Config=config, ExtraArgs=wrong)
    assert "BadDigest" in str(info.value)
    assert code_status(error_of(s3.head_object, Bucket=bucket, Key="bad")) == ("404", 404)
