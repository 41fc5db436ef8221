"""The request road: route → body → SigV4 → parse → validate → provider → serialize → audit.

Every AWS request takes this one path. Nothing below it parses HTTP or signatures; nothing above it
knows about services.
"""

from __future__ import annotations

import logging
import os
import re
import time
from itertools import count
from typing import TYPE_CHECKING, Any

from pycloud.context import RequestContext
from pycloud.events import AUDIT_TOPIC, AuditRecord
from pycloud.gateway import auth
from pycloud.gateway.chunked import decode_request, is_aws_chunked, wrap_stream
from pycloud.gateway.routing import CORS_PREFLIGHT, S3_POST_OBJECT, S3_WEBSITE, Route, Router
from pycloud.iam.enforce import Authorizer
from pycloud.protocol import get_protocol
from pycloud.protocol.errors import ServiceError, internal_error
from pycloud.protocol.message import HttpRequest, HttpResponse
from pycloud.protocol.model import ServiceModel, load_service_model
from pycloud.protocol.validate import validate_params
from pycloud.services.registry import get_provider_class, parse_overrides

if TYPE_CHECKING:
    from pycloud.config import Settings
    from pycloud.services.base import Provider, ServiceRuntime

log = logging.getLogger(__name__)

_SNAKE_1 = re.compile(r"(.)([A-Z][a-z]+)")
_SNAKE_2 = re.compile(r"([a-z0-9])([A-Z])")
_ANONYMOUS_SERVICES = {"s3", "sqs"}  # resource policies may allow anonymous callers; the provider decides
_ANONYMOUS_OPERATIONS = {
    ("sts", "AssumeRoleWithWebIdentity"),
    ("sts", "AssumeRoleWithSAML"),
    ("sns", "ConfirmSubscription"),  # the SubscribeURL a subscriber opens
    ("sns", "Unsubscribe"),  # the UnsubscribeURL in every notification
}


def snake_case(name: str) -> str:
    """``ListBuckets`` → ``list_buckets`` (the provider method for an operation)."""
    return _SNAKE_2.sub(r"\1_\2", _SNAKE_1.sub(r"\1_\2", name)).lower()


class RequestIds:
    """Cheap unique request ids in UUID form: a random per-process prefix plus a counter."""

    def __init__(self) -> None:
        prefix = os.urandom(10).hex()
        self._head = f"{prefix[:8]}-{prefix[8:12]}-{prefix[12:16]}-{prefix[16:20]}-"
        self._counter = count(1)

    def next(self) -> str:
        return f"{self._head}{next(self._counter):012x}"


