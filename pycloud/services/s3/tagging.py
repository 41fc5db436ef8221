"""Bucket tagging: a TagSet of at most 50 tags with AWS's key/value rules."""

from __future__ import annotations

from typing import Any

from pycloud.services.s3 import errors

MAX_TAGS = 50
MAX_KEY = 128
MAX_VALUE = 256


def validate_tag_set(tagging: dict[str, Any] | None) -> list[dict[str, str]]:
    """The TagSet to store; ``InvalidTag`` for bad keys/values, duplicates, ``aws:`` keys or too many."""
    if tagging is None or "TagSet" not in tagging:
        raise errors.malformed_xml()
    tags = tagging.get("TagSet") or []
    if len(tags) > MAX_TAGS:
        raise errors.invalid_tag(f"Bucket tag count cannot be greater than {MAX_TAGS}")
    return checked_tags(tags, "System tags cannot be added/updated by requester")


def checked_tags(tags: list[dict[str, Any]], aws_prefix_message: str) -> list[dict[str, str]]:
    """Each tag checked (``InvalidTag``: key/value lengths, duplicates, ``aws:`` keys with the
    caller's message) and copied as ``{"Key", "Value"}``; ``MalformedXML`` for a half tag."""
    seen: set[str] = set()
    result = []
    for tag in tags:
        key, value = tag.get("Key"), tag.get("Value")
        if key is None or value is None:
            raise errors.malformed_xml()
        if not 1 <= len(key) <= MAX_KEY:
            raise errors.invalid_tag("The TagKey you have provided is invalid", key)
        if len(value) > MAX_VALUE:
            raise errors.invalid_tag("The TagValue you have provided is invalid", key)
        if key.lower().startswith("aws:"):
            raise errors.invalid_tag(aws_prefix_message, key)
        if key in seen:
            raise errors.invalid_tag("Cannot provide multiple Tags with the same key", key)
        seen.add(key)
        result.append({"Key": key, "Value": value})
    return result
