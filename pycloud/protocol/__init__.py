"""Wire protocols: botocore-model-driven parsers and serializers, one per AWS protocol.

Each protocol module defines a class with the same three methods::

    parse(service, operation, request, labels=None) -> dict          # wire → params
    serialize(service, operation, result, request_id) -> HttpResponse  # output dict → wire
    serialize_error(service, operation, error, request_id) -> HttpResponse

``get_protocol(name)`` returns the (stateless, shared) instance for a botocore protocol name.
"""

from __future__ import annotations

import importlib
from typing import Any

_PROTOCOL_CLASSES = {
    "query": "pycloud.protocol.query:QueryProtocol",
    "ec2": "pycloud.protocol.ec2:Ec2Protocol",
    "json": "pycloud.protocol.json_rpc:JsonProtocol",
    "smithy-rpc-v2-cbor": "pycloud.protocol.cbor_rpc:CborProtocol",
    "rest-json": "pycloud.protocol.rest_json:RestJsonProtocol",
    "rest-xml": "pycloud.protocol.rest_xml:RestXmlProtocol",
}
_instances: dict[str, Any] = {}


def get_protocol(name: str) -> Any:
    """The protocol implementation for a botocore protocol name (``query``, ``rest-xml``...)."""
    proto = _instances.get(name)
    if proto is None:
        module_name, _, class_name = _PROTOCOL_CLASSES[name].partition(":")
        proto = getattr(importlib.import_module(module_name), class_name)()
        _instances[name] = proto
    return proto
