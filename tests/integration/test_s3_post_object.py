"""S3 browser-based POST uploads against a live server: forms made by boto3's
``generate_presigned_post`` (SigV2 by default, SigV4 with ``signature_version="s3v4"``), sent as
hand-built multipart/form-data over http.client. Success answers (204, 200, 201 XML, 303
redirect), metadata round trips, ``${filename}``, every policy refusal, signatures, the size range,
anonymous uploads, and PutObject's own rules (checksums, versioning, tagging) applied to POST.

The expiry test advances the virtual clock, so this module runs against its own server.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import uuid
import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from botocore.config import Config
from s3_helpers import account_client_fixture, unique

from pycloud.testing.plugin import private_server_fixture

ACCOUNT = "555566661234"
KEY_ID = "AKIAS3POSTOBJECT0001"
SECRET = "s3-post-object-secret"


pycloud = private_server_fixture()


client = account_client_fixture(ACCOUNT, KEY_ID, SECRET, "s3-post-object")


@pytest.fixture(scope="module")
def s3(client):
    return client()


@pytest.fixture(scope="module")
def s3v4(client):
    return client(config=Config(signature_version="s3v4", retries={"max_attempts": 1}))


@pytest.fixture
def bucket(s3):
    name = unique("post")
    s3.create_bucket(Bucket=name)
    return name


# -- forms on the wire ----------------------------------------------------------------------------


def multipart(
    fields: dict[str, str], file: bytes | None = b"hello", filename: str = "hello.txt",
    after: dict[str, str] | None = None,
) -> tuple[bytes, str]:
    """A multipart/form-data body (fields, then the file, then ``after``) and its Content-Type."""
    boundary = "----pycloud" + uuid.uuid4().hex
    out = []
    for name, value in fields.items():
        out.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    if file is not None:
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        out.append(f"{head}Content-Type: application/octet-stream\r\n\r\n".encode() + file + b"\r\n")
    for name, value in (after or {}).items():
        out.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    out.append(f"--{boundary}--\r\n".encode())
    return b"".join(out), f"multipart/form-data; boundary={boundary}"


def send_form(
    pycloud, path: str, fields: dict[str, str], *, headers: dict[str, str] | None = None, **form: Any
) -> tuple[int, dict[str, str], bytes]:
    """POST a form to ``path``; (status, lower-case headers, body)."""
    body, content_type = multipart(fields, **form)
    parts = urlsplit(pycloud.endpoint)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request("POST", path, body=body, headers={"Content-Type": content_type, **(headers or {})})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def post(pycloud, presigned: dict[str, Any], overrides: dict[str, str] | None = None, **form: Any):
    """Send a boto3 presigned POST (its fields, changed by ``overrides``) to its bucket URL."""
    fields = {**presigned["fields"], **(overrides or {})}
    return send_form(pycloud, urlsplit(presigned["url"]).path, fields, **form)


def error(body: bytes) -> tuple[str, str, dict[str, str]]:
    """(Code, Message, other elements) of an S3 XML error body."""
    root = ET.fromstring(body)
    assert root.tag == "Error"
    values = {child.tag: child.text or "" for child in root}
    return values.pop("Code"), values.pop("Message"), values


def md5_etag(data: bytes) -> str:
    return f'"{hashlib.md5(data).hexdigest()}"'


# -- success answers ------------------------------------------------------------------------------


def test_sigv2_form_uploads_with_metadata_and_answers_204(pycloud, s3, bucket):
    fields = {
        "Content-Type": "text/plain; charset=utf-8",
        "Cache-Control": "max-age=60",
        "Content-Disposition": 'attachment; filename="report.txt"',
        "Content-Encoding": "identity",
        "x-amz-meta-color": "blue",
        "x-amz-storage-class": "STANDARD_IA",
    }
    presigned = s3.generate_presigned_post(bucket, "docs/report.txt", Fields=fields, Conditions=[
        {name: value} for name, value in fields.items()
    ])
    assert "AWSAccessKeyId" in presigned["fields"] and "signature" in presigned["fields"]
    status, headers, body = post(pycloud, presigned, file=b"quarterly numbers")
    assert (status, body) == (204, b"")
    assert headers["etag"] == md5_etag(b"quarterly numbers")
    assert headers["location"].endswith(f"/{bucket}/docs/report.txt")
    assert headers["x-amz-request-id"]
    got = s3.get_object(Bucket=bucket, Key="docs/report.txt")
    assert got["Body"].read() == b"quarterly numbers"
    assert got["ContentType"] == "text/plain; charset=utf-8"
    assert got["CacheControl"] == "max-age=60"
    assert got["ContentDisposition"] == 'attachment; filename="report.txt"'
    assert got["ContentEncoding"] == "identity"
    assert got["Metadata"] == {"color": "blue"}
    assert got["StorageClass"] == "STANDARD_IA"


def test_file_part_content_type_is_not_the_object_content_type(pycloud, s3, bucket):
    status, _, _ = post(pycloud, s3.generate_presigned_post(bucket, "plain"))
    assert status == 204
    assert s3.head_object(Bucket=bucket, Key="plain")["ContentType"] == "binary/octet-stream"


def test_sigv4_form_with_status_201_answers_post_response(pycloud, s3, s3v4, bucket):
    presigned = s3v4.generate_presigned_post(
        bucket, "v4/object.bin", Fields={"success_action_status": "201"}, Conditions=[{"success_action_status": "201"}]
    )
    assert presigned["fields"]["x-amz-algorithm"] == "AWS4-HMAC-SHA256"
    status, headers, body = post(pycloud, presigned, file=b"\x00\x01binary")
    assert status == 201
    assert headers["content-type"] == "application/xml"
    root = ET.fromstring(body)
    assert root.tag == "PostResponse"
    values = {child.tag: child.text for child in root}
    assert values["Bucket"] == bucket and values["Key"] == "v4/object.bin"
    assert values["ETag"] == md5_etag(b"\x00\x01binary") == headers["etag"]
    assert values["Location"].endswith(f"/{bucket}/v4/object.bin")
    assert s3.get_object(Bucket=bucket, Key="v4/object.bin")["Body"].read() == b"\x00\x01binary"


def test_status_200_answers_an_empty_200(pycloud, s3, bucket):
    presigned = s3.generate_presigned_post(
        bucket, "k200", Fields={"success_action_status": "200"}, Conditions=[{"success_action_status": "200"}]
    )
    status, headers, body = post(pycloud, presigned)
    assert (status, body) == (200, b"")
    assert headers["etag"] == md5_etag(b"hello")


def test_unknown_status_falls_back_to_204(pycloud, s3, bucket):
    presigned = s3.generate_presigned_post(
        bucket, "k", Fields={"success_action_status": "302"}, Conditions=[{"success_action_status": "302"}]
    )
    assert post(pycloud, presigned)[0] == 204


def test_success_action_redirect_answers_303_with_bucket_key_etag(pycloud, s3, bucket):
    target = "https://app.example.com/done?session=7"
    presigned = s3.generate_presigned_post(
        bucket, "up/${filename}", Fields={"success_action_redirect": target},
        Conditions=[{"success_action_redirect": target}],
    )
    status, headers, body = post(pycloud, presigned, filename="cat.png", file=b"meow")
    assert status == 303
    location = urlsplit(headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == "https://app.example.com/done"
    query = parse_qs(location.query)
    assert query == {"session": ["7"], "bucket": [bucket], "key": ["up/cat.png"], "etag": [md5_etag(b"meow")]}


def test_legacy_redirect_field_and_unusable_redirects(pycloud, s3, bucket):
    presigned = s3.generate_presigned_post(bucket, "r", Fields={"redirect": "http://example.com/ok"},
                                           Conditions=[{"redirect": "http://example.com/ok"}])
    status, headers, _ = post(pycloud, presigned)
    assert status == 303
    assert headers["location"].startswith("http://example.com/ok?bucket=")
    # not an absolute http(s) URL: S3 answers as if no redirect had been asked for
    presigned = s3.generate_presigned_post(bucket, "r", Fields={"success_action_redirect": "/relative"},
                                           Conditions=[{"success_action_redirect": "/relative"}])
    status, headers, _ = post(pycloud, presigned)
    assert status == 204 and headers["location"].endswith(f"/{bucket}/r")


def test_filename_placeholder_takes_the_uploaded_file_name(pycloud, s3, bucket):
    presigned = s3.generate_presigned_post(bucket, "users/alice/${filename}")
    # boto3 turns the key into ["starts-with", "$key", "users/alice/"]
    policy = json.loads(base64.b64decode(presigned["fields"]["policy"]))
    assert ["starts-with", "$key", "users/alice/"] in policy["conditions"]
    assert post(pycloud, presigned, filename="avatar.jpg", file=b"jpeg")[0] == 204
    assert s3.get_object(Bucket=bucket, Key="users/alice/avatar.jpg")["Body"].read() == b"jpeg"


def test_virtual_hosted_form_upload(pycloud, s3, bucket):
    presigned = s3.generate_presigned_post(bucket, "vhost-key")
    host = f"{bucket}.s3.localhost:{pycloud.port}"
    status, headers, _ = send_form(pycloud, "/", presigned["fields"], headers={"Host": host})
    assert status == 204
    assert headers["location"] == f"http://{host}/vhost-key"
    assert s3.get_object(Bucket=bucket, Key="vhost-key")["Body"].read() == b"hello"


def test_fields_after_the_file_are_ignored(pycloud, s3, bucket):
    presigned = s3.generate_presigned_post(bucket, "late")
    status, _, _ = post(pycloud, presigned, after={"x-amz-meta-late": "1", "key": "other"})
    assert status == 204
    assert s3.head_object(Bucket=bucket, Key="late").get("Metadata", {}) == {}
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["late"]


def test_x_ignore_fields_need_no_condition(pycloud, s3, bucket):
    presigned = s3.generate_presigned_post(bucket, "ignored")
    assert post(pycloud, presigned, {"x-ignore-tracking": "abc"})[0] == 204


def test_large_file_streams_through(pycloud, s3, bucket):
    data = hashlib.sha256(b"seed").digest() * (6 * 1024 * 1024 // 32 + 7)  # a little over 6 MiB
    presigned = s3.generate_presigned_post(bucket, "big.bin", Conditions=[["content-length-range", 1, 10 * 1024**2]])
    status, headers, _ = post(pycloud, presigned, file=data)
    assert status == 204
    assert headers["etag"] == md5_etag(data)
    assert s3.head_object(Bucket=bucket, Key="big.bin")["ContentLength"] == len(data)


def test_versioned_bucket_answers_version_id(pycloud, s3, bucket):
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    presigned = s3.generate_presigned_post(bucket, "v")
    first = post(pycloud, presigned, file=b"one")[1]["x-amz-version-id"]
    second = post(pycloud, presigned, file=b"two")[1]["x-amz-version-id"]
    versions = s3.list_object_versions(Bucket=bucket)["Versions"]
    assert {v["VersionId"] for v in versions} == {first, second}
    assert s3.get_object(Bucket=bucket, Key="v", VersionId=first)["Body"].read() == b"one"


def test_tagging_field_sets_object_tags(pycloud, s3, bucket):
    tagging = "<Tagging><TagSet><Tag><Key>team</Key><Value>web</Value></Tag></TagSet></Tagging>"
    presigned = s3.generate_presigned_post(bucket, "tagged", Fields={"tagging": tagging},
                                           Conditions=[{"tagging": tagging}])
    assert post(pycloud, presigned)[0] == 204
    assert s3.get_object_tagging(Bucket=bucket, Key="tagged")["TagSet"] == [{"Key": "team", "Value": "web"}]


def test_checksum_field_is_verified(pycloud, s3, bucket):
    good = base64.b64encode(hashlib.sha256(b"hello").digest()).decode()
    bad = base64.b64encode(hashlib.sha256(b"other").digest()).decode()
    for value, expected in ((bad, 400), (good, 204)):
        presigned = s3.generate_presigned_post(bucket, "summed", Fields={"x-amz-checksum-sha256": value},
                                               Conditions=[{"x-amz-checksum-sha256": value}])
        status, _, body = post(pycloud, presigned)
        assert status == expected
        if expected == 400:
            assert error(body)[0] == "BadDigest"
            assert "Contents" not in s3.list_objects_v2(Bucket=bucket)
    got = s3.head_object(Bucket=bucket, Key="summed", ChecksumMode="ENABLED")
    assert got["ChecksumSHA256"] == good


def test_server_side_encryption_field(pycloud, s3, bucket):
    presigned = s3.generate_presigned_post(bucket, "kms", Fields={"x-amz-server-side-encryption": "aws:kms"},
                                           Conditions=[{"x-amz-server-side-encryption": "aws:kms"}])
    status, headers, _ = post(pycloud, presigned)
    assert status == 204 and headers["x-amz-server-side-encryption"] == "aws:kms"
    assert s3.head_object(Bucket=bucket, Key="kms")["ServerSideEncryption"] == "aws:kms"


def test_cross_origin_upload_gets_cors_headers(pycloud, s3, bucket):
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [
        {"AllowedOrigins": ["https://app.example.com"], "AllowedMethods": ["POST"], "ExposeHeaders": ["ETag"]}]})
    presigned = s3.generate_presigned_post(bucket, "cors")
    status, headers, _ = post(pycloud, presigned, headers={"Origin": "https://app.example.com"})
    assert status == 204
    assert headers["access-control-allow-origin"] == "https://app.example.com"


# -- policy refusals ------------------------------------------------------------------------------


def test_violated_condition_is_access_denied(pycloud, s3, bucket):
    presigned = s3.generate_presigned_post(bucket, "allowed/${filename}")
    status, _, body = post(pycloud, presigned, {"key": "elsewhere/x"})
    assert status == 403
    code, message, _ = error(body)
    assert code == "AccessDenied"
    assert message == 'Invalid according to Policy: Policy Condition failed: ["starts-with", "$key", "allowed/"]'
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)


def test_exact_condition_on_content_type(pycloud, s3, bucket):
    presigned = s3.generate_presigned_post(bucket, "img", Fields={"Content-Type": "image/png"},
                                           Conditions=[["eq", "$Content-Type", "image/png"]])
    status, _, body = post(pycloud, presigned, {"Content-Type": "text/html"})
    assert status == 403
    assert error(body)[1].endswith('Policy Condition failed: ["eq", "$content-type", "image/png"]')
    assert post(pycloud, presigned)[0] == 204


def test_bucket_condition_must_match_the_posted_bucket(pycloud, s3, bucket):
    other = unique("post")
    s3.create_bucket(Bucket=other)
    presigned = s3.generate_presigned_post(bucket, "k")
    status, _, body = send_form(pycloud, f"/{other}", presigned["fields"])
    assert status == 403
    assert error(body)[1] == f'Invalid according to Policy: Policy Condition failed: ["eq", "$bucket", "{bucket}"]'


def test_field_not_in_policy_is_extra_input(pycloud, s3, bucket):
    presigned = s3.generate_presigned_post(bucket, "k")
    status, _, body = post(pycloud, presigned, {"x-amz-meta-sneaky": "1"})
    assert status == 403
    assert error(body)[:2] == ("AccessDenied", "Invalid according to Policy: Extra input fields: x-amz-meta-sneaky")


def test_expired_policy_via_the_virtual_clock(pycloud, s3, s3v4, bucket):
    v2 = s3.generate_presigned_post(bucket, "late-v2", ExpiresIn=60)
    v4 = s3v4.generate_presigned_post(bucket, "late-v4", ExpiresIn=60)
    pycloud.advance_clock(120)
    for presigned in (v2, v4):
        status, _, body = post(pycloud, presigned)
        assert status == 403
        assert error(body)[:2] == ("AccessDenied", "Invalid according to Policy: Policy expired.")
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)


def test_malformed_policy_is_invalid_policy_document(pycloud, s3, bucket):
    presigned = s3.generate_presigned_post(bucket, "k")
    policy = base64.b64encode(b'{"conditions": []}').decode()
    # a correct signature over a policy without an expiration
    signature = base64.b64encode(hmac.new(SECRET.encode(), policy.encode(), hashlib.sha1).digest()).decode()
    status, _, body = post(pycloud, presigned, {"policy": policy, "signature": signature})
    assert status == 400
    assert error(body)[:2] == ("InvalidPolicyDocument", "Invalid Policy: Policy missing expiration.")


# -- signatures -----------------------------------------------------------------------------------


def test_bad_sigv2_signature(pycloud, s3, bucket):
    presigned = s3.generate_presigned_post(bucket, "k")
    wrong = base64.b64encode(b"\x00" * 20).decode()
    status, _, body = post(pycloud, presigned, {"signature": wrong})
    assert status == 403
    code, _, extra = error(body)
    assert code == "SignatureDoesNotMatch"
    assert extra["AWSAccessKeyId"] == KEY_ID and extra["StringToSign"] == presigned["fields"]["policy"]


def test_bad_sigv4_signature(pycloud, s3v4, bucket):
    presigned = s3v4.generate_presigned_post(bucket, "k")
    status, _, body = post(pycloud, presigned, {"x-amz-signature": "0" * 64})
    assert status == 403
    assert error(body)[0] == "SignatureDoesNotMatch"


def test_policy_swapped_under_a_signature_does_not_match(pycloud, s3, bucket):
    narrow = s3.generate_presigned_post(bucket, "narrow")
    wide = s3.generate_presigned_post(bucket, "${filename}")
    status, _, body = post(pycloud, narrow, {"policy": wide["fields"]["policy"], "key": "anything"})
    assert status == 403 and error(body)[0] == "SignatureDoesNotMatch"


def test_wrong_secret_does_not_match(pycloud, bucket):
    impostor = pycloud.client("s3", access_key=KEY_ID, secret_key="not-the-secret")
    forged = impostor.generate_presigned_post(bucket, "k")
    status, _, body = post(pycloud, forged)
    assert status == 403 and error(body)[0] == "SignatureDoesNotMatch"


def test_signature_without_policy_and_policy_without_signature(pycloud, s3, bucket):
    fields = s3.generate_presigned_post(bucket, "k")["fields"]
    no_policy = {k: v for k, v in fields.items() if k != "policy"}
    status, _, body = send_form(pycloud, f"/{bucket}", no_policy)
    assert status == 400
    code, message, extra = error(body)
    assert code == "InvalidArgument" and extra["ArgumentName"] == "policy"
    assert message.startswith("Bucket POST must contain a field named 'policy'.")
    no_signature = {k: v for k, v in fields.items() if k != "signature"}
    status, _, body = send_form(pycloud, f"/{bucket}", no_signature)
    assert status == 400 and error(body)[2]["ArgumentName"] == "signature"


# -- size range, form shape -----------------------------------------------------------------------


def test_content_length_range(pycloud, s3, bucket):
    presigned = s3.generate_presigned_post(bucket, "sized", Conditions=[["content-length-range", 2, 10]])
    status, _, body = post(pycloud, presigned, file=b"x" * 11)
    assert status == 400
    code, _, extra = error(body)
    assert code == "EntityTooLarge"
    assert (extra["ProposedSize"], extra["MaxSizeAllowed"]) == ("11", "10")
    status, _, body = post(pycloud, presigned, file=b"x")
    assert status == 400
    code, _, extra = error(body)
    assert code == "EntityTooSmall"
    assert (extra["ProposedSize"], extra["MinSizeAllowed"]) == ("1", "2")
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)
    assert post(pycloud, presigned, file=b"x" * 10)[0] == 204
    assert s3.head_object(Bucket=bucket, Key="sized")["ContentLength"] == 10


def test_too_large_streamed_file_is_not_stored(pycloud, s3, bucket):
    presigned = s3.generate_presigned_post(bucket, "huge", Conditions=[["content-length-range", 0, 1024 * 1024]])
    status, _, body = post(pycloud, presigned, file=b"z" * (3 * 1024 * 1024))
    assert status == 400
    assert error(body)[2]["ProposedSize"] == str(3 * 1024 * 1024)
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)


def test_missing_file(pycloud, s3, bucket):
    presigned = s3.generate_presigned_post(bucket, "k")
    status, _, body = post(pycloud, presigned, file=None)
    assert status == 400
    code, message, extra = error(body)
    assert (code, message) == ("InvalidArgument", "POST requires exactly one file upload per request.")
    assert extra["ArgumentName"] == "file"


def test_missing_key(pycloud, s3, bucket):
    fields = {k: v for k, v in s3.generate_presigned_post(bucket, "k")["fields"].items() if k != "key"}
    status, _, body = send_form(pycloud, f"/{bucket}", fields)
    assert status == 400
    code, message, extra = error(body)
    assert code == "InvalidArgument" and extra["ArgumentName"] == "key"
    assert message.startswith("Bucket POST must contain a field named 'key'.")


def test_form_to_missing_bucket(pycloud, s3):
    name = unique("post")
    presigned = s3.generate_presigned_post(name, "k")
    status, _, body = post(pycloud, presigned)
    assert status == 404 and error(body)[0] == "NoSuchBucket"


def test_malformed_multipart_body(pycloud, bucket):
    parts = urlsplit(pycloud.endpoint)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request("POST", f"/{bucket}", body=b"--abc\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nk",
                     headers={"Content-Type": "multipart/form-data; boundary=abc"})
        response = conn.getresponse()
        status, body = response.status, response.read()
    finally:
        conn.close()
    assert status == 400 and error(body)[0] == "MalformedPOSTRequest"


# -- anonymous uploads ----------------------------------------------------------------------------


def test_anonymous_upload_needs_public_write(pycloud, s3, bucket):
    status, _, body = send_form(pycloud, f"/{bucket}", {"key": "anon.txt"})
    assert status == 403 and error(body)[0] == "AccessDenied"
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
        "BlockPublicAcls": False, "IgnorePublicAcls": False, "BlockPublicPolicy": False, "RestrictPublicBuckets": False})
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{bucket}/drop/*"}]}))
    status, _, body = send_form(pycloud, f"/{bucket}", {"key": "anon.txt"})
    assert status == 403 and error(body)[0] == "AccessDenied"  # outside the allowed prefix
    status, _, _ = send_form(pycloud, f"/{bucket}", {"key": "drop/${filename}", "Content-Type": "text/plain"},
                             filename="note.txt", file=b"from anyone")
    assert status == 204
    got = s3.get_object(Bucket=bucket, Key="drop/note.txt")
    assert (got["Body"].read(), got["ContentType"]) == (b"from anyone", "text/plain")
