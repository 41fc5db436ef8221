"""Which service and operation a request is for.

Checked in this order (most specific first, the greedy S3 virtual-host rule last):

1. ``X-Amz-Target: Prefix.Operation``            → a JSON (awsJson) service by target prefix
2. ``Smithy-Protocol: rpc-v2-cbor`` + ``/service/{Prefix}/operation/{Operation}`` → a CBOR service
3. the SigV4 credential scope's service (header or presigned ``X-Amz-Credential``) →
   ``Action`` parameter for query/ec2 services (possibly in the form body), or the REST
   ``requestUri`` templates for REST services
4. no signature at all: S3 (anonymous and browser-form requests), by host or path
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import parse_qs, unquote

from pycloud.gateway.sigv2 import SUBRESOURCES
from pycloud.protocol.errors import ServiceError
from pycloud.protocol.message import HttpRequest
from pycloud.protocol.service_index import by_signing_name, by_target_prefix, service_index

_CBOR_PATH = re.compile(r"^/service/([^/]+)/operation/([^/?]+)$")
_S3_VHOST = re.compile(
    r"^(?P<bucket>.+?)\.(?:s3(?:[.-][a-z0-9-]+)?\.)?(?:localhost(?:\.localstack\.cloud)?|amazonaws\.com)$"
)
_NOT_A_BUCKET = re.compile(r"^s3(?:[.-][a-z0-9-]+)?$")
_FORM_TYPE = "application/x-www-form-urlencoded"
_S3_WEBSITE_HOST = re.compile(
    r"^(?P<bucket>.+?)\.s3-website(?:[.-][a-z0-9-]+)?\.(?:localhost(?:\.localstack\.cloud)?|amazonaws\.com)$"
)
WEBSITE_PATH = "/_website/"
"""Path-style form of the website endpoint: ``/_website/<bucket>/<key>`` (bucket names never start with _)."""
S3_WEBSITE = "S3 website"
"""The pseudo-operation of a request to a bucket's static website endpoint (unsigned HTML, no model)."""
CORS_PREFLIGHT = "CORS preflight"
"""The pseudo-operation of a browser's OPTIONS request to S3 (not an API operation: unsigned, no model)."""
_UNSIGNED_QUERY_ACTIONS = {"ConfirmSubscription": "sns", "Unsubscribe": "sns"}
"""Unsigned query actions that belong to a service other than STS (by the URL's Action)."""
S3_POST_OBJECT = "S3 POST object"
"""The pseudo-operation of a browser's form upload (multipart/form-data POST to a bucket; no model)."""


@dataclass
class Route:
    """Where a request goes: the service, the protocol it speaks, the operation and URI labels."""

    service: str
    protocol: str
    operation: str | None = None
    labels: dict[str, str] | None = None
    region: str | None = None
    signing_name: str | None = None
    needs_body: bool = False
    """True while the operation name is still in the (form-encoded) body."""
    extra: dict[str, str] = field(default_factory=dict)
    implied: dict[str, str] = field(default_factory=dict)
    """Input members the URL itself carries, for clients that leave them out of the parameters
    (older SQS query SDKs post to the queue's URL without a QueueUrl parameter)."""


def credential_scope(request: HttpRequest) -> tuple[str, str] | None:
    """(region, signing service) from the Authorization header or presigned query, if present."""
    auth = request.headers.get("authorization")
    credential = None
    if auth:
        start = auth.find("Credential=")
        if start >= 0:
            end = auth.find(",", start)
            credential = auth[start + 11 : end if end >= 0 else None].strip()
    else:
        credential = request.query_value("X-Amz-Credential")
    if not credential:
        return None
    parts = credential.split("/")
    if len(parts) != 5:
        return None
    return parts[2], parts[3]


@lru_cache(maxsize=1024)
def s3_bucket_from_host(host: str) -> str | None:
    """The bucket of a virtual-hosted-style S3 host (``bucket.s3.localhost:4566`` → ``bucket``)."""
    host = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    match = _S3_VHOST.match(host.lower())
    if match is None:
        return None
    bucket = match.group("bucket")
    return None if _NOT_A_BUCKET.match(bucket) else bucket


@lru_cache(maxsize=1024)
def _website_bucket(host: str) -> str | None:
    """The bucket of a website endpoint host (``b.s3-website.localhost:4566`` → ``b``), else None."""
    host = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    match = _S3_WEBSITE_HOST.match(host.lower())
    return match.group("bucket") if match is not None else None


def _website_route(request: HttpRequest) -> Route | None:
    """A request for a bucket's website endpoint, by host (``b.s3-website.localhost``) or path."""
    bucket = _website_bucket(request.headers.get("host", ""))
    if bucket is not None:
        key = request.path.lstrip("/")
    elif request.path.startswith(WEBSITE_PATH):
        bucket, _, key = request.path[len(WEBSITE_PATH):].partition("/")
    else:
        return None
    return Route("s3", "rest-xml", S3_WEBSITE, labels={"Bucket": unquote(bucket), "Key": unquote(key)})


