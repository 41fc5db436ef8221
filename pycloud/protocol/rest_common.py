"""HTTP bindings shared by the REST protocols (rest-xml, rest-json).

A REST operation spreads its input and output over the URI (``uri`` labels), the query string
(``querystring``, including a map bound to the whole query string), headers (``header``, and
``headers`` prefix maps such as S3's ``x-amz-meta-``), the status code (``statusCode``) and the body
(one ``payload`` member, or all remaining members). :class:`RestProtocol` does all of that from the
botocore model and leaves only the body codec and the error format to its subclasses.

Each operation's bindings are computed once and cached (``_plan``), so the hot S3 operations do
no model walking per request.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from dataclasses import dataclass, field
from typing import Any

from pycloud.protocol.errors import ServiceError
from pycloud.protocol.message import HttpRequest, HttpResponse
from pycloud.protocol.model import ServiceModel
from pycloud.protocol.rest_routing import extract_labels
from pycloud.protocol.timestamps import parse_timestamp
from pycloud.protocol.xml_util import format_scalar

_RFC822_RE = re.compile(r"[A-Za-z]{3}, \d{1,2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} (?:GMT|UTC|[+-]\d{4})")


@dataclass(frozen=True)
class Binding:
    """One member bound outside the body: where it lives and how to read/write it."""

    member: str
    location: str  # uri | querystring | header | headers | statusCode
    name: str  # label / query key / header name (as in the model) / header prefix
    ref: dict[str, Any]
    shape: dict[str, Any]


@dataclass
class Plan:
    """The HTTP bindings of one operation's input or output shape."""

    shape: dict[str, Any] | None
    bindings: list[Binding] = field(default_factory=list)
    payload: str | None = None
    payload_ref: dict[str, Any] | None = None
    payload_shape: dict[str, Any] | None = None
    has_body_members: bool = False
    query_keys: frozenset[str] = frozenset()  # query keys claimed by named members or the template
    # Lookup tables compiled from ``bindings`` so a request touches only the bindings it carries.
    uri: list[Binding] = field(default_factory=list)
    query: dict[str, Binding] = field(default_factory=dict)
    query_map: Binding | None = None
    headers: dict[str, Binding] = field(default_factory=dict)
    """Lower-case header name → its binding."""
    prefixes: list[Binding] = field(default_factory=list)
    by_member: dict[str, Binding] = field(default_factory=dict)
    plain: frozenset[str] = frozenset()
    """Members whose text is their value (strings that are not JSON values)."""


_plans: dict[tuple[str, str, str], Plan] = {}
_plans_lock = threading.Lock()


def _build_plan(service: ServiceModel, operation: str, direction: str) -> Plan:
    op = service.operation(operation)
    ref = op.get(direction)
    if not ref:
        return Plan(shape=None)
    shape = service.shapes[ref["shape"]]
    plan = Plan(shape=shape)
    payload = shape.get("payload")
    claimed: set[str] = set()
    for member, mref in shape.get("members", {}).items():
        location = mref.get("location")
        mshape = service.shapes[mref["shape"]]
        if location:
            name = mref.get("locationName", member)
            plan.bindings.append(Binding(member, location, name, mref, mshape))
            if location == "querystring" and mshape["type"] != "map":
                claimed.add(name)
        elif member == payload:
            plan.payload, plan.payload_ref, plan.payload_shape = member, mref, mshape
        else:
            plan.has_body_members = True
    template_query = op.get("http", {}).get("requestUri", "").partition("?")[2]
    claimed.update(part.partition("=")[0] for part in template_query.split("&") if part)
    plan.query_keys = frozenset(claimed)
    _compile(plan)
    return plan


def _compile(plan: Plan) -> None:
    plain: set[str] = set()
    for binding in plan.bindings:
        plan.by_member[binding.member] = binding
        kind = binding.shape["type"]
        if kind == "string" and not (binding.ref.get("jsonvalue") or binding.shape.get("jsonvalue")):
            plain.add(binding.member)
        if binding.location == "uri":
            plan.uri.append(binding)
        elif binding.location == "querystring":
            if kind == "map":
                plan.query_map = binding
            else:
                plan.query.setdefault(binding.name, binding)
        elif binding.location == "header":
            plan.headers.setdefault(binding.name.lower(), binding)
        elif binding.location == "headers":
            plan.prefixes.append(binding)
    plan.plain = frozenset(plain)


