"""Lifecycle configuration: rule validation (filters, transitions, expirations, noncurrent and
multipart-abort actions) as S3 applies it on PutBucketLifecycleConfiguration."""

from __future__ import annotations

import secrets
from datetime import datetime
from itertools import pairwise
from typing import Any

from pycloud.services.s3 import errors

MAX_RULES = 1000
MAX_ID = 255
MIN_SIZES = frozenset({"all_storage_classes_128K", "varies_by_storage_class"})
DEFAULT_MIN_SIZE = "all_storage_classes_128K"
TRANSITION_RANK = {
    "STANDARD_IA": 1, "INTELLIGENT_TIERING": 2, "ONEZONE_IA": 3, "GLACIER_IR": 3, "GLACIER": 4, "DEEP_ARCHIVE": 5,
}
"""Storage classes a transition may move to, in waterfall order: a version only moves to a higher
rank (so ONEZONE_IA and GLACIER_IR never follow each other)."""
_IA_CLASSES = frozenset({"STANDARD_IA", "ONEZONE_IA"})
_IA_MIN_DAYS = 30
_ACTIONS = (
    "Expiration",
    "Transitions",
    "NoncurrentVersionTransitions",
    "NoncurrentVersionExpiration",
    "AbortIncompleteMultipartUpload",
)


def _positive(value: Any, message: str) -> None:
    if not isinstance(value, int) or value <= 0:
        raise errors.invalid_argument(message)


def _check_filter(rule: dict[str, Any]) -> bool:
    """Validate the rule's Prefix/Filter; returns whether the filter uses tags."""
    has_prefix, flt = "Prefix" in rule, rule.get("Filter")
    if has_prefix == (flt is not None):
        raise errors.malformed_xml()  # exactly one of the legacy Prefix and Filter
    if flt is None:
        return False
    forms = [
        k for k in ("Prefix", "Tag", "And", "ObjectSizeGreaterThan", "ObjectSizeLessThan") if flt.get(k) is not None
    ]
    if len(forms) > 1:
        raise errors.malformed_xml()
    predicate = flt.get("And") or flt
    tags = predicate.get("Tags") or ([flt["Tag"]] if flt.get("Tag") else [])
    keys = [tag.get("Key") for tag in tags]
    if any(not key for key in keys):
        raise errors.malformed_xml()
    if len(set(keys)) != len(keys):
        raise errors.invalid_request("Duplicate Tag Keys are not allowed.")
    above, below = predicate.get("ObjectSizeGreaterThan"), predicate.get("ObjectSizeLessThan")
    if (above is not None and above < 0) or (below is not None and below <= 0):
        raise errors.invalid_argument("Object size filters must be positive values.")
    if above is not None and below is not None and above >= below:
        raise errors.invalid_argument("ObjectSizeGreaterThan must be less than ObjectSizeLessThan")
    return bool(tags)


def _check_date(date: datetime) -> None:
    if (date.hour, date.minute, date.second, date.microsecond) != (0, 0, 0, 0):
        raise errors.invalid_argument("'Date' must be at midnight GMT")


def _check_expiration(expiration: dict[str, Any], tagged: bool) -> None:
    forms = [k for k in ("Days", "Date", "ExpiredObjectDeleteMarker") if expiration.get(k) is not None]
    if len(forms) != 1:
        raise errors.malformed_xml()
    if "Days" in forms:
        _positive(expiration["Days"], "'Days' for Expiration action must be a positive integer")
    elif "Date" in forms:
        _check_date(expiration["Date"])
    elif tagged:
        raise errors.invalid_request("ExpiredObjectDeleteMarker cannot be specified with tags.")


def _check_storage_class(storage_class: Any, days: int | None, label: str) -> None:
    if storage_class not in TRANSITION_RANK:
        raise errors.malformed_xml()
    if days is not None and storage_class in _IA_CLASSES and days < _IA_MIN_DAYS:
        raise errors.invalid_argument(
            f"'{label}' in {'NoncurrentVersionTransition' if label == 'NoncurrentDays' else 'Transition'} action must "
            f"be greater than or equal to {_IA_MIN_DAYS} for storageClass '{storage_class}'"
        )


def _check_order(steps: list[tuple[int, str]], label: str) -> None:
    """Transitions sorted by age must walk down the storage-class waterfall, 30 days after an IA class."""
    classes = [cls for _, cls in steps]
    if len(set(classes)) != len(classes):
        raise errors.invalid_request(f"'StorageClass' must be different for '{label}' actions in same 'Rule'")
    ordered = sorted(steps)
    for (days_a, cls_a), (days_b, cls_b) in pairwise(ordered):
        if TRANSITION_RANK[cls_b] <= TRANSITION_RANK[cls_a] or days_b == days_a:
            raise errors.invalid_argument(
                f"'{label}' action for StorageClass '{cls_b}' cannot follow StorageClass '{cls_a}'"
            )
        if cls_a in _IA_CLASSES and days_b - days_a < _IA_MIN_DAYS:
            raise errors.invalid_argument(
                f"'Days' in the {label} action for StorageClass '{cls_b}' must be 30 days more than "
                f"'Days' in the {label} action for StorageClass '{cls_a}'"
            )


