"""S3 browser-based uploads (POST Object): a multipart/form-data form instead of a signed PUT.

1. The fields before the file are read (at most ``MAX_PRE_DATA`` bytes; fields after the file are
   ignored, as S3 does).
2. The form is authenticated: SigV4 (``x-amz-algorithm``, ``x-amz-credential``, ``x-amz-date``,
   ``x-amz-signature`` = HMAC of the base64 policy with the derived signing key) or SigV2
   (``AWSAccessKeyId``, ``signature`` = base64 HMAC-SHA1 of the policy). Without a policy the
   upload is anonymous, allowed only where a bucket policy or ACL lets anyone write.
3. The policy is enforced: expiry on the virtual clock, conditions, fields it must name, and the
   file's size range while the file streams in.
4. The file part, still streaming (never buffered whole), becomes the body of a PutObject whose
   headers are the form's fields, so authorization, events, versioning, SSE, Object Lock and
   checksums are PutObject's own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote, urlencode, urlsplit

from pycloud.context import Principal, RequestContext
from pycloud.gateway import auth, sigv2, sigv4
from pycloud.protocol import get_protocol
from pycloud.protocol.errors import ServiceError
from pycloud.protocol.message import BodyStream, HttpRequest, HttpResponse
from pycloud.protocol.model import load_service_model
from pycloud.protocol.xml_util import XmlError, decode_value, escape_text, parse_xml
from pycloud.services.s3 import errors, post_policy
from pycloud.services.s3.form_data import FieldTooLarge, FormReader, Part, boundary_of, malformed_post
from pycloud.services.s3.post_policy import PostPolicy

if TYPE_CHECKING:
    from pycloud.services.s3.provider import S3Provider

MAX_PRE_DATA = 20 * 1024
"""Bytes of form fields S3 accepts before the file."""
MAX_OBJECT_SIZE = 5 * 1024**3
"""The largest object one POST (like one PUT) may upload."""
CREATED_EVENT = "ObjectCreated:Post"
EVENT_SLOT = "s3.created_event"
"""``ctx.extra`` slot telling PutObject which ObjectCreated event it publishes."""

_ANONYMOUS = Principal(account_id="", arn="", kind="anonymous")
_V4_FIELDS = ("x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-signature")
# Form fields that are PutObject headers under another name.
_ALIASES = {"acl": "x-amz-acl", "tagging": "x-amz-tagging", "x-amz-checksum-algorithm": "x-amz-sdk-checksum-algorithm"}
# PutObject headers a form cannot set: framing, conditional writes, and those only reachable by alias.
_NOT_FORM_HEADERS = frozenset({
    "content-length", "if-match", "if-none-match", "x-amz-write-offset-bytes", *_ALIASES.values(),
})
_header_fields: frozenset[str] | None = None


def _form_headers() -> frozenset[str]:
    """The PutObject header names a form field of the same name sets (from the model)."""
    global _header_fields
    if _header_fields is None:
        model = load_service_model("s3")
        members = model.input_shape("PutObject")["members"].values()
        names = {ref["locationName"].lower() for ref in members if ref.get("location") == "header"}
        _header_fields = frozenset(names - _NOT_FORM_HEADERS)
    return _header_fields


def missing_field(name: str) -> ServiceError:
    """``InvalidArgument`` for a required form field that is absent (or comes after the file)."""
    return ServiceError(
        "InvalidArgument",
        f"Bucket POST must contain a field named '{name}'.  If it is specified, please check the order of the fields.",
        400,
        fields={"ArgumentName": name, "ArgumentValue": ""},
    )


def _no_file() -> ServiceError:
    return ServiceError(
        "InvalidArgument", "POST requires exactly one file upload per request.", 400,
        fields={"ArgumentName": "file", "ArgumentValue": "0"},
    )


def _pre_data_too_large() -> ServiceError:
    return ServiceError(
        "MaxPostPreDataLengthExceededError", "Your POST request fields preceding the upload file were too large.", 400,
        fields={"MaxPostPreDataLength": str(MAX_PRE_DATA)},
    )


# -- the form ---------------------------------------------------------------------------------


async def read_fields(reader: FormReader) -> tuple[dict[str, str], Part]:
    """The fields before the file (lower-case names → values; the first of repeated fields) and
    the file part's head. ``InvalidArgument`` when the form has no file."""
    fields: dict[str, str] = {}
    budget = MAX_PRE_DATA
    while (part := await reader.next_part()) is not None:
        name = part.name.lower()
        if name == "file":
            return fields, part
        try:
            value = await reader.read_value(budget)
        except FieldTooLarge:
            raise _pre_data_too_large() from None
        budget -= len(value) + len(name)
        if budget < 0:
            raise _pre_data_too_large()
        fields.setdefault(name, value.decode("utf-8", "replace"))
    raise _no_file()


