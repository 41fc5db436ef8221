"""SigV4 request authentication: Authorization header, presigned query, payload hash modes.

``authenticate`` answers who signed a request (or that nobody did) and raises the ``ServiceError``
the request's service family answers for each failure. Error codes live in one table
(``_ERRORS``), keyed by family (S3, query, EC2, JSON, REST-JSON, REST-XML) and a neutral failure
kind, so the gateway can also map its own failures through ``auth_error``.

Unknown access keys map onto the default account unverified unless ``strict``; keys the
``CredentialStore`` knows are always verified.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from pycloud._core import sigv4_signature
from pycloud.gateway import sigv4
from pycloud.gateway.chunked import AwsChunkedDecoder
from pycloud.iam.arn import root_arn
from pycloud.iam.credentials import Credential, CredentialStore
from pycloud.protocol.errors import ServiceError

if TYPE_CHECKING:
    from pycloud.context import Principal
    from pycloud.protocol.message import HttpRequest

MAX_SKEW_SECONDS = 900
MAX_PRESIGN_EXPIRES = 604800

SIGNED = "signed"
"""Payload mode for a hex ``x-amz-content-sha256`` (or a hash computed from the body)."""
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
STREAMING_SIGNED = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
STREAMING_SIGNED_TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
STREAMING_UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
_SUPPORTED_MODES = frozenset({UNSIGNED_PAYLOAD, STREAMING_SIGNED, STREAMING_SIGNED_TRAILER, STREAMING_UNSIGNED_TRAILER})
_SIGV4A_MODES = frozenset(
    {"STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD", "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER"}
)
_HEX = frozenset("0123456789abcdefABCDEF")
_PRESIGN_KEYS = ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature")

# --- error table -----------------------------------------------------------------------------

_SIG_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)
_S3_SIG_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your key and signing method."
)
_INVALID_TOKEN_ID = "The security token included in the request is invalid."
_EXPIRED_TOKEN = "The security token included in the request is expired"
_MISSING_TOKEN = "Request is missing Authentication Token"
_INCOMPLETE = "The request signature does not conform to AWS standards."
_UNSUPPORTED = "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256."

# (code, HTTP status, default message) per family and kind.
_S3 = {
    "missing": ("AccessDenied", 403, "Access Denied"),
    "malformed": ("AuthorizationHeaderMalformed", 400, "The authorization header is malformed."),
    "malformed_query": (
        "AuthorizationQueryParametersError",
        400,
        "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, "
        "X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.",
    ),
    "missing_date": ("AccessDenied", 403, "AWS authentication requires a valid Date or x-amz-date header"),
    "unsupported": ("InvalidRequest", 400, _UNSUPPORTED),
    "signature": ("SignatureDoesNotMatch", 403, _S3_SIG_MISMATCH),
    "chunk_signature": ("SignatureDoesNotMatch", 403, _S3_SIG_MISMATCH),
    "unknown_key": ("InvalidAccessKeyId", 403, "The AWS Access Key Id you provided does not exist in our records."),
    "invalid_token": ("InvalidToken", 400, "The provided token is malformed or otherwise invalid."),
    "expired_token": ("ExpiredToken", 400, "The provided token has expired."),
    "skewed": (
        "RequestTimeTooSkewed",
        403,
        "The difference between the request time and the current time is too large.",
    ),
    "expired": ("AccessDenied", 403, "Request has expired"),
    "not_yet_valid": ("AccessDenied", 403, "Request is not valid yet"),
    "content_sha256_mismatch": (
        "XAmzContentSHA256Mismatch",
        400,
        "The provided 'x-amz-content-sha256' header does not match what was computed.",
    ),
    "content_sha256_invalid": (
        "InvalidArgument",
        400,
        "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, "
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, "
        "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER "
        "or a valid sha256 value.",
    ),
    "content_sha256_missing": ("InvalidRequest", 400, "Missing required header for this request: x-amz-content-sha256"),
    "incomplete_body": (
        "IncompleteBody",
        400,
        "You did not provide the number of bytes specified by the Content-Length HTTP header.",
    ),
    "chunk_size": ("InvalidChunkSizeError", 403, "Only the last chunk is allowed to have a size less than 8192 bytes"),
    "malformed_chunk": ("IncompleteBody", 400, "The chunked body is malformed."),
    "malformed_trailer": (
        "MalformedTrailerError",
        400,
        "The request contained trailing data that was not well-formed or did not conform to our published schema.",
    ),
}
# Query services (STS, IAM, SNS, RDS...), and REST-XML services other than S3 (Route 53, CloudFront).
_QUERY = {
    "missing": ("MissingAuthenticationToken", 403, _MISSING_TOKEN),
    "malformed": ("IncompleteSignature", 400, _INCOMPLETE),
    "malformed_query": ("IncompleteSignature", 400, _INCOMPLETE),
    "missing_date": (
        "IncompleteSignature",
        400,
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
    ),
    "unsupported": ("IncompleteSignature", 400, _UNSUPPORTED),
    "signature": ("SignatureDoesNotMatch", 403, _SIG_MISMATCH),
    "unknown_key": ("InvalidClientTokenId", 403, _INVALID_TOKEN_ID),
    "invalid_token": ("InvalidClientTokenId", 403, _INVALID_TOKEN_ID),
    "expired_token": ("ExpiredToken", 403, _EXPIRED_TOKEN),
    "skewed": ("SignatureDoesNotMatch", 403, "Signature expired"),
    "expired": ("SignatureDoesNotMatch", 403, "Signature expired"),
    "not_yet_valid": ("SignatureDoesNotMatch", 403, "Signature not yet current"),
}
_JSON = {
    "missing": ("MissingAuthenticationTokenException", 400, _MISSING_TOKEN),
    "malformed": ("IncompleteSignatureException", 400, _INCOMPLETE),
    "malformed_query": ("IncompleteSignatureException", 400, _INCOMPLETE),
    "missing_date": (
        "IncompleteSignatureException",
        400,
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
    ),
    "unsupported": ("IncompleteSignatureException", 400, _UNSUPPORTED),
    "signature": ("InvalidSignatureException", 400, _SIG_MISMATCH),
    "unknown_key": ("UnrecognizedClientException", 400, _INVALID_TOKEN_ID),
    "invalid_token": ("UnrecognizedClientException", 400, _INVALID_TOKEN_ID),
    "expired_token": ("ExpiredTokenException", 400, _EXPIRED_TOKEN),
    "skewed": ("InvalidSignatureException", 400, "Signature expired"),
    "expired": ("InvalidSignatureException", 400, "Signature expired"),
    "not_yet_valid": ("InvalidSignatureException", 400, "Signature not yet current"),
}
# REST-JSON services behind API Gateway-style front ends (Lambda...) answer 403.
_REST_JSON = {kind: (code, 403, msg) for kind, (code, _, msg) in _JSON.items()}
_REST_JSON["missing"] = ("MissingAuthenticationTokenException", 403, "Missing Authentication Token")
_EC2 = {
    "missing": ("MissingAuthenticationToken", 401, "AWS was not able to validate the provided access credentials"),
    "malformed": ("IncompleteSignature", 400, _INCOMPLETE),
    "malformed_query": ("IncompleteSignature", 400, _INCOMPLETE),
    "missing_date": (
        "IncompleteSignature",
        400,
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
    ),
    "unsupported": ("IncompleteSignature", 400, _UNSUPPORTED),
    "signature": ("AuthFailure", 401, "AWS was not able to validate the provided access credentials"),
    "unknown_key": ("AuthFailure", 401, "AWS was not able to validate the provided access credentials"),
    "invalid_token": ("AuthFailure", 401, "AWS was not able to validate the provided access credentials"),
    "expired_token": ("RequestExpired", 400, "Request has expired."),
    "skewed": ("RequestExpired", 400, "Request has expired."),
    "expired": ("RequestExpired", 400, "Request has expired."),
    "not_yet_valid": ("RequestExpired", 400, "Request is not yet valid."),
}
_FAMILIES = {"s3": _S3, "query": _QUERY, "rest-xml": _QUERY, "ec2": _EC2, "json": _JSON, "rest-json": _REST_JSON}
_PROTOCOL_FAMILY = {
    "query": "query",
    "ec2": "ec2",
    "json": "json",
    "smithy-rpc-v2-cbor": "json",
    "rest-json": "rest-json",
    "rest-xml": "rest-xml",
}
# Kinds only S3 distinguishes; elsewhere they are plain signature / framing failures.
_ALIASES = {
    "chunk_signature": "signature",
    "content_sha256_mismatch": "signature",
    "content_sha256_invalid": "malformed",
    "content_sha256_missing": "malformed",
    "incomplete_body": "malformed",
    "chunk_size": "malformed",
    "malformed_chunk": "malformed",
    "malformed_trailer": "malformed",
}
AUTH_ERROR_KINDS = frozenset(_S3)
"""The neutral failure kinds ``auth_error`` understands."""


@lru_cache(maxsize=256)
def _query_compatible(service: str) -> bool:
    """True for JSON services that also report the legacy query error code (SQS, CloudWatch)."""
    try:
        from pycloud.protocol.model import load_service_model

        return bool(load_service_model(service).metadata.get("awsQueryCompatible") is not None)
    except Exception:  # unknown service or model trouble: the plain JSON answer is still right
        return False


def _family(service: str, protocol: str) -> str:
    if service == "s3":
        return "s3"
    if service == "ec2":
        return "ec2"
    return _PROTOCOL_FAMILY.get(protocol, "query")


def auth_error(
    kind: str, service: str, protocol: str, message: str = "", *, fields: dict[str, Any] | None = None
) -> ServiceError:
    """The ``ServiceError`` that ``service`` (speaking ``protocol``) answers for failure ``kind``.

    ``kind`` is one of ``AUTH_ERROR_KINDS`` (``signature``, ``unknown_key``, ``skewed``, ``expired``,
    ``missing``...). ``message`` replaces the family's default wording when given.
    """
    family = _family(service, protocol)
    table = _FAMILIES[family]
    entry = table.get(kind) or table.get(_ALIASES.get(kind, "malformed")) or table["malformed"]
    code, status, default = entry
    headers = None
    if family == "json" and _query_compatible(service):
        query_code, _, _ = _QUERY.get(kind) or _QUERY.get(_ALIASES.get(kind, "malformed")) or _QUERY["malformed"]
        headers = {"x-amzn-query-error": f"{query_code};Sender"}
    return ServiceError(code, message or default, status, fields=fields, headers=headers)


def error_target(
    service_hint: str | None, protocol_hint: str | None, scope_service: str, headers: dict[str, str]
) -> tuple[str, str]:
    """(service, protocol) whose error dialect a failed request gets: the router's hint when it
    has one, else the service the credential scope names."""
    service = service_hint or ""
    if not service and scope_service:
        from pycloud.protocol.service_index import by_signing_name

        candidates = by_signing_name().get(scope_service)
        service = candidates[0] if candidates else scope_service
    if not service and "x-amz-content-sha256" in headers:
        service = "s3"
    protocol = protocol_hint or ""
    if not protocol and service:
        from pycloud.protocol.service_index import service_index

        meta = service_index().get(service)
        if meta:
            protocol = meta["protocols"][0]
    if not protocol:
        protocol = "json" if "x-amz-target" in headers else "query"
    return service, protocol


# --- result ----------------------------------------------------------------------------------


@dataclass(slots=True)
class AuthResult:
    """Who signed a request and what the payload must be checked against.

    ``payload_mode`` is ``"signed"`` (``payload_hash`` is the hex SHA-256 the body must match),
    ``UNSIGNED-PAYLOAD`` or one of the ``STREAMING-...`` modes (decode the body with
    ``chunk_decoder``). ``verified`` is False for anonymous requests and for unknown keys accepted
    onto the default account. ``signing_key``/``signature`` seed chunk verification.
    """

    access_key: str = ""
    credential: Credential | None = None
    region: str = ""
    service: str = ""
    payload_mode: str = ""
    payload_hash: str = ""
    signature: str = ""
    signing_key: bytes = b""
    amz_date: str = ""
    scope: str = ""
    anonymous: bool = False
    presigned: bool = False
    verified: bool = False
    payload_checked: bool = False
    """True when the buffered body was already checked against ``payload_hash``."""
    error_service: str = ""
    error_protocol: str = ""

    def _target(self) -> tuple[str, str]:
        return error_target(self.error_service, self.error_protocol, self.service, {})

    @property
    def streaming(self) -> bool:
        """True when the body is aws-chunked encoded."""
        return self.payload_mode.startswith("STREAMING-")

    def chunk_decoder(self, headers: dict[str, str]) -> AwsChunkedDecoder:
        """An aws-chunked decoder for this request's body (``headers`` lower-case)."""
        mode = self.payload_mode
        signed = mode in (STREAMING_SIGNED, STREAMING_SIGNED_TRAILER)
        trailer_names = headers.get("x-amz-trailer", "")
        decoded = headers.get("x-amz-decoded-content-length")
        try:
            decoded_length = int(decoded) if decoded is not None else None
        except ValueError:
            raise auth_error("malformed_chunk", *self._target(), "Invalid x-amz-decoded-content-length.") from None
        service, protocol = self._target()
        return AwsChunkedDecoder(
            signed=signed,
            signing_key=self.signing_key if (signed and self.verified) else None,
            amz_date=self.amz_date,
            scope=self.scope,
            seed_signature=self.signature,
            trailer=mode.endswith("-TRAILER") or bool(trailer_names),
            expected_trailers=trailer_names.split(",") if trailer_names else (),
            decoded_length=decoded_length,
            service=service,
            protocol=protocol,
        )

    def payload_verifier(self) -> PayloadVerifier | None:
        """A streaming SHA-256 checker for a signed-hash payload not yet checked, else None."""
        if self.payload_mode != SIGNED or self.payload_checked:
            return None
        return PayloadVerifier(self.payload_hash, *self._target())

    def principal(self) -> Principal:
        """The ``Principal`` for the request context (anonymous when nobody signed)."""
        cred = self.credential
        if cred is None:
            return _principal("", "", "anonymous", "", "")
        if cred.session is not None:
            from pycloud.context import Principal

            return Principal(cred.account_id, cred.arn, cred.kind, cred.access_key, cred.user_id, cred.session)
        return _principal(cred.account_id, cred.arn, cred.kind, cred.access_key, cred.user_id)


