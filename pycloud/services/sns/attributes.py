"""Topic and subscription attributes: which names exist, their validation and defaults.

Values are strings, as on the wire. Validators return the value to store (normalised where SNS
normalises, e.g. booleans to lowercase) or raise ``InvalidParameter`` with SNS's message.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pycloud.iam.policy import PolicyError, parse_policy
from pycloud.services.sns import filter_policy, retry
from pycloud.services.sns.errors import invalid_parameter

BACKOFF_FUNCTIONS = ("arithmetic", "exponential", "geometric", "linear")
DEFAULT_RETRY_POLICY: dict[str, Any] = {
    "minDelayTarget": 20,
    "maxDelayTarget": 20,
    "numRetries": 3,
    "numMaxDelayRetries": 0,
    "numNoDelayRetries": 0,
    "numMinDelayRetries": 0,
    "backoffFunction": "linear",
}
DEFAULT_DELIVERY_POLICY: dict[str, Any] = {
    "http": {
        "defaultHealthyRetryPolicy": DEFAULT_RETRY_POLICY,
        "disableSubscriptionOverrides": False,
        "defaultRequestPolicy": {"headerContentType": "text/plain; charset=UTF-8"},
    }
}
_FEEDBACK = tuple(
    f"{proto}{what}"
    for proto in ("HTTP", "SQS", "Lambda", "Application", "Firehose")
    for what in ("SuccessFeedbackRoleArn", "FailureFeedbackRoleArn", "SuccessFeedbackSampleRate")
)
TOPIC_SETTABLE = frozenset({
    "Policy", "DisplayName", "DeliveryPolicy", "KmsMasterKeyId", "SignatureVersion", "TracingConfig",
    "ContentBasedDeduplication", "ArchivePolicy", "FifoThroughputScope", "DataProtectionPolicy", *_FEEDBACK,
})
TOPIC_CREATE_ONLY = frozenset({"FifoTopic"})
SUBSCRIPTION_SETTABLE = frozenset({
    "DeliveryPolicy", "FilterPolicy", "FilterPolicyScope", "RawMessageDelivery", "RedrivePolicy",
    "SubscriptionRoleArn", "ReplayPolicy",
})
RAW_DELIVERY_PROTOCOLS = frozenset({"sqs", "http", "https", "firehose"})
_MEDIA_TYPE = re.compile(r"^[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+( *;.*)?$")


def _boolean(name: str, value: str) -> str:
    lowered = value.strip().lower()
    if lowered not in ("true", "false"):
        raise invalid_parameter(f"Invalid parameter: Attributes Reason: {name}: Invalid value [{value}]. Must be true or false.")
    return lowered


def _json_object(name: str, value: str) -> dict[str, Any]:
    try:
        parsed = json.loads(value)
    except ValueError:
        raise invalid_parameter(f"Invalid parameter: {name}: failed to parse JSON.") from None
    if not isinstance(parsed, dict):
        raise invalid_parameter(f"Invalid parameter: {name}: must be a JSON object.")
    return parsed


def _retry_policy(name: str, policy: Any) -> None:
    """Validate a (default)HealthyRetryPolicy: delays 1-3600 s, retries 0-100, a known backoff and a
    whole schedule of at most an hour."""
    if not isinstance(policy, dict):
        raise invalid_parameter(f"Invalid parameter: {name}: healthyRetryPolicy must be an object")
    ints = {}
    for key in ("minDelayTarget", "maxDelayTarget", "numRetries", "numMaxDelayRetries", "numNoDelayRetries",
                "numMinDelayRetries"):
        if key in policy:
            value = policy[key]
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise invalid_parameter(f"Invalid parameter: {name}: {key} must be a non-negative integer")
            ints[key] = value
    if ints.get("numRetries", 0) > 100:
        raise invalid_parameter(f"Invalid parameter: {name}: numRetries must be between 0 and 100")
    for key in ("minDelayTarget", "maxDelayTarget"):
        if key in ints and not 1 <= ints[key] <= retry.MAX_TOTAL_SECONDS:
            raise invalid_parameter(f"Invalid parameter: {name}: {key} must be between 1 and 3600 seconds")
    merged = {**DEFAULT_RETRY_POLICY, **ints}
    if merged["minDelayTarget"] > merged["maxDelayTarget"]:
        raise invalid_parameter(f"Invalid parameter: {name}: minDelayTarget must be less than or equal to maxDelayTarget")
    phases = sum(merged[k] for k in ("numMaxDelayRetries", "numNoDelayRetries", "numMinDelayRetries"))
    if phases > merged["numRetries"]:
        raise invalid_parameter(f"Invalid parameter: {name}: numRetries must be at least the sum of the phase retries")
    backoff = policy.get("backoffFunction", "linear")
    if backoff not in BACKOFF_FUNCTIONS:
        raise invalid_parameter(f"Invalid parameter: {name}: backoffFunction must be one of {', '.join(BACKOFF_FUNCTIONS)}")
    if retry.total_seconds({**merged, "backoffFunction": backoff}) > retry.MAX_TOTAL_SECONDS:
        raise invalid_parameter(f"Invalid parameter: {name}: the total retry time must not exceed 3600 seconds")


def _throttle_policy(name: str, policy: Any) -> None:
    """A (default)ThrottlePolicy: ``maxReceivesPerSecond``, a positive integer."""
    rate = policy.get("maxReceivesPerSecond") if isinstance(policy, dict) else None
    if not isinstance(policy, dict) or (
        "maxReceivesPerSecond" in policy and (isinstance(rate, bool) or not isinstance(rate, int) or rate < 1)
    ):
        raise invalid_parameter(f"Invalid parameter: {name}: maxReceivesPerSecond must be a positive integer")


def _request_policy(name: str, policy: Any) -> None:
    """A (default)RequestPolicy: ``headerContentType`` is a media type (``type/subtype[; parameters]``)."""
    content_type = policy.get("headerContentType") if isinstance(policy, dict) else None
    if not isinstance(policy, dict) or (
        "headerContentType" in policy and (not isinstance(content_type, str) or not _MEDIA_TYPE.match(content_type))
    ):
        raise invalid_parameter(f"Invalid parameter: {name}: headerContentType is not a supported content type")


def _topic_delivery_policy(value: str) -> str:
    policy = _json_object("DeliveryPolicy", value)
    for proto, section in policy.items():
        if not isinstance(section, dict):
            raise invalid_parameter(f"Invalid parameter: DeliveryPolicy: {proto} must be an object")
        if "defaultHealthyRetryPolicy" in section:
            _retry_policy("DeliveryPolicy", section["defaultHealthyRetryPolicy"])
        if "defaultThrottlePolicy" in section:
            _throttle_policy("DeliveryPolicy", section["defaultThrottlePolicy"])
        if "defaultRequestPolicy" in section:
            _request_policy("DeliveryPolicy", section["defaultRequestPolicy"])
        overrides = section.get("disableSubscriptionOverrides", False)
        if not isinstance(overrides, bool):
            raise invalid_parameter("Invalid parameter: DeliveryPolicy: disableSubscriptionOverrides must be a boolean")
    return value


def _subscription_delivery_policy(value: str) -> str:
    policy = _json_object("DeliveryPolicy", value)
    if "healthyRetryPolicy" in policy:
        _retry_policy("DeliveryPolicy", policy["healthyRetryPolicy"])
    if "throttlePolicy" in policy:
        _throttle_policy("DeliveryPolicy", policy["throttlePolicy"])
    if "requestPolicy" in policy:
        _request_policy("DeliveryPolicy", policy["requestPolicy"])
    return value


def _topic_policy(value: str) -> str:
    try:
        parse_policy(value, kind="resource")
    except PolicyError as exc:
        raise invalid_parameter(f"Invalid parameter: Policy Error: {exc}") from None
    return value


def validate_topic_attribute(name: str, value: str, fifo: bool, *, creating: bool = False) -> str:
    """Validate one topic attribute for a topic of this kind; returns the value to store."""
    if name not in TOPIC_SETTABLE and not (creating and name in TOPIC_CREATE_ONLY):
        raise invalid_parameter("Invalid parameter: AttributeName")
    if name == "DisplayName":
        if len(value) > 100:
            raise invalid_parameter("Invalid parameter: DisplayName")
    elif name == "Policy":
        return _topic_policy(value)
    elif name == "DeliveryPolicy":
        return _topic_delivery_policy(value) if value else value
    elif name == "SignatureVersion":
        if value not in ("1", "2"):
            raise invalid_parameter("Invalid parameter: SignatureVersion")
    elif name == "TracingConfig":
        if value not in ("PassThrough", "Active"):
            raise invalid_parameter("Invalid parameter: TracingConfig")
    elif name == "FifoTopic":
        return _boolean(name, value)
    elif name == "ContentBasedDeduplication":
        if not fifo:
            raise invalid_parameter(
                "Invalid parameter: ContentBasedDeduplication: Content-based deduplication can only be set for FIFO topics"
            )
        return _boolean(name, value)
    elif name == "FifoThroughputScope":
        if not fifo:
            raise invalid_parameter("Invalid parameter: FifoThroughputScope: can only be set for FIFO topics")
        if value not in ("Topic", "MessageGroup"):
            raise invalid_parameter("Invalid parameter: FifoThroughputScope")
    elif name == "ArchivePolicy":
        if not fifo:
            raise invalid_parameter("Invalid parameter: ArchivePolicy: can only be set for FIFO topics")
        if value:
            period = _json_object("ArchivePolicy", value).get("MessageRetentionPeriod")
            try:
                days = int(period)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                days = 0
            if not 1 <= days <= 365:
                raise invalid_parameter("Invalid parameter: ArchivePolicy: MessageRetentionPeriod must be between 1 and 365 days")
    elif name == "KmsMasterKeyId":
        if len(value) > 2048:
            raise invalid_parameter("Invalid parameter: KmsMasterKeyId")
    elif name.endswith("SampleRate"):
        if not value.isdigit() or int(value) > 100:
            raise invalid_parameter(f"Invalid parameter: {name}")
    return value


def validate_subscription_attribute(
    name: str, value: str, protocol: str, current: dict[str, str], *, fifo_topic: bool = False,
) -> str:
    """Validate one subscription attribute given the subscription's protocol, other attributes and
    the kind of topic (a FIFO topic's dead-letter queue is a FIFO queue, a standard topic's is not)."""
    if name not in SUBSCRIPTION_SETTABLE:
        raise invalid_parameter("Invalid parameter: AttributeName")
    if name == "RawMessageDelivery":
        normalised = _boolean(name, value)
        if normalised == "true" and protocol not in RAW_DELIVERY_PROTOCOLS:
            raise invalid_parameter(
                f"Invalid parameter: Attributes Reason: Delivery protocol [{protocol}] does not support raw message delivery."
            )
        return normalised
    if name == "FilterPolicyScope":
        if value not in filter_policy.SCOPES:
            raise invalid_parameter(f"Invalid parameter: FilterPolicyScope: Invalid filter policy scope: {value}")
        if current.get("FilterPolicy"):
            filter_policy.validate_policy(current["FilterPolicy"], value)
        return value
    if name == "FilterPolicy":
        if value:
            filter_policy.validate_policy(value, current.get("FilterPolicyScope") or "MessageAttributes")
        return value
    if name == "DeliveryPolicy":
        return _subscription_delivery_policy(value) if value else value
    if name == "RedrivePolicy":
        return _redrive_policy(value, fifo_topic) if value else value
    return value


def _redrive_policy(value: str, fifo_topic: bool) -> str:
    """``{"deadLetterTargetArn": <an SQS queue ARN of the topic's kind>}`` and nothing else."""
    policy = _json_object("RedrivePolicy", value)
    for key in policy:
        if key != "deadLetterTargetArn":
            raise invalid_parameter(f"Invalid parameter: RedrivePolicy: invalid JSON. Attribute {key} is unknown.")
    target = policy.get("deadLetterTargetArn")
    parts = target.split(":") if isinstance(target, str) else []
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "sqs" or not parts[5]:
        raise invalid_parameter("Invalid parameter: RedrivePolicy: deadLetterTargetArn is an invalid arn")
    if parts[5].endswith(".fifo") != fifo_topic:
        kind = "FIFO" if fifo_topic else "standard"
        raise invalid_parameter(f"Invalid parameter: RedrivePolicy: must use a {kind} queue as DLQ for {kind} Subscription")
    return value


def effective_delivery_policy(topic_policy: str, subscription_policy: str = "") -> str:
    """The EffectiveDeliveryPolicy: the topic's http policy (or the default), overridden by the
    subscription's unless the topic disables overrides."""
    return json.dumps(effective_retry(topic_policy, subscription_policy, full=True), separators=(",", ":"))


def effective_retry(topic_policy: str, subscription_policy: str = "", *, full: bool = False) -> dict[str, Any]:
    """The retry policy HTTP deliveries follow (``full``: the whole effective policy document)."""
    topic = json.loads(topic_policy) if topic_policy else {}
    http = dict(DEFAULT_DELIVERY_POLICY["http"])
    http.update(topic.get("http") or {})
    retry = dict(DEFAULT_RETRY_POLICY)
    retry.update(http.get("defaultHealthyRetryPolicy") or {})
    if subscription_policy and not http.get("disableSubscriptionOverrides"):
        retry.update(json.loads(subscription_policy).get("healthyRetryPolicy") or {})
    if not full:
        return retry
    http["defaultHealthyRetryPolicy"] = retry
    return {"http": http}
