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

Every request first runs a *fast check* compiled once per (model, shape, enum policy): a closure
that only answers whether the value is clean, building no paths and no error objects. Only when
it says no does the generic walk (``_Checker``) run, and that walk alone decides the error, so
the fast check can never change what is reported, only how quickly clean input gets through.
"""

from __future__ import annotations

import math
import re
import threading
import weakref
from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple

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


# --- fast checks -------------------------------------------------------------------------------

Check = Callable[[Any], bool]
"""A compiled fast check: True when the value has no problem at all."""

_BLOB_TYPES = (bytes, bytearray, memoryview)
_NUMBER_TYPES = (int, float)


def _never(value: Any) -> bool:
    """The check of a shape the compiler could not read: leave every verdict to the generic walk."""
    return False


def _always(value: Any) -> bool:
    return True


def _is_str(value: Any) -> bool:
    return isinstance(value, str)


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool)


def _is_datetime(value: Any) -> bool:
    return isinstance(value, datetime)


# Checks that are nothing but an isinstance test, and the type they test.
_TYPE_ONLY: dict[Check, type] = {_is_str: str, _is_bool: bool, _is_datetime: datetime}


def _bounds(shape: dict[str, Any]) -> tuple[Any, Any] | None:
    """(min, max) for comparisons, infinite where absent; None when the shape has neither.

    The model's values are used as they are, so a bound that cannot be compared raises here as it
    would in the generic walk (and the fast check then defers to it).
    """
    if "min" not in shape and "max" not in shape:
        return None
    return shape["min"] if "min" in shape else -math.inf, shape["max"] if "max" in shape else math.inf


class _Compiler:
    """Builds the fast checks of one model's shapes under one enum policy, each shape once.

    A shape's check is built when first asked for; a shape reached again while its own check is
    being built (a recursive shape) gets a forwarder that calls the finished check, so compiling
    never recurses forever. ``None`` stands for a check that always passes (documents, types
    with nothing to check), which callers skip.
    """

    def __init__(self, shapes: dict[str, dict[str, Any]], check_enums: bool) -> None:
        self.shapes = shapes
        self.check_enums = check_enums
        self.built: dict[str, Check | None] = {}

    def check(self, name: str) -> Check | None:
        """The fast check of shape ``name`` (None: always passes)."""
        if name in self.built:
            return self.built[name]
        cell: list[Check | None] = []

        def forward(value: Any) -> bool:
            target = cell[0]
            return target is None or target(value)

        self.built[name] = forward
        try:
            compiled = self._build(self.shapes[name])
        except Exception:  # noqa: BLE001 - a malformed shape: the generic walk reports whatever it finds
            compiled = _never
        cell.append(compiled)
        self.built[name] = compiled
        return compiled

    def _build(self, shape: dict[str, Any]) -> Check | None:
        kind = shape["type"]
        if kind == "structure":
            return self._structure(shape)
        if kind == "list":
            return self._list(shape)
        if kind == "map":
            return self._map(shape)
        if kind in ("string", "character"):
            return self._string(shape)
        if kind in INTEGER_TYPES or kind in FLOAT_TYPES:
            return self._number(shape)
        if kind == "boolean":
            return _is_bool
        if kind == "blob":
            return self._blob(shape)
        if kind == "timestamp":
            return _is_datetime
        return None

    def _structure(self, shape: dict[str, Any]) -> Check | None:
        if shape.get("document"):
            return None
        members = shape.get("members", {})
        required = tuple(name for name in shape.get("required", ()) if name in members)
        # Members whose whole check is an isinstance test are tested inline: no call per member.
        typed: dict[str, type] = {}
        checks: dict[str, Check] = {}
        for name, ref in members.items():
            member = self.check(ref["shape"])
            if member is None:
                continue
            plain = _TYPE_ONLY.get(member)
            if plain is not None:
                typed[name] = plain
            else:
                checks[name] = member
        type_of, check_of = typed.get, checks.get

        def check(value: Any) -> bool:
            if not isinstance(value, dict):
                return False
            for name in required:
                if value.get(name) is None:
                    return False
            for name, item in value.items():
                if item is not None:
                    plain = type_of(name)
                    if plain is not None:
                        if not isinstance(item, plain):
                            return False
                    else:
                        member = check_of(name)
                        if member is not None and not member(item):
                            return False
            return True

        return check

    def _list(self, shape: dict[str, Any]) -> Check:
        bounds = _bounds(shape)
        lo, hi = bounds or (None, None)
        item_check = self.check(shape["member"]["shape"])

        def check(value: Any) -> bool:
            if not isinstance(value, list):
                return False
            if bounds is not None:
                length = len(value)
                if length < lo or length > hi:
                    return False
            if item_check is not None:
                for item in value:
                    if item is not None and not item_check(item):
                        return False
            return True

        return check

    def _map(self, shape: dict[str, Any]) -> Check:
        bounds = _bounds(shape)
        lo, hi = bounds or (None, None)
        key_check = self.check(shape["key"]["shape"]) or _always
        value_check = self.check(shape["value"]["shape"]) or _always

        def check(value: Any) -> bool:
            if not isinstance(value, dict):
                return False
            if bounds is not None:
                length = len(value)
                if length < lo or length > hi:
                    return False
            for key, item in value.items():
                if not key_check(key) or (item is not None and not value_check(item)):
                    return False
            return True

        return check

    def _string(self, shape: dict[str, Any]) -> Check:
        bounds = _bounds(shape)
        lo, hi = bounds or (None, None)
        pattern = shape.get("pattern")
        compiled = _compiled(pattern) if pattern else None
        match = compiled.fullmatch if compiled is not None else None
        enum = shape.get("enum")
        allowed = frozenset(enum) if enum and self.check_enums else None
        if bounds is None and match is None and allowed is None:
            return _is_str

        def check(value: Any) -> bool:
            if not isinstance(value, str):
                return False
            if bounds is not None:
                length = len(value)
                if length < lo or length > hi:
                    return False
            if match is not None and match(value) is None:
                return False
            return allowed is None or value in allowed

        return check

    def _number(self, shape: dict[str, Any]) -> Check:
        bounds = _bounds(shape)
        lo, hi = bounds or (None, None)

        def check(value: Any) -> bool:
            if isinstance(value, bool) or not isinstance(value, _NUMBER_TYPES):
                return False
            # Written as the generic walk compares, so NaN passes both bounds alike.
            return bounds is None or not (value < lo or value > hi)

        return check

    def _blob(self, shape: dict[str, Any]) -> Check:
        bounds = _bounds(shape)
        lo, hi = bounds or (None, None)

        def check(value: Any) -> bool:
            if isinstance(value, str):
                if bounds is None:
                    if not value.isascii():
                        value.encode("utf-8")  # raises where the generic walk would (lone surrogates)
                    return True
                value = value.encode("utf-8")
            if bounds is None or not isinstance(value, _BLOB_TYPES):
                return True  # streaming payloads arrive as streams; their size is checked elsewhere
            length = len(value)
            return not (length < lo or length > hi)

        return check


class _Plan(NamedTuple):
    """What the generic walk of one operation's input in one protocol takes; ``shape`` None: nothing."""

    shape: dict[str, Any] | None
    protocol: str
    check_enums: bool
    ec2: bool