def plan_for(service: ServiceModel, operation: str, direction: str) -> Plan:
    """The cached bindings of ``operation``'s ``input`` or ``output`` shape."""
    key = (service.name, operation, direction)
    plan = _plans.get(key)
    if plan is None:
        with _plans_lock:
            plan = _plans.get(key)
            if plan is None:
                plan = _build_plan(service, operation, direction)
                _plans[key] = plan
    return plan


def split_header_list(value: str) -> list[str]:
    """Split a comma-separated header list, honouring double-quoted items (botocore quotes items with commas)."""
    items: list[str] = []
    current: list[str] = []
    quoted = False
    escaped = False
    for ch in value:
        if escaped:
            current.append(ch)
            escaped = False
        elif ch == "\\" and quoted:
            escaped = True
        elif ch == '"':
            quoted = not quoted
        elif ch == "," and not quoted:
            items.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
    items.append("".join(current).strip())
    return [item for item in items if item]


def _quote_header_item(text: str) -> str:
    if "," in text or '"' in text:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text


def _clean_header(text: str) -> str:
    """A value safe for an HTTP header: no line breaks (response splitting), ASCII only.

    Non-ASCII text (user metadata) is sent RFC 2047-encoded, as S3 does.
    """
    if "\r" in text or "\n" in text:
        text = text.replace("\r", " ").replace("\n", " ")
    if not text.isascii():
        text = "=?UTF-8?B?" + base64.b64encode(text.encode("utf-8")).decode("ascii") + "?="
    return text


