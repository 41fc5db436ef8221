"""Drive real botocore clients through pycloud's parsers and serializers, without a server.

A ``before-send`` handler captures the request botocore would put on the wire (converted to a
pycloud ``HttpRequest``) and answers with an ``HttpResponse`` produced by the test, converted to the
``AWSResponse`` botocore parses. Usage::

    rt = Roundtrip("sts")
    request = rt.capture("AssumeRole", {"RoleArn": ..., "RoleSessionName": "s"})
    params = QueryProtocol().parse(rt.model, "AssumeRole", request)

    result = rt.respond("AssumeRole", {...}, lambda req: proto.serialize(rt.model, "AssumeRole", out, "rid"))

``client_validation=False`` lets invalid params reach the server side (validation tests).
``Roundtrip(service, protocol="json")`` forces a protocol among those the service lists (CloudWatch
speaks CBOR, JSON and query), or any protocol for tests that need one.
"""

from __future__ import annotations

import asyncio
import copy
import io
import json
import tempfile
from collections.abc import Callable
from functools import cache, lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import botocore.session
from botocore.awsrequest import AWSResponse
from botocore.config import Config
from botocore.exceptions import ClientError

from pycloud.protocol.message import HttpRequest, HttpResponse
from pycloud.protocol.model import ServiceModel, load_service_model

ENDPOINT = "http://127.0.0.1:4566"
Responder = Callable[[HttpRequest], HttpResponse]


class _Captured(Exception):
    def __init__(self, request: HttpRequest) -> None:
        super().__init__("captured")
        self.request = request


class _Raw:
    """The minimal raw-stream object AWSResponse reads its content from."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any):
        yield self._body


def to_http_request(prepared: Any) -> HttpRequest:
    """A botocore AWSPreparedRequest as the pycloud gateway would hand it to a parser."""
    parts = urlsplit(prepared.url)
    body = prepared.body or b""
    if isinstance(body, str):
        body = body.encode("utf-8")
    elif not isinstance(body, bytes):
        body = body.read()
    headers: dict[str, str] = {}
    for name, value in prepared.headers.items():
        text = value.decode() if isinstance(value, bytes) else str(value)
        key = name.lower()
        headers[key] = f"{headers[key]},{text}" if key in headers else text
    return HttpRequest(
        method=prepared.method,
        path=parts.path or "/",
        raw_query=parts.query,
        query=parse_qs(parts.query, keep_blank_values=True),
        headers=headers,
        body=body,
    )


def to_aws_response(url: str, response: HttpResponse) -> AWSResponse:
    """A pycloud HttpResponse as the AWSResponse botocore parses."""
    body = response.body if isinstance(response.body, bytes) else b""
    return AWSResponse(url, response.status, dict(response.headers), _Raw(body))


@lru_cache(maxsize=1)
def _session() -> botocore.session.Session:
    return botocore.session.get_session()


@cache
def _forced_model_dir(service: str, protocol: str) -> str:
    """A data directory holding ``service``'s model with only ``protocol`` listed."""
    loader = _session().get_component("data_loader")
    model = copy.deepcopy(loader.load_service_model(service, "service-2"))
    model["metadata"]["protocol"] = protocol
    model["metadata"]["protocols"] = [protocol]
    root = Path(tempfile.mkdtemp(prefix=f"pycloud-{service}-{protocol}-"))
    target = root / service / model["metadata"]["apiVersion"]
    target.mkdir(parents=True)
    (target / "service-2.json").write_text(json.dumps(model))
    return str(root)


