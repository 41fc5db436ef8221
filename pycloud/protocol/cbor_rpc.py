"""The ``smithy-rpc-v2-cbor`` protocol (CloudWatch with current SDKs).

Requests are ``POST /service/{Service}/operation/{Operation}`` with ``smithy-protocol: rpc-v2-cbor``
and a CBOR body; timestamps travel as tag 1 (epoch seconds), blobs as byte strings.
"""

from __future__ import annotations

from typing import Any

import cbor2

from pycloud.protocol.errors import ServiceError, serialization_error
from pycloud.protocol.json_rpc import error_parts
from pycloud.protocol.message import HttpRequest, HttpResponse
from pycloud.protocol.model import ServiceModel
from pycloud.protocol.request_body import decoded_body
from pycloud.protocol.rpc_tree import decoder, encoder

CBOR_CONTENT_TYPE = "application/cbor"


class CborProtocol:
    """Parser and serializer of Smithy RPC v2 CBOR."""

    def parse(
        self, service: ServiceModel, operation: str, request: HttpRequest, labels: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """Decode the CBOR body into params; malformed CBOR or wrong types → SerializationException."""
        shape = service.input_shape(operation)
        document: Any = {}
        body = decoded_body(request)
        if body:
            try:
                document = cbor2.loads(body)
            except Exception as exc:  # noqa: BLE001 - any decoder failure on untrusted bytes is the client's
                raise serialization_error("Unable to parse request body as CBOR.") from exc
        if not isinstance(document, dict):
            raise serialization_error("Expected a CBOR map at the top level of the request body.")
        if shape is None:
            return {}
        try:
            return decoder(service, shape, cbor=True)(document)
        except RecursionError as exc:
            raise serialization_error("Request body nesting is too deep.") from exc

    def serialize(self, service: ServiceModel, operation: str, result: dict[str, Any], request_id: str) -> HttpResponse:
        """A CBOR map of the result (always a map: botocore's parser expects one)."""
        shape = service.output_shape(operation)
        tree = encoder(service, shape, cbor=True)(result or {}) if shape is not None else {}
        return _cbor_response(200, tree, [("x-amzn-RequestId", request_id)])

    def serialize_error(
        self, service: ServiceModel, operation: str | None, error: ServiceError, request_id: str
    ) -> HttpResponse:
        """CBOR ``{"__type": "ns#Code", "message": ...}`` plus the JSON-family error headers."""
        status, body, headers = error_parts(service, error, request_id)
        return _cbor_response(status, body, headers)


def _cbor_response(status: int, tree: Any, headers: list[tuple[str, str]]) -> HttpResponse:
    return HttpResponse(
        status=status,
        headers=[("smithy-protocol", "rpc-v2-cbor"), ("Content-Type", CBOR_CONTENT_TYPE), *headers],
        body=cbor2.dumps(tree),
    )
