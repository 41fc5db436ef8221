"""Messages other services deliver to queues over the event bus: S3 notifications and SNS.

The registry subscribes the SQS provider to these topics when the server starts (see
``pycloud.services.registry.CONSUMERS``), so deliveries work before any SQS request was made. Each
event names its queue by ARN; the queue policy is checked for the delivering service
(``authorization.service_may_send``) and the message enqueued like a SendMessage.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from pycloud.events import S3_NOTIFICATION_TOPIC, SQS_DELIVERY_TOPIC
from pycloud.iam.arn import try_parse_arn
from pycloud.services.sts.provider import derived_unique_id

log = logging.getLogger(__name__)

S3_SERVICE = "s3.amazonaws.com"
SNS_SERVICE = "sns.amazonaws.com"
TOPICS = (S3_NOTIFICATION_TOPIC, SQS_DELIVERY_TOPIC)


def service_sender_id(service: str) -> str:
    """The stable ``SenderId`` of messages an AWS service sends."""
    return derived_unique_id("AIDA", f"arn:aws:iam::{service}")


@dataclass(frozen=True)
class Delivery:
    """One message to enqueue on behalf of a service, whatever the topic it came from."""

    queue_arn: str
    service: str
    source_arn: str
    source_account: str | None
    params: dict[str, Any]
    """SendMessage-shaped params: MessageBody, MessageAttributes, MessageGroupId, MessageDeduplicationId."""
    ack: Any = None


def from_s3(event: Any) -> Delivery | None:
    """An S3Notification bound for a queue: the S3 event JSON (``{"Records": [record]}``, or the
    ``s3:TestEvent`` message as is) becomes the body."""
    if getattr(event, "destination_type", "") != "queue":
        return None
    record = event.record
    if record.get("Event") == "s3:TestEvent":
        body, source = record, f"arn:aws:s3:::{record.get('Bucket', '')}"
    else:
        body, source = {"Records": [record]}, ((record.get("s3") or {}).get("bucket") or {}).get("arn", "")
    text = json.dumps(body, separators=(",", ":"))
    return Delivery(event.destination_arn, S3_SERVICE, source, None, {"MessageBody": text})


def from_sns(event: Any) -> Delivery:
    """An SqsDelivery from SNS: its body, raw-delivery attributes and FIFO ids."""
    params: dict[str, Any] = {"MessageBody": event.body}
    if event.message_attributes:
        params["MessageAttributes"] = event.message_attributes
    if event.group_id is not None:
        params["MessageGroupId"] = event.group_id
    if event.dedup_id is not None:
        params["MessageDeduplicationId"] = event.dedup_id
    topic = try_parse_arn(event.topic_arn or "")
    return Delivery(event.queue_arn, SNS_SERVICE, event.topic_arn, topic.account if topic else None, params,
                    getattr(event, "ack", None))


def delivery_of(topic: str, event: Any) -> Delivery | None:
    """The delivery an event on one of :data:`TOPICS` asks for, or None when it is not for SQS."""
    if topic == S3_NOTIFICATION_TOPIC:
        return from_s3(event)
    if topic == SQS_DELIVERY_TOPIC:
        return from_sns(event)
    return None


def acknowledge(delivery: Delivery, code: str | None) -> None:
    """Tell the publisher (SNS) the outcome; a failing callback is logged, never raised."""
    if delivery.ack is None:
        return
    try:
        delivery.ack(code)
    except Exception:  # noqa: BLE001 - the publisher's problem, not the queue's
        log.exception("delivery acknowledgement failed")