@lru_cache(maxsize=1024)
def _principal(account_id: str, arn: str, kind: str, access_key: str, user_id: str) -> Principal:
    """The (immutable) Principal of a signer: one object per identity, not one per request."""
    from pycloud.context import Principal

    return Principal(account_id, arn, kind, access_key, user_id)


class PayloadVerifier:
    """Hashes a streamed body and checks it against the signed ``x-amz-content-sha256``."""

    __slots__ = ("_expected", "_hasher", "_service", "_protocol")

    def __init__(self, expected_hex: str, service: str, protocol: str) -> None:
        self._expected = expected_hex.lower()
        self._hasher = hashlib.sha256()
        self._service = service
        self._protocol = protocol

    def update(self, data: bytes | memoryview) -> None:
        """Hash the next piece of the body."""
        self._hasher.update(data)

    def verify(self) -> None:
        """Raise ``XAmzContentSHA256Mismatch`` (S3; signature mismatch elsewhere) if it differs."""
        actual = self._hasher.hexdigest()
        if actual != self._expected:
            raise auth_error(
                "content_sha256_mismatch",
                self._service,
                self._protocol,
                fields={"ClientComputedContentSHA256": self._expected, "S3ComputedContentSHA256": actual},
            )


def _canonical_query(req: HttpRequest, exclude: str | None) -> str:
    """The request's canonical query string (``exclude``: the presigned signature parameter)."""
    if req.raw_query:
        return sigv4.canonical_query_from_raw(req.raw_query, exclude)
    if req.query:
        return sigv4.canonical_query_from_params(req.query, exclude)
    return ""


