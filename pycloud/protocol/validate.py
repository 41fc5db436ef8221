"""Server-side input validation against the botocore model, answered the way each AWS family does.

* JSON-family services (awsJson, rest-json, rpc-v2-cbor) answer ``ValidationException`` and query
  services ``ValidationError``, both with the framework's message::

      2 validation errors detected: Value null at 'tableName' failed to satisfy constraint: Member
      must not be null; Value '0' at 'limit' failed to satisfy constraint: Member must have value
      greater than or equal to 1

  (member paths in lower camel case, list items as ``keySchema.1.member.keyType``).
* ec2 answers the first problem only: ``MissingParameter`` or ``InvalidParameterValue``.
* rest-xml (S3) runs no generic validation: S3 rejects bad input with its own specific errors,
  which its parser and provider raise.

Enum values are enforced only by JSON-family services that are not ``awsQueryCompatible``: query,
ec2 and query-compatible services accept unknown values at this layer (their providers answer
with service-specific errors such as SQS's ``InvalidAttributeName``).
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache
from typing import Any

from pycloud.protocol.errors import ServiceError, serialization_error
from pycloud.protocol.model import ServiceModel
from pycloud.protocol.shapes import FLOAT_TYPES, INTEGER_TYPES, lower_camel

_JSON_FAMILY = frozenset({"json", "rest-json", "smithy-rpc-v2-cbor"})
# Java-only regex syntax (surrogate pairs, Unicode classes, possessive quantifiers) that Python's
# ``re`` would misread; such patterns are not enforced rather than enforced wrongly.
_UNPORTABLE_PATTERN = re.compile(r"\\u[dD][89a-fA-F]|\\p\{|\\P\{|[*+?}]\+")


@lru_cache(maxsize=4096)
def _compiled(pattern: str) -> re.Pattern[str] | None:
    if _UNPORTABLE_PATTERN.search(pattern):
        return None
    try:
        return re.compile(pattern, re.DOTALL)
    except re.error:
        return None


def _render(value: Any) -> str:
    """A value the way the AWS validation framework prints it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (bytes, bytearray)):
        return f"java.nio.HeapByteBuffer[pos=0 lim={len(value)} cap={len(value)}]"
    if isinstance(value, list):
        return "[" + ", ".join(_render(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={_render(v)}" for k, v in value.items()) + "}"
    return str(value)


class _Checker:
    """Collects constraint violations of one params dict."""

    def __init__(self, service: ServiceModel, check_enums: bool, ec2: bool) -> None:
        self.service = service
        self.check_enums = check_enums
        self.ec2 = ec2
        self.problems: list[tuple[str, Any, str, bool]] = []  # (path, value, constraint, sensitive)
        self.missing: list[str] = []  # wire names of missing required members (ec2)
        self.type_errors: list[str] = []

    def fail(self, path: str, value: Any, constraint: str, sensitive: bool = False) -> None:
        self.problems.append((path, value, constraint, sensitive))

    def structure(self, shape: dict[str, Any], value: Any, path: str) -> None:
        if shape.get("document"):
            return
        if not isinstance(value, dict):
            self.type_errors.append(path)
            return
        members = shape.get("members", {})
        prefix = f"{path}." if path else ""
        for name in shape.get("required", ()):
            if value.get(name) is None and name in members:
                ref = members[name]
                self.missing.append(self._ec2_name(name, ref))
                self.fail(prefix + lower_camel(name), None, "Member must not be null")
        for name, member_value in value.items():
            ref = members.get(name)
            if ref is None or member_value is None:
                continue
            self.value(ref, self.service.shapes[ref["shape"]], member_value, prefix + lower_camel(name))

    @staticmethod
    def _ec2_name(name: str, ref: dict[str, Any]) -> str:
        if "queryName" in ref:
            return ref["queryName"]
        loc = ref.get("locationName")
        return loc[:1].upper() + loc[1:] if loc else name

    def value(self, ref: dict[str, Any], shape: dict[str, Any], value: Any, path: str) -> None:
        kind = shape["type"]
        sensitive = bool(shape.get("sensitive"))
        if kind == "structure":
            self.structure(shape, value, path)
            return
        if kind == "list":
            if not isinstance(value, list):
                self.type_errors.append(path)
                return
            self._length(shape, value, len(value), path, sensitive)
            member_ref = shape["member"]
            member_shape = self.service.shapes[member_ref["shape"]]
            for index, item in enumerate(value, 1):
                if item is not None:
                    self.value(member_ref, member_shape, item, f"{path}.{index}.member")
            return
        if kind == "map":
            if not isinstance(value, dict):
                self.type_errors.append(path)
                return
            self._length(shape, value, len(value), path, sensitive)
            shapes = self.service.shapes
            key_ref, value_ref = shape["key"], shape["value"]
            key_shape, value_shape = shapes[key_ref["shape"]], shapes[value_ref["shape"]]
            for key, item in value.items():
                self.value(key_ref, key_shape, key, f"{path}.{key}.key")
                if item is not None:
                    self.value(value_ref, value_shape, item, f"{path}.{key}.member")
            return
        self.scalar(shape, value, path, sensitive)

    def scalar(self, shape: dict[str, Any], value: Any, path: str, sensitive: bool) -> None:
        kind = shape["type"]
        if kind in ("string", "character"):
            if not isinstance(value, str):
                self.type_errors.append(path)
                return
            self._length(shape, value, len(value), path, sensitive)
            pattern = shape.get("pattern")
            if pattern:
                compiled = _compiled(pattern)
                if compiled is not None and compiled.fullmatch(value) is None:
                    self.fail(path, value, f"Member must satisfy regular expression pattern: {pattern}", sensitive)
            enum = shape.get("enum")
            if enum and self.check_enums and value not in enum:
                self.fail(path, value, f"Member must satisfy enum value set: [{', '.join(enum)}]", sensitive)
        elif kind in INTEGER_TYPES or kind in FLOAT_TYPES:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                self.type_errors.append(path)
                return
            if "min" in shape and value < shape["min"]:
                self.fail(path, value, f"Member must have value greater than or equal to {_num(shape['min'])}")
            if "max" in shape and value > shape["max"]:
                self.fail(path, value, f"Member must have value less than or equal to {_num(shape['max'])}")
        elif kind == "boolean":
            if not isinstance(value, bool):
                self.type_errors.append(path)
        elif kind == "blob":
            if isinstance(value, str):
                value = value.encode("utf-8")
            if not isinstance(value, (bytes, bytearray, memoryview)):
                return  # streaming payloads arrive as streams; their size is checked elsewhere
            self._length(shape, value, len(value), path, sensitive)
        elif kind == "timestamp" and not isinstance(value, datetime):
            self.type_errors.append(path)

    def _length(self, shape: dict[str, Any], value: Any, length: int, path: str, sensitive: bool) -> None:
        if "min" in shape and length < shape["min"]:
            self.fail(path, value, f"Member must have length greater than or equal to {_num(shape['min'])}", sensitive)
        if "max" in shape and length > shape["max"]:
            self.fail(path, value, f"Member must have length less than or equal to {_num(shape['max'])}", sensitive)


def _num(bound: float | int) -> str:
    return str(int(bound)) if float(bound).is_integer() else str(bound)


def _describe(path: str, value: Any, constraint: str, sensitive: bool) -> str:
    """One ``Value '...' at 'path' failed to satisfy constraint: ...`` clause."""
    if value is None:
        shown = " null" if not sensitive else ""
    else:
        shown = "" if sensitive else f" '{_render(value)}'"
    return f"Value{shown} at '{path}' failed to satisfy constraint: {constraint}"


def validate_params(service: ServiceModel, operation: str, params: dict[str, Any], protocol: str | None = None) -> None:
    """Check ``params`` of ``operation`` against the model; raise the family's ServiceError.

    Called by the dispatcher after parsing, for every protocol. ``protocol`` is the protocol the
    request arrived in (CloudWatch speaks three); it defaults to the service's own. Does nothing
    for rest-xml.
    """
    protocol = protocol or service.protocol
    if protocol == "rest-xml":
        return
    shape = service.input_shape(operation)
    if shape is None:
        return
    ec2 = protocol == "ec2"
    query_compatible = "awsQueryCompatible" in service.metadata
    checker = _Checker(service, check_enums=protocol in _JSON_FAMILY and not query_compatible, ec2=ec2)
    checker.structure(shape, params, "")
    if ec2:
        if checker.missing:
            raise ServiceError("MissingParameter", f"The request must contain the parameter {checker.missing[0]}", 400)
        if checker.type_errors:
            raise ServiceError("InvalidParameterValue", f"Invalid value for parameter {checker.type_errors[0]}", 400)
        if checker.problems:
            path, value, constraint, _ = checker.problems[0]
            raise ServiceError(
                "InvalidParameterValue", f"Value ({_render(value)}) for parameter {path} is invalid. {constraint}", 400
            )
        return
    if checker.type_errors:
        if protocol in _JSON_FAMILY:
            raise serialization_error(f"Invalid type for member '{checker.type_errors[0]}'.")
        checker.problems[:0] = [
            (path, None, "Member must be of the modeled type", True) for path in checker.type_errors
        ]
    if checker.problems:
        count = len(checker.problems)
        noun = "error" if count == 1 else "errors"
        message = f"{count} validation {noun} detected: " + "; ".join(
            _describe(*problem) for problem in checker.problems
        )
        code = "ValidationException" if protocol in _JSON_FAMILY else "ValidationError"
        raise ServiceError(code, message, 400)
