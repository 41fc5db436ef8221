"""SigV4 end to end: correct and deliberately wrong signatures, per protocol, lenient and strict."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from pycloud.testing import PycloudServer

# (service, call, expected error code on a bad signature, HTTP status)
CALLS = [
    ("sts", lambda c: c.get_caller_identity(), "SignatureDoesNotMatch", 403),
    ("ec2", lambda c: c.describe_regions(), "AuthFailure", 401),
    ("s3", lambda c: c.list_buckets(), "SignatureDoesNotMatch", 403),
    ("dynamodb", lambda c: c.list_tables(), "InvalidSignatureException", 400),
    ("lambda", lambda c: c.list_functions(), "InvalidSignatureException", 403),
]

# The same calls with an access key the strict server does not know.
UNKNOWN_KEY = {
    "sts": ("InvalidClientTokenId", 403),
    "ec2": ("AuthFailure", 401),
    "s3": ("InvalidAccessKeyId", 403),
    "dynamodb": ("UnrecognizedClientException", 400),
    "lambda": ("UnrecognizedClientException", 403),
}


@pytest.fixture(scope="module")
def strict_server():
    with PycloudServer(["--strict"]) as server:
        yield server


@pytest.mark.parametrize("service,call,code,status", CALLS, ids=[c[0] for c in CALLS])
def test_correct_signature_passes(pycloud_client, service, call, code, status):
    response = call(pycloud_client(service))
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200


@pytest.mark.parametrize("service,call,code,status", CALLS, ids=[c[0] for c in CALLS])
def test_wrong_secret_is_rejected(pycloud_client, service, call, code, status):
    client = pycloud_client(service, access_key="test", secret_key="not-the-secret")
    with pytest.raises(ClientError) as info:
        call(client)
    assert info.value.response["Error"]["Code"] == code
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == status


def test_cloudwatch_cbor_wrong_secret_is_rejected(pycloud_client):
    client = pycloud_client("cloudwatch", access_key="test", secret_key="not-the-secret")
    with pytest.raises(ClientError) as info:
        client.list_metrics()
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] in (400, 403)
    assert "Signature" in info.value.response["Error"]["Code"]


@pytest.mark.parametrize("service,call,code,status", CALLS, ids=[c[0] for c in CALLS])
def test_strict_rejects_unknown_keys(strict_server, service, call, code, status):
    client = strict_server.client(service, access_key="AKIAUNKNOWNKEY", secret_key="x")
    with pytest.raises(ClientError) as info:
        call(client)
    expected_code, expected_status = UNKNOWN_KEY[service]
    assert info.value.response["Error"]["Code"] == expected_code
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == expected_status


def test_strict_accepts_known_keys(strict_server):
    identity = strict_server.client("sts").get_caller_identity()
    assert identity["Account"] == "000000000000"


def test_default_presigned_url_valid_and_tampered(pycloud, pycloud_client):
    """boto3 presigns S3 URLs with SigV2 by default."""
    import urllib.error
    import urllib.request

    url = pycloud_client("s3").generate_presigned_url("list_buckets", ExpiresIn=300)
    assert "AWSAccessKeyId=" in url
    with urllib.request.urlopen(url) as response:
        assert response.status == 200
        assert b"<ListAllMyBucketsResult" in response.read()
    expires = url.split("Expires=")[1].split("&")[0]
    tampered = url.replace(f"Expires={expires}", f"Expires={int(expires) + 1}")
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(tampered)
    assert info.value.code == 403
    assert b"SignatureDoesNotMatch" in info.value.read()


def test_presigned_expiry_follows_the_virtual_clock(pycloud, pycloud_client):
    """Advancing the clock expires presigned URLs, while freshly signed requests keep working
    (clients sign with their real clock, so the skew window is not applied to virtual time)."""
    import urllib.error
    import urllib.request

    from botocore.config import Config

    s3v4 = pycloud_client("s3", config=Config(signature_version="s3v4"))
    urls = [s3v4.generate_presigned_url("list_buckets", ExpiresIn=3600),
            pycloud_client("s3").generate_presigned_url("list_buckets", ExpiresIn=3600)]
    for url in urls:
        with urllib.request.urlopen(url) as response:
            assert response.status == 200
    pycloud.advance_clock(2 * 3600)
    try:
        for url in urls:
            with pytest.raises(urllib.error.HTTPError) as info:
                urllib.request.urlopen(url)
            assert info.value.code == 403
            assert b"<Code>AccessDenied</Code>" in info.value.read()
        assert pycloud_client("sts").get_caller_identity()["Account"] == "000000000000"
    finally:
        pycloud.reset()


def test_sigv4_presigned_url_valid_and_tampered(pycloud_client):
    import urllib.error
    import urllib.request

    from botocore.config import Config

    url = pycloud_client("s3", config=Config(signature_version="s3v4")).generate_presigned_url("list_buckets", ExpiresIn=300)
    assert "X-Amz-Signature=" in url
    with urllib.request.urlopen(url) as response:
        assert response.status == 200
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(url.replace("X-Amz-Expires=300", "X-Amz-Expires=301"))
    assert info.value.code == 403
    assert b"SignatureDoesNotMatch" in info.value.read()


def test_sigv2_header_signature(pycloud):
    """Older SDKs sign S3 requests with `Authorization: AWS key:signature` (HMAC-SHA1)."""
    from botocore.config import Config
    from botocore.exceptions import ClientError

    good = pycloud.client("s3", config=Config(signature_version="s3", retries={"max_attempts": 1}))
    assert good.list_buckets()["Buckets"] == []
    bad = pycloud.client("s3", secret_key="wrong", config=Config(signature_version="s3", retries={"max_attempts": 1}))
    with pytest.raises(ClientError) as info:
        bad.list_buckets()
    assert info.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
