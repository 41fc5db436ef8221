"""The ``json`` protocol (awsJson 1.0/1.1: DynamoDB, SQS, CloudWatch Logs, Kinesis...)."""

from __future__ import annotations

import json
import zlib
from json.encoder import c_make_encoder, encode_basestring_ascii  # type: ignore[attr-defined]
from typing import Any

from pycloud.protocol.errors import ServiceError, serialization_error
from pycloud.protocol.message import HttpRequest, HttpResponse
from pycloud.protocol.model import ServiceModel
from pycloud.protocol.request_body import decoded_body
from pycloud.protocol.rpc_errors import describe_error, fault_text, is_query_compatible, json_type
from pycloud.protocol.rpc_tree import decoder, encoder


def content_type(service: ServiceModel) -> str:
    """``application/x-amz-json-1.0`` or ``-1.1``, from the model's ``jsonVersion``."""
    return f"application/x-amz-json-{service.metadata.get('jsonVersion', '1.0')}"


def error_parts(
    service: ServiceModel, error: ServiceError, request_id: str
) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
    """Status, body fields and headers of a JSON-family error (shared with the CBOR protocol)."""
    names = describe_error(service, error)
    body: dict[str, Any] = {"__type": json_type(service, names.shape_name), "message": error.message}
    for key, value in error.fields.items():
        if value is not None:
            body[key] = value
    headers = [("x-amzn-RequestId", request_id), ("x-amzn-ErrorType", names.shape_name)]
    if is_query_compatible(service):
        headers.append(("x-amzn-query-error", f"{names.query_code};{fault_text(names.sender_fault)}"))
    # A provider's own headers win (e.g. SQS's legacy ``x-amzn-query-error`` codes the model lost).
    overridden = {name.lower() for name in error.headers}
    headers = [(name, value) for name, value in headers if name.lower() not in overridden]
    headers.extend(error.headers.items())
    return names.status, body, headers


class JsonProtocol:
    """Parser and serializer of the awsJson protocols."""

    def parse(
        self, service: ServiceModel, operation: str, request: HttpRequest, labels: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """Decode the JSON body into params; malformed JSON or wrong types → SerializationException."""
        shape = service.input_shape(operation)
        body = decoded_body(request)
        if not body.strip():
            document: Any = {}
        else:
            try:
                # Clients send UTF-8 objects; anything else takes json.loads's encoding detection.
                document = _decode(body.decode("utf-8")) if body[:1] == b"{" else json.loads(body)
            except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
                raise serialization_error("Unable to parse request body as JSON.") from exc
        if not isinstance(document, dict):
            raise serialization_error("Start of structure or map expected at the top level.")
        if shape is None:
            return {}
        try:
            return decoder(service, shape)(document)
        except RecursionError as exc:
            raise serialization_error("Request body nesting is too deep.") from exc

    def serialize(self, service: ServiceModel, operation: str, result: dict[str, Any], request_id: str) -> HttpResponse:
        """The JSON body of a result dict (epoch-second timestamps, base64 blobs)."""
        shape = service.output_shape(operation)
        tree = encoder(service, shape)(result or {}) if shape is not None else {}
        return _json_response(service, 200, tree, [("x-amzn-RequestId", request_id)])

    def serialize_error(
        self, service: ServiceModel, operation: str | None, error: ServiceError, request_id: str
    ) -> HttpResponse:
        """``{"__type": "ns#Code", "message": ...}`` with ``x-amzn-ErrorType`` (and query-error) headers."""
        status, body, headers = error_parts(service, error, request_id)
        return _json_response(service, status, body, headers)


_decode = json.JSONDecoder().decode
if c_make_encoder is not None:
    # The C encoder built once: JSONEncoder.encode builds one per call. Trees never hold cycles,
    # so no markers (circular-reference bookkeeping) are kept.
    _c_encoder = c_make_encoder(None, str, encode_basestring_ascii, None, ":", ",", False, False, True)

    def _encode(tree: Any) -> str:
        return "".join(_c_encoder(tree, 0))
else:  # pragma: no cover - CPython always has the C accelerator
    _encode = json.JSONEncoder(separators=(",", ":"), default=str).encode


def _json_response(service: ServiceModel, status: int, tree: Any, headers: list[tuple[str, str]]) -> HttpResponse:
    payload = _encode(tree).encode("utf-8")
    return HttpResponse(
        status=status,
        headers=[
            ("Content-Type", content_type(service)),
            *headers,
            # DynamoDB clients verify this checksum when present; it is cheap for everyone else.
            ("x-amz-crc32", str(zlib.crc32(payload) & 0xFFFFFFFF)),
        ],
        body=payload,
    )
