"""Subscription filter policies: validation (with SNS's limits and messages) and matching.

A policy is compiled once into a tree of :class:`_Object` nodes whose leaves are lists of
conditions; a message matches when every key of an object matches (``$or`` branches add "any of
these objects"), and a key matches when any of its conditions matches any of the key's values.

Two scopes: ``MessageAttributes`` (flat: attribute name → conditions; String, String.Array and
Number attributes take part, Binary ones are invisible) and ``MessageBody`` (the message must be a
JSON object; nested policy objects walk nested keys, arrays in the message are flattened).
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from pycloud.services.sns.errors import invalid_parameter

MAX_KEYS = 5
MAX_COMBINATIONS = 150
MAX_POLICY_BYTES = 256 * 1024
NUMERIC_LIMIT = 1e9
SCOPES = ("MessageAttributes", "MessageBody")

_MISSING = object()
_RANGE_LOW = {">": False, ">=": True}
_RANGE_HIGH = {"<": False, "<=": True}


class FilterPolicyError(ValueError):
    """A malformed policy; the message follows ``Invalid parameter: FilterPolicy: ``."""


def _number(value: Any) -> float | None:
    """A JSON number as SNS compares it (five decimal digits), or None for anything else."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return round(float(value), 5)


# -- conditions ------------------------------------------------------------------------------------

Condition = Callable[[Any], bool]
"""A test of one present value (strings, numbers, booleans or None, as JSON decodes them)."""


def _exact(expected: Any) -> Condition:
    if expected is None or isinstance(expected, bool):
        return lambda v: v is expected
    if isinstance(expected, str):
        return lambda v: isinstance(v, str) and v == expected
    target = _number(expected)
    return lambda v: _number(v) == target


def _anything_but(spec: Any) -> Condition:
    if isinstance(spec, dict):
        if len(spec) != 1:
            raise FilterPolicyError("Value of anything-but must be an array or single string/number value.")
        (kind, operand), = spec.items()
        if kind not in ("prefix", "suffix"):
            raise FilterPolicyError(f"Unsupported anything-but pattern: {kind}")
        if not isinstance(operand, str) or not operand:
            raise FilterPolicyError(f"Value of {kind} must be a non-empty string")
        if kind == "prefix":
            return lambda v: isinstance(v, str) and not v.startswith(operand)
        return lambda v: isinstance(v, str) and not v.endswith(operand)
    items = spec if isinstance(spec, list) else [spec]
    if not items:
        raise FilterPolicyError("Empty arrays are not allowed")
    strings: set[str] = set()
    numbers: set[float] = set()
    for item in items:
        if isinstance(item, str):
            strings.add(item)
        elif _number(item) is not None:
            numbers.add(_number(item))  # type: ignore[arg-type]
        else:
            raise FilterPolicyError("Value of anything-but must be an array or single string/number value.")
    if strings and numbers:
        raise FilterPolicyError("Inside anything but list, mixed string and number values are not supported.")

    def test(value: Any) -> bool:
        if isinstance(value, str):
            return value not in strings
        number = _number(value)
        if number is not None:
            return number not in numbers
        return True

    return test


def _numeric(spec: Any) -> Condition:
    if not isinstance(spec, list) or not spec:
        raise FilterPolicyError("Value of numeric must be an array.")
    if len(spec) % 2 or len(spec) > 4:
        raise FilterPolicyError("Too many elements in numeric expression" if len(spec) > 4 else "Value of numeric must be an array of operator and value pairs.")
    low: tuple[float, bool] | None = None
    high: tuple[float, bool] | None = None
    equal: float | None = None
    for i in range(0, len(spec), 2):
        op, raw = spec[i], spec[i + 1]
        if not isinstance(op, str) or op not in ("=", *_RANGE_LOW, *_RANGE_HIGH):
            raise FilterPolicyError(f"Unrecognized numeric range operator: {op}")
        value = _number(raw)
        if value is None:
            raise FilterPolicyError(f"Value of {op} must be numeric")
        if not -NUMERIC_LIMIT <= value <= NUMERIC_LIMIT:
            raise FilterPolicyError(f"Value of {op} must be between -1.0E9 and 1.0E9 inclusive")
        if op == "=":
            if len(spec) != 2:
                raise FilterPolicyError("Bad numeric range operator: =")
            equal = value
        elif op in _RANGE_LOW:
            if low is not None or high is not None:
                raise FilterPolicyError(f"Bad numeric range operator: {op}")
            low = (value, _RANGE_LOW[op])
        else:
            if high is not None:
                raise FilterPolicyError(f"Bad numeric range operator: {op}")
            high = (value, _RANGE_HIGH[op])
    if low is not None and high is not None and low[0] >= high[0]:
        raise FilterPolicyError("Bottom must be less than top")

    def test(value: Any) -> bool:
        number = _number(value)
        if number is None:
            return False
        if equal is not None:
            return number == equal
        if low is not None and not (number >= low[0] if low[1] else number > low[0]):
            return False
        return high is None or (number <= high[0] if high[1] else number < high[0])

    return test


