"""Queue attributes: every attribute SQS documents, its validation, defaults and stored form.

A queue stores only the settable attributes it was given (normalized text, as GetQueueAttributes
returns them); :func:`effective` fills in the defaults. Read-only attributes (``Approximate*``,
``CreatedTimestamp``, ``LastModifiedTimestamp``, ``QueueArn``) are computed when read. Checks that
need other queues (does the dead-letter target exist, does its RedriveAllowPolicy let this queue
use it) are the provider's; this module validates each value on its own.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from pycloud.iam.arn import try_parse_arn
from pycloud.iam.policy import PolicyError, parse_policy
from pycloud.services.sqs import errors

MAX_POLICY_BYTES = 20 * 1024
MAX_REDRIVE_SOURCES = 10


@dataclass(frozen=True)
class IntRange:
    low: int
    high: int


# Settable attributes: name → integer range (integers) or the allowed values (enumerations);
# None means validated by its own function below.
_INTEGERS: dict[str, IntRange] = {
    "DelaySeconds": IntRange(0, 900),
    "MaximumMessageSize": IntRange(1024, 1_048_576),
    "MessageRetentionPeriod": IntRange(60, 1_209_600),
    "ReceiveMessageWaitTimeSeconds": IntRange(0, 20),
    "VisibilityTimeout": IntRange(0, 43_200),
    "KmsDataKeyReusePeriodSeconds": IntRange(60, 86_400),
}
_BOOLEANS = frozenset({"FifoQueue", "ContentBasedDeduplication", "SqsManagedSseEnabled"})
_ENUMS: dict[str, frozenset[str]] = {
    "DeduplicationScope": frozenset({"messageGroup", "queue"}),
    "FifoThroughputLimit": frozenset({"perQueue", "perMessageGroupId"}),
}
_TEXT = frozenset({"Policy", "RedrivePolicy", "RedriveAllowPolicy", "KmsMasterKeyId"})

FIFO_ONLY = frozenset({"FifoQueue", "ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit"})
SETTABLE = frozenset(_INTEGERS) | _BOOLEANS | frozenset(_ENUMS) | _TEXT
READ_ONLY = frozenset(
    {
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
        "CreatedTimestamp",
        "LastModifiedTimestamp",
        "QueueArn",
    }
)
ALL = "All"

DEFAULTS: dict[str, str] = {
    "DelaySeconds": "0",
    "MaximumMessageSize": "1048576",
    "MessageRetentionPeriod": "345600",
    "ReceiveMessageWaitTimeSeconds": "0",
    "VisibilityTimeout": "30",
    "SqsManagedSseEnabled": "true",
}
FIFO_DEFAULTS: dict[str, str] = {
    "FifoQueue": "true",
    "ContentBasedDeduplication": "false",
    "DeduplicationScope": "queue",
    "FifoThroughputLimit": "perQueue",
}
KMS_REUSE_DEFAULT = "300"

# The order GetQueueAttributes lists attributes in (``All``); others follow alphabetically.
ORDER = (
    "Policy",
    "QueueArn",
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
    "CreatedTimestamp",
    "LastModifiedTimestamp",
    "VisibilityTimeout",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "DelaySeconds",
    "ReceiveMessageWaitTimeSeconds",
    "RedrivePolicy",
    "RedriveAllowPolicy",
    "FifoQueue",
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "FifoThroughputLimit",
    "KmsMasterKeyId",
    "KmsDataKeyReusePeriodSeconds",
    "SqsManagedSseEnabled",
)
_INTEGER_TEXT = re.compile(r"[+-]?\d{1,12}")


@dataclass(frozen=True)
class Redrive:
    """A parsed RedrivePolicy."""

    target_arn: str
    max_receive_count: int


def parse_int(name: str, value: str) -> int:
    """An integer attribute's value within its range, else ``InvalidAttributeValue``."""
    bounds = _INTEGERS[name]
    text = str(value).strip()
    if not _INTEGER_TEXT.fullmatch(text):
        raise errors.invalid_attribute_value(name)
    number = int(text)
    if not bounds.low <= number <= bounds.high:
        raise errors.invalid_attribute_value(name)
    return number


def _parse_bool(name: str, value: str) -> str:
    text = str(value).strip().lower()
    if text not in ("true", "false"):
        raise errors.invalid_attribute_value(name)
    return text


