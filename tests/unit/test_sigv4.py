"""SigV4 verification against requests signed by botocore itself."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, unquote, urlsplit

import botocore.auth
import pytest
from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth, SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from pycloud.gateway import sigv4
from pycloud.gateway.auth import (
    MAX_PRESIGN_EXPIRES,
    STREAMING_SIGNED,
    UNSIGNED_PAYLOAD,
    auth_error,
    authenticate,
)
from pycloud.iam.credentials import Credential, CredentialStore
from pycloud.protocol.errors import ServiceError
from pycloud.protocol.message import BodyStream, HttpRequest

SIGNED_AT = datetime(2024, 5, 24, 12, 0, 0, tzinfo=UTC)
ACCOUNT = "111111111111"
KEY, SECRET = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"


@pytest.fixture(autouse=True)
def frozen_signing_time(monkeypatch):
    """botocore signs with SIGNED_AT so expiry and skew are deterministic."""
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: SIGNED_AT)


@pytest.fixture
def store() -> CredentialStore:
    s = CredentialStore()
    s.add_account(ACCOUNT, KEY, SECRET)
    return s


def to_http(req: AWSRequest, *, body: bytes | None = None) -> HttpRequest:
    """botocore request → pycloud HttpRequest (lower-case headers, raw path, decoded query)."""
    parts = urlsplit(req.url)
    query: dict[str, list[str]] = {}
    for piece in parts.query.split("&") if parts.query else ():
        name, _, value = piece.partition("=")
        query.setdefault(unquote(name), []).append(unquote(value))
    headers = {k.lower(): v for k, v in req.headers.items()}
    headers.setdefault("host", parts.netloc)
    raw_body = req.body if body is None else body
    if isinstance(raw_body, str):
        raw_body = raw_body.encode()
    return HttpRequest(
        method=req.method,
        path=parts.path,
        raw_query=parts.query,
        query=query,
        headers=headers,
        body=raw_body or b"",
    )


def sign(signer_cls, url, *, method="GET", body=b"", headers=None, key=KEY, secret=SECRET, token=None,
         service="s3", region="us-east-1", **kw) -> AWSRequest:  # fmt: skip
    req = AWSRequest(method=method, url=url, data=body, headers=dict(headers or {}))
    signer_cls(Credentials(key, secret, token), service, region, **kw).add_auth(req)
    return req


def expect_error(code: str, status: int, fn, *args, **kwargs) -> ServiceError:
    with pytest.raises(ServiceError) as info:
        fn(*args, **kwargs)
    assert (info.value.code, info.value.status) == (code, status), info.value.message
    return info.value


def auth(request: HttpRequest, store: CredentialStore, *, now=SIGNED_AT, strict=True, **kw):
    return authenticate(request, now=now, credentials=store, strict=strict, **kw)


# --- header auth -----------------------------------------------------------------------------


def test_s3_put_with_body_verifies(store):
    body = b"hello world"
    req = to_http(sign(S3SigV4Auth, "http://localhost:4566/bucket/key.txt", method="PUT", body=body))
    result = auth(req, store)
    assert result.verified and not result.anonymous
    assert result.credential.account_id == ACCOUNT
    assert (result.region, result.service, result.access_key) == ("us-east-1", "s3", KEY)
    assert result.payload_mode == "signed" and result.payload_hash == hashlib.sha256(body).hexdigest()
    assert result.payload_checked
    assert result.signing_key == sigv4.signing_key(SECRET, "20240524", "us-east-1", "s3")
    assert result.principal().arn == f"arn:aws:iam::{ACCOUNT}:root"


@pytest.mark.parametrize(
    "service,region,url,method,body,headers",
    [
        ("sts", "us-east-1", "http://localhost:4566/", "POST", b"Action=GetCallerIdentity&Version=2011-06-15",
         {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}),
        ("dynamodb", "eu-west-1", "http://localhost:4566/", "POST", b"{}",
         {"X-Amz-Target": "DynamoDB_20120810.ListTables", "Content-Type": "application/x-amz-json-1.0"}),
        ("lambda", "us-west-2", "http://localhost:4566/2015-03-31/functions/my%3Afn%20x/invocations", "POST",
         b"{}", {}),
        ("execute-api", "us-east-1", "http://localhost:4566/a/./b//c/../d%2Fe", "GET", b"", {}),
    ],
)  # fmt: skip
def test_non_s3_services_verify(store, service, region, url, method, body, headers):
    req = to_http(sign(SigV4Auth, url, method=method, body=body, headers=headers, service=service, region=region))
    result = auth(req, store)
    assert result.verified and result.service == service and result.region == region
    assert result.payload_hash == hashlib.sha256(body).hexdigest()


def test_wrong_secret_s3_reports_canonical_request(store):
    req = to_http(sign(S3SigV4Auth, "http://localhost:4566/bucket/key", secret="not-the-secret"))
    err = expect_error("SignatureDoesNotMatch", 403, auth, req, store)
    assert err.fields["AWSAccessKeyId"] == KEY
    assert err.fields["SignatureProvided"] == req.headers["authorization"].rsplit("Signature=", 1)[1]
    assert err.fields["CanonicalRequest"].startswith("GET\n/bucket/key\n\n")
    assert err.fields["StringToSign"].startswith("AWS4-HMAC-SHA256\n20240524T120000Z\n20240524/us-east-1/s3/")
    assert "Check your key and signing method" in err.message


@pytest.mark.parametrize(
    "service,code,status",
    [("sts", "SignatureDoesNotMatch", 403), ("dynamodb", "InvalidSignatureException", 400),
     ("ec2", "AuthFailure", 401), ("lambda", "InvalidSignatureException", 403)],
)  # fmt: skip
def test_wrong_secret_per_service_family(store, service, code, status):
    req = to_http(sign(SigV4Auth, "http://localhost:4566/", method="POST", body=b"x=1", service=service,
                       secret="bad"))  # fmt: skip
    err = expect_error(code, status, auth, req, store)
    if service == "sts":
        assert err.message.startswith("The request signature we calculated does not match")


def test_tampered_header_path_query_and_body(store):
    signed = sign(S3SigV4Auth, "http://localhost:4566/bucket/key?tagging=", method="PUT", body=b"data",
                  headers={"x-amz-meta-color": "blue"})  # fmt: skip
    assert auth(to_http(signed), store).verified

    req = to_http(signed)
    req.headers["x-amz-meta-color"] = "red"
    expect_error("SignatureDoesNotMatch", 403, auth, req, store)

    req = to_http(signed)
    req.path = "/bucket/other"
    expect_error("SignatureDoesNotMatch", 403, auth, req, store)

    req = to_http(signed)
    req.raw_query, req.query = "tagging=&versionId=1", {"tagging": [""], "versionId": ["1"]}
    expect_error("SignatureDoesNotMatch", 403, auth, req, store)

    req = to_http(signed, body=b"DATA")
    err = expect_error("XAmzContentSHA256Mismatch", 400, auth, req, store)
    assert err.fields["S3ComputedContentSHA256"] == hashlib.sha256(b"DATA").hexdigest()


def test_tampered_body_non_s3_is_signature_mismatch(store):
    signed = sign(SigV4Auth, "http://localhost:4566/", method="POST", body=b"{}", service="dynamodb",
                  headers={"X-Amz-Target": "DynamoDB_20120810.ListTables"})  # fmt: skip
    expect_error("InvalidSignatureException", 400, auth, to_http(signed, body=b'{"a":1}'), store)


def test_header_whitespace_is_canonicalised(store):
    signed = sign(S3SigV4Auth, "http://localhost:4566/bucket/k", headers={"x-amz-meta-note": "  a   b  c "})
    req = to_http(signed)
    req.headers["x-amz-meta-note"] = "a b  c"  # same value after Trimall
    assert auth(req, store).verified


@pytest.mark.parametrize(
    "key", ["my file.txt", "dir/ünïcødé €.bin", "a+b=c&d", "semi;colon,comma!(x)*'", "tilde~dash-under_dot."]
)
def test_s3_paths_with_special_characters(store, key):
    url = "http://localhost:4566/bucket/" + quote(key, safe="/~")
    result = auth(to_http(sign(S3SigV4Auth, url, method="PUT", body=b"1")), store)
    assert result.verified


def test_s3_path_with_encoded_slash_signed_as_sent(store):
    # %2F stays single-encoded for S3 (and is not turned into a path separator)
    url = "http://localhost:4566/bucket/a%2Fb%2Fc"
    req = to_http(sign(S3SigV4Auth, url))
    assert req.path == "/bucket/a%2Fb%2Fc"
    assert auth(req, store).verified
    req.path = "/bucket/a/b/c"
    expect_error("SignatureDoesNotMatch", 403, auth, req, store)


def test_s3_path_encoding_variant_on_the_wire_still_verifies(store):
    req = to_http(sign(S3SigV4Auth, "http://localhost:4566/bucket/a%21b%28c%29"))
    req.path = "/bucket/a!b(c)"  # same path, reserved characters left raw by a proxy
    assert auth(req, store).verified


def test_non_s3_path_is_double_encoded_and_normalised():
    assert sigv4.canonical_uri("/a/./b//c/../d%2Fe", s3=False) == "/a/b/d%252Fe"
    assert sigv4.canonical_uri("/a/./b//c/../d%2Fe", s3=True) == "/a/./b//c/../d%2Fe"
    assert sigv4.canonical_uri("", s3=True) == "/"


def test_query_with_repeated_keys_and_empty_values(store):
    url = "http://localhost:4566/bucket?z=1&a=2&a=1&empty=&flag&sp=a%20b&star=%2A&tilde=~"
    req = to_http(sign(S3SigV4Auth, url))
    assert auth(req, store).verified
    assert sigv4.canonical_query_from_raw(req.raw_query) == "a=1&a=2&empty=&flag=&sp=a%20b&star=%2A&tilde=~&z=1"
    # the decoded dict gives the same canonical form when no raw query is available
    assert sigv4.canonical_query_from_params(req.query) == sigv4.canonical_query_from_raw(req.raw_query)
    req.raw_query = ""
    assert auth(req, store).verified


def test_query_encoding_variants_canonicalise_alike():
    assert sigv4.canonical_query_from_raw("b=%7e&a=%2a&c=x+y") == "a=%2A&b=~&c=x%2By"


def test_date_header_instead_of_x_amz_date(store):
    signed = sign(SigV4Auth, "http://localhost:4566/", method="POST", body=b"Action=ListUsers", service="iam",
                  headers={"Date": "placeholder"})  # fmt: skip
    req = to_http(signed)
    assert "x-amz-date" not in req.headers and req.headers["date"].startswith("Fri, 24 May 2024 12:00:00")
    assert auth(req, store).verified


def test_missing_date(store):
    req = to_http(sign(S3SigV4Auth, "http://localhost:4566/bucket"))
    del req.headers["x-amz-date"]
    expect_error("AccessDenied", 403, auth, req, store)


def test_skewed_request_time(store):
    req = to_http(sign(S3SigV4Auth, "http://localhost:4566/bucket"))
    assert auth(req, store, now=SIGNED_AT + timedelta(minutes=14)).verified
    err = expect_error("RequestTimeTooSkewed", 403, auth, req, store, now=SIGNED_AT + timedelta(minutes=16))
    assert err.fields["MaxAllowedSkewMilliseconds"] == "900000"
    expect_error("RequestTimeTooSkewed", 403, auth, req, store, now=SIGNED_AT - timedelta(minutes=16))
    # the gateway can switch the window off when the virtual clock runs ahead of clients
    assert auth(req, store, now=SIGNED_AT + timedelta(hours=3), check_skew=False).verified

    q = to_http(sign(SigV4Auth, "http://localhost:4566/", method="POST", body=b"Action=GetCallerIdentity",
                     service="sts"))  # fmt: skip
    err = expect_error("SignatureDoesNotMatch", 403, auth, q, store, now=SIGNED_AT + timedelta(minutes=20))
    assert err.message.startswith("Signature expired: 20240524T120000Z is now earlier than")


def test_credential_date_must_match_request_date(store):
    req = to_http(sign(S3SigV4Auth, "http://localhost:4566/bucket"))
    req.headers["authorization"] = req.headers["authorization"].replace("/20240524/", "/20240523/")
    expect_error("AuthorizationHeaderMalformed", 400, auth, req, store)


def test_unknown_key_strict_and_lenient(store):
    req = to_http(sign(S3SigV4Auth, "http://localhost:4566/bucket", key="AKIAUNKNOWN", secret="whatever"))
    err = expect_error("InvalidAccessKeyId", 403, auth, req, store, strict=True)
    assert err.fields["AWSAccessKeyId"] == "AKIAUNKNOWN"
    result = auth(req, store, strict=False)
    assert not result.verified and result.credential.account_id == store.default_account
    assert result.credential.verified is False

    sts = to_http(sign(SigV4Auth, "http://localhost:4566/", method="POST", body=b"A=1", service="sts",
                       key="AKIAUNKNOWN"))  # fmt: skip
    expect_error("InvalidClientTokenId", 403, auth, sts, store)
    ddb = to_http(sign(SigV4Auth, "http://localhost:4566/", method="POST", body=b"{}", service="dynamodb",
                       key="AKIAUNKNOWN", headers={"X-Amz-Target": "DynamoDB_20120810.ListTables"}))  # fmt: skip
    expect_error("UnrecognizedClientException", 400, auth, ddb, store)


def test_known_key_is_verified_even_when_not_strict(store):
    req = to_http(sign(S3SigV4Auth, "http://localhost:4566/bucket", secret="wrong"))
    expect_error("SignatureDoesNotMatch", 403, auth, req, store, strict=False)


def test_session_tokens(store):
    store.add(Credential("ASIATEMP", "tempsecret", ACCOUNT, f"arn:aws:sts::{ACCOUNT}:assumed-role/r/s",
                         kind="assumed-role", session_token="TOKEN-1",
                         expires=SIGNED_AT + timedelta(hours=1)))  # fmt: skip
    good = to_http(sign(S3SigV4Auth, "http://localhost:4566/b", key="ASIATEMP", secret="tempsecret", token="TOKEN-1"))
    result = auth(good, store)
    assert result.verified and result.credential.kind == "assumed-role"

    wrong = to_http(sign(S3SigV4Auth, "http://localhost:4566/b", key="ASIATEMP", secret="tempsecret", token="TOKEN-2"))
    expect_error("InvalidToken", 400, auth, wrong, store)

    missing = to_http(sign(S3SigV4Auth, "http://localhost:4566/b", key="ASIATEMP", secret="tempsecret"))
    expect_error("InvalidAccessKeyId", 403, auth, missing, store)

    expect_error("ExpiredToken", 400, auth, good, store, now=SIGNED_AT + timedelta(hours=1, seconds=1),
                 check_skew=False)  # fmt: skip
    sts = to_http(sign(SigV4Auth, "http://localhost:4566/", method="POST", body=b"A=1", service="sts",
                       key="ASIATEMP", secret="tempsecret", token="TOKEN-1"))  # fmt: skip
    expect_error("ExpiredToken", 403, auth, sts, store, now=SIGNED_AT + timedelta(hours=2), check_skew=False)


def test_anonymous_and_unsupported_schemes(store):
    anon = auth(HttpRequest("GET", "/bucket/key", headers={"host": "localhost"}), store)
    assert anon.anonymous and not anon.verified and anon.credential is None
    assert anon.principal().kind == "anonymous"

    v2 = HttpRequest("GET", "/bucket/key", headers={"authorization": "AWS AKID:c2lnbmF0dXJl", "x-amz-date": "x"})
    expect_error("AccessDenied", 403, auth, v2, store, service_hint="s3")  # S3 speaks SigV2: bad date
    expect_error("IncompleteSignature", 400, auth, v2, store, service_hint="sts")  # others don't


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:4566/bucket/some%20key?acl&versionId=3",
        "http://bucket.s3.localhost:4566/a/b.txt?tagging&response-content-type=text%2Fplain&prefix=x",
    ],
)
def test_sigv2_header_and_query_signatures(store, url):
    from datetime import UTC, datetime

    from botocore.auth import HmacV1Auth, HmacV1QueryAuth

    now = datetime.now(UTC)  # HMAC-V1 signers use the real clock
    host_bucket = url.startswith("http://bucket.")
    for signer in (HmacV1Auth, HmacV1QueryAuth):
        req = AWSRequest(method="GET", url=url, headers={"x-amz-meta-a": "1"})
        if host_bucket:
            req.auth_path = "/bucket" + url.split(":4566", 1)[1].split("?")[0]
        signer(Credentials(KEY, SECRET)).add_auth(req)
        http = to_http(req)
        http.headers["host"] = url.split("/")[2]
        result = auth(http, store, service_hint="s3", now=now)
        assert result.verified and result.credential.access_key == KEY
        bad = to_http(req)
        bad.headers["host"] = url.split("/")[2]
        bad.path = bad.path.replace("b", "c", 1) if host_bucket else bad.path.replace("key", "kez")
        expect_error("SignatureDoesNotMatch", 403, auth, bad, store, service_hint="s3", now=now)


def test_malformed_authorization_header(store):
    req = to_http(sign(S3SigV4Auth, "http://localhost:4566/bucket"))
    header = req.headers["authorization"]
    req.headers["authorization"] = header.split(", Signature=")[0]
    expect_error("AuthorizationHeaderMalformed", 400, auth, req, store)
    req.headers["authorization"] = header.replace("/aws4_request", "/aws5_request")
    expect_error("AuthorizationHeaderMalformed", 400, auth, req, store)

    q = to_http(sign(SigV4Auth, "http://localhost:4566/", method="POST", body=b"A=1", service="sts"))
    q.headers["authorization"] = q.headers["authorization"].split(", Signature=")[0]
    err = expect_error("IncompleteSignature", 400, auth, q, store)
    assert "'Signature'" in err.message


def test_content_sha256_rules(store):
    req = to_http(sign(S3SigV4Auth, "http://localhost:4566/bucket/k", method="PUT", body=b"x"))
    del req.headers["x-amz-content-sha256"]
    expect_error("InvalidRequest", 400, auth, req, store)

    # SigV4Auth (not S3SigV4Auth) keeps a caller-provided X-Amz-Content-SHA256 header as the payload hash
    req = to_http(sign(SigV4Auth, "http://localhost:4566/bucket/k", method="PUT", body=b"x",
                       headers={"X-Amz-Content-SHA256": "nonsense"}))  # fmt: skip
    err = expect_error("InvalidArgument", 400, auth, req, store)
    assert err.fields["ArgumentValue"] == "nonsense"

    unsigned = to_http(sign(SigV4Auth, "http://localhost:4566/bucket/k", method="PUT", body=b"anything",
                            headers={"X-Amz-Content-SHA256": UNSIGNED_PAYLOAD}))  # fmt: skip
    assert auth(unsigned, store).payload_mode == UNSIGNED_PAYLOAD

    streaming = to_http(sign(SigV4Auth, "http://localhost:4566/bucket/k", method="PUT",
                             headers={"X-Amz-Content-SHA256": STREAMING_SIGNED}))  # fmt: skip
    result = auth(streaming, store)
    assert result.streaming and result.signature == streaming.headers["authorization"].rsplit("=", 1)[1]


class _Chunks(BodyStream):
    def __init__(self, chunks):
        self._chunks = list(chunks)

    async def read(self) -> bytes:
        return self._chunks.pop(0) if self._chunks else b""


def test_streamed_signed_payload_is_checked_at_the_end(store):
    import asyncio

    from pycloud.gateway.chunked import wrap_stream

    body = b"0123456789" * 100
    signed = sign(S3SigV4Auth, "http://localhost:4566/bucket/k", method="PUT", body=body)
    for payload, ok in ((body, True), (body[:-1] + b"X", False)):
        req = to_http(signed, body=b"")
        req.stream = _Chunks([payload[:300], payload[300:]])
        result = auth(req, store)
        assert not result.payload_checked
        stream = wrap_stream(req, result)
        if ok:
            assert asyncio.run(stream.read_all()) == body
        else:
            with pytest.raises(ServiceError) as info:
                asyncio.run(stream.read_all())
            assert info.value.code == "XAmzContentSHA256Mismatch"


# --- presigned URLs --------------------------------------------------------------------------


def test_presigned_s3_get(store):
    req = to_http(sign(S3SigV4QueryAuth, "http://localhost:4566/bucket/my%20key?versionId=3", expires=600))
    assert "authorization" not in req.headers
    result = auth(req, store)
    assert result.presigned and result.verified and result.payload_mode == UNSIGNED_PAYLOAD
    assert auth(req, store, now=SIGNED_AT + timedelta(seconds=600)).verified

    err = expect_error("AccessDenied", 403, auth, req, store, now=SIGNED_AT + timedelta(seconds=601))
    assert err.message == "Request has expired" and err.fields["X-Amz-Expires"] == "600"


def test_presigned_tampering(store):
    signed = sign(S3SigV4QueryAuth, "http://localhost:4566/bucket/key", expires=600)
    req = to_http(signed)
    req.raw_query = req.raw_query.replace("X-Amz-Expires=600", "X-Amz-Expires=6000")
    req.query["X-Amz-Expires"] = ["6000"]
    expect_error("SignatureDoesNotMatch", 403, auth, req, store)
    req = to_http(signed)
    req.path = "/bucket/other"
    expect_error("SignatureDoesNotMatch", 403, auth, req, store)


def test_replayed_presigned_url_is_rechecked_after_key_rotation(store):
    """A verified signature is remembered by its inputs, the signing key among them: replaying the
    URL after the account's secret changes fails, and a tampered replay never rides on the memo."""
    signed = sign(S3SigV4QueryAuth, "http://localhost:4566/bucket/replayed", expires=600)
    for _ in range(3):
        assert auth(to_http(signed), store).verified
    req = to_http(signed)
    req.headers["host"] = "other:4566"
    expect_error("SignatureDoesNotMatch", 403, auth, req, store)
    store.add_account(ACCOUNT, KEY, "a-new-secret")
    expect_error("SignatureDoesNotMatch", 403, auth, to_http(signed), store)