class Dispatcher:
    """Turns an HttpRequest into an HttpResponse by way of a service provider."""

    def __init__(self, runtime: ServiceRuntime, settings: Settings) -> None:
        self.runtime = runtime
        self.settings = settings
        self.router = Router()
        self.ids = RequestIds()
        self.providers: dict[str, Provider] = {}
        self._streaming: dict[tuple[str, str], bool] = {}
        self._methods: dict[tuple[str, str], Any] = {}
        self.admin = None  # set by the app: admin API handler for /_pycloud/ and /moto-api/
        self._overrides = parse_overrides(settings.providers)
        if runtime.authorizer is None and runtime.policies is not None:
            runtime.authorizer = Authorizer(runtime.policies)
        self.authorizer: Authorizer | None = runtime.authorizer

    # -- providers --
    def provider(self, service: str) -> Provider | None:
        """The live provider instance for a service, created on first use."""
        provider = self.providers.get(service)
        if provider is None:
            cls = get_provider_class(service, self._overrides)
            if cls is None:
                return None
            provider = cls(self.runtime)
            self.providers[service] = provider
        return provider

    def reset(self) -> None:
        """Forget every service's state."""
        for provider in self.providers.values():
            provider.reset()

    def _method(self, service: str, operation: str) -> Any:
        key = (service, operation)
        method = self._methods.get(key)
        if method is None:
            provider = self.provider(service)
            method = getattr(provider, snake_case(operation), None) if provider is not None else None
            if method is None:
                raise ServiceError(
                    "NotImplemented",
                    f"pycloud does not implement {service} {operation} yet.",
                    501,
                    sender_fault=False,
                )
            self._methods[key] = method
        return method

    def _is_streaming(self, model: ServiceModel, operation: str) -> bool:
        key = (model.name, operation)
        streaming = self._streaming.get(key)
        if streaming is None:
            streaming = False
            shape = model.input_shape(operation)
            payload = shape.get("payload") if shape else None
            if payload:
                member = model.shape(shape["members"][payload]["shape"])
                streaming = bool(member.get("streaming"))
            self._streaming[key] = streaming
        return streaming

    def native_answer(self, data: bytes, remote_addr: str) -> bytes | bool | None:
        """A native front's complete answer to the request that is all of ``data``; None: the
        road's; False: the start of a request the front may answer, to be offered again whole."""
        front = self.runtime.native_front
        return front(data, remote_addr) if front is not None else None

    # -- the road --
    async def handle(self, request: HttpRequest) -> HttpResponse:
        """Answer one request; never raises."""
        path = request.path
        if self.admin is not None and (path.startswith("/_pycloud/") or path.startswith("/moto-api/")):
            return await self.admin.handle(request)
        started = time.perf_counter()
        request_id = self.ids.next()
        route: Route | None = None
        model: ServiceModel | None = None
        ctx: RequestContext | None = None
        try:
            route = self.router.route(request)
            model = load_service_model(route.service)
            if route.operation == CORS_PREFLIGHT:
                return self._cors_preflight(request, route, request_id)
            if route.operation == S3_WEBSITE:
                return self._website(request, route, request_id)
            if route.operation == S3_POST_OBJECT:
                return await self._post_object(request, route, request_id)
            if route.operation is not None and route.operation not in model.operations:
                raise _unknown_operation(route)
            # Only S3 streams request bodies: its signatures cover x-amz-content-sha256, not the
            # body, so it can authenticate before reading. Other services sign the body's hash.
            streaming = route.service == "s3" and route.operation is not None and self._is_streaming(model, route.operation)
            if not streaming:
                await self._buffer_body(request)
                if route.needs_body:
                    self.router.resolve_from_body(route, request)
                    if route.operation not in model.operations:
                        raise _unknown_operation(route)
            operation = route.operation
            assert operation is not None
            clock = self.runtime.clock
            now = clock.now()
            result = auth.authenticate(
                request,
                now=now,
                credentials=self.runtime.credentials,
                strict=self.settings.strict,
                service=route.service,
                protocol=route.protocol,
                # Clients sign with their real clock: once the virtual clock has been advanced, the
                # 15-minute skew window would refuse every request. Presigned expiry stays virtual.
                check_skew=clock.offset_seconds == 0,
            )
            if result.anonymous and route.service not in _ANONYMOUS_SERVICES and (route.service, operation) not in _ANONYMOUS_OPERATIONS:
                raise auth.auth_error("missing", route.service, route.protocol, "")
            if streaming:
                request.stream = wrap_stream(request, result) or request.stream
            elif is_aws_chunked(request):
                request.body = decode_request(request, result)
            principal = result.principal()
            ctx = RequestContext(
                request_id=request_id,
                service=route.service,
                operation=operation,
                region=route.region or result.region or self.settings.default_region,
                account_id=principal.account_id or self.settings.default_account,
                principal=principal,
                now=now,
                request=request,
                source_ip=request.remote_addr,
                protocol=route.protocol,
                authorizer=self.authorizer,
            )
            if route.extra:
                ctx.extra.update(route.extra)
            protocol = get_protocol(route.protocol)
            params = protocol.parse(model, operation, request, route.labels)
            if route.implied:
                members = (model.input_shape(operation) or {}).get("members", {})
                for name, value in route.implied.items():
                    if name in members:
                        params.setdefault(name, value)
            validate_params(model, operation, params, route.protocol)
            if self.authorizer is not None:
                self.authorizer.check_request(ctx, params)
            method = self._method(route.service, operation)
            output = method(ctx, params)
            if hasattr(output, "__await__"):
                output = await output
            response = protocol.serialize(model, operation, output or {}, request_id)
            error_code = None
        except ServiceError as err:
            error_code = err.code
            response = self._render_error(request, route, model, err, request_id)
        except Exception:  # noqa: BLE001 - never a traceback on the wire
            log.exception("internal error handling %s %s", request.method, request.path)
            err = internal_error()
            error_code = err.code
            response = self._render_error(request, route, model, err, request_id)
        if route is not None and "origin" in request.headers and route.labels and "Bucket" in route.labels:
            self._add_cors_headers(request, route, response)
        if self.runtime.events.has_subscribers(AUDIT_TOPIC):
            self._audit(request, route, ctx, request_id, response.status, error_code, started)
        return response

    # -- browsers' cross-origin requests (S3 CORS) --
    def _cors_preflight(self, request: HttpRequest, route: Route, request_id: str) -> HttpResponse:
        """Answer an unsigned OPTIONS preflight from the bucket's CORS rules."""
        requested = [h.strip().lower() for h in request.headers.get("access-control-request-headers", "").split(",")]
        try:
            provider = self.provider(route.service)
            if provider is None or not hasattr(provider, "cors_preflight"):
                raise ServiceError("MethodNotAllowed", "The specified method is not allowed against this resource.", 405)
            headers = provider.cors_preflight(
                route.labels["Bucket"],
                request.headers.get("origin"),
                request.headers.get("access-control-request-method"),
                [h for h in requested if h],
            )
        except ServiceError as err:
            return self._render_error(request, route, load_service_model(route.service), err, request_id)
        headers.append(("x-amz-request-id", request_id))
        return HttpResponse(200, headers, b"")

    def _website(self, request: HttpRequest, route: Route, request_id: str) -> HttpResponse:
        """A bucket's static website: HTML pages, documents and redirects (not the XML API)."""
        provider = self.provider(route.service)
        answer = provider.website(  # type: ignore[union-attr]
            route.labels["Bucket"], route.labels["Key"], request.method, request.headers.get("host", ""),
            request.remote_addr,
        )
        return HttpResponse(answer.status, [*answer.headers, ("x-amz-request-id", request_id)], answer.body)

    async def _post_object(self, request: HttpRequest, route: Route, request_id: str) -> HttpResponse:
        """A browser's form upload (S3 POST Object), read and answered by the S3 provider; its
        errors take the generic road's error path (S3 XML, CORS headers, audit)."""
        provider = self.provider(route.service)
        bucket = route.labels["Bucket"]  # type: ignore[index]
        response = await provider.post_object(request, bucket, request_id, route.extra)  # type: ignore[union-attr]
        if "origin" in request.headers:
            self._add_cors_headers(request, route, response)
        return response

    def _add_cors_headers(self, request: HttpRequest, route: Route, response: HttpResponse) -> None:
        """Access-Control-* headers on an actual cross-origin request, when a CORS rule allows it."""
        provider = self.providers.get(route.service)
        hook = getattr(provider, "cors_headers", None)
        if hook is None:
            return
        try:
            response.headers.extend(hook(route.labels["Bucket"], request.headers["origin"], request.method))
        except Exception:  # noqa: BLE001 - CORS decoration must never break the answer itself
            log.exception("CORS headers for %s failed", route.labels.get("Bucket"))

    async def _buffer_body(self, request: HttpRequest) -> None:
        stream = request.stream
        if stream is None:
            return
        try:
            request.body = await stream.read_all(self.settings.max_body_bytes)
        except ValueError:
            raise ServiceError(
                "RequestEntityTooLarge",
                f"Request body exceeds the maximum of {self.settings.max_body_bytes} bytes.",
                413,
            ) from None
        request.stream = None

    def _render_error(
        self,
        request: HttpRequest,
        route: Route | None,
        model: ServiceModel | None,
        err: ServiceError,
        request_id: str,
    ) -> HttpResponse:
        try:
            if route is not None and model is not None:
                response = get_protocol(route.protocol).serialize_error(model, route.operation, err, request_id)
            else:
                response = _generic_error(request, err, request_id)
        except Exception:  # noqa: BLE001
            log.exception("error serializing %s", err.code)
            response = _generic_error(request, err, request_id)
        for name, value in err.headers.items():
            response.set_header(name, value)
        return response

    def _audit(
        self,
        request: HttpRequest,
        route: Route | None,
        ctx: RequestContext | None,
        request_id: str,
        status: int,
        error_code: str | None,
        started: float,
    ) -> None:
        record = AuditRecord(
            time=ctx.now if ctx else self.runtime.clock.now(),
            request_id=request_id,
            account_id=ctx.account_id if ctx else "",
            region=ctx.region if ctx else (route.region or "" if route else ""),
            principal_arn=ctx.principal.arn if ctx else "",
            access_key=ctx.principal.access_key if ctx else "",
            service=route.service if route else "",
            operation=(route.operation or "") if route else "",
            source_ip=request.remote_addr,
            status=status,
            error_code=error_code,
            duration_ms=(time.perf_counter() - started) * 1000.0,
        )
        self.runtime.events.publish(AUDIT_TOPIC, record)


