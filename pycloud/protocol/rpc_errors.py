"""Error naming shared by the RPC protocols: modeled error shapes, query codes and JSON ``__type``.

A provider may raise a ServiceError with either the error *shape name* (``QueueDoesNotExist``,
``NoSuchEntityException``) or the legacy *query code* (``AWS.SimpleQueueService.NonExistentQueue``,
``NoSuchEntity``). ``describe_error`` finds the modeled shape either way and tells each protocol
which names and status to put on the wire.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pycloud.protocol.errors import ServiceError
from pycloud.protocol.model import ServiceModel

# Errors raised by the AWS request framework itself (not modeled per service) and their namespaces,
# as they appear in JSON ``__type`` values.
_FRAMEWORK_NAMESPACES = {
    "SerializationException": "com.amazon.coral.service",
    "UnknownOperationException": "com.amazon.coral.service",
    "AccessDeniedException": "com.amazon.coral.service",
    "IncompleteSignatureException": "com.amazon.coral.service",
    "InvalidSignatureException": "com.amazon.coral.service",
    "MissingAuthenticationTokenException": "com.amazon.coral.service",
    "UnrecognizedClientException": "com.amazon.coral.service",
    "InternalFailure": "com.amazon.coral.service",
    "ThrottlingException": "com.amazon.coral.availability",
    "ValidationException": "com.amazon.coral.validate",
}


@dataclass(frozen=True)
class ErrorNames:
    """How one error is named on the wire."""

    shape_name: str  # JSON/CBOR ``__type`` suffix
    query_code: str  # query/ec2 ``<Code>`` and the awsQueryCompatible header
    status: int
    sender_fault: bool
    shape: dict[str, Any] | None


_code_index: dict[int, dict[str, str]] = {}


def _shape_names_by_code(service: ServiceModel) -> dict[str, str]:
    """Error shape names by their ``error.code`` (query code), built once per model."""
    index = _code_index.get(id(service.shapes))
    if index is None:
        index = {
            (shape.get("error") or {}).get("code") or name: name
            for name, shape in service.shapes.items()
            if shape.get("exception")
        }
        _code_index[id(service.shapes)] = index
    return index


def _find_shape(service: ServiceModel, code: str) -> tuple[str, dict[str, Any]] | None:
    shape = service.shapes.get(code)
    if shape is not None and shape.get("exception"):
        return code, shape
    name = _shape_names_by_code(service).get(code)
    return (name, service.shapes[name]) if name is not None else None


def describe_error(service: ServiceModel, error: ServiceError) -> ErrorNames:
    """Wire names, status and fault side of ``error`` for ``service``.

    A modeled error takes its query code from the shape's ``error.code`` (awsQueryError) and its
    HTTP status and fault side from the model when the model states them.
    """
    found = _find_shape(service, error.code)
    if found is None:
        names = ErrorNames(error.code, error.code, error.status, error.sender_fault, None)
    else:
        shape_name, shape = found
        info = shape.get("error") or {}
        status = int(info.get("httpStatusCode") or error.status)
        if "senderFault" in info:
            sender_fault = bool(info["senderFault"])
        else:
            sender_fault = error.sender_fault and status < 500
        names = ErrorNames(shape_name, info.get("code") or shape_name, status, sender_fault, shape)
    # A provider can name the legacy query code the model no longer carries (SQS's
    # ``AWS.SimpleQueueService.NonExistentQueue``) the way AWS's JSON answers do: in the header.
    override = error.headers.get("x-amzn-query-error")
    if override:
        code, _, fault = override.partition(";")
        names = ErrorNames(names.shape_name, code, names.status, fault != "Receiver", names.shape)
    return names


def json_type(service: ServiceModel, shape_name: str) -> str:
    """The ``__type`` value of a JSON/CBOR error (``com.amazonaws.sqs#QueueDoesNotExist``)."""
    namespace = _FRAMEWORK_NAMESPACES.get(shape_name)
    if namespace is None:
        namespace = "com.amazonaws." + service.metadata.get("endpointPrefix", service.name)
    return f"{namespace}#{shape_name}"


def is_query_compatible(service: ServiceModel) -> bool:
    """Whether the service answers errors with the ``x-amzn-query-error`` header."""
    return "awsQueryCompatible" in service.metadata


def fault_text(sender_fault: bool) -> str:
    """``Sender`` or ``Receiver``, the query protocol's fault side."""
    return "Sender" if sender_fault else "Receiver"