def test_a_presigned_signature_does_not_verify_as_a_header_signature(store):
    """The same signature presented in an Authorization header is a header signature over other
    canonical input: it must not ride on the presigned URL's remembered verification."""
    signed = sign(S3SigV4QueryAuth, "http://localhost:4566/bucket/replay-mode", expires=60)
    req = to_http(signed)
    assert auth(req, store).verified
    credential = req.query["X-Amz-Credential"][0]
    req.headers["authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={credential}, SignedHeaders=host, Signature={req.query['X-Amz-Signature'][0]}"
    )
    req.headers["x-amz-date"] = req.query["X-Amz-Date"][0]
    req.headers["x-amz-content-sha256"] = "UNSIGNED-PAYLOAD"
    expect_error("SignatureDoesNotMatch", 403, auth, req, store, now=SIGNED_AT + timedelta(seconds=300))


def test_presigned_expires_limits(store):
    req = to_http(sign(S3SigV4QueryAuth, "http://localhost:4566/bucket/key", expires=MAX_PRESIGN_EXPIRES))
    assert auth(req, store).verified
    req = to_http(sign(S3SigV4QueryAuth, "http://localhost:4566/bucket/key", expires=MAX_PRESIGN_EXPIRES + 1))
    err = expect_error("AuthorizationQueryParametersError", 400, auth, req, store)
    assert "less than a week" in err.message