_VERIFIED: set[tuple] = set()
"""Inputs (signing key, canonical parts, signature) of signatures already verified."""
_VERIFIED_MAX = 4096  # entries hold the request's strings (~1 KiB): a few MiB at most


# --- authentication --------------------------------------------------------------------------


def authenticate(
    request: HttpRequest,
    *,
    now: datetime,
    credentials: CredentialStore,
    strict: bool,
    service_hint: str | None = None,
    protocol_hint: str | None = None,
    check_skew: bool = True,
    service: str | None = None,
    protocol: str | None = None,
) -> AuthResult:
    """Verify the request's SigV4 signature (header or presigned query) and return who signed it.

    Requests without any authentication return an anonymous result (the caller decides whether the
    service allows that). ``now`` is the (virtual) current time; ``check_skew=False`` skips the
    15-minute request-time window (useful when the virtual clock runs ahead of the client's).
    Failures raise the ``ServiceError`` of ``service_hint`` (or the service named by the credential
    scope); ``service``/``protocol`` are accepted as aliases of the two hints.
    """
    return _Authenticator(
        request, now, credentials, strict, service_hint or service, protocol_hint or protocol, check_skew
    ).run()


def s3_credential(
    request: HttpRequest, access_key: str, token: str | None, *, now: datetime, credentials: CredentialStore, strict: bool
) -> Credential:
    """The credential behind an access key an S3 request names outside its Authorization header
    or query (browser POST forms), checked as for a signed request (unknown keys, session tokens,
    expiry); failures raise S3's errors. The caller verifies the signature with its secret."""
    return _Authenticator(request, now, credentials, strict, "s3", "rest-xml", False)._credential(access_key, token)