class RestProtocol:
    """Base of the REST protocols: HTTP bindings here, body format and errors in subclasses."""

    json_timestamp_default = "unixTimestamp"

    # --- hooks for subclasses ------------------------------------------------------------------

    def bad_value_error(self, service: ServiceModel, message: str) -> ServiceError:
        """The error for a header/query/label value that does not fit its type."""
        return ServiceError("SerializationException", message, 400)

    def decode_body(self, service: ServiceModel, operation: str, plan: Plan, body: bytes) -> dict[str, Any]:
        """The members carried by a body without a payload member."""
        raise NotImplementedError

    def decode_payload(self, service: ServiceModel, plan: Plan, body: bytes) -> Any:
        """A structure payload member's value."""
        raise NotImplementedError

    def encode_body(
        self, service: ServiceModel, operation: str, plan: Plan, result: dict[str, Any]
    ) -> tuple[bytes, str | None]:
        """(body, content type) for the output members without a location and no payload member."""
        raise NotImplementedError

    def encode_payload(self, service: ServiceModel, operation: str, plan: Plan, value: Any) -> tuple[bytes, str | None]:
        """(body, content type) for a structure payload member."""
        raise NotImplementedError

    def request_id_headers(self, service: ServiceModel, request_id: str) -> list[tuple[str, str]]:
        """Headers that carry the request id."""
        return [("x-amzn-RequestId", request_id)]

    # --- parsing -------------------------------------------------------------------------------

    def parse(
        self,
        service: ServiceModel,
        operation: str,
        request: HttpRequest,
        labels: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """Turn an HTTP request into the operation's input params (member names as in the model).

        Raises ServiceError (with the protocol's AWS code) for any malformed input.
        """
        plan = plan_for(service, operation, "input")
        if plan.shape is None:
            return {}
        if labels is None:
            labels = extract_labels(service, operation, request.path)
        params: dict[str, Any] = {}
        plain = plan.plain
        for binding in plan.uri:
            raw = labels.get(binding.name)
            if raw is not None:
                params[binding.member] = raw if binding.member in plain else self._from_text(
                    service, binding, raw, "iso8601"
                )
        if request.query:
            query_bindings = plan.query
            for name in request.query:
                binding = query_bindings.get(name)
                if binding is None:
                    continue
                value = self._read_binding(service, binding, request, labels, plan)
                if value is not None:
                    params[binding.member] = value
            if plan.query_map is not None:
                value = self._query_map(service, plan.query_map, request, plan)
                if value is not None:
                    params[plan.query_map.member] = value
        header_bindings = plan.headers
        for name, raw in request.headers.items():
            binding = header_bindings.get(name)
            if binding is not None:
                params[binding.member] = raw if binding.member in plain else self._header_value(service, binding, raw)
        for binding in plan.prefixes:
            value = self._read_binding(service, binding, request, labels, plan)
            if value is not None:
                params[binding.member] = value
        if plan.payload is not None:
            value = self._read_payload(service, plan, request)
            if value is not None:
                params[plan.payload] = value
        elif plan.has_body_members and request.body.strip():
            params.update(self.decode_body(service, operation, plan, request.body))
        return params

    def _read_binding(
        self, service: ServiceModel, binding: Binding, request: HttpRequest, labels: dict[str, str], plan: Plan
    ) -> Any:
        location = binding.location
        if location == "uri":
            raw = labels.get(binding.name)
            return None if raw is None else self._from_text(service, binding, raw, "iso8601")
        if location == "querystring":
            if binding.shape["type"] == "map":
                return self._query_map(service, binding, request, plan)
            values = request.query.get(binding.name)
            if values is None:
                return None
            if binding.shape["type"] == "list":
                member_ref = binding.shape["member"]
                member_shape = service.shapes[member_ref["shape"]]
                item = Binding(binding.member, location, binding.name, member_ref, member_shape)
                return [self._from_text(service, item, v, "iso8601") for v in values]
            return self._from_text(service, binding, values[0], "iso8601")
        if location == "header":
            raw = request.headers.get(binding.name.lower())
            if raw is None:
                return None
            return self._header_value(service, binding, raw)
        if location == "headers":
            prefix = binding.name.lower()
            found = {k[len(prefix) :]: v for k, v in request.headers.items() if k.startswith(prefix)}
            return found or None
        return None  # statusCode is output-only

    def _query_map(
        self, service: ServiceModel, binding: Binding, request: HttpRequest, plan: Plan
    ) -> dict[str, Any] | None:
        # A map bound to the query string takes every parameter no named member or template claims.
        value_ref = binding.shape.get("value")
        is_list = bool(value_ref) and service.shapes[value_ref["shape"]]["type"] == "list"
        result: dict[str, Any] = {}
        for key, values in request.query.items():
            if key not in plan.query_keys:
                result[key] = list(values) if is_list else (values[0] if values else "")
        return result or None

    def _header_value(self, service: ServiceModel, binding: Binding, raw: str) -> Any:
        shape = binding.shape
        kind = shape["type"]
        if kind == "list":
            member_ref = shape["member"]
            member_shape = service.shapes[member_ref["shape"]]
            item = Binding(binding.member, "header", binding.name, member_ref, member_shape)
            if member_shape["type"] == "timestamp" and (
                (member_ref.get("timestampFormat") or member_shape.get("timestampFormat") or "rfc822") == "rfc822"
            ):
                parts = _RFC822_RE.findall(raw)
            else:
                parts = split_header_list(raw)
            return [self._from_text(service, item, part, "rfc822") for part in parts]
        if binding.ref.get("jsonvalue") or shape.get("jsonvalue"):
            try:
                return json.loads(base64.b64decode(raw, validate=True))
            except ValueError as exc:
                raise self.bad_value_error(service, f"Invalid JSON value in header {binding.name}") from exc
        return self._from_text(service, binding, raw, "rfc822")

    def _from_text(self, service: ServiceModel, binding: Binding, text: str, default_ts: str) -> Any:
        kind = binding.shape["type"]
        if kind == "string":
            return text
        stripped = text.strip()
        try:
            if kind in ("integer", "long", "short", "byte"):
                return int(stripped)
            if kind in ("float", "double"):
                return float(stripped)
            if kind == "boolean":
                lowered = stripped.lower()
                if lowered not in ("true", "false"):
                    raise ValueError(stripped)
                return lowered == "true"
            if kind == "timestamp":
                fmt = binding.ref.get("timestampFormat") or binding.shape.get("timestampFormat") or default_ts
                return parse_timestamp(stripped, fmt)
            if kind == "blob":
                return base64.b64decode(stripped, validate=True)
        except (ValueError, ServiceError) as exc:
            raise self.bad_value_error(
                service, f"Invalid value for {binding.location} {binding.name!r}: {text!r}"
            ) from exc
        return text

    def _read_payload(self, service: ServiceModel, plan: Plan, request: HttpRequest) -> Any:
        shape = plan.payload_shape or {}
        kind = shape.get("type")
        streaming = bool(shape.get("streaming") or (plan.payload_ref or {}).get("streaming"))
        if kind == "blob":
            if request.stream is not None:
                return request.stream
            return request.body if (request.body or streaming) else None
        if not request.body:
            return None
        if kind == "string":
            try:
                return request.body.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise self.bad_value_error(service, "The request body is not valid UTF-8") from exc
        if not request.body.strip():
            return None
        return self.decode_payload(service, plan, request.body)

    # --- serialization -------------------------------------------------------------------------

    def serialize(self, service: ServiceModel, operation: str, result: dict[str, Any], request_id: str) -> HttpResponse:
        """Turn an operation's output dict into the HTTP response AWS would send."""
        op = service.operation(operation)
        http = op.get("http", {})
        response = HttpResponse(status=int(http.get("responseCode", 200)))
        response.headers.extend(self.request_id_headers(service, request_id))
        plan = plan_for(service, operation, "output")
        result = result or {}
        if plan.shape is None:
            return response
        by_member = plan.by_member
        plain = plan.plain
        headers = response.headers
        for member, value in result.items():
            binding = by_member.get(member)
            if binding is None or value is None:
                continue
            if member in plain and binding.location == "header" and isinstance(value, str):
                headers.append((binding.name, _clean_header(value)))
            else:
                self._write_binding(service, binding, value, response)
        body: Any = b""
        content_type: str | None = None
        if plan.payload is not None:
            body, content_type = self._write_payload(service, operation, plan, result.get(plan.payload))
        elif plan.has_body_members:
            body, content_type = self.encode_body(service, operation, plan, result)
        if http.get("method") == "HEAD":
            body = b""
        elif content_type and response.get_header("Content-Type") is None:
            response.headers.append(("Content-Type", content_type))
        response.body = body
        return response

    def _write_binding(self, service: ServiceModel, binding: Binding, value: Any, response: HttpResponse) -> None:
        location = binding.location
        if location == "statusCode":
            response.status = int(value)
        elif location == "header":
            text = self._header_text(service, binding, value)
            if text is not None:
                response.headers.append((binding.name, _clean_header(text)))
        elif location == "headers":
            for key, item in value.items():
                if item is not None:
                    response.headers.append((binding.name + str(key), _clean_header(str(item))))

    def _header_text(self, service: ServiceModel, binding: Binding, value: Any) -> str | None:
        shape = binding.shape
        if shape["type"] == "list":
            member_ref = shape["member"]
            member_shape = service.shapes[member_ref["shape"]]
            items = [format_scalar(member_ref, member_shape, v, "rfc822") for v in value if v is not None]
            return ",".join(_quote_header_item(item) for item in items)
        if binding.ref.get("jsonvalue") or shape.get("jsonvalue"):
            return base64.b64encode(json.dumps(value, separators=(",", ":")).encode()).decode("ascii")
        return format_scalar(binding.ref, shape, value, "rfc822")

    def _write_payload(self, service: ServiceModel, operation: str, plan: Plan, value: Any) -> tuple[Any, str | None]:
        kind = (plan.payload_shape or {}).get("type")
        if value is None:
            return b"", None
        if kind == "blob":
            if isinstance(value, str):
                return value.encode("utf-8"), "application/octet-stream"
            if isinstance(value, (bytes, bytearray, memoryview)):
                return bytes(value), "application/octet-stream"
            return value, "application/octet-stream"  # async iterator: streamed through untouched
        if kind == "string":
            return str(value).encode("utf-8"), "text/plain"
        return self.encode_payload(service, operation, plan, value)

    # --- errors --------------------------------------------------------------------------------

    @staticmethod
    def is_head(service: ServiceModel, operation: str | None) -> bool:
        """Whether the operation is a HEAD request (whose responses never carry a body)."""
        if not operation or operation not in service.operations:
            return False
        return service.operations[operation].get("http", {}).get("method") == "HEAD"

    @staticmethod
    def error_headers(error: ServiceError) -> list[tuple[str, str]]:
        """The extra headers an error carries, cleaned for the wire."""
        return [(name, _clean_header(str(value))) for name, value in error.headers.items()]
