"""The rest-xml protocol (S3, Route 53, CloudFront): REST bindings plus XML bodies.

Everything is driven by the botocore model except what S3's wire format itself requires and the
model does not say: the root element names of S3's responses, GetBucketLocation's bare
``<LocationConstraint>`` document, S3's ``<Error>`` body and its request-id headers.
"""

from __future__ import annotations

import base64
import threading
from typing import Any

from pycloud.protocol.errors import ServiceError
from pycloud.protocol.message import HttpResponse
from pycloud.protocol.model import ServiceModel
from pycloud.protocol.rest_common import Plan, RestProtocol
from pycloud.protocol.xml_util import (
    XmlError,
    decode_structure,
    decode_value,
    encode_element,
    escape_attr,
    escape_text,
    parse_xml,
)

XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
CONTENT_TYPE = "application/xml"

HTTP_STATUS_KEY = "__http_status__"
"""Output-dict member (never in a model) overriding the success status of a rest-xml answer."""

# S3 response documents whose root element name the botocore model does not carry.
_S3_ROOTS = {
    "CompleteMultipartUpload": "CompleteMultipartUploadResult",
    "CreateMultipartUpload": "InitiateMultipartUploadResult",
    "CreateSession": "CreateSessionResult",
    "DeleteObjects": "DeleteResult",
    "GetBucketAccelerateConfiguration": "AccelerateConfiguration",
    "GetBucketAcl": "AccessControlPolicy",
    "GetObjectAcl": "AccessControlPolicy",
    "GetBucketCors": "CORSConfiguration",
    "GetBucketLifecycle": "LifecycleConfiguration",
    "GetBucketLifecycleConfiguration": "LifecycleConfiguration",
    "GetBucketLocation": "LocationConstraint",
    "GetBucketLogging": "BucketLoggingStatus",
    "GetBucketNotification": "NotificationConfiguration",
    "GetBucketNotificationConfiguration": "NotificationConfiguration",
    "GetBucketRequestPayment": "RequestPaymentConfiguration",
    "GetBucketTagging": "Tagging",
    "GetObjectTagging": "Tagging",
    "GetBucketVersioning": "VersioningConfiguration",
    "GetBucketWebsite": "WebsiteConfiguration",
    "GetObjectAttributes": "GetObjectAttributesResponse",
    "ListBucketAnalyticsConfigurations": "ListBucketAnalyticsConfigurationResult",
    "ListBucketIntelligentTieringConfigurations": "ListBucketIntelligentTieringConfigurationsOutput",
    "ListBucketInventoryConfigurations": "ListInventoryConfigurationsResult",
    "ListBucketMetricsConfigurations": "ListMetricsConfigurationsResult",
    "ListBuckets": "ListAllMyBucketsResult",
    "ListDirectoryBuckets": "ListAllMyDirectoryBucketsResult",
    "ListMultipartUploads": "ListMultipartUploadsResult",
    "ListObjectVersions": "ListVersionsResult",
    "ListObjects": "ListBucketResult",
    "ListObjectsV2": "ListBucketResult",
    "ListParts": "ListPartsResult",
}

_namespaces: dict[str, str | None] = {}
_ns_lock = threading.Lock()


def service_namespace(service: ServiceModel) -> str | None:
    """The service's XML namespace (taken from the model's ``xmlNamespace`` declarations)."""
    if service.name in _namespaces:
        return _namespaces[service.name]
    with _ns_lock:
        found = service.metadata.get("xmlNamespace")
        if isinstance(found, dict):
            found = found.get("uri")
        if not found:
            refs = [op.get("input") or {} for op in service.operations.values()]
            refs += [ref for shape in service.shapes.values() for ref in shape.get("members", {}).values()]
            for ref in refs:
                ns = ref.get("xmlNamespace")
                if ns and ns.get("uri") and not ns.get("prefix"):
                    found = ns["uri"]
                    break
        _namespaces[service.name] = found
    return found


def _is_s3(service: ServiceModel) -> bool:
    return service.name == "s3"


def _fields_xml(fields: dict[str, Any], out: list[str]) -> None:
    for name, value in fields.items():
        if value is None:
            continue
        if isinstance(value, dict):
            out.append(f"<{name}>")
            _fields_xml(value, out)
            out.append(f"</{name}>")
        elif isinstance(value, (list, tuple)):
            for item in value:
                _fields_xml({name: item}, out)
        else:
            text = ("true" if value else "false") if isinstance(value, bool) else str(value)
            out.append(f"<{name}>{escape_text(text)}</{name}>")


def host_id(request_id: str) -> str:
    """S3's extended request id (``x-amz-id-2``/``HostId``): an opaque token derived from the
    request id (its bytes in base64; unique because the request id is)."""
    return base64.b64encode(request_id.encode()).decode("ascii")