def authenticate(provider: S3Provider, request: HttpRequest, fields: dict[str, str]) -> tuple[Principal, str]:
    """Who signed the form, and the region its credential names (anonymous: no policy)."""
    if "policy" not in fields:
        for name in ("awsaccesskeyid", "signature", *_V4_FIELDS):
            if name in fields:
                raise missing_field("policy")
        return _ANONYMOUS, ""
    policy = fields["policy"]
    runtime = provider.runtime
    strict = bool(getattr(runtime.settings, "strict", False))
    token = fields.get("x-amz-security-token")
    now = runtime.clock.now()
    if any(name in fields for name in _V4_FIELDS):
        for name in _V4_FIELDS:
            if name not in fields:
                raise missing_field(name)
        if fields["x-amz-algorithm"] != sigv4.ALGORITHM:
            raise ServiceError(
                "InvalidArgument", f'X-Amz-Algorithm only supports "{sigv4.ALGORITHM}"', 400,
                fields={"ArgumentName": "x-amz-algorithm", "ArgumentValue": fields["x-amz-algorithm"]},
            )
        access_key, date, region, service = _credential_scope(fields["x-amz-credential"])
        cred = auth.s3_credential(request, access_key, token, now=now, credentials=runtime.credentials, strict=strict)
        if cred.verified:
            key = sigv4.signing_key(cred.secret_key, date, region, service)
            _check_signature(access_key, policy, sigv4.sign(key, policy), fields["x-amz-signature"])
    else:
        for name in ("awsaccesskeyid", "signature"):
            if name not in fields:
                raise missing_field("AWSAccessKeyId" if name == "awsaccesskeyid" else name)
        access_key, region = fields["awsaccesskeyid"], ""
        cred = auth.s3_credential(request, access_key, token, now=now, credentials=runtime.credentials, strict=strict)
        if cred.verified:
            _check_signature(access_key, policy, sigv2.signature(cred.secret_key, policy), fields["signature"])
    principal = auth.AuthResult(credential=cred).principal()
    return principal, region


def _credential_scope(credential: str) -> tuple[str, str, str, str]:
    """(access key, date, region, service) of an ``x-amz-credential`` field."""
    parts = credential.split("/")
    if len(parts) != 5 or parts[4] != "aws4_request" or not all(parts) or len(parts[1]) != 8 or not parts[1].isdigit():
        raise ServiceError(
            "InvalidArgument",
            'Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting '
            '"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".',
            400,
            fields={"ArgumentName": "x-amz-credential", "ArgumentValue": credential},
        )
    return parts[0], parts[1], parts[2], parts[3]


def _check_signature(access_key: str, policy: str, expected: str, provided: str) -> None:
    if not sigv4.signatures_equal(expected, provided):
        raise auth.auth_error(
            "signature", "s3", "rest-xml",
            fields={
                "AWSAccessKeyId": access_key,
                "StringToSign": policy,
                "SignatureProvided": provided,
                "StringToSignBytes": " ".join(f"{b:02x}" for b in policy.encode("utf-8")),
            },
        )


def _tagging_header(xml: str) -> str:
    """The form's ``tagging`` XML document as PutObject's ``x-amz-tagging`` query string."""
    model = load_service_model("s3")
    try:
        tagging = decode_value(model, {"shape": "Tagging"}, parse_xml(xml.encode("utf-8")))
    except XmlError:
        raise errors.malformed_xml() from None
    tags = (tagging or {}).get("TagSet") or []
    return urlencode([(t.get("Key") or "", t.get("Value") or "") for t in tags])


def put_headers(fields: dict[str, str]) -> dict[str, str]:
    """The PutObject request headers a form's fields stand for (other fields set nothing)."""
    allowed = _form_headers()
    headers: dict[str, str] = {}
    for name, value in fields.items():
        if name in _ALIASES:
            headers[_ALIASES[name]] = _tagging_header(value) if name == "tagging" else value
        elif name in allowed or name.startswith("x-amz-meta-"):
            headers[name] = value
    return headers


# -- the file ---------------------------------------------------------------------------------


class FileBody(BodyStream):
    """The file part as PutObject's streaming body, held to the policy's size range."""

    def __init__(self, reader: FormReader, length_range: tuple[int, int] | None, drain_limit: int) -> None:
        self._reader = reader
        self._min, self._max = length_range if length_range is not None else (0, MAX_OBJECT_SIZE)
        self._max = min(self._max, MAX_OBJECT_SIZE)
        self._drain_limit = drain_limit
        self.size = 0

    async def read(self) -> bytes:
        chunk = await self._reader.read_chunk()
        self.size += len(chunk)
        if self.size > self._max:
            # read on (discarding) so the error can name the proposed size and the client its answer
            seen = self.size
            while seen - self.size < self._drain_limit and (more := await self._reader.read_chunk()):
                seen += len(more)
            raise post_policy.entity_too_large(seen, self._max)
        if not chunk and self.size < self._min:
            raise post_policy.entity_too_small(self.size, self._min)
        return chunk


