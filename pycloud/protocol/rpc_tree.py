"""Shaped values ↔ plain JSON/CBOR trees, shared by the ``json`` and ``smithy-rpc-v2-cbor`` protocols.

The two protocols differ only in scalars: JSON carries blobs as base64 text and timestamps as epoch
numbers (or strings when ``timestampFormat`` says so); CBOR carries blobs as byte strings and
timestamps as tag 1 (epoch seconds). Decoding checks every value's type and raises
``SerializationException`` on mismatch, as AWS's JSON front ends do.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from typing import Any

import cbor2

from pycloud.protocol import timestamps
from pycloud.protocol.errors import ServiceError, serialization_error
from pycloud.protocol.model import ServiceModel
from pycloud.protocol.shapes import FLOAT_TYPES, INTEGER_RANGES, INTEGER_TYPES, b64decode, b64encode, to_bytes

_TARGET_NAMES = {
    "string": "String",
    "character": "String",
    "integer": "Integer",
    "long": "Long",
    "short": "Short",
    "byte": "Byte",
    "float": "Float",
    "double": "Double",
    "boolean": "Boolean",
    "blob": "Blob",
    "timestamp": "Timestamp",
}


def _token(value: Any) -> str:
    """The name AWS's JSON front end gives the token it found."""
    if isinstance(value, bool):
        return "TRUE_VALUE" if value else "FALSE_VALUE"
    if isinstance(value, (int, float)):
        return "NUMBER_VALUE"
    if isinstance(value, str):
        return "STRING_VALUE"
    if isinstance(value, (bytes, bytearray)):
        return "BYTE_STRING"
    return type(value).__name__.upper()


def _number_text(value: int | float) -> str:
    """A number as an error message shows it (Python refuses to print integers of over 4,300 digits)."""
    try:
        return str(value)
    except ValueError:
        return "(a number too long to show)"


def _mismatch(value: Any, kind: str) -> ServiceError:
    if isinstance(value, dict):
        return serialization_error("Start of structure or map found where not expected.")
    if isinstance(value, list):
        return serialization_error("Start of list found where not expected")
    if kind in ("structure", "map"):
        return serialization_error(f"{_token(value)} can not be converted to a structure or map")
    if kind == "list":
        return serialization_error(f"{_token(value)} can not be converted to a list")
    return serialization_error(f"{_token(value)} can not be converted to {_TARGET_NAMES.get(kind, kind)}")


class TreeDecoder:
    """Turns a decoded JSON (``cbor=False``) or CBOR body into shaped params, checking types."""

    def __init__(self, service: ServiceModel, cbor: bool = False) -> None:
        self.service = service
        self.cbor = cbor

    def structure(self, shape: dict[str, Any], value: Any) -> dict[str, Any]:
        """Decode a structure (or document) ``value`` of ``shape``."""
        if shape.get("document"):
            return value
        if not isinstance(value, dict):
            raise _mismatch(value, "structure")
        result: dict[str, Any] = {}
        shapes = self.service.shapes
        for name, ref in shape.get("members", {}).items():
            raw = value.get(ref.get("locationName", name))
            if raw is not None:
                result[name] = self.value(ref, shapes[ref["shape"]], raw)
        return result

    def value(self, ref: dict[str, Any] | None, shape: dict[str, Any], value: Any) -> Any:
        """Decode any ``value`` of ``shape`` (``ref`` is the member reference, for its traits)."""
        kind = shape["type"]
        if kind == "structure":
            return self.structure(shape, value)
        if kind == "list":
            if not isinstance(value, list):
                raise _mismatch(value, kind)
            member_ref = shape["member"]
            member_shape = self.service.shapes[member_ref["shape"]]
            sparse = shape.get("sparse")
            return [
                self.value(member_ref, member_shape, item) if item is not None else None
                for item in value
                if item is not None or sparse
            ]
        if kind == "map":
            if not isinstance(value, dict):
                raise _mismatch(value, kind)
            shapes = self.service.shapes
            key_ref, value_ref = shape["key"], shape["value"]
            key_shape, value_shape = shapes[key_ref["shape"]], shapes[value_ref["shape"]]
            sparse = shape.get("sparse")
            return {
                self.value(key_ref, key_shape, key): (
                    self.value(value_ref, value_shape, item) if item is not None else None
                )
                for key, item in value.items()
                if item is not None or sparse
            }
        return self.scalar(ref, shape, value)

    def scalar(self, ref: dict[str, Any] | None, shape: dict[str, Any], value: Any) -> Any:
        """Decode a scalar, checking its wire type."""
        kind = shape["type"]
        if isinstance(value, (dict, list)):
            raise _mismatch(value, kind)
        if kind in ("string", "character"):
            if isinstance(value, str):
                return value
        elif kind in INTEGER_TYPES:
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            if isinstance(value, int) and not isinstance(value, bool):
                low, high = INTEGER_RANGES[kind]
                if low <= value <= high:
                    return value
                raise serialization_error(f"NUMBER_VALUE {_number_text(value)} is out of range for {_TARGET_NAMES[kind]}")
        elif kind in FLOAT_TYPES:
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                try:
                    return float(value)
                except OverflowError:
                    raise serialization_error(
                        f"NUMBER_VALUE {_number_text(value)} is out of range for {_TARGET_NAMES[kind]}"
                    ) from None
            if isinstance(value, str) and value in ("NaN", "Infinity", "-Infinity"):
                return float(value.replace("Infinity", "inf"))
        elif kind == "boolean":
            if isinstance(value, bool):
                return value
        elif kind == "blob":
            return self._blob(value)
        elif kind == "timestamp":
            return self._timestamp(ref, shape, value)
        else:
            return value
        raise _mismatch(value, kind)

    def _blob(self, value: Any) -> bytes:
        if self.cbor and isinstance(value, (bytes, bytearray)):
            return bytes(value)
        if not self.cbor and isinstance(value, str):
            try:
                return b64decode(value)
            except ValueError as exc:
                raise serialization_error("Base64 encoded value is invalid.") from exc
        raise _mismatch(value, "blob")

    def _timestamp(self, ref: dict[str, Any] | None, shape: dict[str, Any], value: Any) -> datetime:
        if isinstance(value, datetime):
            return timestamps.to_datetime(value)
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise _mismatch(value, "timestamp")
        if isinstance(value, float) and not math.isfinite(value):
            raise serialization_error(f"Invalid timestamp value: {value!r}")
        fmt = (ref or {}).get("timestampFormat") or shape.get("timestampFormat")
        return timestamps.parse_timestamp(value, fmt)


