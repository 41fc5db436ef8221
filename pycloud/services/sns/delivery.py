"""Fan-out: one published message to every matching subscription, by protocol.

* ``sqs``: an :class:`~pycloud.events.SqsDelivery` on the event bus, synchronously and in order.
* ``lambda``: a :class:`~pycloud.events.LambdaInvocation` on the bus.
* ``http``/``https``: a POST from a task on the event loop (never blocking the request), retried
  per the effective delivery policy; retry delays run on the virtual clock, so advancing it makes
  the next attempt happen at once. An answer from 200 to 499 ends the delivery (SNS retries only
  network failures, timeouts and other statuses); a message that exhausts its retries goes to the
  subscription's dead-letter queue when it has a RedrivePolicy. Subscription and unsubscribe
  confirmations are POSTed the same way, once.
* ``sqs`` refusals (queue gone, policy, a raw message with more than ten attributes) are client-side
  errors: never retried, dead-lettered at once.
* ``email``, ``email-json``, ``sms``, ``application``, ``firehose``: the outbox the admin API lists.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from itertools import count
from typing import Any

from pycloud.events import LAMBDA_INVOKE_TOPIC, SQS_DELIVERY_TOPIC, LambdaInvocation, SqsDelivery
from pycloud.services.base import ServiceRuntime
from pycloud.services.sns import attributes as attrs
from pycloud.services.sns import envelope, http_client
from pycloud.services.sns.filter_policy import compile_policy
from pycloud.services.sns.models import Subscription, Topic
from pycloud.services.sns.retry import retry_delays

log = logging.getLogger(__name__)

OUTBOX_PROTOCOLS = frozenset({"email", "email-json", "sms", "application", "firehose"})
USER_AGENT = "Amazon Simple Notification Service Agent"
MAX_OUTBOX = 10_000
MAX_RAW_SQS_ATTRIBUTES = 10
"""SQS takes at most ten message attributes: a raw delivery with more is a client-side error."""
QUEUE_ERRORS = {
    "AWS.SimpleQueueService.NonExistentQueue": "The specified queue does not exist or you do not have access to it.",
    "AccessDenied": "The queue policy does not allow Amazon SNS to send messages to this queue.",
}
"""ErrorMessage of a dead-lettered message, by the code SQS refused the delivery with."""


@dataclass
class Published:
    """One message as published: what every subscription's delivery is made from."""

    message_id: str
    topic: Topic
    message: str
    subject: str | None
    attributes: dict[str, dict[str, Any]]
    moment: datetime
    per_protocol: dict[str, str] | None = None
    """MessageStructure=json: protocol → text (``default`` for the others)."""
    group_id: str | None = None
    dedup_id: str | None = None
    sequence_number: str | None = None

    def text_for(self, protocol: str) -> str:
        if self.per_protocol is None:
            return self.message
        return self.per_protocol.get(protocol, self.per_protocol["default"])


