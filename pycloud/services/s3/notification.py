"""Event notification configuration: SNS/SQS/Lambda destinations, event names, key filters, overlap.

Destinations are checked for ARN form and service only: whether the topic/queue/function exists and
lets S3 publish is checked once those services can be asked (not yet).
"""

from __future__ import annotations

import secrets
from typing import Any

from pycloud.protocol.model import load_service_model
from pycloud.services.s3 import errors

# configuration list member → (ARN member, the ARN's service)
KINDS = {
    "TopicConfigurations": ("TopicArn", "sns"),
    "QueueConfigurations": ("QueueArn", "sqs"),
    "LambdaFunctionConfigurations": ("LambdaFunctionArn", "lambda"),
}


def _events() -> frozenset[str]:
    return frozenset(load_service_model("s3").shapes["Event"]["enum"])


def _check_arn(arn: Any, service: str) -> None:
    parts = arn.split(":", 6) if isinstance(arn, str) else []
    if len(parts) < 6 or parts[0] != "arn" or parts[2] != service or not parts[3] or not parts[5]:
        raise errors.invalid_argument(
            "Unable to validate the following destination configurations", str(arn), "Invalid ARN"
        )


def _filter_rules(config: dict[str, Any]) -> dict[str, str]:
    """The key filter as ``{"prefix": ..., "suffix": ...}`` (names are case-insensitive)."""
    rules = (((config.get("Filter") or {}).get("Key")) or {}).get("FilterRules") or []
    found: dict[str, str] = {}
    for rule in rules:
        name = str(rule.get("Name") or "").lower()
        if name not in ("prefix", "suffix"):
            raise errors.invalid_argument(
                "filter rule name must be either prefix or suffix", "FilterRule.Name", rule.get("Name")
            )
        if name in found:
            raise errors.invalid_argument(
                f"Cannot specify more than one {name} rule in a filter.", "FilterRule.Name", name
            )
        found[name] = rule.get("Value") or ""
    return found


def _events_overlap(a: str, b: str) -> bool:
    if a == b:
        return True
    return (a.endswith(":*") and b.startswith(a[:-1])) or (b.endswith(":*") and a.startswith(b[:-1]))


def _filters_overlap(a: dict[str, str], b: dict[str, str]) -> bool:
    pa, pb = a.get("prefix", ""), b.get("prefix", "")
    sa, sb = a.get("suffix", ""), b.get("suffix", "")
    return (pa.startswith(pb) or pb.startswith(pa)) and (sa.endswith(sb) or sb.endswith(sa))


def validate_notification(config: dict[str, Any] | None) -> dict[str, Any]:
    """The NotificationConfiguration to store (Ids filled in); an empty one turns notifications off."""
    config = config or {}
    known = _events()
    stored: dict[str, Any] = {}
    seen: list[tuple[str, dict[str, str], str]] = []  # (event, filter, destination ARN)
    for kind, (arn_member, service) in KINDS.items():
        entries = []
        for entry in config.get(kind) or []:
            _check_arn(entry.get(arn_member), service)
            events = entry.get("Events") or []
            if not events:
                raise errors.malformed_xml()
            for event in events:
                if event not in known:
                    raise errors.invalid_argument("The event is not supported for notifications", "Event", event)
            key_filter = _filter_rules(entry)
            for event in events:
                for other_event, other_filter, _ in seen:
                    if _events_overlap(event, other_event) and _filters_overlap(key_filter, other_filter):
                        raise errors.invalid_argument(
                            "Configurations overlap. Configurations on the same bucket cannot share a common event type.",
                            "Event",
                            event,
                        )
            seen.extend((event, key_filter, entry[arn_member]) for event in events)
            item = {k: v for k, v in entry.items() if v is not None}
            item.setdefault("Id", secrets.token_hex(16))
            entries.append(item)
        if entries:
            stored[kind] = entries
    if config.get("EventBridgeConfiguration") is not None:
        stored["EventBridgeConfiguration"] = {}
    return stored