class TreeEncoder:
    """Turns a provider's result into a JSON-ready (``cbor=False``) or CBOR-ready tree."""

    def __init__(self, service: ServiceModel, cbor: bool = False) -> None:
        self.service = service
        self.cbor = cbor

    def structure(self, shape: dict[str, Any], value: Any) -> Any:
        """Encode a structure (or document) value."""
        if shape.get("document"):
            return value
        result: dict[str, Any] = {}
        shapes = self.service.shapes
        for name, ref in shape.get("members", {}).items():
            item = value.get(name)
            if item is not None:
                # botocore's JSON parser honours locationName; its CBOR parser reads member names.
                key = name if self.cbor else ref.get("locationName", name)
                result[key] = self.value(ref, shapes[ref["shape"]], item)
        return result

    def value(self, ref: dict[str, Any] | None, shape: dict[str, Any], value: Any) -> Any:
        """Encode any value of ``shape``."""
        kind = shape["type"]
        if kind == "structure":
            return self.structure(shape, value)
        if kind == "list":
            member_ref = shape["member"]
            member_shape = self.service.shapes[member_ref["shape"]]
            return [None if item is None else self.value(member_ref, member_shape, item) for item in value]
        if kind == "map":
            shapes = self.service.shapes
            value_ref = shape["value"]
            value_shape = shapes[value_ref["shape"]]
            return {
                str(key): self.value(value_ref, value_shape, item) for key, item in value.items() if item is not None
            }
        if kind in ("string", "character"):
            return value if isinstance(value, str) else str(value)
        if kind in INTEGER_TYPES:
            return int(value)
        if kind in FLOAT_TYPES:
            return float(value)
        if kind == "boolean":
            return bool(value)
        if kind == "blob":
            return to_bytes(value) if self.cbor else b64encode(value)
        if kind == "timestamp":
            if self.cbor:
                return cbor2.CBORTag(1, timestamps.format_epoch(value))
            fmt = (ref or {}).get("timestampFormat") or shape.get("timestampFormat")
            if fmt == "iso8601":
                return timestamps.format_iso8601(value)
            if fmt == "rfc822":
                return timestamps.format_rfc822(value)
            return timestamps.format_epoch(value)
        return value


# -- compiled codecs ------------------------------------------------------------------------------
#
# The generic walkers above look up a shape's kind and traits at every node of every request. The
# functions below compile one closure per shape, once per model, that does only the work the shape
# needs; any value they do not take on their fast path (a type mismatch, an out-of-range number, a
# blob, a timestamp) is handed to the generic walker for that node, so every answer and every error
# stays exactly the generic one.

Codec = Callable[[Any], Any]


def _codecs(service: ServiceModel, direction: str, cbor: bool) -> dict[int, Codec]:
    return service.codecs.setdefault((direction, cbor), {})


def _compiled(cache: dict[int, Codec], shape: dict[str, Any], build: Callable[[], Codec]) -> Codec:
    """The codec of ``shape`` from ``cache``, built on first use. While a shape is being built its
    entry is a trampoline, so a shape that refers to itself gets one and the rest get the codec.
    Keyed by identity: ``shape`` must be one of the model's own shapes, which live as long as it."""
    key = id(shape)
    codec = cache.get(key)
    if codec is None:
        cache[key] = lambda value: cache[key](value)
        codec = cache[key] = build()
    return codec