def validate_policy(value: str) -> str:
    """A queue policy: a valid resource policy document within 20 KB."""
    if len(value.encode("utf-8")) > MAX_POLICY_BYTES:
        raise errors.invalid_attribute_value("Policy", "Policy exceeds the maximum allowed document size.")
    try:
        json.loads(value)
        parse_policy(value, kind="resource")
    except PolicyError as exc:
        raise errors.invalid_attribute_value("Policy", exc.message) from None
    except ValueError:
        raise errors.invalid_attribute_value("Policy", "The policy is not valid JSON.") from None
    return value


def _json_object(name: str, value: str) -> dict[str, Any]:
    try:
        document = json.loads(value)
    except ValueError:
        document = None
    if not isinstance(document, dict):
        raise errors.invalid_value(name, value, f"{name} must be a JSON object.")
    return document


def parse_redrive_policy(value: str) -> Redrive:
    """``{"deadLetterTargetArn": ..., "maxReceiveCount": 1..1000}`` (the count may be a string)."""
    document = _json_object("RedrivePolicy", value)
    unknown = set(document) - {"deadLetterTargetArn", "maxReceiveCount"}
    if unknown:
        raise errors.invalid_value("RedrivePolicy", value, f"Unknown attribute {sorted(unknown)[0]}.")
    target = document.get("deadLetterTargetArn")
    parsed = try_parse_arn(target) if isinstance(target, str) else None
    if parsed is None or parsed.service != "sqs":
        raise errors.invalid_value("RedrivePolicy", value, "Invalid value for deadLetterTargetArn.")
    count = document.get("maxReceiveCount")
    if isinstance(count, str) and _INTEGER_TEXT.fullmatch(count.strip()):
        count = int(count)
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 1000:
        raise errors.invalid_value(
            "RedrivePolicy", value,
            f"Invalid value for maxReceiveCount: {count}, valid values are from 1 to 1000 both inclusive.",
        )
    return Redrive(target, count)


def format_redrive_policy(redrive: Redrive) -> str:
    """The stored (and returned) form of a RedrivePolicy."""
    return json.dumps(
        {"deadLetterTargetArn": redrive.target_arn, "maxReceiveCount": redrive.max_receive_count},
        separators=(",", ":"),
    )


def validate_redrive_allow_policy(value: str) -> str:
    """``{"redrivePermission": allowAll|denyAll|byQueue, "sourceQueueArns": [...] (byQueue only)}``."""
    document = _json_object("RedriveAllowPolicy", value)
    permission = document.get("redrivePermission")
    if permission not in ("allowAll", "denyAll", "byQueue"):
        raise errors.invalid_value(
            "RedriveAllowPolicy", value, "Amazon SQS can't create the redrive allow policy, as it's in an unsupported format."
        )
    sources = document.get("sourceQueueArns")
    if permission == "byQueue":
        if not isinstance(sources, list) or not sources or len(sources) > MAX_REDRIVE_SOURCES:
            raise errors.invalid_value(
                "RedriveAllowPolicy", value,
                f"Amazon SQS can't create the redrive allow policy. When you specify the byQueue permission "
                f"type, you must also specify one or more sourceQueueArns values, up to {MAX_REDRIVE_SOURCES}.",
            )
        if not all(isinstance(arn, str) and try_parse_arn(arn) is not None for arn in sources):
            raise errors.invalid_value("RedriveAllowPolicy", value, "Invalid value for sourceQueueArns.")
    elif sources is not None:
        raise errors.invalid_value(
            "RedriveAllowPolicy", value,
            "Amazon SQS can't create the redrive allow policy. To specify one or more source queue ARNs, "
            "you must set redrivePermission to byQueue.",
        )
    return json.dumps(document, separators=(",", ":"))


def redrive_allows(allow_policy: str | None, source_arn: str) -> bool:
    """Whether a dead-letter queue's RedriveAllowPolicy lets ``source_arn`` name it as its target."""
    if not allow_policy:
        return True
    document = json.loads(allow_policy)
    permission = document.get("redrivePermission")
    if permission == "denyAll":
        return False
    if permission == "byQueue":
        return source_arn in (document.get("sourceQueueArns") or [])
    return True