class _ModelChecks:
    """The compilers and per-operation plans of one service model.

    It holds the model's shapes, never the model itself, so the model can still be collected
    (which drops this record: see ``_checks_of``).
    """

    def __init__(self, shapes: dict[str, dict[str, Any]]) -> None:
        self.compilers = {flag: _Compiler(shapes, flag) for flag in (False, True)}
        self.plans: dict[tuple[str, str | None], _Plan] = {}
        # (operation, protocol) -> the fast check of its input (``_always`` when nothing to check)
        self.fast: dict[tuple[str, str | None], Check] = {}


_checks_lock = threading.Lock()
_model_checks: dict[int, _ModelChecks] = {}


def _checks_of(service: ServiceModel) -> _ModelChecks:
    checks = _model_checks.get(id(service))
    if checks is None:
        with _checks_lock:
            checks = _model_checks.get(id(service))
            if checks is None:
                checks = _ModelChecks(service.shapes)
                _model_checks[id(service)] = checks
                # Forget the record when the model goes, before its id can be reused.
                weakref.finalize(service, _model_checks.pop, id(service), None)
    return checks


def enforces_enums(service: ServiceModel, protocol: str) -> bool:
    """Whether requests in ``protocol`` have their enum values checked at this layer."""
    return protocol in _JSON_FAMILY and "awsQueryCompatible" not in service.metadata


def compile_check(service: ServiceModel, shape_name: str, check_enums: bool) -> Check:
    """The fast check of a shape: True exactly when the generic walk would find no problem.

    Built once per model, shape and enum policy, then cached.
    """
    compiler = _checks_of(service).compilers[check_enums]
    with _checks_lock:
        check = compiler.check(shape_name)
    return check or _always


def _prepare(service: ServiceModel, checks: _ModelChecks, key: tuple[str, str | None]) -> Check:
    """Plan one (operation, protocol) of the model and return its fast check."""
    operation, protocol = key
    resolved = protocol or service.protocol
    if resolved == "rest-xml":
        check: Check | None = None
        plan = _Plan(None, resolved, False, False)
    else:
        shape = service.input_shape(operation)  # unknown operations raise KeyError, uncached
        check_enums = enforces_enums(service, resolved)
        check = None
        if shape is not None:
            with _checks_lock:
                check = checks.compilers[check_enums].check(service.operations[operation]["input"]["shape"])
        plan = _Plan(shape, resolved, check_enums, resolved == "ec2")
    checks.plans[key] = plan
    fast = checks.fast[key] = check or _always
    return fast


def validate_params(service: ServiceModel, operation: str, params: dict[str, Any], protocol: str | None = None) -> None:
    """Check ``params`` of ``operation`` against the model; raise the family's ServiceError.

    Called by the dispatcher after parsing, for every protocol. ``protocol`` is the protocol the
    request arrived in (CloudWatch speaks three); it defaults to the service's own. Does nothing
    for rest-xml.
    """
    checks = _model_checks.get(id(service)) or _checks_of(service)
    key = (operation, protocol)
    check = checks.fast.get(key) or _prepare(service, checks, key)
    try:
        if check(params):
            return
    except Exception:  # noqa: BLE001, S110 - any surprise is the generic walk's to report (or raise)
        pass
    _report(service, checks.plans[key], params)


def _report(service: ServiceModel, plan: _Plan, params: dict[str, Any]) -> None:
    """Walk ``params`` generically and raise the error its problems make, if any."""
    protocol, ec2 = plan.protocol, plan.ec2
    checker = _Checker(service, check_enums=plan.check_enums, ec2=ec2)
    checker.structure(plan.shape, params, "")
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
