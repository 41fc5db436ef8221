"""The ``ec2`` protocol: query-style requests with EC2 naming, unwrapped XML answers."""

from __future__ import annotations

from typing import Any

from pycloud.protocol.errors import ServiceError
from pycloud.protocol.message import HttpRequest, HttpResponse
from pycloud.protocol.model import ServiceModel
from pycloud.protocol.query import decode_form
from pycloud.protocol.query_params import QueryDecoder, build_tree
from pycloud.protocol.query_xml import XmlWriter, escape_attr, escape_text
from pycloud.protocol.rpc_errors import describe_error

_TYPE_WORDS = {"integer": "integer", "long": "integer", "boolean": "boolean", "timestamp": "timestamp"}


def ec2_invalid_value(param: str, raw: str, type_name: str) -> ServiceError:
    """EC2's answer to a parameter whose text does not convert to its type."""
    word = _TYPE_WORDS.get(type_name, type_name)
    return ServiceError(
        "InvalidParameterValue", f"Value ({raw}) for parameter {param} is invalid. Expected: '{word}'.", 400
    )


class Ec2Protocol:
    """Parser and serializer of the EC2 protocol."""

    def parse(
        self, service: ServiceModel, operation: str, request: HttpRequest, labels: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """Decode an EC2 form request (``Filter.1.Value.1=x``) into params."""
        shape = service.input_shape(operation)
        pairs = decode_form(request)
        if shape is None:
            return {}
        return QueryDecoder(service, ec2_invalid_value, ec2=True).decode(shape, build_tree(pairs))

    def serialize(self, service: ServiceModel, operation: str, result: dict[str, Any], request_id: str) -> HttpResponse:
        """``<{Op}Response xmlns=...><requestId>..</requestId>members...</{Op}Response>``."""
        ns = service.metadata.get("xmlNamespace", "")
        if ns and not ns.endswith("/"):
            ns += "/"  # EC2 answers with the trailing slash its model omits
        parts = [
            f'<?xml version="1.0" encoding="UTF-8"?>\n<{operation}Response xmlns="{escape_attr(ns)}">',
            f"<requestId>{escape_text(request_id)}</requestId>",
        ]
        shape = service.output_shape(operation)
        if shape is not None:
            XmlWriter(service).members(parts, shape, result or {})
        parts.append(f"</{operation}Response>")
        return _xml_response(200, "".join(parts), request_id)

    def serialize_error(
        self, service: ServiceModel, operation: str | None, error: ServiceError, request_id: str
    ) -> HttpResponse:
        """``<Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>``."""
        names = describe_error(service, error)
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>'
            f"<Code>{escape_text(names.query_code)}</Code><Message>{escape_text(error.message)}</Message>"
            f"</Error></Errors><RequestID>{escape_text(request_id)}</RequestID></Response>"
        )
        response = _xml_response(names.status, body, request_id)
        for key, value in error.headers.items():
            response.set_header(key, value)
        return response


def _xml_response(status: int, body: str, request_id: str) -> HttpResponse:
    return HttpResponse(
        status=status,
        headers=[("Content-Type", "text/xml;charset=UTF-8"), ("x-amzn-RequestId", request_id)],
        body=body.encode("utf-8"),
    )
