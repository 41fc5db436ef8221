"""Seeded random values built from botocore shapes, for tests that compare two implementations.

``ShapeValues`` walks a model's shapes and makes valid values, or (with ``breakage``) values broken
at any depth: wrong types, bad lengths, out-of-range numbers, missing required members, bad enums.
"""

from __future__ import annotations

import io
import math
import random
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from pycloud.protocol.model import ServiceModel
from pycloud.protocol.validate import _compiled

# Strings tried, in order, against a shape's pattern before falling back to random text.
PATTERN_CANDIDATES = [
    "a", "abc", "Abc1", "x1", "1", "12", "123456789012", "us-east-1", "a-b_c.d", "a/b", "/a/",
    "arn:aws:iam::123456789012:role/r", "arn:aws:sqs:us-east-1:123456789012:q",
    "12345678-1234-1234-1234-123456789012", "sg-12345678", "i-1234567890abcdef0", "vpc-1234abcd",
    "2020-01-01T00:00:00Z", "a@b.c", "*", "true", "ABC",
]  # fmt: skip
WRONG_TYPES: list[Any] = [42, "text", True, [1], {"k": "v"}, 2.5, b"raw", datetime(2020, 1, 1, tzinfo=UTC), (1,)]


class ShapeValues:
    """Seeded params built from a model's shapes, each node broken with probability ``breakage``.

    Values are what a provider or boto3 caller would hand over (``bytes`` blobs, ``datetime``
    timestamps). Subclasses change single kinds (``_blob``, ``_timestamp``...), the key a member is
    stored under (``member_key``) or the ways a value gets broken (``breakers``).
    """

    def __init__(self, model: ServiceModel, rng: random.Random, breakage: float) -> None:
        self.model = model
        self.rng = rng
        self.breakage = breakage

    def value(self, name: str, depth: int = 0) -> Any:
        """A value of the shape called ``name`` (``depth`` levels below the top)."""
        shape = self.model.shapes[name]
        if self.breakage and self.rng.random() < self.breakage:
            return self.broken(shape, name, depth)
        kind = shape["type"]
        maker = getattr(self, "_" + kind, None)
        return maker(shape, depth) if maker else None

    def _bounds(self, shape: dict[str, Any], low: int, high: int) -> tuple[int, int]:
        lo = int(shape["min"]) if "min" in shape else low
        hi = int(shape["max"]) if "max" in shape else lo + high
        return lo, max(lo, min(hi, lo + high))

    def _structure(self, shape: dict[str, Any], depth: int) -> Any:
        if shape.get("document"):
            return {"free": ["form", 1, None]}
        members = shape.get("members", {})
        required = set(shape.get("required", ()))
        result: dict[str, Any] = {}
        if depth > 12:
            return result
        for member, ref in members.items():
            if member in required or (depth < 5 and self.rng.random() < 0.5):
                result[self.member_key(member, ref)] = self.value(ref["shape"], depth + 1)
            elif self.rng.random() < 0.05:
                result[self.member_key(member, ref)] = None  # explicit nulls are skipped
        if self.rng.random() < 0.1:
            result["NotAModeledMember"] = self.unknown_member()  # unknown members are ignored
        return result

    def member_key(self, member: str, ref: dict[str, Any]) -> str:
        """The key a structure member is stored under."""
        return member

    def unknown_member(self) -> Any:
        """The value of a member the shape does not model."""
        return object()

    def _list(self, shape: dict[str, Any], depth: int) -> Any:
        lo, hi = self._bounds(shape, 0, 3 if depth < 5 else 0)
        items = [self.value(shape["member"]["shape"], depth + 1) for _ in range(self.rng.randint(lo, hi))]
        if items and self.rng.random() < 0.05:
            items[0] = None  # null items are skipped
        return items

    def _map(self, shape: dict[str, Any], depth: int) -> Any:
        lo, hi = self._bounds(shape, 0, 3 if depth < 5 else 0)
        result: dict[Any, Any] = {}
        for _ in range(self.rng.randint(lo, hi) * 3):
            if len(result) >= hi:
                break
            key = self.value(shape["key"]["shape"], depth + 1)
            if not isinstance(key, (str, int, float, bytes, tuple, datetime)) and key is not None:
                key = self.rng.choice([42, None, 2.5, True])  # a broken key that can still be a key
            result[key] = self.value(shape["value"]["shape"], depth + 1)
        return result

    def _string(self, shape: dict[str, Any], depth: int) -> Any:
        if shape.get("enum"):
            return self.rng.choice(shape["enum"])
        lo, hi = self._bounds(shape, 0, 12)
        pattern = _compiled(shape["pattern"]) if shape.get("pattern") else None
        if pattern is not None:
            for candidate in PATTERN_CANDIDATES:
                if lo <= len(candidate) <= hi and pattern.fullmatch(candidate):
                    return candidate
        return "".join(self.rng.choice("abcXYZ019-_") for _ in range(self.rng.randint(lo, hi)))

    _character = _string

    def _number(self, shape: dict[str, Any], integral: bool) -> Any:
        lo = shape.get("min", -5 if self.rng.random() < 0.2 else 0)
        hi = shape.get("max", lo + 100)
        if integral:
            return self.rng.randint(math.ceil(lo), max(math.ceil(lo), math.floor(min(hi, lo + 10**6))))
        return self.rng.uniform(lo, min(hi, lo + 1000))

    def _integer(self, shape: dict[str, Any], depth: int) -> Any:
        return self._number(shape, True)

    _long = _short = _byte = _integer

    def _float(self, shape: dict[str, Any], depth: int) -> Any:
        return self._number(shape, False) if self.rng.random() < 0.8 else self._number(shape, True)

    _double = _float

    def _boolean(self, shape: dict[str, Any], depth: int) -> Any:
        return self.rng.random() < 0.5

    def _blob(self, shape: dict[str, Any], depth: int) -> Any:
        lo, hi = self._bounds(shape, 0, 16)
        data = bytes(self.rng.randrange(128) for _ in range(self.rng.randint(lo, hi)))
        choice = self.rng.random()
        if choice < 0.2:
            return data.decode("ascii")  # text bodies count in UTF-8 bytes
        if choice < 0.3:
            return "\u00e9" * (len(data) // 2 + len(data) % 2)  # two bytes a character
        if choice < 0.4:
            return io.BytesIO(data)  # streams are not measured here
        return data

    def _timestamp(self, shape: dict[str, Any], depth: int) -> Any:
        return datetime(2024, 5, 1, tzinfo=UTC)

    def broken(self, shape: dict[str, Any], name: str, depth: int) -> Any:
        """A value for ``shape`` with one problem (or, by chance, none)."""
        return self.rng.choice(self.breakers(shape, name, depth))()

    def breakers(self, shape: dict[str, Any], name: str, depth: int) -> list[Callable[[], Any]]:
        """The ways a value of ``shape`` can be broken, each a function making one."""
        rng = self.rng
        kind = shape["type"]
        breakers: list[Callable[[], Any]] = [lambda: rng.choice(WRONG_TYPES)]
        if "min" in shape and kind in ("string", "blob", "list", "map"):
            breakers.append(lambda: self._sized(shape, kind, int(shape["min"]) - 1, depth))
        if "max" in shape and kind in ("string", "blob", "list", "map"):
            breakers.append(lambda: self._sized(shape, kind, int(shape["max"]) + 1, depth))
        if kind in ("integer", "long", "short", "byte", "float", "double"):
            if "min" in shape:
                breakers.append(lambda: shape["min"] - rng.choice([1, 0.5]))
            if "max" in shape:
                breakers.append(lambda: shape["max"] + rng.choice([1, 0.5]))
            breakers.append(lambda: rng.choice([math.nan, math.inf, -math.inf, 10**30, False]))
        if kind == "string":
            if shape.get("enum"):
                breakers.append(lambda: "NOT_A_MEMBER_OF_THE_ENUM")
            if shape.get("pattern"):
                breakers.append(lambda: " !bad\nvalue? ")
        if kind == "structure" and shape.get("required"):
            breakers.append(lambda: self._without_required(shape, name, depth))
        if kind == "map":
            breakers.append(lambda: {7: self.value(shape["value"]["shape"], depth + 1)})
        return breakers

    def _sized(self, shape: dict[str, Any], kind: str, size: int, depth: int) -> Any:
        size = max(size, 0)
        if size > 5000:
            return self.rng.choice(WRONG_TYPES)
        if kind == "string":
            return "s" * size
        if kind == "blob":
            return b"b" * size
        if kind == "list":
            return [self.value(shape["member"]["shape"], depth + 1) for _ in range(size)]
        return {f"k{i}": self.value(shape["value"]["shape"], depth + 1) for i in range(size)}

    def _without_required(self, shape: dict[str, Any], name: str, depth: int) -> Any:
        saved, self.breakage = self.breakage, 0.0
        try:
            value = self._structure(shape, depth)
        finally:
            self.breakage = saved
        victim = self.rng.choice(shape["required"])
        key = self.member_key(victim, shape["members"][victim])
        if self.rng.random() < 0.5:
            value.pop(key, None)
        else:
            value[key] = None
        return value