# -- the upload -------------------------------------------------------------------------------


async def post_object(
    provider: S3Provider, request: HttpRequest, bucket: str, request_id: str, route_extra: dict[str, str]
) -> HttpResponse:
    """Answer one browser POST upload to ``bucket``; raises ServiceError (S3's codes) on failure."""
    boundary = boundary_of(request.headers.get("content-type", ""))
    if boundary is None:
        raise malformed_post("The Content-Type has no multipart/form-data boundary.")
    settings = provider.runtime.settings
    drain_limit = int(getattr(settings, "max_body_bytes", 64 * 1024 * 1024))
    reader = FormReader(request.stream if request.stream is not None else request.body, boundary)
    try:
        response = await _upload(provider, request, reader, bucket, request_id, route_extra, drain_limit)
    except ServiceError:
        # let a small form arrive in full so the client reads the error on a connection still in order
        await _quiet_drain(reader, drain_limit)
        raise
    await _quiet_drain(reader, drain_limit)  # fields after the file are ignored
    return response


async def _quiet_drain(reader: FormReader, limit: int) -> None:
    try:
        await reader.drain(limit)
    except Exception:  # noqa: BLE001 - a client gone mid-body changes nothing about the answer
        pass


async def _upload(
    provider: S3Provider, request: HttpRequest, reader: FormReader, bucket: str, request_id: str,
    route_extra: dict[str, str], drain_limit: int,
) -> HttpResponse:
    fields, file_part = await read_fields(reader)
    if "key" not in fields:
        raise missing_field("key")
    principal, region = authenticate(provider, request, fields)
    # ${filename} is the browser's name for the file; the policy sees the key it produces.
    fields["key"] = fields["key"].replace("${filename}", file_part.filename or "")
    key = fields["key"]
    if not key:
        raise ServiceError("InvalidArgument", "User key must have a length greater than 0.", 400,
                           fields={"ArgumentName": "key", "ArgumentValue": ""})
    runtime = provider.runtime
    policy: PostPolicy | None = None
    if "policy" in fields:
        policy = post_policy.decode_policy(fields["policy"])
        post_policy.check_form(policy, fields, bucket, runtime.clock.now())
    body = FileBody(reader, policy.length_range if policy else None, drain_limit)
    put = HttpRequest(
        method="PUT", path=f"/{quote(bucket)}/{quote(key)}", headers=put_headers(fields), stream=body,
        remote_addr=request.remote_addr,
    )
    model = load_service_model("s3")
    protocol = get_protocol("rest-xml")
    params = protocol.parse(model, "PutObject", put, {"Bucket": bucket, "Key": key})
    settings = runtime.settings
    ctx = RequestContext(
        request_id=request_id,
        service="s3",
        operation="PutObject",
        region=region or getattr(settings, "default_region", "us-east-1"),
        account_id=principal.account_id or runtime.credentials.default_account,
        principal=principal,
        now=runtime.clock.now(),
        request=put,
        source_ip=request.remote_addr,
        protocol="rest-xml",
        extra={EVENT_SLOT: CREATED_EVENT},
        authorizer=runtime.authorizer,
    )
    result = await provider.put_object(ctx, params)
    response = protocol.serialize(model, "PutObject", result, request_id)
    return _answer(response, fields, request, bucket, key, result["ETag"], route_extra)


def _object_url(request: HttpRequest, bucket: str, key: str, route_extra: dict[str, str]) -> str:
    host = request.headers.get("host", "localhost")
    path = f"/{quote(key)}" if route_extra.get("virtual_host_bucket") else f"/{quote(bucket)}/{quote(key)}"
    return f"http://{host}{path}"


def _answer(
    response: HttpResponse, fields: dict[str, str], request: HttpRequest, bucket: str, key: str, etag: str,
    route_extra: dict[str, str],
) -> HttpResponse:
    """PutObject's answer turned into POST's: a 303 redirect, 201 with a PostResponse, 200 or 204."""
    redirect = fields.get("success_action_redirect") or fields.get("redirect") or ""
    target = urlsplit(redirect) if redirect else None
    if target is not None and target.scheme in ("http", "https") and target.netloc:
        query = urlencode({"bucket": bucket, "key": key, "etag": etag})
        response.status = 303
        response.set_header("Location", f"{redirect}{'&' if target.query else '?'}{query}")
        return response
    location = _object_url(request, bucket, key, route_extra)
    response.set_header("Location", location)
    status = fields.get("success_action_status")
    if status == "201":
        response.status = 201
        response.body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<PostResponse><Location>{escape_text(location)}</Location><Bucket>{escape_text(bucket)}</Bucket>"
            f"<Key>{escape_text(key)}</Key><ETag>{escape_text(etag)}</ETag></PostResponse>"
        ).encode()
        response.set_header("Content-Type", "application/xml")
    else:
        response.status = 200 if status == "200" else 204
    return response
