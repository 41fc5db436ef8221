"""The rest-json protocol (Lambda, API Gateway, ...): REST bindings plus JSON bodies.

Body members are keyed by their ``locationName`` (or member name); timestamps are epoch seconds
unless the model says otherwise, blobs are base64. Errors carry the code in ``x-amzn-ErrorType``
and in the body's ``__type``, the text in ``message``.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from typing import Any

from pycloud.protocol.errors import ServiceError
from pycloud.protocol.message import HttpResponse
from pycloud.protocol.model import ServiceModel
from pycloud.protocol.rest_common import Plan, RestProtocol
from pycloud.protocol.timestamps import format_epoch, format_iso8601, format_rfc822, parse_timestamp

CONTENT_TYPE = "application/json"
_INT_TYPES = ("integer", "long", "short", "byte")
_FLOAT_TEXT = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


class _BadJson(ValueError):
    """A JSON value that does not fit its shape."""


def _body_key(ref: dict[str, Any], member: str) -> str:
    return ref.get("locationName") or member


def decode_json_value(service: ServiceModel, ref: dict[str, Any], value: Any) -> Any:
    """Convert a decoded JSON value to its shape's Python form; raises ValueError when it does not fit."""
    if value is None:
        return None
    shape = service.shapes[ref["shape"]]
    kind = shape["type"]
    if shape.get("document"):
        return value
    if kind == "structure":
        if not isinstance(value, dict):
            raise _BadJson(f"expected an object for {ref['shape']}")
        return decode_json_members(service, shape, value)
    if kind == "list":
        if not isinstance(value, list):
            raise _BadJson(f"expected an array for {ref['shape']}")
        return [decode_json_value(service, shape["member"], item) for item in value]
    if kind == "map":
        if not isinstance(value, dict):
            raise _BadJson(f"expected an object for {ref['shape']}")
        value_ref = shape["value"]
        return {str(k): decode_json_value(service, value_ref, v) for k, v in value.items()}
    if kind == "string":
        if not isinstance(value, str):
            raise _BadJson(f"expected a string for {ref['shape']}")
        return value
    if kind == "boolean":
        if not isinstance(value, bool):
            raise _BadJson(f"expected a boolean for {ref['shape']}")
        return value
    if kind in _INT_TYPES:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _BadJson(f"expected an integer for {ref['shape']}")
        return value
    if kind in ("float", "double"):
        if isinstance(value, str) and value in _FLOAT_TEXT:
            return _FLOAT_TEXT[value]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _BadJson(f"expected a number for {ref['shape']}")
        return float(value)
    if kind == "timestamp":
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise _BadJson(f"expected a timestamp for {ref['shape']}")
        fmt = ref.get("timestampFormat") or shape.get("timestampFormat")
        try:
            return parse_timestamp(value, fmt)
        except ServiceError as exc:
            raise _BadJson(exc.message) from exc
    if kind == "blob":
        if not isinstance(value, str):
            raise _BadJson(f"expected base64 text for {ref['shape']}")
        try:
            return base64.b64decode(value, validate=True)
        except binascii.Error as exc:
            raise _BadJson(f"invalid base64 for {ref['shape']}") from exc
    return value


def decode_json_members(service: ServiceModel, shape: dict[str, Any], obj: dict[str, Any]) -> dict[str, Any]:
    """The body members of a structure from a JSON object (members bound elsewhere are skipped)."""
    result: dict[str, Any] = {}
    for member, ref in shape.get("members", {}).items():
        if ref.get("location"):
            continue
        value = obj.get(_body_key(ref, member))
        if value is not None:
            result[member] = decode_json_value(service, ref, value)
    return result


