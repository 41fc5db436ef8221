"""JSON encoding of control-plane records, with explicit tags for values JSON cannot hold.

A record is a dict of JSON values plus ``datetime`` and ``bytes``. Those two are written as
single-key tagged objects (``{"$dt": "2024-01-02T03:04:05.000006+00:00"}``, ``{"$b64": "..."}``).
A record's own keys that start with ``$`` are escaped with one more ``$`` so they can never be
mistaken for a tag. Tuples come back as lists.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

_DT = "$dt"
_BYTES = "$b64"


class RecordEncodingError(TypeError):
    """A record holds a value that cannot be persisted."""


def _encode(value: Any) -> Any:
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, datetime):
        return {_DT: value.isoformat()}
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {_BYTES: base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise RecordEncodingError(f"record keys must be strings, got {key!r}")
            out["$" + key if key.startswith("$") else key] = _encode(item)
        return out
    if isinstance(value, (list, tuple)):
        return [_encode(item) for item in value]
    raise RecordEncodingError(f"cannot persist a value of type {type(value).__name__}")


def _decode_object(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        ((key, value),) = obj.items()
        if key == _DT:
            return datetime.fromisoformat(value)
        if key == _BYTES:
            return base64.b64decode(value)
    if any(key.startswith("$") for key in obj):
        return {key[1:] if key.startswith("$") else key: value for key, value in obj.items()}
    return obj


def dumps(record: dict[str, Any]) -> str:
    """Serialise a record; raises RecordEncodingError for values that cannot round-trip."""
    if not isinstance(record, dict):
        raise RecordEncodingError("a record must be a dict")
    try:
        return json.dumps(_encode(record), separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except ValueError as exc:  # NaN and infinities have no JSON form
        raise RecordEncodingError(str(exc)) from None


def loads(text: str) -> dict[str, Any]:
    """Deserialise a record written by ``dumps``."""
    return json.loads(text, object_hook=_decode_object)