def decoder(service: ServiceModel, shape: dict[str, Any], cbor: bool = False) -> Codec:
    """The compiled decoder of a structure ``shape`` (same results and errors as
    :meth:`TreeDecoder.structure`)."""
    return _compiled(_codecs(service, "decode", cbor), shape, lambda: _DecoderCompiler(service, cbor).node(None, shape))


def encoder(service: ServiceModel, shape: dict[str, Any], cbor: bool = False) -> Codec:
    """The compiled encoder of a structure ``shape`` (same trees as :meth:`TreeEncoder.structure`)."""
    return _compiled(_codecs(service, "encode", cbor), shape, lambda: _EncoderCompiler(service, cbor).node(None, shape))


class _DecoderCompiler:
    def __init__(self, service: ServiceModel, cbor: bool) -> None:
        self.service = service
        self.cbor = cbor
        self.generic = TreeDecoder(service, cbor)

    def member(self, ref: dict[str, Any]) -> Codec:
        shape = self.service.shapes[ref["shape"]]
        return decoder(self.service, shape, self.cbor) if shape["type"] == "structure" else self.node(ref, shape)

    def node(self, ref: dict[str, Any] | None, shape: dict[str, Any]) -> Codec:
        kind = shape["type"]
        slow = self.generic.value

        if kind == "structure":
            if shape.get("document"):
                return lambda value: value
            members = [(ref_.get("locationName", name), name, self.member(ref_))
                       for name, ref_ in shape.get("members", {}).items()]

            def structure(value: Any) -> Any:
                if type(value) is not dict:
                    return slow(ref, shape, value)
                result = {}
                for wire, name, decode in members:
                    raw = value.get(wire)
                    if raw is not None:
                        result[name] = decode(raw)
                return result

            return structure
        if kind == "list":
            item = self.member(shape["member"])
            sparse = bool(shape.get("sparse"))

            def list_(value: Any) -> Any:
                if type(value) is not list:
                    return slow(ref, shape, value)
                if sparse:
                    return [None if x is None else item(x) for x in value]
                return [item(x) for x in value if x is not None]

            return list_
        if kind == "map":
            key = self.member(shape["key"])
            val = self.member(shape["value"])
            sparse = bool(shape.get("sparse"))

            def map_(value: Any) -> Any:
                if type(value) is not dict:
                    return slow(ref, shape, value)
                return {key(k): (None if v is None else val(v)) for k, v in value.items() if v is not None or sparse}

            return map_
        if kind in ("string", "character"):
            return lambda value: value if type(value) is str else slow(ref, shape, value)
        if kind in INTEGER_TYPES:
            low, high = INTEGER_RANGES[kind]
            return lambda value: value if type(value) is int and low <= value <= high else slow(ref, shape, value)
        if kind == "boolean":
            return lambda value: value if type(value) is bool else slow(ref, shape, value)
        return lambda value: slow(ref, shape, value)


class _EncoderCompiler:
    def __init__(self, service: ServiceModel, cbor: bool) -> None:
        self.service = service
        self.cbor = cbor
        self.generic = TreeEncoder(service, cbor)

    def member(self, ref: dict[str, Any]) -> Codec:
        shape = self.service.shapes[ref["shape"]]
        return encoder(self.service, shape, self.cbor) if shape["type"] == "structure" else self.node(ref, shape)

    def node(self, ref: dict[str, Any] | None, shape: dict[str, Any]) -> Codec:
        kind = shape["type"]
        if kind == "structure":
            if shape.get("document"):
                return lambda value: value
            shapes = self.service.shapes
            # (member, wire key, is a string member, codec): string values of string members are
            # their own encoding, so they skip the call.
            members = [(name, name if self.cbor else ref_.get("locationName", name),
                        shapes[ref_["shape"]]["type"] in ("string", "character"), self.member(ref_))
                       for name, ref_ in shape.get("members", {}).items()]
            if not members:
                return lambda value: {}  # reads no member, so any value (not only a dict) gives {}

            def structure(value: Any) -> Any:
                result = {}
                get = value.get
                for name, key, plain, encode in members:
                    item = get(name)
                    if item is not None:
                        result[key] = item if plain and type(item) is str else encode(item)
                return result

            return structure
        if kind == "list":
            item = self.member(shape["member"])
            return lambda value: [None if x is None else item(x) for x in value]
        if kind == "map":
            val = self.member(shape["value"])
            return lambda value: {str(k): val(v) for k, v in value.items() if v is not None}
        if kind in ("string", "character"):
            # A str subclass (a string enum) is kept as it is: its str() may be its name, not its value.
            return lambda value: value if type(value) is str or isinstance(value, str) else str(value)
        slow = self.generic.value
        return lambda value: slow(ref, shape, value)
