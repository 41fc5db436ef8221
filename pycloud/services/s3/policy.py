"""Bucket policies: validated with the shared policy engine and stored as sent."""

from __future__ import annotations

import json

from pycloud.iam.policy import PolicyError, parse_policy
from pycloud.services.s3 import errors

MAX_POLICY_BYTES = 20 * 1024


def validate_policy(text: str | None) -> str:
    """The policy text to store; ``MalformedPolicy`` unless it is a valid resource policy within 20 KB."""
    text = text or ""
    if len(text.encode("utf-8")) > MAX_POLICY_BYTES:
        raise errors.malformed_policy("Policy exceeds the maximum allowed document size.")
    if not text.lstrip().startswith("{"):
        raise errors.malformed_policy("Policies must be valid JSON and the first byte must be '{'")
    try:
        json.loads(text)
    except ValueError:
        raise errors.malformed_policy("This policy contains invalid Json") from None
    try:
        parse_policy(text, kind="resource")
    except PolicyError as exc:
        raise errors.malformed_policy(exc.message) from None
    return text
