"""The ``query`` protocol (STS, IAM, SNS, CloudWatch-query...): form-encoded requests, XML answers."""

from __future__ import annotations

from typing import Any

from pycloud.protocol.errors import ServiceError
from pycloud.protocol.message import HttpRequest, HttpResponse
from pycloud.protocol.model import ServiceModel
from pycloud.protocol.query_params import QueryDecoder, build_tree, form_pairs
from pycloud.protocol.query_xml import XmlWriter, escape_attr, escape_text
from pycloud.protocol.request_body import decoded_body
from pycloud.protocol.rpc_errors import describe_error, fault_text

XML_CONTENT_TYPE = "text/xml"


def query_invalid_value(param: str, raw: str, type_name: str) -> ServiceError:
    """A query parameter whose text does not convert to its shape's type."""
    return ServiceError(
        "ValidationError",
        f"1 validation error detected: Value '{raw}' at '{param}' failed to satisfy constraint: "
        f"Member must be a valid {type_name}",
        400,
    )


def decode_form(request: HttpRequest) -> list[tuple[str, str]]:
    """The request's parameters; a body that is not UTF-8 form data is a malformed query string."""
    try:
        return form_pairs(decoded_body(request), request.query)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ServiceError("MalformedQueryString", "The query string is malformed.", 400) from exc


class QueryProtocol:
    """Parser and serializer of the AWS query protocol."""

    def parse(
        self, service: ServiceModel, operation: str, request: HttpRequest, labels: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """Decode a form-encoded (POST body or GET query string) request into params."""
        shape = service.input_shape(operation)
        pairs = decode_form(request)
        if shape is None:
            return {}
        return QueryDecoder(service, query_invalid_value).decode(shape, build_tree(pairs))

    def serialize(self, service: ServiceModel, operation: str, result: dict[str, Any], request_id: str) -> HttpResponse:
        """``<{Op}Response><{Op}Result>...</{Op}Result><ResponseMetadata>...`` for a result dict."""
        op = service.operation(operation)
        ns = service.metadata.get("xmlNamespace", "")
        parts = [f'<?xml version="1.0" encoding="UTF-8"?>\n<{operation}Response xmlns="{escape_attr(ns)}">']
        output_ref = op.get("output")
        if output_ref is not None:
            wrapper = output_ref.get("resultWrapper")
            writer = XmlWriter(service)
            shape = service.shapes[output_ref["shape"]]
            if wrapper:
                parts.append(f"<{wrapper}>")
            writer.members(parts, shape, result or {})
            if wrapper:
                parts.append(f"</{wrapper}>")
        parts.append(
            f"<ResponseMetadata><RequestId>{escape_text(request_id)}</RequestId></ResponseMetadata>"
            f"</{operation}Response>"
        )
        return _xml_response(200, "".join(parts), request_id)

    def serialize_error(
        self, service: ServiceModel, operation: str | None, error: ServiceError, request_id: str
    ) -> HttpResponse:
        """``<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>``."""
        names = describe_error(service, error)
        ns = service.metadata.get("xmlNamespace", "")
        parts = [
            f'<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="{escape_attr(ns)}"><Error>',
            f"<Type>{fault_text(names.sender_fault)}</Type>",
            f"<Code>{escape_text(names.query_code)}</Code>",
            f"<Message>{escape_text(error.message)}</Message>",
        ]
        for key, value in error.fields.items():
            if value is not None:
                parts.append(f"<{key}>{escape_text(str(value))}</{key}>")
        parts.append(f"</Error><RequestId>{escape_text(request_id)}</RequestId></ErrorResponse>")
        response = _xml_response(names.status, "".join(parts), request_id)
        for key, value in error.headers.items():
            response.set_header(key, value)
        return response


def _xml_response(status: int, body: str, request_id: str) -> HttpResponse:
    return HttpResponse(
        status=status,
        headers=[("Content-Type", XML_CONTENT_TYPE), ("x-amzn-RequestId", request_id)],
        body=body.encode("utf-8"),
    )