def test_presigned_missing_parameter_and_not_yet_valid(store):
    req = to_http(sign(S3SigV4QueryAuth, "http://localhost:4566/bucket/key", expires=60))
    expect_error("AccessDenied", 403, auth, req, store, now=SIGNED_AT - timedelta(minutes=30))
    del req.query["X-Amz-Date"]
    expect_error("AuthorizationQueryParametersError", 400, auth, req, store)


def test_presigned_with_session_token(store):
    store.add(Credential("ASIAQ", "s3cret", ACCOUNT, "arn:aws:sts::1:assumed-role/r/s", session_token="T0K"))
    req = to_http(sign(S3SigV4QueryAuth, "http://localhost:4566/b/k", key="ASIAQ", secret="s3cret", token="T0K"))
    assert req.query["X-Amz-Security-Token"] == ["T0K"]
    assert auth(req, store).verified


def test_presigned_non_s3(store):
    req = to_http(sign(SigV4QueryAuth, "http://localhost:4566/?Action=GetCallerIdentity&Version=2011-06-15",
                       service="sts", expires=900))  # fmt: skip
    result = auth(req, store)
    assert result.presigned and result.service == "sts"
    err = expect_error("SignatureDoesNotMatch", 403, auth, req, store, now=SIGNED_AT + timedelta(seconds=901))
    assert err.message.startswith("Signature expired")