class RestXmlProtocol(RestProtocol):
    """rest-xml: parse requests into params and render results/errors the way AWS does."""

    # --- hooks ---------------------------------------------------------------------------------

    def bad_value_error(self, service: ServiceModel, message: str) -> ServiceError:
        if _is_s3(service) or "InvalidInput" not in service.error_shapes:
            return ServiceError("InvalidArgument", message, 400)
        return ServiceError("InvalidInput", message, 400)

    @staticmethod
    def malformed_xml() -> ServiceError:
        """The error for a request body that is not well-formed (or not safe) XML."""
        message = "The XML you provided was not well-formed or did not validate against our published schema"
        return ServiceError("MalformedXML", message, 400)

    def _parse_root(self, body: bytes):
        try:
            return parse_xml(body)
        except XmlError as exc:
            raise self.malformed_xml() from exc

    def decode_body(self, service: ServiceModel, operation: str, plan: Plan, body: bytes) -> dict[str, Any]:
        root = self._parse_root(body)
        try:
            return decode_structure(service, plan.shape or {}, root)
        except XmlError as exc:
            raise self.malformed_xml() from exc

    def decode_payload(self, service: ServiceModel, plan: Plan, body: bytes) -> Any:
        root = self._parse_root(body)
        try:
            return decode_value(service, plan.payload_ref or {}, root)
        except XmlError as exc:
            raise self.malformed_xml() from exc

    def _root_ns(self, service: ServiceModel) -> str:
        ns = service_namespace(service)
        return f' xmlns="{escape_attr(ns)}"' if ns else ""

    def encode_body(
        self, service: ServiceModel, operation: str, plan: Plan, result: dict[str, Any]
    ) -> tuple[bytes, str | None]:
        if _is_s3(service) and operation == "GetBucketLocation":
            return self._bucket_location(service, result.get("LocationConstraint")), CONTENT_TYPE
        op = service.operation(operation)
        output_ref = op["output"]
        shape_name = output_ref["shape"]
        root = output_ref.get("locationName") or (plan.shape or {}).get("locationName")
        if not root and _is_s3(service):
            root = _S3_ROOTS.get(operation) or shape_name.removesuffix("Output") + "Result"
        out = [XML_DECLARATION]
        encode_element(service, output_ref, root or shape_name, result, out, self._root_ns(service))
        return "".join(out).encode("utf-8"), CONTENT_TYPE

    def encode_payload(self, service: ServiceModel, operation: str, plan: Plan, value: Any) -> tuple[bytes, str | None]:
        ref = plan.payload_ref or {}
        shape = plan.payload_shape or {}
        root = ref.get("locationName") or shape.get("locationName") or ref["shape"]
        out = [XML_DECLARATION]
        encode_element(service, ref, root, value, out, self._root_ns(service))
        return "".join(out).encode("utf-8"), CONTENT_TYPE

    def _bucket_location(self, service: ServiceModel, location: str | None) -> bytes:
        # S3 answers a bare element whose text is the region; us-east-1 is the empty element.
        ns = self._root_ns(service)
        if not location:
            return f"{XML_DECLARATION}<LocationConstraint{ns}/>".encode()
        return f"{XML_DECLARATION}<LocationConstraint{ns}>{escape_text(location)}</LocationConstraint>".encode()

    def request_id_headers(self, service: ServiceModel, request_id: str) -> list[tuple[str, str]]:
        if _is_s3(service):
            return [("x-amz-request-id", request_id), ("x-amz-id-2", host_id(request_id))]
        return [("x-amzn-RequestId", request_id)]

    def serialize(self, service: ServiceModel, operation: str, result: dict[str, Any], request_id: str) -> HttpResponse:
        response = super().serialize(service, operation, result, request_id)
        # S3's ranged/part reads answer 206 Partial Content, which the model has no statusCode member
        # for: the provider says so with the out-of-model ``HTTP_STATUS_KEY`` member.
        if result and result.get(HTTP_STATUS_KEY):
            response.status = int(result[HTTP_STATUS_KEY])
        return response

    # --- errors --------------------------------------------------------------------------------

    def serialize_error(
        self, service: ServiceModel, operation: str | None, error: ServiceError, request_id: str
    ) -> HttpResponse:
        """Render a ServiceError: S3's ``<Error>`` document, or ``<ErrorResponse>`` for other services."""
        response = HttpResponse(status=error.status)
        response.headers.extend(self.request_id_headers(service, request_id))
        response.headers.extend(self.error_headers(error))
        if self.is_head(service, operation):
            return response  # HEAD answers carry no body; clients read the status alone
        out = [XML_DECLARATION]
        if _is_s3(service):
            out.append(f"<Error><Code>{escape_text(error.code)}</Code><Message>{escape_text(error.message)}</Message>")
            _fields_xml(error.fields, out)
            out.append(
                f"<RequestId>{escape_text(request_id)}</RequestId><HostId>{host_id(request_id)}</HostId></Error>"
            )
        else:
            kind = "Sender" if error.sender_fault else "Receiver"
            out.append(f"<ErrorResponse{self._root_ns(service)}><Error><Type>{kind}</Type>")
            out.append(f"<Code>{escape_text(error.code)}</Code><Message>{escape_text(error.message)}</Message>")
            _fields_xml(error.fields, out)
            out.append(f"</Error><RequestId>{escape_text(request_id)}</RequestId></ErrorResponse>")
        response.headers.append(("Content-Type", CONTENT_TYPE))
        response.body = "".join(out).encode("utf-8")
        return response
