"""The in-process event bus: services, audit and notifications connect through it.

Publishers never import subscribers. A subscriber failing never breaks the publisher.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

log = logging.getLogger(__name__)

Handler = Callable[[Any], None]


@dataclass(frozen=True)
class AuditRecord:
    """One API call as the dispatcher saw it (the feed CloudTrail and CloudWatch consume)."""

    time: datetime
    request_id: str
    account_id: str
    region: str
    principal_arn: str
    access_key: str
    service: str
    operation: str
    source_ip: str
    status: int
    error_code: str | None
    duration_ms: float


class EventBus:
    """Topic-based publish/subscribe, synchronous and in-process."""

    def __init__(self) -> None:
        self._handlers: dict[str, list[Handler]] = defaultdict(list)

    def subscribe(self, topic: str, handler: Handler) -> Callable[[], None]:
        """Register ``handler`` for ``topic``; returns a function that unsubscribes it."""
        self._handlers[topic].append(handler)

        def unsubscribe() -> None:
            try:
                self._handlers[topic].remove(handler)
            except ValueError:
                pass

        return unsubscribe

    def has_subscribers(self, topic: str) -> bool:
        return bool(self._handlers.get(topic))

    def publish(self, topic: str, event: Any) -> None:
        """Deliver ``event`` to every handler of ``topic``; handler errors are logged, not raised."""
        for handler in list(self._handlers.get(topic, ())):
            try:
                handler(event)
            except Exception:  # noqa: BLE001 - a broken subscriber must not fail the request
                log.exception("event handler for %s failed", topic)


AUDIT_TOPIC = "audit"


S3_NOTIFICATION_TOPIC = "s3.notification"


@dataclass(frozen=True)
class S3Notification:
    """One S3 event record bound for one configured destination (SQS queue, SNS topic, Lambda).

    ``record`` is a single element of the ``Records`` list AWS delivers; the consumer wraps it.
    """

    destination_arn: str
    destination_type: str
    """"queue", "topic" or "lambda"."""
    configuration_id: str
    record: dict[str, Any]


SQS_DELIVERY_TOPIC = "sqs.delivery"


@dataclass(frozen=True)
class SqsDelivery:
    """One message SNS delivers to one SQS queue (a matching ``sqs`` subscription).

    Published synchronously, in publish order, on the event loop thread; the SQS provider enqueues
    it. ``body`` is the SNS JSON envelope, or the raw message when the subscription has
    RawMessageDelivery (then ``message_attributes`` holds the message attributes in SQS's
    MessageAttributeValue shape: ``{"DataType", "StringValue" | "BinaryValue" (bytes)}``). FIFO
    topics set ``group_id`` and ``dedup_id``. The consumer calls ``ack(None)`` once enqueued or
    ``ack(error_code)`` when it refuses the message (SNS then redrives it to the subscription's
    dead-letter queue). Full contract: the SNS/SQS delivery note in the project notes.
    """

    queue_arn: str
    body: str
    message_attributes: dict[str, dict[str, Any]] = field(default_factory=dict)
    group_id: str | None = None
    dedup_id: str | None = None
    topic_arn: str = ""
    subscription_arn: str = ""
    ack: Callable[[str | None], None] | None = None


LAMBDA_INVOKE_TOPIC = "lambda.invoke"


@dataclass(frozen=True)
class LambdaInvocation:
    """An asynchronous invocation of a Lambda function by another service (SNS subscriptions).

    ``event`` is the payload AWS hands the function (for SNS: ``{"Records": [{"EventSource":
    "aws:sns", "EventVersion": "1.0", "EventSubscriptionArn", "Sns": {...}}]}``).
    """

    function_arn: str
    event: dict[str, Any]
    source_arn: str = ""
