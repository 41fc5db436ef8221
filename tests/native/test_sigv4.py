"""The native SigV4 signature (``_core.sigv4_signature``) agrees with botocore's signer and with
pycloud's Python canonicalisation, and leaves what it cannot canonicalise to the Python path."""

from __future__ import annotations

import hashlib
import random
import string

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from pycloud._core import sigv4_signature
from pycloud.gateway import sigv4

AMZ_DATE = "20261127T101500Z"
SCOPE = "20261127/us-east-1/sqs/aws4_request"
KEY = sigv4.signing_key("secret", "20261127", "us-east-1", "sqs")


def _botocore_signed(headers: dict[str, str], body: bytes, path: str = "/") -> dict[str, str]:
    request = AWSRequest(method="POST", url=f"http://localhost:4566{path}", data=body, headers=headers)
    SigV4Auth(Credentials("AKID", "secret"), "sqs", "us-east-1").add_auth(request)
    signed = {k.lower(): v for k, v in request.headers.items()}
    signed.setdefault("host", "localhost:4566")  # botocore signs the URL's host without setting the header
    return signed


def _parts(authorization: str) -> tuple[str, str]:
    fields = dict(part.strip().split("=", 1) for part in authorization[len("AWS4-HMAC-SHA256 "):].split(","))
    return fields["SignedHeaders"], fields["Signature"]


def _native(headers: dict[str, str], signed: str, payload_hash: str, path: str = "/",
            amz_date: str = AMZ_DATE) -> str | None:
    date = amz_date[:8]
    key = sigv4.signing_key("secret", date, "us-east-1", "sqs")
    return sigv4_signature(key, amz_date, f"{date}/us-east-1/sqs/aws4_request", "POST",
                           sigv4.canonical_uri(path, s3=False), "", headers, signed.split(";"), signed, payload_hash)


def test_matches_botocore_for_random_requests() -> None:
    rng = random.Random(7)
    alphabet = string.ascii_letters + string.digits + " -_.:/=+,;\t"
    for _ in range(300):
        extra = {f"x-amz-meta-{rng.randrange(1000)}": "".join(rng.choice(alphabet) for _ in range(rng.randrange(40)))
                 for _ in range(rng.randrange(4))}
        body = bytes(rng.randrange(256) for _ in range(rng.randrange(200)))
        headers = _botocore_signed({"Content-Type": "application/x-amz-json-1.0", **extra}, body)
        signed, expected = _parts(headers["authorization"])
        payload_hash = hashlib.sha256(body).hexdigest()
        assert _native(headers, signed, payload_hash, amz_date=headers["x-amz-date"]) == expected


def test_agrees_with_the_python_canonicalisation_on_whitespace() -> None:
    for value in ("a  b", "\tlead", "trail ", "  both  ", "in\tside", "plain", "", "   "):
        headers = {"host": "localhost:4566", "x-amz-date": AMZ_DATE, "x-custom": value}
        names = ["host", "x-amz-date", "x-custom"]
        creq = sigv4.canonical_request("POST", "/", "", sigv4.canonical_headers(headers, names), ";".join(names),
                                       sigv4.EMPTY_SHA256)
        expected = sigv4.sign(KEY, sigv4.string_to_sign(AMZ_DATE, SCOPE, creq))
        assert _native(headers, ";".join(names), sigv4.EMPTY_SHA256) == expected, repr(value)


def test_absent_signed_header_canonicalises_empty() -> None:
    headers = {"host": "localhost:4566"}
    names = ["host", "x-missing"]
    creq = sigv4.canonical_request("POST", "/", "", sigv4.canonical_headers(headers, names), "host;x-missing",
                                   sigv4.EMPTY_SHA256)
    assert _native(headers, "host;x-missing", sigv4.EMPTY_SHA256) == sigv4.sign(
        KEY, sigv4.string_to_sign(AMZ_DATE, SCOPE, creq))


def test_values_outside_printable_ascii_are_left_to_python() -> None:
    for value in ("café", "a\nb", "x\x0bz", "\xa0"):
        assert _native({"host": "h", "x-v": value}, "host;x-v", sigv4.EMPTY_SHA256) is None
