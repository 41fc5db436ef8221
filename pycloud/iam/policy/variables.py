"""Policy variables: ``${aws:username}`` placeholders in Resource and Condition values.

Syntax (IAM User Guide, "Policy variables"): ``${key}`` is replaced by the request-context value
of ``key`` (names are case-insensitive); ``${key, 'default'}`` falls back to the quoted text when
the key is absent (``''`` inside the quotes is one quote); ``${*}``, ``${?}`` and ``${$}`` stand
for the literal characters. Only single-valued keys substitute. Substitution happens once: text
produced by a substitution is never re-scanned. Variables are only recognised in documents whose
Version is ``2012-10-17``; in older documents ``${...}`` is plain text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .matching import LITERAL_QMARK, LITERAL_STAR

Lookup = Callable[[str], str | None]
"""Maps a casefolded context-key name to its single value, or None when absent/multi-valued."""

_ESCAPES = {"*": "*", "?": "?", "$": "$"}


@dataclass(frozen=True, slots=True)
class _Var:
    name: str  # casefolded
    default: str | None


@dataclass(frozen=True, slots=True)
class _Escape:
    char: str


_Part = str | _Var | _Escape


def _scan_variable(text: str, start: int) -> tuple[_Var | _Escape, int] | None:
    """Parse the variable opening at ``text[start] == '$'``; returns it and the index after ``}``."""
    i = start + 2
    n = len(text)
    name_start = i
    while i < n and text[i] not in "},":
        i += 1
    if i >= n:
        return None
    name = text[name_start:i].strip()
    if not name or any(c.isspace() for c in name):
        return None
    if text[i] == "}":
        if name in _ESCAPES:
            return _Escape(_ESCAPES[name]), i + 1
        return _Var(name.casefold(), None), i + 1
    # ", 'default'" part: quotes doubled inside.
    i += 1
    while i < n and text[i] == " ":
        i += 1
    if i >= n or text[i] != "'":
        return None
    i += 1
    chars: list[str] = []
    while i < n:
        if text[i] == "'":
            if i + 1 < n and text[i + 1] == "'":
                chars.append("'")
                i += 2
                continue
            break
        chars.append(text[i])
        i += 1
    if i >= n:
        return None
    i += 1
    while i < n and text[i] == " ":
        i += 1
    if i >= n or text[i] != "}":
        return None
    return _Var(name.casefold(), "".join(chars)), i + 1


class Template:
    """A policy string that may contain variables, parsed once and rendered per request."""

    __slots__ = ("_parts", "has_variables", "text")

    def __init__(self, text: str, variables: bool = True) -> None:
        self.text = text
        self._parts: tuple[_Part, ...] = self._parse(text) if variables and "${" in text else (text,)
        self.has_variables = any(not isinstance(p, str) for p in self._parts)

    @staticmethod
    def _parse(text: str) -> tuple[_Part, ...]:
        parts: list[_Part] = []
        literal_start = 0
        i = text.find("${")
        while i != -1:
            scanned = _scan_variable(text, i)
            if scanned is None:  # malformed: keep the characters as text
                i = text.find("${", i + 2)
                continue
            if i > literal_start:
                parts.append(text[literal_start:i])
            part, end = scanned
            parts.append(part)
            literal_start = end
            i = text.find("${", end)
        if literal_start < len(text):
            parts.append(text[literal_start:])
        return tuple(parts)

    def render(self, lookup: Lookup, pattern: bool) -> str | None:
        """The text with variables substituted, or None if a variable has no value and no default.

        With ``pattern`` set, wildcard characters that came from substitutions or escapes are
        replaced by the literal sentinels of :mod:`.matching` so they do not act as wildcards.
        """
        if not self.has_variables:
            return self.text
        out: list[str] = []
        for part in self._parts:
            if isinstance(part, str):
                out.append(part)
            elif isinstance(part, _Escape):
                out.append(_protect(part.char) if pattern else part.char)
            else:
                value = lookup(part.name)
                if value is None:
                    value = part.default
                    if value is None:
                        return None
                out.append(_protect(value) if pattern else value)
        return "".join(out)


def _protect(text: str) -> str:
    return text.replace("*", LITERAL_STAR).replace("?", LITERAL_QMARK)
