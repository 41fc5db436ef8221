"""Message rules: body characters and size, message attributes, and the MD5 digests SQS returns.

The digests follow the algorithm the SQS Developer Guide documents (and SDKs such as the Java one
verify): ``MD5OfMessageBody`` is the MD5 of the body's UTF-8 bytes; ``MD5OfMessageAttributes``
(and ``MD5OfMessageSystemAttributes``) hash the attributes sorted by name, each encoded as
name, data type, a one-byte transport type (1 = string, 2 = binary) and the value, every
variable-length part preceded by its length as a 4-byte big-endian integer (the reserved list
types, 3 and 4, hash each item that way).

Everything a message carries besides its body (user attributes, AWSTraceHeader, sender) is kept by
the queue engine as one opaque blob: :func:`encode_extras` / :func:`decode_extras`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import struct
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from pycloud.services.sqs import errors
from pycloud.services.sqs.attributes import READ_ONLY, SETTABLE

MAX_ATTRIBUTES = 10
MAX_BATCH_BYTES = 1_048_576
"""The largest total payload of a SendMessageBatch request."""

_ALLOWED = "\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff"
_INVALID_CHAR = re.compile(f"[^{_ALLOWED}]")
_ALLOWED_TEXT = "#x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF"
_ATTRIBUTE_NAME = re.compile(r"[A-Za-z0-9_.-]{1,256}")
_DATA_TYPE = re.compile(r"(String|Number|Binary)(\..*)?", re.DOTALL)
_RESERVED_PREFIXES = ("aws.", "amazon.")
_STRING, _BINARY, _STRING_LIST, _BINARY_LIST = 1, 2, 3, 4  # transport types in the digest
SYSTEM_ATTRIBUTES_FOR_SENDS = frozenset({"AWSTraceHeader"})

Attributes = dict[str, dict[str, Any]]
"""Message attributes in the model's shape: name → {DataType, StringValue | BinaryValue}."""


# -- body -----------------------------------------------------------------------------------------


def invalid_character(text: str) -> str | None:
    """The first character SQS does not accept in ``text`` (as ``#xNN``), or None."""
    found = _INVALID_CHAR.search(text)
    return f"#x{ord(found.group()):X}" if found else None


def check_body(body: str | None) -> bytes:
    """The body's UTF-8 bytes; ``MissingParameter`` when empty, ``InvalidMessageContents`` for
    characters outside the XML character set."""
    if not body:
        raise errors.missing_parameter("MessageBody")
    bad = invalid_character(body)
    if bad is not None:
        raise errors.sqs_error(
            "InvalidMessageContents",
            f"Invalid binary character '{bad}' was found in the message body, the set of allowed characters is "
            f"{_ALLOWED_TEXT}",
        )
    return body.encode("utf-8")


# -- attributes -----------------------------------------------------------------------------------


def _transport(data_type: str) -> int:
    return _BINARY if data_type.startswith("Binary") else _STRING


def _check_name(name: str, kind: str) -> None:
    lowered = name.lower()
    if (
        not _ATTRIBUTE_NAME.fullmatch(name)
        or name.startswith(".")
        or name.endswith(".")
        or ".." in name
        or lowered.startswith(_RESERVED_PREFIXES)
    ):
        raise errors.invalid_parameter(
            f"Message ({kind}) attribute name '{name}' is invalid. Names can contain alphanumeric characters, "
            "hyphens, underscores and periods, can't start or end with a period or contain two periods in a row, "
            "can't start with 'AWS.' or 'Amazon.', and are at most 256 characters long."
        )


