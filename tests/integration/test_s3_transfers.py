"""Managed transfers: boto3's upload_file/download_file forced multipart, and the AWS CLI's s3 / s3api
commands (mb, cp up/down incl. multipart, sync, ls, rm, presign, multipart and versioning calls)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import urllib.request
import uuid
from pathlib import Path

import pytest
from boto3.s3.transfer import TransferConfig

ACCOUNT = "777788889999"
KEY = "AKIAS3TRANSFERTESTS1"
SECRET = "s3-transfer-tests-secret"
MIB = 1024 * 1024


@pytest.fixture(scope="module")
def s3(pycloud):
    pycloud.admin("POST", "/_pycloud/accounts", {"id": ACCOUNT, "access_key": KEY, "secret_key": SECRET,
                                                 "name": "s3-transfers"})
    return pycloud.client("s3", access_key=KEY, secret_key=SECRET)


def write_random(path: Path, size: int) -> bytes:
    data = os.urandom(size)
    path.write_bytes(data)
    return data


def aws(pycloud, *args: str, cwd: Path | None = None) -> str:
    env = dict(os.environ, AWS_ACCESS_KEY_ID=KEY, AWS_SECRET_ACCESS_KEY=SECRET, AWS_DEFAULT_REGION="us-east-1")
    for name in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        env.pop(name, None)
    result = subprocess.run(
        [sys.executable, "-m", "awscli", "--endpoint-url", pycloud.endpoint, *args],
        capture_output=True, text=True, env=env, timeout=120, cwd=cwd,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_managed_transfer_forced_multipart(s3, tmp_path):
    bucket = f"xfer-{uuid.uuid4().hex[:16]}"
    s3.create_bucket(Bucket=bucket)
    source = tmp_path / "big.bin"
    data = write_random(source, 23 * MIB + 12345)
    config = TransferConfig(multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB, max_concurrency=4)
    s3.upload_file(str(source), bucket, "dir/big.bin", Config=config)
    head = s3.head_object(Bucket=bucket, Key="dir/big.bin")
    assert head["ContentLength"] == len(data)
    assert head["ETag"].strip('"').endswith("-5")  # 4 full 5 MiB parts + the rest
    target = tmp_path / "back.bin"
    s3.download_file(bucket, "dir/big.bin", str(target), Config=config)
    assert hashlib.sha256(target.read_bytes()).digest() == hashlib.sha256(data).digest()


def test_cli_s3_commands(pycloud, s3, tmp_path):
    bucket = f"cli-{uuid.uuid4().hex[:16]}"
    aws(pycloud, "s3", "mb", f"s3://{bucket}")
    assert s3.head_bucket(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 200

    big = tmp_path / "big.bin"
    data = write_random(big, 20 * MIB)
    aws(pycloud, "s3", "cp", str(big), f"s3://{bucket}/up/big.bin")
    assert s3.head_object(Bucket=bucket, Key="up/big.bin")["ETag"].strip('"').endswith("-3")  # 8 MiB parts
    aws(pycloud, "s3", "cp", f"s3://{bucket}/up/big.bin", str(tmp_path / "down.bin"))
    assert (tmp_path / "down.bin").read_bytes() == data

    tree = tmp_path / "tree"
    files = {"a.txt": b"alpha", "sub/b.txt": b"beta", "sub/deeper/c d+e.txt": b"gamma"}
    for name, body in files.items():
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        (tree / name).write_bytes(body)
    aws(pycloud, "s3", "sync", str(tree), f"s3://{bucket}/tree")
    for name, body in files.items():
        assert s3.get_object(Bucket=bucket, Key=f"tree/{name}")["Body"].read() == body
    # A second sync has nothing to do.
    assert aws(pycloud, "s3", "sync", str(tree), f"s3://{bucket}/tree").strip() == ""

    listing = aws(pycloud, "s3", "ls", "--recursive", f"s3://{bucket}/")
    listed = sorted(line.split(maxsplit=3)[3] for line in listing.splitlines())
    assert listed == sorted(["up/big.bin", *(f"tree/{n}" for n in files)])
    top = aws(pycloud, "s3", "ls", f"s3://{bucket}/")
    assert "PRE tree/" in top and "PRE up/" in top

    url = aws(pycloud, "s3", "presign", f"s3://{bucket}/tree/a.txt", "--expires-in", "300").strip()
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.read() == b"alpha"

    aws(pycloud, "s3", "rm", "--recursive", f"s3://{bucket}/")
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    s3.delete_bucket(Bucket=bucket)


def test_cli_s3api_multipart_and_versions(pycloud, s3, tmp_path):
    bucket = f"cli-{uuid.uuid4().hex[:16]}"
    s3.create_bucket(Bucket=bucket)
    aws(pycloud, "s3api", "put-bucket-versioning", "--bucket", bucket,
        "--versioning-configuration", "Status=Enabled")
    created = json.loads(aws(pycloud, "s3api", "create-multipart-upload", "--bucket", bucket, "--key", "mp"))
    upload_id = created["UploadId"]
    chunks = [write_random(tmp_path / "p1", 5 * MIB), write_random(tmp_path / "p2", 1000)]
    parts = []
    for number in (1, 2):
        answer = json.loads(aws(pycloud, "s3api", "upload-part", "--bucket", bucket, "--key", "mp",
                                "--upload-id", upload_id, "--part-number", str(number),
                                "--body", str(tmp_path / f"p{number}")))
        parts.append({"PartNumber": number, "ETag": answer["ETag"]})
    done = json.loads(aws(pycloud, "s3api", "complete-multipart-upload", "--bucket", bucket, "--key", "mp",
                          "--upload-id", upload_id, "--multipart-upload", json.dumps({"Parts": parts})))
    assert done["Key"] == "mp" and done["ETag"].strip('"').endswith("-2")
    assert s3.get_object(Bucket=bucket, Key="mp")["Body"].read() == b"".join(chunks)

    s3.put_object(Bucket=bucket, Key="mp", Body=b"newer")
    s3.delete_object(Bucket=bucket, Key="mp")
    versions = json.loads(aws(pycloud, "s3api", "list-object-versions", "--bucket", bucket))
    assert [v["VersionId"] for v in versions["Versions"]][-1] == done["VersionId"]
    assert len(versions["Versions"]) == 2 and len(versions["DeleteMarkers"]) == 1
    assert versions["DeleteMarkers"][0]["IsLatest"] is True
    assert not any(v["IsLatest"] for v in versions["Versions"])