class Roundtrip:
    """One botocore client wired to in-process responders."""

    def __init__(
        self, service: str, protocol: str | None = None, region: str = "us-east-1", client_validation: bool = True
    ) -> None:
        self.service = service
        self.model: ServiceModel = load_service_model(service)
        session = _session()
        if protocol is not None:
            # A private session: the forced model must not leak into other clients.
            session = botocore.session.get_session()
            session.get_component("data_loader").search_paths.insert(0, _forced_model_dir(service, protocol))
        self.client = session.create_client(
            service,
            endpoint_url=ENDPOINT,
            region_name=region,
            aws_access_key_id="test",
            aws_secret_access_key="test",
            config=Config(retries={"total_max_attempts": 1}, parameter_validation=client_validation),
        )
        self._responder: Responder | None = None
        self.last_request: HttpRequest | None = None
        self.client.meta.events.register("before-send", self._on_send)

    def _on_send(self, request: Any, **_: Any) -> AWSResponse:
        http_request = to_http_request(request)
        self.last_request = http_request
        if self._responder is None:
            raise _Captured(http_request)
        return to_aws_response(request.url, self._responder(http_request))

    def _call(self, operation: str, params: dict[str, Any]) -> Any:
        return self.client._make_api_call(operation, params)

    def capture(self, operation: str, params: dict[str, Any] | None = None) -> HttpRequest:
        """The request botocore sends for ``operation(**params)`` (nothing is answered)."""
        self._responder = None
        try:
            self._call(operation, params or {})
        except _Captured as captured:
            return captured.request
        raise AssertionError("botocore did not send a request")

    def respond(self, operation: str, params: dict[str, Any] | None, responder: Responder) -> dict[str, Any]:
        """Call ``operation`` and answer it with ``responder``; returns botocore's parsed result.

        ClientError propagates for error responses.
        """
        self._responder = responder
        try:
            return self._call(operation, params or {})
        finally:
            self._responder = None

    def error(self, operation: str, params: dict[str, Any] | None, responder: Responder) -> ClientError:
        """Like ``respond`` but expects an error; returns the ClientError botocore raised."""
        try:
            self.respond(operation, params, responder)
        except ClientError as exc:
            return exc
        raise AssertionError("expected a ClientError")


def strip_metadata(result: dict[str, Any]) -> dict[str, Any]:
    """A parsed botocore result without ``ResponseMetadata``."""
    return {k: v for k, v in result.items() if k != "ResponseMetadata"}


class _RawStream(io.BytesIO):
    """Raw body for AWSResponse that also supports ``read`` (botocore streams payload blobs)."""

    def stream(self, **_: Any):
        yield self.getvalue()


def collect_body(body: Any) -> bytes:
    """A response body as bytes, draining an async iterator (streamed payloads) if need be."""
    if isinstance(body, bytes):
        return body

    async def drain() -> bytes:
        return b"".join([chunk async for chunk in body])

    return asyncio.run(drain())


class StreamingRoundtrip(Roundtrip):
    """A Roundtrip answering with a readable raw stream, so streaming payloads (S3 bodies, Lambda
    Invoke payloads) can be read by the client."""

    def _on_send(self, request: Any, **_: Any) -> AWSResponse:
        http_request = to_http_request(request)
        self.last_request = http_request
        if self._responder is None:
            raise _Captured(http_request)
        response = self._responder(http_request)
        return AWSResponse(request.url, response.status, response.headers, _RawStream(collect_body(response.body)))


def rest_call(proto: Any, rt: Roundtrip, operation: str, params: dict, result: dict | None = None,
              error: Any = None) -> tuple[dict, Any, HttpResponse]:
    """Send ``operation`` through botocore; route it by its REST template, parse it with ``proto``,
    answer with ``result`` or ``error``. Returns (parsed params, client result or ClientError, response)."""
    from pycloud.protocol.rest_routing import match_operation

    seen: dict[str, Any] = {}

    def responder(request: HttpRequest) -> HttpResponse:
        matched = match_operation(rt.model, request.method, request.path, request.query, request.headers)
        assert matched is not None and matched[0] == operation, matched
        seen["params"] = proto.parse(rt.model, operation, request, matched[1])
        if error is not None:
            seen["response"] = proto.serialize_error(rt.model, operation, error, "req-1")
        else:
            seen["response"] = proto.serialize(rt.model, operation, result or {}, "req-1")
        return seen["response"]

    if error is not None:
        outcome = rt.error(operation, params, responder)
    else:
        outcome = strip_metadata(rt.respond(operation, params, responder))
    return seen["params"], outcome, seen["response"]