def validate(attributes: dict[str, Any] | None, *, fifo: bool, creating: bool) -> dict[str, str]:
    """Validate a CreateQueue/SetQueueAttributes ``Attributes`` map; returns normalized values.

    An empty Policy/RedrivePolicy/RedriveAllowPolicy/KmsMasterKeyId means "remove" and is kept as
    "". Unknown names, read-only names and FIFO-only names on a standard queue are
    ``InvalidAttributeName``; FifoQueue can only be given at creation.
    """
    out: dict[str, str] = {}
    for name, raw in (attributes or {}).items():
        value = "" if raw is None else str(raw)
        if name not in SETTABLE or (name in FIFO_ONLY and not fifo and not (name == "FifoQueue" and creating)):
            raise errors.invalid_attribute_name(name)
        if name in _INTEGERS:
            out[name] = str(parse_int(name, value))
        elif name in _BOOLEANS:
            out[name] = _parse_bool(name, value)
        elif name in _ENUMS:
            if value not in _ENUMS[name]:
                raise errors.invalid_attribute_value(name)
            out[name] = value
        elif not value:
            out[name] = ""
        elif name == "Policy":
            out[name] = validate_policy(value)
        elif name == "RedrivePolicy":
            out[name] = format_redrive_policy(parse_redrive_policy(value))
        elif name == "RedriveAllowPolicy":
            out[name] = validate_redrive_allow_policy(value)
        else:  # KmsMasterKeyId: an alias, key id or key ARN; KMS is not checked
            out[name] = value
    if "FifoQueue" in out:
        if not creating:
            raise errors.invalid_attribute_name("FifoQueue")
        if (out["FifoQueue"] == "true") != fifo:
            raise errors.invalid_attribute_value("FifoQueue")
        if not fifo:
            del out["FifoQueue"]  # "false" on a standard queue says nothing
    if out.get("SqsManagedSseEnabled") == "true" and out.get("KmsMasterKeyId"):
        raise errors.invalid_attribute_value(
            "SqsManagedSseEnabled", "You can use one type of server-side encryption (SSE) at one time."
        )
    return out


def merge(stored: dict[str, str], changes: dict[str, str], *, fifo: bool) -> dict[str, str]:
    """The stored attributes after applying validated ``changes`` ("" removes), with the
    cross-attribute rules checked on the result."""
    merged = dict(stored)
    for name, value in changes.items():
        if value == "" and name in _TEXT:
            merged.pop(name, None)
        else:
            merged[name] = value
    if changes.get("KmsMasterKeyId"):
        merged["SqsManagedSseEnabled"] = "false"  # one kind of server-side encryption at a time
    elif changes.get("SqsManagedSseEnabled") == "true":
        merged.pop("KmsMasterKeyId", None)
        merged.pop("KmsDataKeyReusePeriodSeconds", None)
    full = effective(merged, fifo=fifo)
    if full.get("FifoThroughputLimit") == "perMessageGroupId" and full.get("DeduplicationScope") != "messageGroup":
        raise errors.invalid_attribute_value(
            "FifoThroughputLimit",
            "The perMessageGroupId value is allowed only when the value for DeduplicationScope is messageGroup.",
        )
    return merged


def effective(stored: dict[str, str], *, fifo: bool) -> dict[str, str]:
    """Every settable attribute's current value: the stored ones over the defaults."""
    values = dict(DEFAULTS)
    if fifo:
        values.update(FIFO_DEFAULTS)
    if stored.get("KmsMasterKeyId"):
        values["KmsDataKeyReusePeriodSeconds"] = KMS_REUSE_DEFAULT
        values["SqsManagedSseEnabled"] = "false"
    values.update(stored)
    return values


def requested_names(names: list[str] | None) -> list[str]:
    """The attribute names GetQueueAttributes should answer (``All`` expands); unknown names are
    ``InvalidAttributeName``."""
    wanted: list[str] = []
    for name in names or ():
        if name == ALL:
            return list(ORDER)
        if name not in SETTABLE and name not in READ_ONLY:
            raise errors.invalid_attribute_name(name)
        if name not in wanted:
            wanted.append(name)
    return wanted


def differing(requested: dict[str, str], current: dict[str, str]) -> str | None:
    """The first attribute CreateQueue was given with a value different from the existing queue's."""
    for name, value in requested.items():
        if current.get(name, "") != value:
            return name
    return None