def _check_value(name: str, value: Any, kind: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise errors.invalid_parameter(f"Message ({kind}) attribute '{name}' must be a structure.")
    data_type = value.get("DataType")
    if not data_type:
        raise errors.invalid_parameter(f"The message ({kind}) attribute '{name}' must contain a non-empty message "
                                       "attribute type.")
    if not _DATA_TYPE.fullmatch(data_type) or len(data_type) > 256:
        raise errors.invalid_parameter(
            f"The type of message ({kind}) attribute '{name}' is invalid. You must use only the following "
            "supported type prefixes: Binary, Number, String."
        )
    if value.get("StringListValues") or value.get("BinaryListValues"):
        raise errors.invalid_parameter(
            f"Message ({kind}) attribute '{name}': StringListValues and BinaryListValues are not supported."
        )
    if _transport(data_type) == _BINARY:
        binary = value.get("BinaryValue")
        if not binary or value.get("StringValue") is not None:
            raise errors.invalid_parameter(
                f"Message ({kind}) attribute '{name}' must contain a non-empty value of type 'Binary'."
            )
        return {"DataType": data_type, "BinaryValue": bytes(binary)}
    text = value.get("StringValue")
    base = data_type.split(".", 1)[0]
    if not text or value.get("BinaryValue") is not None:
        raise errors.invalid_parameter(
            f"Message ({kind}) attribute '{name}' must contain a non-empty value of type '{base}'."
        )
    bad = invalid_character(text)
    if bad is not None:
        raise errors.invalid_parameter(
            f"Message ({kind}) attribute '{name}' value contains the invalid character '{bad}'; the set of allowed "
            f"characters is {_ALLOWED_TEXT}"
        )
    if base == "Number" and not _is_number(text):
        raise errors.invalid_parameter(f"Can't cast the value of message ({kind}) attribute '{name}' to a number.")
    return {"DataType": data_type, "StringValue": text}


def _is_number(text: str) -> bool:
    """SQS numbers: finite, at most 38 significant digits, between 10^-128 and 10^+126."""
    try:
        number = Decimal(text.strip())
    except InvalidOperation:
        return False
    if not number.is_finite():
        return False
    if number.is_zero():
        return True
    digits = len(str(int("".join(map(str, number.as_tuple().digits)))).rstrip("0"))  # significant digits
    magnitude = number.copy_abs().adjusted()
    return digits <= 38 and -128 <= magnitude <= 126


def check_attributes(attributes: dict[str, Any] | None) -> Attributes:
    """Validated user message attributes (at most 10; names, types, values as SQS checks them)."""
    attributes = attributes or {}
    if len(attributes) > MAX_ATTRIBUTES:
        raise errors.invalid_parameter(
            f"Number of message attributes [{len(attributes)}] exceeds the allowed maximum [{MAX_ATTRIBUTES}]."
        )
    out: Attributes = {}
    for name, value in attributes.items():
        _check_name(name, "user")
        out[name] = _check_value(name, value, "user")
    return out


def check_system_attributes(attributes: dict[str, Any] | None) -> Attributes:
    """Validated message system attributes: only ``AWSTraceHeader``, a String."""
    out: Attributes = {}
    for name, value in (attributes or {}).items():
        if name not in SYSTEM_ATTRIBUTES_FOR_SENDS:
            raise errors.invalid_parameter(f"Message system attribute name '{name}' is invalid.")
        checked = _check_value(name, value, "system")
        if checked["DataType"] != "String":
            raise errors.invalid_parameter(f"Message system attribute '{name}' must have DataType String.")
        out[name] = checked
    return out


def attributes_size(attributes: Attributes) -> int:
    """Bytes the attributes add to a message's size: name, data type and value of each."""
    size = 0
    for name, value in attributes.items():
        size += len(name.encode("utf-8", "surrogatepass")) + len(value["DataType"].encode("utf-8", "surrogatepass"))
        if "BinaryValue" in value:
            size += len(value["BinaryValue"])
        else:
            size += len(value["StringValue"].encode("utf-8", "surrogatepass"))
    return size


def check_size(body: bytes, attributes: Attributes, maximum: int) -> int:
    """The message's size; ``InvalidParameterValue`` when it exceeds the queue's MaximumMessageSize."""
    size = len(body) + attributes_size(attributes)
    if size > maximum:
        raise errors.invalid_parameter(
            f"One or more parameters are invalid. Reason: Message must be shorter than {maximum} bytes."
        )
    return size


# -- digests --------------------------------------------------------------------------------------


def md5_of_body(body: bytes | str) -> str:
    """``MD5OfMessageBody`` / ``MD5OfBody``."""
    data = body.encode("utf-8") if isinstance(body, str) else body
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def _field(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def md5_of_attributes(attributes: Attributes) -> str | None:
    """``MD5OfMessageAttributes`` (or ``MD5OfMessageSystemAttributes``); None when there are none."""
    if not attributes:
        return None
    buffer = bytearray()
    for name in sorted(attributes):
        value = attributes[name]
        data_type = value["DataType"]
        buffer += _field(name.encode("utf-8"))
        buffer += _field(data_type.encode("utf-8"))
        if value.get("BinaryValue") is not None:
            buffer.append(_BINARY)
            buffer += _field(bytes(value["BinaryValue"]))
        elif value.get("StringValue") is not None:
            buffer.append(_STRING)
            buffer += _field(value["StringValue"].encode("utf-8"))
        elif value.get("StringListValues"):
            buffer.append(_STRING_LIST)
            for item in value["StringListValues"]:
                buffer += _field(item.encode("utf-8"))
        else:
            buffer.append(_BINARY_LIST)
            for item in value.get("BinaryListValues") or ():
                buffer += _field(bytes(item))
    return hashlib.md5(bytes(buffer), usedforsecurity=False).hexdigest()


# -- what the engine keeps besides the body -------------------------------------------------------


@dataclass(frozen=True)
class Extras:
    """A stored message's attributes and sender."""

    attributes: Attributes = field(default_factory=dict)
    trace_header: str | None = None
    sender_id: str = ""


def _encode_value(value: dict[str, Any]) -> list[Any]:
    if "BinaryValue" in value:
        return [value["DataType"], "b", base64.b64encode(value["BinaryValue"]).decode("ascii")]
    return [value["DataType"], "s", value["StringValue"]]


def _decode_value(item: list[Any]) -> dict[str, Any]:
    data_type, kind, text = item
    if kind == "b":
        return {"DataType": data_type, "BinaryValue": base64.b64decode(text)}
    return {"DataType": data_type, "StringValue": text}


_EXTRAS_MEMO: dict[bytes, Extras] = {}
_EXTRAS_MEMO_MAX = 1024
_EXTRAS_MEMO_BLOB = 256
_SENDER_BLOBS: dict[str, bytes] = {}


def encode_extras(attributes: Attributes, system: Attributes, sender_id: str) -> bytes:
    """The blob stored with a message: user attributes, AWSTraceHeader and sender id."""
    trace = system.get("AWSTraceHeader")
    if not attributes and trace is None:
        blob = _SENDER_BLOBS.get(sender_id)
        if blob is None:
            if len(_SENDER_BLOBS) >= _EXTRAS_MEMO_MAX:
                _SENDER_BLOBS.clear()
            blob = _SENDER_BLOBS[sender_id] = json.dumps({"s": sender_id}, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        return blob
    record: dict[str, Any] = {"s": sender_id}
    if attributes:
        record["a"] = {name: _encode_value(value) for name, value in attributes.items()}
    if trace is not None:
        record["t"] = trace["StringValue"]
    return json.dumps(record, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def decode_extras(blob: bytes) -> Extras:
    """Read back :func:`encode_extras`'s blob (an empty blob means nothing extra).

    Small blobs repeat (one per sender and attribute set), so their decoding is remembered; callers
    must not change what they get back.
    """
    if not blob:
        return Extras()
    known = _EXTRAS_MEMO.get(blob)
    if known is not None:
        return known
    record = json.loads(blob)
    attributes = {name: _decode_value(item) for name, item in (record.get("a") or {}).items()}
    extras = Extras(attributes, record.get("t"), record.get("s", ""))
    if len(blob) <= _EXTRAS_MEMO_BLOB:
        if len(_EXTRAS_MEMO) >= _EXTRAS_MEMO_MAX:
            _EXTRAS_MEMO.clear()
        _EXTRAS_MEMO[blob] = extras
    return extras


# -- what ReceiveMessage returns ------------------------------------------------------------------


def select_attributes(attributes: Attributes, names: list[str] | None) -> Attributes:
    """The user attributes ReceiveMessage's ``MessageAttributeNames`` asks for: ``All`` or ``.*``
    for every one, ``prefix.*`` for those under a prefix, or exact names."""
    if not names or not attributes:
        return {}
    if "All" in names or ".*" in names:
        return dict(attributes)
    prefixes = tuple(n[:-1] for n in names if n.endswith(".*"))
    exact = {n for n in names if not n.endswith(".*")}
    return {
        name: value for name, value in attributes.items() if name in exact or (prefixes and name.startswith(prefixes))
    }


SYSTEM_ATTRIBUTE_NAMES = (
    "SenderId",
    "SentTimestamp",
    "ApproximateReceiveCount",
    "ApproximateFirstReceiveTimestamp",
    "SequenceNumber",
    "MessageDeduplicationId",
    "MessageGroupId",
    "AWSTraceHeader",
    "DeadLetterQueueSourceArn",
)


def requested_system_attributes(*lists: list[str] | None) -> frozenset[str]:
    """The message system attributes asked for by ``AttributeNames`` and
    ``MessageSystemAttributeNames`` together (``All`` means every one). Queue attribute names in the
    legacy ``AttributeNames`` are accepted and ignored, as SQS does; anything else is
    ``InvalidAttributeName``."""
    wanted: set[str] = set()
    for names in lists:
        for name in names or ():
            if name == "All":
                return frozenset(SYSTEM_ATTRIBUTE_NAMES)
            if name in SYSTEM_ATTRIBUTE_NAMES:
                wanted.add(name)
            elif name not in SETTABLE and name not in READ_ONLY:  # the legacy list shares their enum
                raise errors.invalid_attribute_name(name)
    return frozenset(wanted)