# --- primitives ------------------------------------------------------------------------------


def test_aws_documented_get_object_example():
    """AWS's published S3 GET example (sig-v4-header-based-auth): the seed numbers are AWS's."""
    headers = {
        "host": "examplebucket.s3.amazonaws.com",
        "range": "bytes=0-9",
        "x-amz-content-sha256": sigv4.EMPTY_SHA256,
        "x-amz-date": "20130524T000000Z",
    }
    signed = "host;range;x-amz-content-sha256;x-amz-date"
    creq = sigv4.canonical_request(
        "GET", "/test.txt", "", sigv4.canonical_headers(headers, signed.split(";")), signed, sigv4.EMPTY_SHA256
    )
    sts = sigv4.string_to_sign("20130524T000000Z", "20130524/us-east-1/s3/aws4_request", creq)
    key = sigv4.signing_key("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "20130524", "us-east-1", "s3")
    assert sigv4.sign(key, sts) == "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"


def test_signing_key_cache_is_bounded_and_hit():
    sigv4.signing_key.cache_clear()
    sigv4.signing_key("s", "20240101", "r", "svc")
    sigv4.signing_key("s", "20240101", "r", "svc")
    info = sigv4.signing_key.cache_info()
    assert info.hits == 1 and info.misses == 1 and info.maxsize is not None


def test_constant_time_compare():
    assert sigv4.signatures_equal("ab" * 32, "ab" * 32)
    assert not sigv4.signatures_equal("ab" * 32, "ab" * 31 + "ac")
    assert not sigv4.signatures_equal("ab", "ünicode")


def test_auth_error_table():
    err = auth_error("signature", "lambda", "rest-json", "")
    assert (err.code, err.status) == ("InvalidSignatureException", 403)
    err = auth_error("unknown_key", "sqs", "json", "")
    assert (err.code, err.status) == ("UnrecognizedClientException", 400)
    assert err.headers["x-amzn-query-error"] == "InvalidClientTokenId;Sender"
    err = auth_error("missing", "sts", "query", "")
    assert (err.code, err.status) == ("MissingAuthenticationToken", 403)
    err = auth_error("missing", "dynamodb", "json", "")
    assert err.code == "MissingAuthenticationTokenException" and "x-amzn-query-error" not in err.headers
    assert auth_error("skewed", "ec2", "ec2", "").code == "RequestExpired"
    assert auth_error("chunk_signature", "sts", "query", "custom").message == "custom"
    assert auth_error("malformed_trailer", "s3", "rest-xml", "").code == "MalformedTrailerError"
