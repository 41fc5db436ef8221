"""Input constraint checks that answer with the AWS-style ``ValidationException`` wording.

The wording is the one DynamoDB and most JSON services use:
``1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have
value greater than or equal to 1``.
"""

from __future__ import annotations

import re

from pycloud.protocol.errors import ServiceError


def constraint_error(field: str, value: object, constraint: str) -> ServiceError:
    """A ValidationException naming the field (camelCase, as AWS prints it) and the broken rule."""
    return ServiceError(
        "ValidationException",
        f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: {constraint}",
        400,
    )


def check_range(field: str, value: int | None, low: int | None = None, high: int | None = None) -> None:
    """Raise a ValidationException when ``value`` is outside [low, high] (None: not given, fine)."""
    if value is None:
        return
    if low is not None and value < low:
        raise constraint_error(field, value, f"Member must have value greater than or equal to {low}")
    if high is not None and value > high:
        raise constraint_error(field, value, f"Member must have value less than or equal to {high}")


def check_string(
    field: str, value: str | None, min_len: int | None = None, max_len: int | None = None, pattern: str | None = None
) -> None:
    """Raise a ValidationException when ``value`` breaks its length or pattern constraint."""
    if value is None:
        return
    if min_len is not None and len(value) < min_len:
        raise constraint_error(field, value, f"Member must have length greater than or equal to {min_len}")
    if max_len is not None and len(value) > max_len:
        raise constraint_error(field, value, f"Member must have length less than or equal to {max_len}")
    if pattern is not None and not re.fullmatch(pattern, value):
        raise constraint_error(field, value, f"Member must satisfy regular expression pattern: {pattern}")
