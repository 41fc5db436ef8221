"""Subscription protocols and the endpoints each accepts."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from pycloud.services.sns.errors import invalid_parameter

PROTOCOLS = ("http", "https", "email", "email-json", "sms", "sqs", "application", "lambda", "firehose")
CONFIRMED_AT_ONCE = frozenset({"sqs", "lambda", "sms", "application", "firehose"})
"""Protocols whose subscriptions need no confirmation (the others wait for ConfirmSubscription)."""
FIFO_PROTOCOLS = frozenset({"sqs", "firehose"})
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9][0-9\- ]{3,18}[0-9]$")


def _arn_parts(endpoint: str, service: str) -> list[str] | None:
    parts = endpoint.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != service or not parts[3] or not parts[4] or not parts[5]:
        return None
    return parts


def validate_endpoint(protocol: str, endpoint: str | None, fifo_topic: bool) -> str:
    """Check a Subscribe request's protocol and endpoint; returns the endpoint to store."""
    if protocol not in PROTOCOLS:
        raise invalid_parameter(f"Invalid parameter: Amazon SNS does not support this protocol string: {protocol}")
    if fifo_topic and protocol not in FIFO_PROTOCOLS:
        raise invalid_parameter(f"Invalid parameter: Invalid protocol type: {protocol}")
    if not endpoint:
        raise invalid_parameter("Invalid parameter: Endpoint")
    if protocol in ("http", "https"):
        parts = urlsplit(endpoint)
        if parts.scheme.lower() != protocol:
            raise invalid_parameter("Invalid parameter: Endpoint must match the specified protocol")
        if not parts.hostname:
            raise invalid_parameter("Invalid parameter: Endpoint")
    elif protocol in ("email", "email-json"):
        if not _EMAIL.match(endpoint):
            raise invalid_parameter("Invalid parameter: Email address")
    elif protocol == "sms":
        if not _PHONE.match(endpoint):
            raise invalid_parameter(f"Invalid SMS endpoint: {endpoint}")
        return re.sub(r"[\- ]", "", endpoint)
    elif protocol == "sqs":
        parts = _arn_parts(endpoint, "sqs")
        if parts is None:
            raise invalid_parameter("Invalid parameter: SQS endpoint ARN")
        if parts[5].endswith(".fifo") and not fifo_topic:
            raise invalid_parameter(
                "Invalid parameter: Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be subscribed to standard SNS topics"
            )
    elif protocol == "lambda":
        parts = _arn_parts(endpoint, "lambda")
        if parts is None or not parts[5].startswith("function:"):
            raise invalid_parameter("Invalid parameter: Lambda endpoint ARN")
    elif protocol == "application":
        parts = _arn_parts(endpoint, "sns")
        if parts is None or not parts[5].startswith("endpoint/"):
            raise invalid_parameter("Invalid parameter: Application endpoint arn invalid")
    elif protocol == "firehose":
        parts = _arn_parts(endpoint, "firehose")
        if parts is None or not parts[5].startswith("deliverystream/"):
            raise invalid_parameter("Invalid parameter: Firehose endpoint ARN")
    return endpoint
