"""Condition operators: compile a statement's Condition block and test it against a request.

Semantics (IAM User Guide, "Condition operators" and "Multivalued context keys"):

* blocks AND together; within a block keys AND together; the values listed for a key OR together;
* a negated operator (``StringNotEquals``, ``NotIpAddress``...) is true when the context value
  matches *none* of the listed values;
* a key missing from the request makes a condition false, except that negated operators are then
  true, ``...IfExists`` is true, and ``Null`` tests exactly that absence;
* ``ForAnyValue:`` is true when at least one context value satisfies the operator (false when the
  key is missing or empty); ``ForAllValues:`` when every context value does (true when the key is
  missing or empty);
* without a set operator a multivalued context key is satisfied when any of its values is.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from .errors import PolicyError
from .matching import compile_arn_pattern, compile_wildcard
from .request import ContextView, as_text
from .variables import Template

Predicate = Callable[[Any], bool]
"""Tests one context value against one policy value."""


# --- value coercions -------------------------------------------------------------------------


def _to_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value).strip())
    except ValueError:
        return None


def _to_epoch(value: Any) -> float | None:
    """Seconds since the epoch for a datetime, an epoch number or an ISO 8601 string."""
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC).timestamp()
    number = _to_number(value)
    if number is not None:
        return number
    text = str(value).strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def _to_ip(value: Any) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    return _parse_ip(str(value).strip())


@lru_cache(maxsize=4096)
def _parse_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """Parsing addresses is slow in ipaddress and callers repeat (aws:SourceIp per client)."""
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _to_bytes(value: Any) -> bytes | None:
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    try:
        return base64.b64decode(str(value), validate=True)
    except (binascii.Error, ValueError):
        return None


# --- predicate factories: policy value text -> predicate over a context value -----------------


def _never(_: Any) -> bool:
    return False


def _string_equals(policy: str) -> Predicate:
    return lambda v: as_text(v) == policy


def _string_equals_ic(policy: str) -> Predicate:
    folded = policy.casefold()
    return lambda v: as_text(v).casefold() == folded


def _string_like(policy: str) -> Predicate:
    match = compile_wildcard(policy)
    return lambda v: match(as_text(v))


def _arn_like(policy: str) -> Predicate:
    match = compile_arn_pattern(policy)
    return lambda v: match(as_text(v))


def _bool(policy: str) -> Predicate:
    folded = policy.casefold()
    return lambda v: as_text(v).casefold() == folded


def _numeric(compare: Callable[[float, float], bool]) -> Callable[[str], Predicate]:
    def factory(policy: str) -> Predicate:
        bound = _to_number(policy)
        if bound is None:
            return _never

        def test(v: Any) -> bool:
            number = _to_number(v)
            return number is not None and compare(number, bound)

        return test

    return factory


def _date(compare: Callable[[float, float], bool]) -> Callable[[str], Predicate]:
    def factory(policy: str) -> Predicate:
        bound = _to_epoch(policy)
        if bound is None:
            return _never

        def test(v: Any) -> bool:
            when = _to_epoch(v)
            return when is not None and compare(when, bound)

        return test

    return factory


def _ip(policy: str) -> Predicate:
    try:
        network = ipaddress.ip_network(policy.strip(), strict=False)
    except ValueError:
        return _never

    def test(v: Any) -> bool:
        address = _to_ip(v)
        return address is not None and address.version == network.version and address in network

    return test


def _binary(policy: str) -> Predicate:
    expected = _to_bytes(policy)
    if expected is None:
        return _never
    return lambda v: _to_bytes(v) == expected


_EQ = float.__eq__
_LT = float.__lt__
_LE = float.__le__
_GT = float.__gt__
_GE = float.__ge__

# base operator -> (predicate factory, negated, supports policy variables, variable rendering is a pattern)
_OPERATORS: dict[str, tuple[Callable[[str], Predicate], bool, bool, bool]] = {
    "StringEquals": (_string_equals, False, True, False),
    "StringNotEquals": (_string_equals, True, True, False),
    "StringEqualsIgnoreCase": (_string_equals_ic, False, True, False),
    "StringNotEqualsIgnoreCase": (_string_equals_ic, True, True, False),
    "StringLike": (_string_like, False, True, True),
    "StringNotLike": (_string_like, True, True, True),
    "NumericEquals": (_numeric(_EQ), False, False, False),
    "NumericNotEquals": (_numeric(_EQ), True, False, False),
    "NumericLessThan": (_numeric(_LT), False, False, False),
    "NumericLessThanEquals": (_numeric(_LE), False, False, False),
    "NumericGreaterThan": (_numeric(_GT), False, False, False),
    "NumericGreaterThanEquals": (_numeric(_GE), False, False, False),
    "DateEquals": (_date(_EQ), False, False, False),
    "DateNotEquals": (_date(_EQ), True, False, False),
    "DateLessThan": (_date(_LT), False, False, False),
    "DateLessThanEquals": (_date(_LE), False, False, False),
    "DateGreaterThan": (_date(_GT), False, False, False),
    "DateGreaterThanEquals": (_date(_GE), False, False, False),
    "Bool": (_bool, False, True, False),
    "BinaryEquals": (_binary, False, False, False),
    "IpAddress": (_ip, False, False, False),
    "NotIpAddress": (_ip, True, False, False),
    "ArnEquals": (_arn_like, False, True, True),
    "ArnLike": (_arn_like, False, True, True),
    "ArnNotEquals": (_arn_like, True, True, True),
    "ArnNotLike": (_arn_like, True, True, True),
}
_OPERATORS_FOLDED = {name.casefold(): name for name in [*_OPERATORS, "Null"]}


def _json_value_text(value: Any) -> str:
    """Condition values may be JSON strings, numbers or booleans; IAM compares their text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value)
    raise PolicyError("Syntax errors in policy.")


