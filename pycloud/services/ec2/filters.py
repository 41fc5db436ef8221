"""EC2 ``Filter.N`` matching: a resource matches when every filter has a value that matches.

Values may use ``*`` (any run of characters) and ``?`` (one character), matched case-sensitively
as EC2 does; every other character is literal.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any, TypeVar

from pycloud.protocol.errors import ServiceError

T = TypeVar("T")
Getter = Callable[[Any], "str | Iterable[str] | None"]


@lru_cache(maxsize=512)
def _pattern(value: str) -> re.Pattern[str]:
    parts = []
    for char in value:
        parts.append(".*" if char == "*" else "." if char == "?" else re.escape(char))
    return re.compile("".join(parts), re.DOTALL)


def value_matches(pattern: str, actual: str) -> bool:
    """Whether ``actual`` matches one EC2 filter value (with ``*``/``?`` wildcards)."""
    if "*" not in pattern and "?" not in pattern:
        return pattern == actual
    return _pattern(pattern).fullmatch(actual) is not None


def invalid_filter(name: str) -> ServiceError:
    return ServiceError("InvalidParameterValue", f"The filter '{name}' is invalid", 400)


def apply_filters(items: Iterable[T], filters: list[dict[str, Any]] | None, getters: dict[str, Getter]) -> list[T]:
    """The items matching every filter; an unknown filter name raises InvalidParameterValue."""
    items = list(items)
    for flt in filters or ():
        name = flt.get("Name") or ""
        getter = getters.get(name)
        if getter is None:
            raise invalid_filter(name)
        values = [str(v) for v in flt.get("Values") or ()]
        kept = []
        for item in items:
            actual = getter(item)
            actuals = [actual] if isinstance(actual, str) else list(actual or ())
            if any(value_matches(v, a) for v in values for a in actuals):
                kept.append(item)
        items = kept
    return items
