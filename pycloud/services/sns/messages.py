"""Validation of what Publish / PublishBatch carry: message, structure, subject, attributes, FIFO ids."""

from __future__ import annotations

import json
import re
from typing import Any

from pycloud.services.sns.errors import invalid_parameter, invalid_parameter_value

MAX_MESSAGE_BYTES = 256 * 1024
_ATTRIBUTE_NAME = re.compile(r"^[A-Za-z0-9_\-.]{1,256}$")
_FIFO_ID = re.compile(r"^[A-Za-z0-9!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~]{1,128}$")
_PHONE = re.compile(r"^\+?[1-9][0-9]{4,14}$")


def validate_message(message: str | None, structure: str | None) -> dict[str, str] | None:
    """Check the message text; for MessageStructure=json return the per-protocol messages."""
    if message is None or message == "":
        raise invalid_parameter("Invalid parameter: Empty message")
    if structure is None:
        return None
    if structure != "json":
        raise invalid_parameter("Invalid parameter: MessageStructure")
    try:
        parsed = json.loads(message)
    except ValueError:
        raise invalid_parameter("Invalid parameter: Message Structure - JSON message body failed to parse") from None
    if not isinstance(parsed, dict):
        raise invalid_parameter("Invalid parameter: Message Structure - JSON message body failed to parse")
    if "default" not in parsed:
        raise invalid_parameter("Invalid parameter: Message Structure - No default entry in JSON message body")
    for key, value in parsed.items():
        if not isinstance(value, str):
            raise invalid_parameter(f"Invalid parameter: Message Structure - Value of key {key} must be a string")
    return parsed


def validate_subject(subject: str | None) -> None:
    """Subjects: 1-100 printable ASCII characters, no line breaks."""
    if subject is None:
        return
    if not subject or len(subject) > 100 or not subject.isascii() or any(c in subject for c in "\r\n") or not subject.isprintable():
        raise invalid_parameter("Invalid parameter: Subject")


def attributes_size(attributes: dict[str, dict[str, Any]]) -> int:
    """The bytes message attributes add to a message: names, data types and values."""
    size = 0
    for name, value in attributes.items():
        blob = value.get("BinaryValue")
        text = value.get("StringValue")
        size += len(name.encode()) + len((value.get("DataType") or "").encode())
        size += len(blob) if blob else len((text or "").encode("utf-8"))
    return size


def validate_attributes(attributes: dict[str, dict[str, Any]]) -> int:
    """Check message attributes as SNS does; returns their size in bytes (names, types and values).

    Their number is not limited here: only raw deliveries to SQS stop at ten (see ``delivery``)."""
    for name, value in attributes.items():
        lowered = name.lower()
        if (
            not _ATTRIBUTE_NAME.match(name) or ".." in name or name.startswith(".") or name.endswith(".")
            or lowered.startswith("aws.") or lowered.startswith("amazon.")
        ):
            raise invalid_parameter_value(f"The message attribute name '{name}' is invalid.")
        data_type = value.get("DataType") or ""
        base = data_type.split(".", 1)[0]
        if base not in ("String", "Number", "Binary"):
            raise invalid_parameter_value(
                f"The message attribute '{name}' has an invalid message attribute type, the set of supported type "
                "prefixes is Binary, Number, and String."
            )
        if base == "Binary":
            blob = value.get("BinaryValue")
            if not blob:
                raise invalid_parameter_value(
                    f"The message attribute '{name}' must contain non-empty message attribute value for message attribute type 'Binary'."
                )
        else:
            text = value.get("StringValue")
            if text is None or text == "":
                raise invalid_parameter_value(
                    f"The message attribute '{name}' must contain non-empty message attribute value for message attribute type '{base}'."
                )
            if base == "Number":
                _check_number(name, text)
            elif data_type == "String.Array":
                _check_array(name, text)
    return attributes_size(attributes)


def _check_number(name: str, text: str) -> None:
    try:
        number = float(text)
    except ValueError:
        raise invalid_parameter_value(f"Could not cast message attribute '{name}' value to number.") from None
    if number != number or abs(number) > 1e308:
        raise invalid_parameter_value(f"Could not cast message attribute '{name}' value to number.")


def _check_array(name: str, text: str) -> None:
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = None
    if not isinstance(parsed, list) or any(isinstance(v, (dict, list)) for v in parsed):
        raise invalid_parameter_value(
            f"The message attribute '{name}' with type 'String.Array' must be a JSON array of strings, numbers, "
            "true, false or null."
        )


def validate_size(message: str, attributes_size: int) -> None:
    """The whole payload (message plus attributes) is at most 256 KiB."""
    if len(message.encode("utf-8")) + attributes_size > MAX_MESSAGE_BYTES:
        raise invalid_parameter("Invalid parameter: Message too long")


def validate_fifo_ids(fifo: bool, group_id: str | None, dedup_id: str | None, content_dedup: bool) -> None:
    """FIFO topics need a MessageGroupId and a deduplication id (or content-based deduplication);
    standard topics take no MessageDeduplicationId."""
    if not fifo:
        if dedup_id is not None:
            raise invalid_parameter(
                "Invalid parameter: MessageDeduplicationId Reason: The request includes MessageDeduplicationId "
                "parameter that is not valid for this topic type"
            )
        if group_id is not None and not _FIFO_ID.match(group_id):
            raise invalid_parameter("Invalid parameter: MessageGroupId Reason: MessageGroupId is invalid")
        return
    if not group_id:
        raise invalid_parameter("Invalid parameter: The MessageGroupId parameter is required for FIFO topics")
    if not _FIFO_ID.match(group_id):
        raise invalid_parameter("Invalid parameter: MessageGroupId Reason: MessageGroupId is invalid")
    if dedup_id is None and not content_dedup:
        raise invalid_parameter(
            "Invalid parameter: The topic should either have ContentBasedDeduplication enabled or "
            "MessageDeduplicationId provided explicitly"
        )
    if dedup_id is not None and not _FIFO_ID.match(dedup_id):
        raise invalid_parameter("Invalid parameter: MessageDeduplicationId Reason: MessageDeduplicationId is invalid")


def validate_phone_number(number: str) -> None:
    """E.164 numbers (``+15555550100``)."""
    if not _PHONE.match(number):
        raise invalid_parameter(f"Invalid parameter: PhoneNumber Reason: {number} is not valid to publish to")