class _Authenticator:
    """One authentication attempt; holds what error mapping needs."""

    __slots__ = ("req", "now", "store", "strict", "hint", "protocol_hint", "check_skew", "scope_service")

    def __init__(self, req, now, store, strict, hint, protocol_hint, check_skew) -> None:
        self.req = req
        self.now = now
        self.store = store
        self.strict = strict
        self.hint = hint
        self.protocol_hint = protocol_hint
        self.check_skew = check_skew
        self.scope_service = ""

    # error plumbing (cold path)

    def fail(self, kind: str, message: str = "", fields: dict[str, Any] | None = None) -> ServiceError:
        service, protocol = error_target(self.hint, self.protocol_hint, self.scope_service, self.req.headers)
        return auth_error(kind, service, protocol, message, fields=fields)

    def is_s3(self) -> bool:
        if self.hint:
            return self.hint == "s3"
        return self.scope_service == "s3"

    # main flow

    def run(self) -> AuthResult:
        req = self.req
        header = req.headers.get("authorization")
        if header:
            if header.startswith("AWS4-HMAC-SHA256 "):
                return self._header_auth(header)
            if header.startswith("AWS ") and self.is_s3():
                access_key, _, signature = header[4:].partition(":")
                date = req.headers.get("date", "") if "x-amz-date" not in req.headers else ""
                stamp = req.headers.get("x-amz-date") or req.headers.get("date")
                ts = _http_date_seconds(stamp) if stamp else None
                if ts is None:
                    raise self.fail("missing_date")
                if self.check_skew and abs(ts - self.now.timestamp()) > MAX_SKEW_SECONDS:
                    raise self.fail("skewed")
                return self._v2_verify(access_key.strip(), signature.strip(), date, req.headers.get("x-amz-security-token"))
            # SigV4A and anything else: say clearly what is supported
            raise self.fail("unsupported")
        query = req.query
        if query:
            if any(k in query for k in _PRESIGN_KEYS):
                return self._query_auth(query)
            if "AWSAccessKeyId" in query and "Signature" in query:
                if not self.is_s3():
                    raise self.fail("unsupported")
                return self._v2_query_auth(query)
        return AuthResult(anonymous=True)

    def _v2_query_auth(self, query: dict[str, list[str]]) -> AuthResult:
        """S3 SigV2 presigned URL: ``AWSAccessKeyId``, ``Signature``, ``Expires`` (epoch seconds)."""
        expires = query.get("Expires", [""])[0]
        if not (expires.isascii() and expires.isdigit()):
            raise self.fail("malformed_query", "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters")
        now = self.now.timestamp()
        if now > int(expires):
            raise self.fail("expired", fields={"Expires": _iso(int(expires)), "ServerTime": _iso(now)})
        token = query.get("x-amz-security-token", [None])[0] or self.req.headers.get("x-amz-security-token")
        return self._v2_verify(query["AWSAccessKeyId"][0], query["Signature"][0], expires, token)

    def _v2_verify(self, access_key: str, signature: str, date_value: str, token: str | None) -> AuthResult:
        from pycloud.gateway import sigv2
        from pycloud.gateway.routing import s3_bucket_from_host

        req = self.req
        cred = self._credential(access_key, token)
        if cred.verified:
            resource = sigv2.canonical_resource(req.path, req.raw_query, s3_bucket_from_host(req.headers.get("host", "")))
            text = sigv2.string_to_sign(req.method, req.headers, date_value, resource)
            if not sigv4.signatures_equal(sigv2.signature(cred.secret_key, text), signature):
                raise self.fail(
                    "signature",
                    fields={"AWSAccessKeyId": access_key, "StringToSign": text, "SignatureProvided": signature},
                )
        return AuthResult(
            access_key=access_key,
            credential=cred,
            service="s3",
            payload_mode=UNSIGNED_PAYLOAD,
            presigned="Signature" in req.query,
            verified=cred.verified,
        )

    def _header_auth(self, header: str) -> AuthResult:
        credential = signed = signature = None
        for part in header[17:].split(","):
            name, _, value = part.strip().partition("=")
            if name == "Credential":
                credential = value.strip()
            elif name == "SignedHeaders":
                signed = value.strip()
            elif name == "Signature":
                signature = value.strip()
        if credential is not None:
            self._peek_scope(credential)
        if credential is None or signed is None or signature is None:
            missing = [
                n
                for n, v in (("Credential", credential), ("SignedHeaders", signed), ("Signature", signature))
                if v is None
            ]
            raise self.fail(
                "malformed",
                ""  # S3's own AuthorizationHeaderMalformed wording
                if self.is_s3()
                else " ".join(f"Authorization header requires '{n}' parameter." for n in missing)
                + f" Authorization={header}",
            )
        access_key, date, region, service = self._parse_credential(credential, "malformed")
        headers = self.req.headers
        amz_date = headers.get("x-amz-date")
        if amz_date is None:
            http_date = headers.get("date")
            if http_date is None:
                raise self.fail("missing_date")
            amz_date = _http_date_to_amz(http_date)
            if amz_date is None:
                raise self.fail("missing_date")
        ts = _amz_date_seconds(amz_date)
        if ts is None:
            raise self.fail("missing_date")
        if self.check_skew:
            self._check_skew(ts, amz_date)
        if date != amz_date[:8]:
            raise self.fail(
                "malformed",
                "The authorization header is malformed; Invalid credential date. Date is not the same as X-Amz-Date."
                if self.is_s3()
                else f"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{date}' != '{amz_date[:8]}', from '{amz_date}'.",
            )
        cred = self._credential(access_key, headers.get("x-amz-security-token"))
        mode, payload_hash = self._payload(headers.get("x-amz-content-sha256"), presigned=False)
        signed_list = signed.split(";")
        return self._verify(
            cred, access_key, amz_date, date, region, service, signed, signed_list, signature, mode, payload_hash, None
        )

    def _query_auth(self, query: dict[str, list[str]]) -> AuthResult:
        def one(name: str) -> str | None:
            values = query.get(name)
            return values[0] if values else None

        algorithm = one("X-Amz-Algorithm")
        credential = one("X-Amz-Credential")
        amz_date = one("X-Amz-Date")
        expires = one("X-Amz-Expires")
        signed = one("X-Amz-SignedHeaders")
        signature = one("X-Amz-Signature")
        if credential:
            self._peek_scope(credential)
        s3 = self._s3_scope_hint(credential)
        if None in (algorithm, credential, amz_date, signed, signature) or (expires is None and s3):
            raise self.fail("malformed_query")
        if algorithm != sigv4.ALGORITHM:
            raise self.fail("malformed_query", 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"')
        access_key, date, region, service = self._parse_credential(credential, "malformed_query")
        ts = _amz_date_seconds(amz_date)
        if ts is None:
            raise self.fail("malformed_query", "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
        if expires is not None:
            if not (expires.isascii() and expires.isdigit()):
                raise self.fail("malformed_query", "X-Amz-Expires should be a number")
            lifetime = int(expires)
            if lifetime > MAX_PRESIGN_EXPIRES:
                raise self.fail("malformed_query", "X-Amz-Expires must be less than a week (in seconds) that is 7 days")
        else:
            lifetime = MAX_SKEW_SECONDS
        if date != amz_date[:8]:
            raise self.fail("malformed_query", "Invalid credential date. Date is not the same as X-Amz-Date.")
        now = self.now.timestamp()
        if now > ts + lifetime:
            raise self.fail(
                "expired",
                ""
                if self.is_s3()
                else f"Signature expired: {amz_date} is now earlier than {_amz(now - lifetime)} ({_amz(now)} - {lifetime} sec.)",
                fields={"X-Amz-Expires": str(lifetime), "Expires": _iso(ts + lifetime), "ServerTime": _iso(now)}
                if self.is_s3()
                else None,
            )
        if self.check_skew and ts - now > MAX_SKEW_SECONDS:
            raise self.fail("not_yet_valid")
        token = one("X-Amz-Security-Token") or self.req.headers.get("x-amz-security-token")
        cred = self._credential(access_key, token)
        content = self.req.headers.get("x-amz-content-sha256") or one("X-Amz-Content-Sha256")
        mode, payload_hash = self._payload(content, presigned=True)
        return self._verify(
            cred,
            access_key,
            amz_date,
            date,
            region,
            service,
            signed,
            signed.split(";"),
            signature,
            mode,
            payload_hash,
            "X-Amz-Signature",
        )

    def _peek_scope(self, credential: str) -> None:
        # remember the scope's service early so even malformed requests get its error dialect
        parts = credential.split("/")
        if len(parts) == 5:
            self.scope_service = parts[3]

    def _s3_scope_hint(self, credential: str | None) -> bool:
        if self.hint:
            return self.hint == "s3"
        return bool(credential) and credential.endswith("/s3/aws4_request")

    def _parse_credential(self, credential: str, kind: str) -> tuple[str, str, str, str]:
        parts = credential.split("/")
        if (
            len(parts) != 5
            or parts[4] != "aws4_request"
            or not all(parts)
            or len(parts[1]) != 8
            or not (parts[1].isascii() and parts[1].isdigit())
        ):
            expecting = 'expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".'
            if not self.is_s3():
                message = f"Credential should be scoped to a valid region and service; {expecting}"
            elif kind == "malformed":
                message = f"The authorization header is malformed; the Credential is mal-formed; {expecting}"
            else:
                message = f"Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; {expecting}"
            raise self.fail(kind, message)
        return parts[0], parts[1], parts[2], parts[3]

    def _check_skew(self, ts: float, amz_date: str) -> None:
        now = self.now.timestamp()
        if abs(ts - now) <= MAX_SKEW_SECONDS:
            return
        if self.is_s3():
            raise self.fail(
                "skewed",
                fields={
                    "RequestTime": amz_date,
                    "ServerTime": _iso(now),
                    "MaxAllowedSkewMilliseconds": str(MAX_SKEW_SECONDS * 1000),
                },
            )
        if ts < now:
            message = f"Signature expired: {amz_date} is now earlier than {_amz(now - MAX_SKEW_SECONDS)} ({_amz(now)} - 15 min.)"
        else:
            message = f"Signature not yet current: {amz_date} is still later than {_amz(now + MAX_SKEW_SECONDS)} ({_amz(now)} + 15 min.)"
        raise self.fail("skewed", message)

    def _credential(self, access_key: str, token: str | None) -> Credential:
        cred = self.store.get(access_key)
        if cred is None:
            if self.strict:
                raise self.fail("unknown_key", fields={"AWSAccessKeyId": access_key} if self.is_s3() else None)
            account = self.store.default_account
            return Credential(access_key, "", account, root_arn(account), verified=False)
        if not cred.active:  # an IAM user's key set Inactive is refused as AWS refuses it
            raise self.fail("unknown_key", fields={"AWSAccessKeyId": access_key} if self.is_s3() else None)
        if cred.session_token is not None:
            if token is None:
                # a temporary key without its token is not a key AWS recognises
                raise self.fail("unknown_key", fields={"AWSAccessKeyId": access_key} if self.is_s3() else None)
            if not sigv4.signatures_equal(cred.session_token, token):
                raise self.fail("invalid_token")
        elif token is not None and self.strict and cred.verified:
            raise self.fail("invalid_token")
        if cred.expires is not None and cred.expires < self.now:
            raise self.fail("expired_token")
        return cred

    def _payload(self, content: str | None, *, presigned: bool) -> tuple[str, str]:
        """(payload mode, hash used in the canonical request)."""
        if content is None:
            if self.is_s3():
                if presigned:
                    return UNSIGNED_PAYLOAD, UNSIGNED_PAYLOAD
                raise self.fail("content_sha256_missing")
            req = self.req
            return SIGNED, hashlib.sha256(req.body).hexdigest() if req.body else sigv4.EMPTY_SHA256
        if len(content) == 64 and _HEX.issuperset(content):
            return SIGNED, content
        if content in _SUPPORTED_MODES:
            return content, content
        if content in _SIGV4A_MODES:
            raise self.fail("unsupported", "Signature Version 4A (ECDSA) streaming payloads are not supported.")
        raise self.fail(
            "content_sha256_invalid",
            fields={"ArgumentName": "x-amz-content-sha256", "ArgumentValue": content} if self.is_s3() else None,
        )

    def _check_signature(
        self,
        key: bytes,
        req: HttpRequest,
        s3: bool,
        scope: str,
        block: str,
        signed: str,
        signature: str,
        amz_date: str,
        payload_hash: str,
        exclude: str | None,
        access_key: str,
    ) -> None:
        """Raise the signature-mismatch error unless ``signature`` signs this request."""
        query = _canonical_query(req, exclude)
        method = req.method.upper()
        creq = sigv4.canonical_request(
            method, sigv4.canonical_uri(req.path, s3=s3), query, block, signed, payload_hash
        )
        sts = sigv4.string_to_sign(amz_date, scope, creq)
        if not sigv4.signatures_equal(sigv4.sign(key, sts), signature):
            alternative = sigv4.normalize_s3_path(req.path) if s3 else req.path
            matched = False
            if alternative != req.path:
                creq2 = sigv4.canonical_request(method, alternative, query, block, signed, payload_hash)
                sts2 = sigv4.string_to_sign(amz_date, scope, creq2)
                matched = sigv4.signatures_equal(sigv4.sign(key, sts2), signature)
            if not matched:
                raise self.fail(
                    "signature", fields=_mismatch_fields(access_key, sts, signature, creq) if self.is_s3() else None
                )

    def _verify(
        self,
        cred: Credential,
        access_key: str,
        amz_date: str,
        date: str,
        region: str,
        service: str,
        signed: str,
        signed_list: list[str],
        signature: str,
        mode: str,
        payload_hash: str,
        exclude: str | None,
    ) -> AuthResult:
        req = self.req
        s3 = service == "s3"
        scope = f"{date}/{region}/{service}/aws4_request"
        key = b""
        if cred.verified:
            key = sigv4.signing_key(cred.secret_key, date, region, service)
            headers = req.headers
            # Replayed requests (load tests reuse one presigned URL) skip the canonicalisation and
            # HMAC: a signature that matched for exactly these inputs matches again. ``exclude``
            # keeps presigned and header signatures apart (their expiry rules differ).
            memo = (key, exclude, req.method, req.path, req.raw_query, tuple(map(headers.get, signed_list)), signed,
                    payload_hash, amz_date, scope, signature)
            if memo not in _VERIFIED:
                # The native computation answers the common case; a mismatch (or a header value it
                # leaves to the general rules) takes the Python path, which also words the error.
                native = sigv4_signature(
                    key, amz_date, scope, req.method.upper(), sigv4.canonical_uri(req.path, s3=s3),
                    _canonical_query(req, exclude), headers, signed_list, signed, payload_hash,
                )
                if native is None or not sigv4.signatures_equal(native, signature):
                    block = sigv4.canonical_headers(headers, signed_list)
                    self._check_signature(key, req, s3, scope, block, signed, signature, amz_date, payload_hash,
                                          exclude, access_key)
                if len(_VERIFIED) >= _VERIFIED_MAX:
                    _VERIFIED.clear()
                _VERIFIED.add(memo)
        checked = False
        if mode == SIGNED and req.stream is None and (s3 or "x-amz-content-sha256" in req.headers):
            # the signature only covers the claimed hash: check the buffered body really has it
            actual = hashlib.sha256(req.body).hexdigest() if req.body else sigv4.EMPTY_SHA256
            if actual != payload_hash.lower():
                raise self.fail(
                    "content_sha256_mismatch",
                    fields={"ClientComputedContentSHA256": payload_hash, "S3ComputedContentSHA256": actual}
                    if self.is_s3()
                    else None,
                )
            checked = True
        return AuthResult(
            access_key=access_key,
            credential=cred,
            region=region,
            service=service,
            payload_mode=mode,
            payload_hash=payload_hash,
            signature=signature,
            signing_key=key,
            amz_date=amz_date,
            scope=scope,
            presigned=exclude is not None,
            verified=cred.verified,
            payload_checked=checked,
            error_service=self.hint or "",
            error_protocol=self.protocol_hint or "",
        )


def _mismatch_fields(access_key: str, sts: str, signature: str, creq: str) -> dict[str, Any]:
    return {
        "AWSAccessKeyId": access_key,
        "StringToSign": sts,
        "SignatureProvided": signature,
        "StringToSignBytes": " ".join(f"{b:02x}" for b in sts.encode("utf-8")),
        "CanonicalRequest": creq,
        "CanonicalRequestBytes": " ".join(f"{b:02x}" for b in creq.encode("utf-8")),
    }


# --- dates -----------------------------------------------------------------------------------


@lru_cache(maxsize=1024)
def _amz_date_seconds(value: str) -> float | None:
    """Epoch seconds of an ISO 8601 basic timestamp (``20130524T000000Z``), or None if invalid."""
    if len(value) != 16 or value[8] != "T" or value[15] != "Z":
        return None
    try:
        return datetime(
            int(value[0:4]), int(value[4:6]), int(value[6:8]),
            int(value[9:11]), int(value[11:13]), int(value[13:15]), tzinfo=UTC,
        ).timestamp()  # fmt: skip
    except ValueError:
        return None


def _http_date_to_amz(value: str) -> str | None:
    """RFC 1123 ``Date`` header → ``YYYYMMDDTHHMMSSZ`` (the form the string to sign uses)."""
    from email.utils import parsedate_to_datetime  # rare (Date-header signing): off start-up

    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _http_date_seconds(value: str) -> float | None:
    """Epoch seconds of an ``x-amz-date``/``Date`` value in either AWS or HTTP-date form."""
    amz = _amz_date_seconds(value)
    if amz is not None:
        return amz
    converted = _http_date_to_amz(value)
    return _amz_date_seconds(converted) if converted else None


def _amz(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y%m%dT%H%M%SZ")


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