def _unknown_operation(route: Route) -> ServiceError:
    if route.protocol in ("query", "ec2"):
        return ServiceError("InvalidAction", f"The action {route.operation} is not valid for this web service.", 400)
    return ServiceError("UnknownOperationException", f"Unknown operation {route.operation}", 400)


def _generic_error(request: HttpRequest, err: ServiceError, request_id: str) -> HttpResponse:
    """An error for a request we could not route: JSON for JSON clients, query-style XML for form
    posts, S3-style XML otherwise."""
    from xml.sax.saxutils import escape

    if "x-amz-target" in request.headers or "json" in request.headers.get("content-type", ""):
        import json

        body = json.dumps({"__type": err.code, "message": err.message}).encode()
        headers = [
            ("Content-Type", "application/x-amz-json-1.0"),
            ("x-amzn-RequestId", request_id),
            ("x-amzn-ErrorType", err.code),
        ]
        return HttpResponse(err.status, headers, body)
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        # A query-protocol client reads <ErrorResponse><Error>...</Error></ErrorResponse>.
        fault = "Sender" if err.sender_fault else "Receiver"
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse><Error><Type>{fault}</Type>'
            f"<Code>{escape(err.code)}</Code><Message>{escape(err.message)}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
        return HttpResponse(err.status, [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)], body)
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{escape(err.code)}</Code>'
        f"<Message>{escape(err.message)}</Message><RequestId>{request_id}</RequestId></Error>"
    ).encode()
    headers = [("Content-Type", "application/xml"), ("x-amz-request-id", request_id), ("x-amzn-RequestId", request_id)]
    return HttpResponse(err.status, headers, b"" if request.method == "HEAD" else body)
