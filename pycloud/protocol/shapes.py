"""Small helpers for walking botocore shapes (JSON form) shared by the RPC protocols.

A *member reference* is the dict found in a structure's ``members`` (``{"shape": "X",
"locationName": ...}``); its traits override those of the referenced shape, the way botocore merges
them into ``Shape.serialization``.
"""

from __future__ import annotations

import base64
import binascii
import math
from typing import Any

from pycloud.protocol.model import ServiceModel

SCALAR_TYPES = frozenset(
    {"string", "integer", "long", "float", "double", "boolean", "blob", "timestamp", "character", "byte", "short"}
)
INTEGER_TYPES = frozenset({"integer", "long", "byte", "short"})
FLOAT_TYPES = frozenset({"float", "double"})

# Inclusive value ranges of the integral types (wider values are a serialization error).
INTEGER_RANGES = {
    "byte": (-(2**7), 2**7 - 1),
    "short": (-(2**15), 2**15 - 1),
    "integer": (-(2**31), 2**31 - 1),
    "long": (-(2**63), 2**63 - 1),
}


def resolve(service: ServiceModel, ref: dict[str, Any]) -> dict[str, Any]:
    """The shape a member reference points to."""
    return service.shapes[ref["shape"]]


def trait(ref: dict[str, Any] | None, shape: dict[str, Any], key: str, default: Any = None) -> Any:
    """A serialization trait, member reference first, then the shape."""
    if ref is not None and key in ref:
        return ref[key]
    return shape.get(key, default)


def location_name(ref: dict[str, Any] | None, default: str) -> str:
    """``locationName`` of a member reference, or ``default``."""
    if ref is None:
        return default
    return ref.get("locationName") or default


def is_flattened(ref: dict[str, Any] | None, shape: dict[str, Any]) -> bool:
    """Whether a list or map is serialized flattened (query and XML protocols)."""
    return bool(trait(ref, shape, "flattened", False))


def is_document(shape: dict[str, Any]) -> bool:
    """Whether a structure is a free-form document type (JSON protocols)."""
    return bool(shape.get("document"))


def to_bytes(value: bytes | bytearray | memoryview | str) -> bytes:
    """A provider's blob value as bytes (strings are UTF-8 encoded)."""
    if isinstance(value, str):
        return value.encode("utf-8")
    return bytes(value)


def b64encode(value: bytes | bytearray | memoryview | str) -> str:
    """Base64 text of a blob value."""
    return base64.b64encode(to_bytes(value)).decode("ascii")


def b64decode(text: str) -> bytes:
    """Decode base64 text strictly; raises ValueError on malformed input."""
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"invalid base64: {text[:32]!r}") from exc


def format_float(value: float | int) -> str:
    """Text form of a float for the XML/query protocols (``Infinity``/``NaN`` spelled out)."""
    number = float(value)
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    return repr(number)


def parse_float_text(text: str) -> float:
    """Parse a float sent as text (query strings, JSON special values); raises ValueError."""
    stripped = text.strip()
    if stripped in ("NaN", "Infinity", "-Infinity"):
        return float(stripped.replace("Infinity", "inf"))
    number = float(stripped)
    if math.isnan(number) or math.isinf(number):
        raise ValueError(f"not a finite number: {text!r}")
    return number


def parse_int_text(text: str, type_name: str) -> int:
    """Parse an integer sent as text, checking the type's range; raises ValueError."""
    number = int(text.strip(), 10)
    low, high = INTEGER_RANGES.get(type_name, INTEGER_RANGES["long"])
    if not low <= number <= high:
        raise ValueError(f"{text!r} is out of range for {type_name}")
    return number


def parse_bool_text(text: str) -> bool:
    """Parse ``true``/``false`` (case-insensitive); raises ValueError otherwise."""
    lowered = text.strip().lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    raise ValueError(f"not a boolean: {text!r}")


def lower_camel(name: str) -> str:
    """``TableName`` → ``tableName`` (the member-path style of AWS validation messages)."""
    return name[:1].lower() + name[1:] if name else name