def encode_json_value(service: ServiceModel, ref: dict[str, Any], value: Any) -> Any:
    """A provider's value in its JSON wire form (epoch timestamps, base64 blobs...)."""
    shape = service.shapes[ref["shape"]]
    kind = shape["type"]
    if shape.get("document"):
        return value
    if kind == "structure":
        return encode_json_members(service, shape, value)
    if kind == "list":
        return [encode_json_value(service, shape["member"], item) for item in value if item is not None]
    if kind == "map":
        value_ref = shape["value"]
        return {str(k): encode_json_value(service, value_ref, v) for k, v in value.items() if v is not None}
    if kind == "timestamp":
        fmt = ref.get("timestampFormat") or shape.get("timestampFormat") or "unixTimestamp"
        if fmt == "iso8601":
            return format_iso8601(value)
        if fmt == "rfc822":
            return format_rfc822(value)
        return format_epoch(value)
    if kind == "blob":
        raw = value.encode("utf-8") if isinstance(value, str) else bytes(value)
        return base64.b64encode(raw).decode("ascii")
    if kind in ("float", "double") and isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return value


def encode_json_members(service: ServiceModel, shape: dict[str, Any], value: dict[str, Any]) -> dict[str, Any]:
    """The JSON object for a structure's body members."""
    result: dict[str, Any] = {}
    for member, ref in shape.get("members", {}).items():
        item = value.get(member)
        if item is None or ref.get("location"):
            continue
        result[_body_key(ref, member)] = encode_json_value(service, ref, item)
    return result


def _dumps(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False, default=str).encode("utf-8")


class RestJsonProtocol(RestProtocol):
    """rest-json: parse requests into params and render results/errors the way AWS does."""

    @staticmethod
    def _load(body: bytes) -> Any:
        try:
            return json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ServiceError("SerializationException", "The request body is not valid JSON", 400) from exc

    def decode_body(self, service: ServiceModel, operation: str, plan: Plan, body: bytes) -> dict[str, Any]:
        obj = self._load(body)
        if not isinstance(obj, dict):
            raise ServiceError("SerializationException", "The request body must be a JSON object", 400)
        try:
            return decode_json_members(service, plan.shape or {}, obj)
        except ValueError as exc:
            raise ServiceError("SerializationException", str(exc), 400) from exc

    def decode_payload(self, service: ServiceModel, plan: Plan, body: bytes) -> Any:
        try:
            return decode_json_value(service, plan.payload_ref or {}, self._load(body))
        except _BadJson as exc:
            raise ServiceError("SerializationException", str(exc), 400) from exc

    def encode_body(
        self, service: ServiceModel, operation: str, plan: Plan, result: dict[str, Any]
    ) -> tuple[bytes, str | None]:
        status = int(service.operation(operation).get("http", {}).get("responseCode", 200))
        members = encode_json_members(service, plan.shape or {}, result)
        if status == 204 and not members:
            return b"", None
        return _dumps(members), CONTENT_TYPE

    def encode_payload(self, service: ServiceModel, operation: str, plan: Plan, value: Any) -> tuple[bytes, str | None]:
        return _dumps(encode_json_value(service, plan.payload_ref or {}, value)), CONTENT_TYPE

    def serialize_error(
        self, service: ServiceModel, operation: str | None, error: ServiceError, request_id: str
    ) -> HttpResponse:
        """Render a ServiceError as rest-json does (``x-amzn-ErrorType`` header plus a JSON body)."""
        response = HttpResponse(status=error.status)
        response.headers.extend(self.request_id_headers(service, request_id))
        response.headers.append(("x-amzn-ErrorType", error.code))
        response.headers.extend(self.error_headers(error))
        if self.is_head(service, operation):
            return response
        body: dict[str, Any] = {"__type": error.code, "message": error.message}
        members = (service.error_shapes.get(error.code) or {}).get("members", {})
        if "Message" in members:
            body["Message"] = error.message
        if "Type" in members and "Type" not in error.fields:
            # Lambda-style errors say who is at fault.
            body["Type"] = "User" if error.sender_fault else "Service"
        for key, value in error.fields.items():
            if value is not None:
                body[key] = value
        response.headers.append(("Content-Type", CONTENT_TYPE))
        response.body = _dumps(body)
        return response