@dataclass
class Deliverer:
    """Delivers published messages; owns the outbox and the background HTTP tasks."""

    runtime: ServiceRuntime
    signer: envelope.Signer
    outbox: list[dict[str, Any]] = field(default_factory=list)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _waiters: set[asyncio.Event] = field(default_factory=set)
    _loop: asyncio.AbstractEventLoop | None = None
    _outbox_ids: count = field(default_factory=lambda: count(1))

    def __post_init__(self) -> None:
        self.runtime.clock.on_advance(self._clock_advanced)

    # -- scheduling on the event loop ------------------------------------------------------------

    def _spawn(self, coroutine: Any) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop (a provider used outside the server): deliver nothing over HTTP
            coroutine.close()
            return
        self._loop = loop
        task = loop.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _clock_advanced(self, _offset: float) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        for waiter in list(self._waiters):
            loop.call_soon_threadsafe(waiter.set)

    async def _sleep(self, seconds: float) -> None:
        """Wait ``seconds`` of virtual time: real time passing, or the clock being advanced."""
        clock = self.runtime.clock
        deadline = clock.time() + seconds
        while (remaining := deadline - clock.time()) > 0:
            waiter = asyncio.Event()
            self._waiters.add(waiter)
            try:
                async with asyncio.timeout(remaining):
                    await waiter.wait()
            except TimeoutError:
                pass
            finally:
                self._waiters.discard(waiter)

    def cancel_all(self) -> None:
        """Stop pending HTTP deliveries (admin reset)."""
        for task in list(self._tasks):
            task.cancel()
        self.outbox.clear()

    # -- the outbox ------------------------------------------------------------------------------

    def to_outbox(self, **entry: Any) -> None:
        entry["id"] = str(next(self._outbox_ids))
        self.outbox.append(entry)
        del self.outbox[:-MAX_OUTBOX]

    # -- fan-out ---------------------------------------------------------------------------------

    def fan_out(self, published: Published, subscriptions: list[Subscription]) -> None:
        """Deliver to each confirmed subscription whose filter policy matches, in subscription order."""
        for sub in subscriptions:
            if not sub.confirmed:
                continue
            text = published.text_for(sub.protocol)
            policy = sub.attribute("FilterPolicy")
            if policy:
                try:
                    matcher = compile_policy(policy, sub.attribute("FilterPolicyScope") or "MessageAttributes")
                except Exception:  # noqa: BLE001 - stored policies were validated; never fail a publish
                    continue
                if not matcher.matches(text, published.attributes):
                    continue
            try:
                self._deliver(published, sub, text)
            except Exception:  # noqa: BLE001 - one broken subscription must not stop the others
                log.exception("SNS delivery to %s failed", sub.arn)

    def notification(self, published: Published, sub: Subscription, text: str) -> dict[str, Any]:
        return envelope.notification(
            self.signer,
            base_url=sub.base_url,
            message_id=published.message_id,
            topic_arn=published.topic.arn,
            subscription_arn=sub.arn,
            message=text,
            subject=published.subject,
            moment=published.moment,
            signature_version=published.topic.attributes.get("SignatureVersion", "1"),
            attributes=published.attributes,
            sequence_number=published.sequence_number,
        )

    def _deliver(self, published: Published, sub: Subscription, text: str) -> None:
        raw = sub.attribute("RawMessageDelivery") == "true"
        protocol = sub.protocol
        if protocol == "sqs":
            if raw and len(published.attributes) > MAX_RAW_SQS_ATTRIBUTES:
                # The queue cannot take them: the dead-letter copy is the envelope, which keeps them all.
                self.dead_letter(
                    sub, json.dumps(self.notification(published, sub, text)), {}, published, "InvalidParameterValue",
                    f"Number of message attributes [{len(published.attributes)}] exceeds the allowed maximum "
                    f"[{MAX_RAW_SQS_ATTRIBUTES}].",
                )
            elif raw:
                self.to_queue(sub, sub.endpoint, text, published.attributes, published)
            else:
                self.to_queue(sub, sub.endpoint, json.dumps(self.notification(published, sub, text)), {}, published)
        elif protocol == "lambda":
            self._to_lambda(published, sub, text)
        elif protocol in ("http", "https"):
            body = text if raw else json.dumps(self.notification(published, sub, text))
            headers = [
                ("x-amz-sns-message-type", "Notification"),
                ("x-amz-sns-message-id", published.message_id),
                ("x-amz-sns-topic-arn", published.topic.arn),
                ("x-amz-sns-subscription-arn", sub.arn),
            ]
            if raw:
                headers.append(("x-amz-sns-rawdelivery", "true"))
            retry = attrs.effective_retry(published.topic.attributes.get("DeliveryPolicy", ""), sub.attribute("DeliveryPolicy"))
            content_type = self._content_type(published.topic, sub)
            failed_attributes = published.attributes if raw else {}

            def undeliverable(reason: str) -> None:
                self.dead_letter(sub, body, failed_attributes, published, "EndpointUnavailable", reason)

            self._spawn(self._http(sub, headers, body, retry, content_type, undeliverable))
        elif protocol in OUTBOX_PROTOCOLS:
            body = json.dumps(self.notification(published, sub, text)) if protocol == "email-json" else text
            self.to_outbox(
                type="Notification", protocol=protocol, endpoint=sub.endpoint, topic_arn=published.topic.arn,
                subscription_arn=sub.arn, message_id=published.message_id, subject=published.subject,
                message=body, timestamp=envelope.timestamp(published.moment),
            )

    @staticmethod
    def _content_type(topic: Topic, sub: Subscription) -> str:
        for text, key in ((sub.attribute("DeliveryPolicy"), "requestPolicy"), (topic.attributes.get("DeliveryPolicy", ""), "http")):
            if text:
                section = json.loads(text).get(key) or {}
                if key == "http":
                    section = section.get("defaultRequestPolicy") or {}
                if section.get("headerContentType"):
                    return str(section["headerContentType"])
        return "text/plain; charset=UTF-8"

    def to_queue(
        self, sub: Subscription, queue_arn: str, body: str, attributes: dict[str, dict[str, Any]],
        published: Published | None, *, redrive: bool = True,
    ) -> None:
        """Publish one SqsDelivery; a refusal acknowledged by SQS goes to the dead-letter queue."""

        answered: list[str | None] = []

        def ack(code: str | None) -> None:
            if answered:  # the first answer counts (a second consumer cannot redrive twice)
                return
            answered.append(code)
            if code is not None and redrive:
                reason = QUEUE_ERRORS.get(code, f"The delivery to {queue_arn} was refused.")
                self.dead_letter(sub, body, attributes, published, code, reason)

        group = published.group_id if published else None
        dedup = None
        if published is not None and published.topic.fifo and queue_arn.endswith(".fifo"):
            # A standard queue (FIFO topics may feed them) takes no deduplication id.
            dedup = published.dedup_id or hashlib.sha256(body.encode()).hexdigest()
        self.runtime.events.publish(
            SQS_DELIVERY_TOPIC,
            SqsDelivery(queue_arn, body, dict(attributes), group, dedup, sub.topic_arn, sub.arn, ack),
        )

    def dead_letter(
        self, sub: Subscription, body: str, attributes: dict[str, dict[str, Any]], published: Published | None,
        error_code: str, error_message: str,
    ) -> None:
        """Send an undeliverable message to the subscription's RedrivePolicy queue, if any, with the
        RequestID, ErrorCode and ErrorMessage attributes SNS adds (when the queue can take three more)."""
        policy = sub.attribute("RedrivePolicy")
        if not policy:
            return
        target = json.loads(policy).get("deadLetterTargetArn")
        if not target:
            return
        if len(attributes) + 3 <= MAX_RAW_SQS_ATTRIBUTES:
            attributes = {
                **attributes,
                "RequestID": {"DataType": "String", "StringValue": str(uuid.uuid4())},
                "ErrorCode": {"DataType": "String", "StringValue": error_code},
                "ErrorMessage": {"DataType": "String", "StringValue": error_message},
            }
        self.to_queue(sub, target, body, attributes, published, redrive=False)

    def _to_lambda(self, published: Published, sub: Subscription, text: str) -> None:
        note = self.notification(published, sub, text)
        record = {
            "EventSource": "aws:sns",
            "EventVersion": "1.0",
            "EventSubscriptionArn": sub.arn,
            "Sns": {
                "Type": "Notification",
                "MessageId": note["MessageId"],
                "TopicArn": note["TopicArn"],
                "Subject": note.get("Subject"),
                "Message": note["Message"],
                "Timestamp": note["Timestamp"],
                "SignatureVersion": note["SignatureVersion"],
                "Signature": note["Signature"],
                "SigningCertUrl": note["SigningCertURL"],
                "UnsubscribeUrl": note["UnsubscribeURL"],
                "MessageAttributes": note.get("MessageAttributes", {}),
            },
        }
        self.runtime.events.publish(
            LAMBDA_INVOKE_TOPIC, LambdaInvocation(sub.endpoint, {"Records": [record]}, source_arn=published.topic.arn)
        )

    async def _http(
        self, sub: Subscription, headers: list[tuple[str, str]], body: str, retry: dict[str, Any], content_type: str,
        undeliverable: Callable[[str], None] | None = None,
    ) -> None:
        """POST with retries, the first attempt at once; ``undeliverable(reason)`` runs once every
        attempt failed."""
        full = [*headers, ("Content-Type", content_type), ("User-Agent", USER_AGENT)]
        payload = body.encode("utf-8")
        reason = ""
        for delay in [None, *retry_delays(retry)]:
            if delay:
                await self._sleep(delay)
            try:
                status = await http_client.post(sub.endpoint, full, payload)
            except http_client.DeliveryFailed as exc:
                log.info("SNS delivery to %s failed: %s", sub.endpoint, exc)
                reason = f"The endpoint could not be reached: {exc}"
                continue
            if 200 <= status < 500:
                return  # delivered, or refused by the endpoint: SNS counts neither as a failure to retry
            reason = f"The endpoint answered HTTP {status}."
        if undeliverable is not None:
            undeliverable(reason)

    # -- subscription confirmations ----------------------------------------------------------------

    def confirm_request(self, sub: Subscription, topic: Topic, moment: datetime, kind: str = "SubscriptionConfirmation") -> None:
        """Send a confirmation carrying ``sub.token``: a SubscriptionConfirmation (HTTP POST, or an
        email in the outbox), or the UnsubscribeConfirmation an HTTP/HTTPS endpoint gets once its
        subscription is deleted (its SubscribeURL restores the subscription)."""
        unsubscribing = kind == "UnsubscribeConfirmation"
        if unsubscribing and sub.protocol not in ("http", "https"):
            return
        note = envelope.confirmation(
            self.signer, kind=kind, base_url=sub.base_url, message_id=str(uuid.uuid4()), topic_arn=topic.arn,
            token=sub.token, moment=moment, signature_version=topic.attributes.get("SignatureVersion", "1"),
            subscription_arn=sub.arn,
        )
        if sub.protocol in ("http", "https"):
            headers = [
                ("x-amz-sns-message-type", kind),
                ("x-amz-sns-message-id", note["MessageId"]),
                ("x-amz-sns-topic-arn", topic.arn),
            ]
            if unsubscribing:
                headers.append(("x-amz-sns-subscription-arn", sub.arn))
            no_retry = dict(attrs.DEFAULT_RETRY_POLICY, numRetries=0)
            self._spawn(self._http(sub, headers, json.dumps(note), no_retry, "text/plain; charset=UTF-8"))
        elif sub.protocol in ("email", "email-json"):
            if sub.protocol == "email":
                body = f"{note['Message']}\n\nConfirm subscription: {note['SubscribeURL']}"
            else:
                body = json.dumps(note)
            self.to_outbox(
                type=kind, protocol=sub.protocol, endpoint=sub.endpoint, topic_arn=topic.arn,
                subscription_arn=sub.arn, message_id=note["MessageId"], subject="AWS Notification - Subscription Confirmation",
                message=body, timestamp=note["Timestamp"], token=sub.token, subscribe_url=note["SubscribeURL"],
            )