def _is_post_form(request: HttpRequest, path: str) -> bool:
    """A browser's form upload: POST of multipart/form-data to a bucket's root (``/bucket``)."""
    return (
        request.method == "POST"
        and request.headers.get("content-type", "").lower().startswith("multipart/form-data")
        and "/" not in path.strip("/")
        and path.strip("/") != ""
        and not any(name in SUBRESOURCES for name in request.query)
    )


def _pick(services: list[str], wanted: tuple[str, ...]) -> tuple[str, str] | None:
    """The first service speaking one of the wanted protocols, with that protocol."""
    index = service_index()
    for name in services:
        for protocol in index[name]["protocols"]:
            if protocol in wanted:
                return name, protocol
    return None


_PRESIGN_QUERY = frozenset({
    "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders",
    "X-Amz-Signature", "X-Amz-Security-Token", "x-id",
})
_READ_QUERY = _PRESIGN_QUERY | {
    "versionId", "partNumber", "response-cache-control", "response-content-disposition",
    "response-content-encoding", "response-content-language", "response-content-type", "response-expires",
}
_PART_QUERY = _PRESIGN_QUERY | {"partNumber", "uploadId"}
_HOT_OPERATIONS = {"GET": "GetObject", "HEAD": "HeadObject", "PUT": "PutObject"}


def s3_object_route(request: HttpRequest, region: str | None) -> Route | None:
    """The route of S3's hot object operations (GetObject, HeadObject, PutObject, UploadPart),
    decided from the method, query keys and path alone; None when the request is anything else
    (then the model's templates decide). Gives the same answer the templates would."""
    operation = _HOT_OPERATIONS.get(request.method)
    if operation is None:
        return None
    query = request.query
    if operation == "PutObject":
        if "x-amz-copy-source" in request.headers:
            return None
        if "uploadId" in query or "partNumber" in query:
            if "uploadId" not in query or "partNumber" not in query or not _PART_QUERY.issuperset(query):
                return None
            operation = "UploadPart"
        elif not _PRESIGN_QUERY.issuperset(query):
            return None
    elif not _READ_QUERY.issuperset(query):
        return None
    x_id = query.get("x-id")
    if x_id is not None and x_id != [operation]:
        return None
    path = request.path
    virtual = s3_bucket_from_host(request.headers.get("host", ""))
    if virtual is not None:
        bucket, key = virtual, path[1:]
    else:
        if path.startswith(WEBSITE_PATH) or path.startswith("/v20180820/"):
            return None
        bucket, _, key = path[1:].partition("/")
        if not bucket:
            return None
    if not key or "%" in bucket:
        return None
    if "%" in key:
        try:
            key = unquote(key, errors="strict")
        except UnicodeDecodeError:
            return None  # the templates' route reports InvalidURI
    extra = {"virtual_host_bucket": virtual, "path": "/" + virtual + path} if virtual is not None else {}
    return Route("s3", "rest-xml", operation, labels={"Bucket": bucket, "Key": key}, region=region,
                 signing_name="s3", extra=extra)


_QUEUE_PATH = re.compile(r"^/(\d{12})/([A-Za-z0-9_-]{1,80}(?:\.fifo)?)$")


def _implied_params(service: str, request: HttpRequest) -> dict[str, str]:
    """Members a query request's URL implies: an SQS queue URL path names the queue."""
    if service == "sqs" and _QUEUE_PATH.match(request.path):
        return {"QueueUrl": f"http://{request.headers.get('host', 'localhost')}{request.path}"}
    return {}