def _cidr(spec: Any) -> Condition:
    if not isinstance(spec, str):
        raise FilterPolicyError("cidr match pattern must be a string")
    if "/" not in spec:
        raise FilterPolicyError("Malformed CIDR, one '/' required")
    try:
        network = ipaddress.ip_network(spec, strict=False)
    except ValueError:
        raise FilterPolicyError(f"Nonstandard IP address: {spec.split('/', 1)[0]}") from None

    def test(value: Any) -> bool:
        if not isinstance(value, str):
            return False
        try:
            return ipaddress.ip_address(value) in network
        except ValueError:
            return False

    return test


def _string_operand(kind: str, spec: Any) -> str:
    if not isinstance(spec, str):
        raise FilterPolicyError(f"{kind} match pattern must be a string")
    return spec


@dataclass
class _Leaf:
    """The conditions on one key: any condition matching any value of the key matches."""

    conditions: list[Condition] = field(default_factory=list)
    exists: bool | None = None
    """``{"exists": true|false}``: whether the key's presence (or absence) also matches."""

    def matches(self, values: list[Any], present: bool) -> bool:
        if self.exists is not None and self.exists == present:
            return True
        return present and any(test(v) for v in values for test in self.conditions)


def _compile_leaf(values: list[Any]) -> _Leaf:
    if not values:
        raise FilterPolicyError("Empty arrays are not allowed")
    leaf = _Leaf()
    for item in values:
        if isinstance(item, dict):
            _compile_operator(item, leaf)
        elif isinstance(item, list):
            raise FilterPolicyError("Match value must be String, number, true, false, or null")
        else:
            if _number(item) is not None and not -NUMERIC_LIMIT <= _number(item) <= NUMERIC_LIMIT:  # type: ignore[operator]
                raise FilterPolicyError("Match value must be a number between -1.0E9 and 1.0E9 inclusive")
            leaf.conditions.append(_exact(item))
    return leaf


def _compile_operator(item: dict[str, Any], leaf: _Leaf) -> None:
    if len(item) != 1:
        raise FilterPolicyError("Only one key allowed in match expression" if item else "Empty objects are not allowed")
    (kind, spec), = item.items()
    if kind == "prefix":
        operand = _string_operand("prefix", spec)
        leaf.conditions.append(lambda v: isinstance(v, str) and v.startswith(operand))
    elif kind == "suffix":
        operand = _string_operand("suffix", spec)
        leaf.conditions.append(lambda v: isinstance(v, str) and v.endswith(operand))
    elif kind == "equals-ignore-case":
        lowered = _string_operand("equals-ignore-case", spec).lower()
        leaf.conditions.append(lambda v: isinstance(v, str) and v.lower() == lowered)
    elif kind == "anything-but":
        leaf.conditions.append(_anything_but(spec))
    elif kind == "numeric":
        leaf.conditions.append(_numeric(spec))
    elif kind == "cidr":
        leaf.conditions.append(_cidr(spec))
    elif kind == "exists":
        if not isinstance(spec, bool):
            raise FilterPolicyError("exists match pattern must be either true or false.")
        leaf.exists = spec
    else:
        raise FilterPolicyError(f"Unrecognized match type {kind}")


# -- the policy tree -------------------------------------------------------------------------------


@dataclass
class _Object:
    """A policy object: every key must match, and one of each ``$or`` group's branches."""

    leaves: dict[str, _Leaf] = field(default_factory=dict)
    children: dict[str, _Object] = field(default_factory=dict)
    ors: list[list[_Object]] = field(default_factory=list)


def _compile_object(obj: dict[str, Any], nested: bool, path: tuple[str, ...], keys: set[tuple[str, ...]]) -> _Object:
    if not obj:
        raise FilterPolicyError("Empty objects are not allowed")
    node = _Object()
    for key, value in obj.items():
        if key == "$or":
            if not isinstance(value, list) or len(value) < 2 or not all(isinstance(b, dict) for b in value):
                raise FilterPolicyError("$or must be an array of at least 2 objects")
            node.ors.append([_compile_object(branch, nested, path, keys) for branch in value])
        elif isinstance(value, list):
            node.leaves[key] = _compile_leaf(value)
            keys.add((*path, key))
        elif isinstance(value, dict):
            if not nested:
                raise _NestedInAttributes()
            node.children[key] = _compile_object(value, nested, (*path, key), keys)
        else:
            raise FilterPolicyError(f'"{key}" must be an object or an array')
    return node