class Condition:
    """One operator applied to one key with its list of values."""

    __slots__ = (
        "operator", "base", "key", "set_op", "if_exists", "negated", "values",
        "_static", "_templates", "_factory", "_pattern",
    )  # fmt: skip

    def __init__(self, operator: str, key: str, raw_values: Any, variables: bool) -> None:
        self.operator = operator
        self.key = key.casefold()
        name = operator
        self.set_op: str | None = None
        prefix, sep, rest = operator.partition(":")
        if sep:
            folded_prefix = prefix.casefold()
            if folded_prefix not in ("forallvalues", "foranyvalue"):
                raise PolicyError(f"Invalid Condition type : {operator}")
            self.set_op = "all" if folded_prefix == "forallvalues" else "any"
            name = rest
        self.if_exists = name.casefold().endswith("ifexists")
        if self.if_exists:
            name = name[: -len("IfExists")]
        base = _OPERATORS_FOLDED.get(name.casefold())
        if base is None:
            raise PolicyError(f"Invalid Condition type : {operator}")
        self.base = base
        if ":" not in key:
            raise PolicyError("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.")
        values = raw_values if isinstance(raw_values, list) else [raw_values]
        self.values = tuple(_json_value_text(v) for v in values)
        if base == "Null":
            self.negated = False
            self._factory = None
            self._pattern = False
            self._static: tuple[Predicate, ...] = ()
            self._templates: tuple[Template, ...] = ()
            return
        factory, self.negated, supports_vars, self._pattern = _OPERATORS[base]
        self._factory = factory
        templates = [Template(v, variables and supports_vars) for v in self.values]
        self._static = tuple(factory(t.text) for t in templates if not t.has_variables)
        self._templates = tuple(t for t in templates if t.has_variables)

    def _predicates(self, ctx: ContextView) -> list[Predicate] | tuple[Predicate, ...]:
        if not self._templates:
            return self._static
        preds = list(self._static)
        assert self._factory is not None
        for template in self._templates:
            text = template.render(ctx.single, self._pattern)
            if text is not None:  # an unresolvable variable matches nothing
                preds.append(self._factory(text))
        return preds

    def holds(self, ctx: ContextView) -> bool:
        """True if this condition is satisfied by the request context."""
        present = ctx.get(self.key)
        if self.base == "Null":
            is_null = not present
            return any((v.casefold() == "true") == is_null for v in self.values if v.casefold() in ("true", "false"))
        if present is None:
            if self.if_exists:
                return True
            if self.set_op == "all":
                return True
            if self.set_op == "any":
                return False
            return self.negated
        preds = self._predicates(ctx)
        negated = self.negated

        def satisfied(value: Any) -> bool:
            hit = any(p(value) for p in preds)
            return not hit if negated else hit

        if self.set_op == "all":
            return all(satisfied(v) for v in present)
        if self.set_op == "any":
            return any(satisfied(v) for v in present)
        if negated:
            # A single-valued negation: no context value equals any listed value.
            return not any(p(v) for v in present for p in preds)
        return any(p(v) for v in present for p in preds)


def compile_conditions(block: Any, variables: bool) -> tuple[Condition, ...]:
    """Compile a statement's ``Condition`` element; raises PolicyError when malformed."""
    if not isinstance(block, dict):
        raise PolicyError("Syntax errors in policy.")
    conditions: list[Condition] = []
    for operator, keys in block.items():
        if not isinstance(keys, dict) or not isinstance(operator, str):
            raise PolicyError("Syntax errors in policy.")
        for key, values in keys.items():
            if isinstance(values, list) and not values:
                raise PolicyError("Syntax errors in policy.")
            conditions.append(Condition(operator, key, values, variables))
    return tuple(conditions)


def conditions_hold(conditions: tuple[Condition, ...], ctx: ContextView) -> bool:
    """All conditions of a statement hold (an empty block always holds)."""
    return all(c.holds(ctx) for c in conditions)