class Router:
    """Finds the Route for a request (stateless apart from lazily built indexes)."""

    def route(self, request: HttpRequest) -> Route:
        """Route on the request head; ``Route.needs_body`` says the form body must be read first."""
        website = _website_route(request)
        if website is not None:
            return website
        scope = credential_scope(request)
        region, signing = scope if scope else (None, None)
        headers = request.headers
        if signing in (None, "s3") and "x-amz-target" not in headers:
            fast = s3_object_route(request, region)
            if fast is not None:
                return fast

        target = headers.get("x-amz-target")
        if target:
            prefix, _, operation = target.rpartition(".")
            service = by_target_prefix().get(prefix)
            if service is None:
                raise ServiceError("UnknownOperationException", f"Unknown target {target!r}", 400)
            return Route(service, "json", operation, region=region, signing_name=signing)

        if headers.get("smithy-protocol") == "rpc-v2-cbor":
            match = _CBOR_PATH.match(request.path)
            service = by_target_prefix().get(match.group(1)) if match else None
            if match is None or service is None:
                raise ServiceError("UnknownOperationException", f"Unknown CBOR route {request.path!r}", 404)
            return Route(service, "smithy-rpc-v2-cbor", match.group(2), region=region, signing_name=signing)

        if signing:
            candidates = by_signing_name().get(signing)
            if not candidates:
                raise ServiceError(
                    "UnrecognizedService", f"pycloud does not know a service signing as {signing!r}", 400
                )
            route = self._route_signed(request, candidates, region, signing)
            if route is not None:
                return route
            raise ServiceError(
                "UnknownOperationException",
                f"No {signing} operation matches {request.method} {request.path}",
                404,
            )

        # Unsigned: query calls (STS allows a few anonymously; the rest are refused by auth) and
        # S3 anonymous/browser requests. S3's browser POST uploads are multipart, not url-encoded.
        if "Action" in request.query or (
            request.method == "POST" and request.headers.get("content-type", "").startswith(_FORM_TYPE)
        ):
            # SNS's SubscribeURL / UnsubscribeURL are opened unsigned by subscribers.
            service = _UNSIGNED_QUERY_ACTIONS.get(request.query_value("Action") or "", "sts")
            query_route = self._route_query(request, [service])
            if query_route is not None:
                return query_route
        return self._route_s3(request, None, None)

    def _route_signed(self, request: HttpRequest, candidates: list[str], region: str | None, signing: str) -> Route | None:
        if "s3" in candidates:
            # s3 and s3control share a signing name; s3control paths start with /v20180820.
            if not request.path.startswith("/v20180820/"):
                return self._route_s3(request, region, signing)
        query_route = self._route_query(request, candidates, region, signing)
        if query_route is not None:
            return query_route
        from pycloud.protocol.model import load_service_model
        from pycloud.protocol.rest_routing import match_operation

        for service in candidates:
            protocols = service_index()[service]["protocols"]
            protocol = next((p for p in protocols if p in ("rest-json", "rest-xml")), None)
            if protocol is None:
                continue
            found = match_operation(load_service_model(service), request.method, request.path, request.query, request.headers)
            if found is not None:
                return Route(service, protocol, found[0], labels=found[1], region=region, signing_name=signing)
        return None

    def _route_query(
        self, request: HttpRequest, candidates: list[str], region: str | None = None, signing: str | None = None
    ) -> Route | None:
        picked = _pick(candidates, ("query", "ec2"))
        if picked is None:
            return None
        service, protocol = picked
        implied = _implied_params(service, request)
        action = request.query_value("Action")
        if action is not None:
            return Route(service, protocol, action, region=region, signing_name=signing, implied=implied)
        if request.method == "POST" and request.headers.get("content-type", "").startswith(_FORM_TYPE):
            return Route(service, protocol, None, region=region, signing_name=signing, needs_body=True, implied=implied)
        return None

    def _route_s3(self, request: HttpRequest, region: str | None, signing: str | None) -> Route:
        from pycloud.protocol.model import load_service_model
        from pycloud.protocol.rest_routing import match_operation

        host = request.headers.get("host", "")
        bucket = s3_bucket_from_host(host)
        path = request.path
        extra: dict[str, str] = {}
        if bucket is not None:
            path = "/" + bucket + (path if path != "/" else "")
            extra["virtual_host_bucket"] = bucket
        if request.method == "OPTIONS":
            bucket_name, _, key = path.lstrip("/").partition("/")
            labels = {"Bucket": unquote(bucket_name), "Key": unquote(key)}
            return Route("s3", "rest-xml", CORS_PREFLIGHT, labels=labels, region=region, signing_name="s3", extra=extra)
        found = match_operation(load_service_model("s3"), request.method, path, request.query, request.headers)
        if found is None and _is_post_form(request, path):
            labels = {"Bucket": unquote(path.strip("/"))}
            return Route("s3", "rest-xml", S3_POST_OBJECT, labels=labels, region=region, signing_name="s3", extra=extra)
        if found is None:
            raise ServiceError("MethodNotAllowed", "The specified method is not allowed against this resource.", 405)
        route = Route("s3", "rest-xml", found[0], labels=found[1], region=region, signing_name=signing or "s3", extra=extra)
        if bucket is not None:
            route.extra["path"] = path
        return route

    @staticmethod
    def resolve_from_body(route: Route, request: HttpRequest) -> None:
        """Fill in the operation of a query/ec2 route from its form-encoded body."""
        form = parse_qs(request.body.decode("utf-8", "replace"), keep_blank_values=True)
        actions = form.get("Action")
        if not actions:
            raise ServiceError("MissingAction", "Could not find operation to perform (no Action parameter).", 400)
        route.operation = actions[0]
        route.needs_body = False