def _check_transitions(transitions: list[dict[str, Any]], expiration: dict[str, Any] | None) -> None:
    with_days = [t for t in transitions if t.get("Days") is not None]
    with_date = [t for t in transitions if t.get("Date") is not None]
    if any((t.get("Days") is None) == (t.get("Date") is None) for t in transitions):
        raise errors.malformed_xml()
    if with_days and with_date:
        raise errors.invalid_request("Found mixed 'Date' and 'Days' based Transition actions in lifecycle rule")
    for t in with_days:
        if not isinstance(t["Days"], int) or t["Days"] < 0:
            raise errors.invalid_argument("'Days' in Transition action must be nonnegative")
        _check_storage_class(t.get("StorageClass"), t["Days"], "Days")
    for t in with_date:
        _check_date(t["Date"])
        _check_storage_class(t.get("StorageClass"), None, "Days")
    if with_days:
        _check_order([(t["Days"], t["StorageClass"]) for t in with_days], "Transition")
        if (
            expiration
            and expiration.get("Days") is not None
            and expiration["Days"] <= max(t["Days"] for t in with_days)
        ):
            raise errors.invalid_argument(
                "'Days' in the Expiration action must be greater than 'Days' in the Transition action"
            )
    if with_date and expiration and expiration.get("Date") is not None:
        if expiration["Date"] <= max(t["Date"] for t in with_date):
            raise errors.invalid_argument(
                "'Date' in the Expiration action must be later than 'Date' in the Transition action"
            )


def _check_newer_versions(value: Any) -> None:
    if value is not None and (not isinstance(value, int) or not 1 <= value <= 100):
        raise errors.invalid_argument("NewerNoncurrentVersions must be a positive integer from 1 to 100")


def _check_noncurrent(rule: dict[str, Any]) -> None:
    transitions = rule.get("NoncurrentVersionTransitions") or []
    for t in transitions:
        days = t.get("NoncurrentDays")
        if days is None:
            raise errors.malformed_xml()
        if days < 0:
            raise errors.invalid_argument("'NoncurrentDays' in NoncurrentVersionTransition action must be nonnegative")
        _check_storage_class(t.get("StorageClass"), days, "NoncurrentDays")
        _check_newer_versions(t.get("NewerNoncurrentVersions"))
    if transitions:
        _check_order([(t["NoncurrentDays"], t["StorageClass"]) for t in transitions], "NoncurrentVersionTransition")
    expiration = rule.get("NoncurrentVersionExpiration")
    if expiration is not None:
        _positive(
            expiration.get("NoncurrentDays"),
            "'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer",
        )
        _check_newer_versions(expiration.get("NewerNoncurrentVersions"))
        if transitions and expiration["NoncurrentDays"] <= max(t["NoncurrentDays"] for t in transitions):
            raise errors.invalid_argument(
                "'NoncurrentDays' in the NoncurrentVersionExpiration action must be greater than "
                "'NoncurrentDays' in the NoncurrentVersionTransition action"
            )


def _check_rule(rule: dict[str, Any]) -> dict[str, Any]:
    if rule.get("Status") not in ("Enabled", "Disabled"):
        raise errors.malformed_xml()
    rule_id = rule.get("ID")
    if rule_id is not None and len(rule_id) > MAX_ID:
        raise errors.invalid_argument(f"ID length should not exceed allowed limit of {MAX_ID}")
    tagged = _check_filter(rule)
    if not any(rule.get(action) for action in _ACTIONS):
        raise errors.invalid_request("At least one action needs to be specified in a rule")
    expiration = rule.get("Expiration")
    if expiration is not None:
        _check_expiration(expiration, tagged)
    _check_transitions(rule.get("Transitions") or [], expiration)
    _check_noncurrent(rule)
    abort = rule.get("AbortIncompleteMultipartUpload")
    if abort is not None:
        if tagged:
            raise errors.invalid_request("AbortIncompleteMultipartUpload cannot be specified with Tags.")
        _positive(
            abort.get("DaysAfterInitiation"),
            "'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive integer",
        )
    stored = {k: v for k, v in rule.items() if v is not None and v != []}
    if not rule_id:
        stored["ID"] = secrets.token_urlsafe(36)[:48]  # S3 names unnamed rules itself
    return stored


def validate_lifecycle(config: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The rules to store (IDs filled in), or the AWS error for the first problem found."""
    rules = (config or {}).get("Rules")
    if not rules or len(rules) > MAX_RULES:
        raise errors.malformed_xml()
    ids = [rule["ID"] for rule in rules if rule.get("ID")]
    if len(set(ids)) != len(ids):
        raise errors.invalid_argument("Rule ID must be unique. Found same ID for more than one rule")
    return [_check_rule(rule) for rule in rules]


def validate_min_size(value: str | None) -> str:
    """The ``x-amz-transition-default-minimum-object-size`` setting (128 KB for all classes by default)."""
    if value is None:
        return DEFAULT_MIN_SIZE
    if value not in MIN_SIZES:
        raise errors.invalid_request(f"Invalid TransitionDefaultMinimumObjectSize: {value}")
    return value
