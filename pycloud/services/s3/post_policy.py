"""The policy document of an S3 browser POST upload: its parsing and its condition rules.

A POST policy is base64-encoded JSON ``{"expiration": ISO 8601, "conditions": [...]}``. Each
condition is an exact match (``{"field": "value"}`` or ``["eq", "$field", "value"]``), a prefix
match (``["starts-with", "$field", "prefix"]``; an empty prefix allows any value) or the file's
size range (``["content-length-range", min, max]``). Every form field except the exempt ones must
be named by some condition. Field names compare case-insensitively, values exactly; a condition on
a field the form does not carry sees the empty string. Nothing here reads a clock or a request.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pycloud.protocol.errors import ServiceError

EQ = "eq"
STARTS_WITH = "starts-with"
LENGTH_RANGE = "content-length-range"

EXEMPT_FIELDS = frozenset({"policy", "x-amz-signature", "signature", "awsaccesskeyid", "file"})
"""Form fields no condition has to name (the signature's own fields and the file)."""
IGNORED_PREFIX = "x-ignore-"
"""Form fields with this prefix are never checked against the policy."""


def invalid_policy(detail: str) -> ServiceError:
    """``InvalidPolicyDocument``: the policy is not a well-formed POST policy."""
    return ServiceError("InvalidPolicyDocument", f"Invalid Policy: {detail}", 400)


def policy_violation(detail: str) -> ServiceError:
    """``AccessDenied`` for a form the (well-formed) policy does not allow."""
    return ServiceError("AccessDenied", f"Invalid according to Policy: {detail}", 403)


@dataclass(frozen=True)
class Condition:
    """One ``eq`` or ``starts-with`` condition on a form field (``field`` lower-case, no ``$``)."""

    operator: str
    field: str
    value: str

    def matches(self, fields: Mapping[str, str]) -> bool:
        """Whether the form (lower-case field names → values) satisfies this condition."""
        actual = fields.get(self.field, "")
        if self.operator == EQ:
            return actual == self.value
        if self.field == "content-type" and "," in actual:
            # a list of content types: each one must carry the prefix
            return all(item.strip().startswith(self.value) for item in actual.split(","))
        return actual.startswith(self.value)

    def describe(self) -> str:
        """The condition as S3 quotes it in its error message: ``["eq", "$key", "a.txt"]``."""
        return json.dumps([self.operator, f"${self.field}", self.value])


@dataclass(frozen=True)
class PostPolicy:
    """A parsed POST policy."""

    expiration: datetime
    conditions: tuple[Condition, ...]
    length_range: tuple[int, int] | None = None
    """Inclusive (min, max) file size from ``content-length-range`` conditions, if any."""

    def covered_fields(self) -> frozenset[str]:
        """The (lower-case) field names some condition names."""
        return frozenset(c.field for c in self.conditions)


def decode_policy(encoded: str) -> PostPolicy:
    """Parse the form's base64 ``policy`` field; ``InvalidPolicyDocument`` when it is malformed."""
    try:
        raw = base64.b64decode(encoded.strip(), validate=True)
        document = json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError):
        raise invalid_policy("Invalid JSON.") from None
    if not isinstance(document, dict):
        raise invalid_policy("Invalid JSON.")
    if "expiration" not in document:
        raise invalid_policy("Policy missing expiration.")
    expiration = _expiration(document["expiration"])
    items = document.get("conditions")
    if items is None:
        raise invalid_policy("Policy missing conditions.")
    if not isinstance(items, list):
        raise invalid_policy("Invalid 'conditions' value: must be a list.")
    conditions: list[Condition] = []
    length_range: tuple[int, int] | None = None
    for item in items:
        if isinstance(item, dict):
            conditions.append(_simple_condition(item))
        elif isinstance(item, list) and item and isinstance(item[0], str):
            operator = item[0].lower()
            if operator == LENGTH_RANGE:
                low, high = _length_range(item)
                # several ranges: the upload must satisfy all of them
                length_range = (low, high) if length_range is None else (max(low, length_range[0]), min(high, length_range[1]))
            elif operator in (EQ, STARTS_WITH):
                conditions.append(_array_condition(operator, item))
            else:
                raise invalid_policy(f"Invalid Condition: unknown operation '{item[0]}'.")
        else:
            raise invalid_policy("Invalid Condition: each condition must be an object or an array.")
    return PostPolicy(expiration, tuple(conditions), length_range)


def _expiration(value: Any) -> datetime:
    if not isinstance(value, str) or "T" not in value:
        raise invalid_policy(f"Invalid 'expiration' value: '{value}'")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise invalid_policy(f"Invalid 'expiration' value: '{value}'") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


def _scalar(value: Any) -> str | None:
    """A condition value as text (strings, and integers for fields such as success_action_status)."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def _simple_condition(item: dict[str, Any]) -> Condition:
    if len(item) != 1:
        raise invalid_policy("Invalid Simple-Condition: Simple-Conditions must have exactly one property specified.")
    ((name, raw),) = item.items()
    value = _scalar(raw)
    if value is None:
        raise invalid_policy(f"Invalid Simple-Condition: value of '{name}' must be a string.")
    return Condition(EQ, name.lower().removeprefix("$"), value)


def _array_condition(operator: str, item: list[Any]) -> Condition:
    if len(item) != 3:
        raise invalid_policy(f"Invalid Condition: '{operator}' takes exactly two arguments.")
    name, value = item[1], _scalar(item[2])
    if not isinstance(name, str) or not name.startswith("$") or len(name) < 2:
        raise invalid_policy(f"Invalid Condition: the field of '{operator}' must be a name starting with '$'.")
    if value is None:
        raise invalid_policy(f"Invalid Condition: the value of '{operator}' must be a string.")
    return Condition(operator, name[1:].lower(), value)


def _length_range(item: list[Any]) -> tuple[int, int]:
    if len(item) != 3:
        raise invalid_policy("Invalid 'content-length-range' condition: it takes a minimum and a maximum.")
    bounds = []
    for raw in item[1:]:
        if isinstance(raw, str) and raw.strip().isdigit():
            raw = int(raw)
        if not isinstance(raw, int) or isinstance(raw, bool) or raw < 0:
            raise invalid_policy("Invalid 'content-length-range' condition: bounds must be non-negative integers.")
        bounds.append(raw)
    return bounds[0], bounds[1]


def check_form(policy: PostPolicy, fields: Mapping[str, str], bucket: str, now: datetime) -> None:
    """Enforce a policy on a form's fields (lower-case names): not expired, every condition met,
    every non-exempt field named by a condition. Raises ``AccessDenied`` with S3's wording."""
    if now >= policy.expiration:
        raise policy_violation("Policy expired.")
    # the bucket is not a form field: conditions on it see the bucket the form was posted to
    values = {**fields, "bucket": bucket}
    for condition in policy.conditions:
        if not condition.matches(values):
            raise policy_violation(f"Policy Condition failed: {condition.describe()}")
    covered = policy.covered_fields()
    extra = [
        name for name in fields
        if name not in covered and name not in EXEMPT_FIELDS and not name.startswith(IGNORED_PREFIX)
    ]
    if extra:
        raise policy_violation(f"Extra input fields: {', '.join(extra)}")


def entity_too_large(size: int, maximum: int) -> ServiceError:
    return ServiceError(
        "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size", 400,
        fields={"ProposedSize": str(size), "MaxSizeAllowed": str(maximum)},
    )


def entity_too_small(size: int, minimum: int) -> ServiceError:
    return ServiceError(
        "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size", 400,
        fields={"ProposedSize": str(size), "MinSizeAllowed": str(minimum)},
    )