class _NestedInAttributes(Exception):
    """A nested object in a MessageAttributes-scope policy (its own message, without the prefix)."""


def _combinations(node: _Object, raw: dict[str, Any]) -> int:
    """The policy's value combinations: the product of its arrays' lengths (``$or`` branches add)."""
    total = 1
    for key, value in raw.items():
        if key == "$or":  # a JSON object holds one "$or" key at most: node.ors has one group
            total *= sum(_combinations(c, b) for c, b in zip(node.ors[0], value, strict=True))
        elif isinstance(value, list):
            total *= len(value)
        elif isinstance(value, dict):
            total *= _combinations(node.children[key], value)
    return total


# -- matching --------------------------------------------------------------------------------------


def _flatten(values: Iterable[Any]) -> list[Any]:
    out: list[Any] = []
    for value in values:
        if isinstance(value, list):
            out.extend(_flatten(value))
        else:
            out.append(value)
    return out


def _match_body(node: _Object, docs: list[Any]) -> bool:
    """Whether the JSON objects ``docs`` (one level of a message body, arrays flattened) match."""
    objects = [d for d in docs if isinstance(d, dict)]
    for key, leaf in node.leaves.items():
        raw = [d[key] for d in objects if key in d]
        values = _flatten(raw)
        present = bool(raw) and not all(isinstance(v, (dict, list)) and not v for v in raw)
        if not leaf.matches([v for v in values if not isinstance(v, dict)], present):
            return False
    for key, child in node.children.items():
        if not _match_body(child, _flatten(d[key] for d in objects if key in d)):
            return False
    return all(any(_match_body(branch, docs) for branch in group) for group in node.ors)


def attribute_values(attribute: dict[str, Any]) -> list[Any] | None:
    """The values a message attribute offers to a filter (None: the attribute takes no part)."""
    data_type = str(attribute.get("DataType", ""))
    text = attribute.get("StringValue")
    if data_type.startswith("Binary") or text is None:
        return None
    if data_type.startswith("Number"):
        try:
            return [float(text)]
        except ValueError:
            return None
    if data_type.startswith("String.Array"):
        try:
            parsed = json.loads(text)
        except ValueError:
            return [text]
        return [v for v in parsed if not isinstance(v, (dict, list))] if isinstance(parsed, list) else [text]
    return [text]


def _match_attributes(node: _Object, attributes: dict[str, list[Any]]) -> bool:
    for key, leaf in node.leaves.items():
        values = attributes.get(key)
        if not leaf.matches(values or [], values is not None):
            return False
    return all(any(_match_attributes(branch, attributes) for branch in group) for group in node.ors)


@dataclass
class FilterPolicy:
    """A validated, compiled filter policy for one scope."""

    scope: str
    root: _Object

    def matches(self, message: str, attributes: dict[str, dict[str, Any]]) -> bool:
        """Whether a published message (its text and its MessageAttributes) passes the filter."""
        if self.scope == "MessageBody":
            try:
                body = json.loads(message)
            except ValueError:
                return False
            return isinstance(body, dict) and _match_body(self.root, [body])
        values: dict[str, list[Any]] = {}
        for name, attribute in attributes.items():
            offered = attribute_values(attribute)
            if offered is not None:
                values[name] = offered
        return _match_attributes(self.root, values)


def compile_policy(text: str, scope: str = "MessageAttributes") -> FilterPolicy:
    """Validate and compile a policy; raises ``InvalidParameter`` with SNS's message when malformed."""
    prefix = "Invalid parameter: FilterPolicy: "
    if len(text.encode("utf-8")) > MAX_POLICY_BYTES:
        raise invalid_parameter(prefix + "Filter policy is too long")
    try:
        raw = json.loads(text)
    except ValueError as exc:
        raise invalid_parameter(prefix + f"failed to parse JSON. {exc}") from None
    if not isinstance(raw, dict):
        raise invalid_parameter(prefix + "Filter policy must be a JSON object")
    keys: set[tuple[str, ...]] = set()
    try:
        root = _compile_object(raw, scope == "MessageBody", (), keys)
        if len(keys) > MAX_KEYS:
            raise FilterPolicyError(f"Filter policy can not have more than {MAX_KEYS} keys")
        if _combinations(root, raw) > MAX_COMBINATIONS:
            raise FilterPolicyError("Filter policy is too complex")
    except FilterPolicyError as exc:
        raise invalid_parameter(prefix + str(exc)) from None
    except _NestedInAttributes:
        raise invalid_parameter("Invalid parameter: Filter policy scope MessageAttributes does not support nested filter policy") from None
    return FilterPolicy(scope, root)


def validate_policy(text: str, scope: str = "MessageAttributes") -> None:
    """Raise ``InvalidParameter`` unless ``text`` is a valid policy for ``scope``."""
    compile_policy(text, scope)
