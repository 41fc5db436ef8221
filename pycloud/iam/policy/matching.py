"""Wildcard matching for actions, ARNs and ``...Like`` condition values.

Patterns are compiled once into regular expressions (cached by text). ``*`` matches any run of
characters and ``?`` exactly one. Policy variables that resolve to text containing ``*``/``?``,
and the ``${*}``/``${?}`` escapes, must match literally: :mod:`.variables` marks those characters
with the private-use sentinels below before the pattern reaches this module.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

LITERAL_STAR = "\ue000"
"""Stands for a ``*`` that must match itself, not act as a wildcard."""
LITERAL_QMARK = "\ue001"
"""Stands for a ``?`` that must match itself."""

Matcher = Callable[[str], bool]


def _always(_: str) -> bool:
    return True


def _unescape(text: str) -> str:
    return text.replace(LITERAL_STAR, "*").replace(LITERAL_QMARK, "?")


def _translate(pattern: str, star: str = ".*", qmark: str = ".") -> str:
    """Regex source for a wildcard pattern (without anchors)."""
    out = []
    for ch in pattern:
        if ch == "*":
            out.append(star)
        elif ch == "?":
            out.append(qmark)
        elif ch == LITERAL_STAR:
            out.append(r"\*")
        elif ch == LITERAL_QMARK:
            out.append(r"\?")
        else:
            out.append(re.escape(ch))
    return "".join(out)


@lru_cache(maxsize=8192)
def compile_wildcard(pattern: str, ignore_case: bool = False) -> Matcher:
    """A predicate telling whether a whole string matches ``pattern``.

    With ``ignore_case`` the comparison is case-insensitive (actions, ``StringEqualsIgnoreCase``).
    Patterns without wildcards compile to a plain equality test.
    """
    if pattern == "*":
        return _always
    if "*" not in pattern and "?" not in pattern:
        literal = _unescape(pattern)
        if ignore_case:
            literal = literal.casefold()
            return lambda text: text.casefold() == literal
        return literal.__eq__
    regex = re.compile(_translate(pattern), re.DOTALL | (re.IGNORECASE if ignore_case else 0))
    return lambda text: regex.fullmatch(text) is not None


@lru_cache(maxsize=8192)
def compile_arn_pattern(pattern: str) -> Matcher:
    """A predicate matching ARNs against an ARN pattern, case-sensitively.

    Each of the six colon-separated fields is matched on its own, so a wildcard in the region
    field never swallows the account; the resource field (the last) may span colons and slashes.
    A pattern with fewer than six fields lets its last field span the rest of the ARN.
    """
    if pattern == "*":
        return _always
    fields = pattern.split(":", 5)
    if "*" not in pattern and "?" not in pattern:
        return _unescape(pattern).__eq__
    parts = []
    for i, field in enumerate(fields):
        last = i == len(fields) - 1
        parts.append(_translate(field) if last else _translate(field, "[^:]*", "[^:]"))
    regex = re.compile(":".join(parts), re.DOTALL)
    return lambda text: regex.fullmatch(text) is not None


class ActionMatcher:
    """Matches action names (``s3:GetObject``) against a list of patterns, ignoring case."""

    __slots__ = ("_any", "_exact", "_patterns")

    def __init__(self, patterns: list[str]) -> None:
        self._any = "*" in patterns
        self._exact = frozenset(p.casefold() for p in patterns if "*" not in p and "?" not in p)
        wild = sorted({p.casefold() for p in patterns if ("*" in p or "?" in p) and p != "*"})
        self._patterns = re.compile("|".join(f"(?:{_translate(p)})" for p in wild), re.DOTALL) if wild else None

    def matches(self, action_folded: str) -> bool:
        """``action_folded`` must already be casefolded (done once per request)."""
        if self._any or action_folded in self._exact:
            return True
        return self._patterns is not None and self._patterns.fullmatch(action_folded) is not None
