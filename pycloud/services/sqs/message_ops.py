"""SQS message operations: send, receive (with long polling), delete, change visibility, purge.

A mixin of :class:`~pycloud.services.sqs.provider.SqsProvider`; the messages themselves live in
the queue engine (``engine.py``), which this module feeds with validated input and whose answers
it renders with the digests and system attributes SQS returns.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pycloud._core import QueueError
from pycloud.context import RequestContext
from pycloud.protocol.errors import ServiceError
from pycloud.services.sqs import errors, messages
from pycloud.services.sqs.engine import engine_error, error_entry, now_ms
from pycloud.services.sqs.longpoll import poll
from pycloud.services.sqs.models import CooldownTable, Queue
from pycloud.services.sqs.urls import queue_arn
from pycloud.services.sts.provider import caller_user_id

if TYPE_CHECKING:
    from pycloud.services.sqs.engine import QueueStore
    from pycloud.services.sqs.longpoll import Waiters

MAX_BATCH_ENTRIES = 10
PURGE_COOLDOWN_SECONDS = 60
_BATCH_ID = re.compile(r"[A-Za-z0-9_-]{1,80}")
_FIFO_TOKEN = re.compile(r"[\x21-\x7e]{1,128}")  # alphanumerics and punctuation, 1 to 128 long


def _integer(params: dict[str, Any], name: str, low: int, high: int, reason: str) -> int | None:
    value = params.get(name)
    if value is None:
        return None
    if not low <= value <= high:
        raise errors.invalid_value(name, value, reason)
    return value


def check_batch(entries: list[dict[str, Any]] | None, entry_shape: str) -> list[dict[str, Any]]:
    """The batch-wide rules: 1 to 10 entries with distinct, well-formed ids."""
    entries = entries or []
    if not entries:
        raise errors.sqs_error("EmptyBatchRequest", f"There should be at least one {entry_shape} in the request.")
    if len(entries) > MAX_BATCH_ENTRIES:
        raise errors.sqs_error(
            "TooManyEntriesInBatchRequest",
            f"Maximum number of entries per request are {MAX_BATCH_ENTRIES}. You have sent {len(entries)}.",
        )
    seen: set[str] = set()
    for entry in entries:
        entry_id = entry.get("Id") or ""
        if not _BATCH_ID.fullmatch(entry_id):
            raise errors.sqs_error(
                "InvalidBatchEntryId",
                "A batch entry id can only contain alphanumeric characters, hyphens and underscores. "
                "It can be at most 80 letters long.",
            )
        if entry_id in seen:
            raise errors.sqs_error("BatchEntryIdsNotDistinct", f"Id {entry_id} repeated.")
        seen.add(entry_id)
    return entries


def _failed(entry_id: str, code: str, message: str, sender_fault: bool = True) -> dict[str, Any]:
    return {"Id": entry_id, "SenderFault": sender_fault, "Code": code, "Message": message}


def arn_of_engine_name(name: str) -> str:
    """``account/region/queue`` → the queue's ARN."""
    account, region, queue = name.split("/", 2)
    return queue_arn(region, account, queue)


@dataclass(slots=True)
class Prepared:
    """A validated message, ready for the engine."""

    body: bytes
    blob: bytes
    delay_ms: int
    group_id: str | None
    dedup_id: str | None
    attributes: messages.Attributes
    system: messages.Attributes

    def digests(self) -> dict[str, str]:
        """The MD5s SendMessage answers with."""
        out = {"MD5OfMessageBody": messages.md5_of_body(self.body)}
        md5 = messages.md5_of_attributes(self.attributes)
        if md5:
            out["MD5OfMessageAttributes"] = md5
        md5 = messages.md5_of_attributes(self.system)
        if md5:
            out["MD5OfMessageSystemAttributes"] = md5
        return out


class MessageOperations:
    """SendMessage(Batch), ReceiveMessage, DeleteMessage(Batch), ChangeMessageVisibility(Batch), PurgeQueue."""

    store: QueueStore
    waiters: Waiters
    runtime: Any
    _purged: CooldownTable
    _queue: Callable[[RequestContext, str], Queue]
    _dead_letter_of: Callable[[Queue], Queue | None]

    # -- sending ----------------------------------------------------------------------------------

    def prepare(self, queue: Queue, params: dict[str, Any], sender_id: str) -> Prepared:
        """Validate one message (SendMessage params or a batch entry) against its queue."""
        body = messages.check_body(params.get("MessageBody"))
        attributes = messages.check_attributes(params.get("MessageAttributes"))
        system = messages.check_system_attributes(params.get("MessageSystemAttributes"))
        values = queue.settings
        messages.check_size(body, attributes, int(values["MaximumMessageSize"]))
        delay = _integer(params, "DelaySeconds", 0, 900, "DelaySeconds must be >= 0 and <= 900.")
        if queue.fifo and delay:
            raise errors.invalid_value(
                "DelaySeconds", delay, "The request include parameter that is not valid for this queue type."
            )
        group_id, dedup_id = self._fifo_ids(queue, params, values)
        blob = messages.encode_extras(attributes, system, sender_id)
        return Prepared(body, blob, -1 if delay is None else delay * 1000, group_id, dedup_id, attributes, system)

    @staticmethod
    def _fifo_ids(queue: Queue, params: dict[str, Any], values: dict[str, str]) -> tuple[str | None, str | None]:
        group_id = params.get("MessageGroupId")
        dedup_id = params.get("MessageDeduplicationId")
        for name, value in (("MessageGroupId", group_id), ("MessageDeduplicationId", dedup_id)):
            if value is not None and not _FIFO_TOKEN.fullmatch(value):
                raise errors.invalid_value(
                    name, value, f"{name} can only include alphanumeric and punctuation characters. 1 to 128 in length."
                )
        if not queue.fifo:
            if dedup_id is not None:
                raise errors.invalid_value(
                    "MessageDeduplicationId", dedup_id,
                    "The request includes a parameter that is not valid for this queue type.",
                )
            return group_id, None  # a group on a standard queue makes it a fair queue
        if group_id is None:
            raise errors.missing_parameter("MessageGroupId")
        if dedup_id is None and values.get("ContentBasedDeduplication") != "true":
            raise errors.invalid_parameter(
                "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided "
                "explicitly"
            )
        return group_id, dedup_id

    def enqueue(self, queue: Queue, message: Prepared, now: int) -> Any:
        """Hand one prepared message to the engine and wake the queue's long polls."""
        try:
            if message.delay_ms < 0 and message.group_id is None and message.dedup_id is None:
                # The common message: no keywords to match (pybind11 charges for each).
                result = self.store.engine.send(queue.engine_name, message.body, message.blob, now)
            else:
                result = self.store.engine.send(
                    queue.engine_name, message.body, message.blob, now, delay_ms=message.delay_ms,
                    group_id=message.group_id, dedup_id=message.dedup_id,
                )
        except QueueError as exc:
            raise engine_error(exc) from None
        self.waiters.notify(queue.engine_name)
        return result

    def send_message(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Validate and enqueue one message; answer its id, digests and (FIFO) sequence number."""
        queue = self._queue(ctx, params["QueueUrl"])
        message = self.prepare(queue, params, caller_user_id(ctx.principal))
        result = self.enqueue(queue, message, now_ms(ctx.now))
        out: dict[str, Any] = {"MessageId": result.message_id, **message.digests()}
        if queue.fifo:
            out["SequenceNumber"] = result.sequence_number
        return out

    def send_message_batch(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Up to ten messages; entries failing validation are reported in ``Failed``."""
        queue = self._queue(ctx, params["QueueUrl"])
        entries = check_batch(params.get("Entries"), "SendMessageBatchRequestEntry")
        total = sum(
            len((e.get("MessageBody") or "").encode("utf-8", "surrogatepass"))
            + messages.attributes_size(_sized(e.get("MessageAttributes")))
            for e in entries
        )
        if total > messages.MAX_BATCH_BYTES:
            raise errors.sqs_error(
                "BatchRequestTooLong",
                f"Batch requests cannot be longer than {messages.MAX_BATCH_BYTES} bytes. You have sent {total} bytes.",
            )
        sender = caller_user_id(ctx.principal)
        failed: list[dict[str, Any]] = []
        ready: list[tuple[str, Prepared]] = []
        for entry in entries:
            try:
                ready.append((entry["Id"], self.prepare(queue, entry, sender)))
            except ServiceError as err:
                failed.append(_failed(entry["Id"], err.code, err.message))
        successful: list[dict[str, Any]] = []
        if ready:
            batch = [(m.body, m.blob, m.delay_ms, m.group_id, m.dedup_id) for _, m in ready]
            try:
                results = self.store.engine.send_batch(queue.engine_name, batch, now_ms(ctx.now))
            except QueueError as exc:
                raise engine_error(exc) from None
            self.waiters.notify(queue.engine_name)
            for (entry_id, message), result in zip(ready, results, strict=True):
                if isinstance(result, str):
                    code, text = error_entry(result)
                    failed.append(_failed(entry_id, code, text))
                    continue
                out = {"Id": entry_id, "MessageId": result.message_id, **message.digests()}
                if queue.fifo:
                    out["SequenceNumber"] = result.sequence_number
                successful.append(out)
        return {"Successful": successful, "Failed": failed}

    # -- receiving --------------------------------------------------------------------------------

    async def receive_message(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Up to MaxNumberOfMessages visible messages; with a wait time, return as soon as one arrives."""
        queue = self._queue(ctx, params["QueueUrl"])
        count = _integer(params, "MaxNumberOfMessages", 1, 10, "Must be between 1 and 10, if provided.") or 1
        visibility = _integer(params, "VisibilityTimeout", 0, 43_200, "Must be between 0 and 43200, if provided.")
        wait = _integer(params, "WaitTimeSeconds", 0, 20, "Must be >= 0 and <= 20, if provided.")
        if wait is None:
            wait = int(queue.settings["ReceiveMessageWaitTimeSeconds"])
        system = messages.requested_system_attributes(params.get("AttributeNames"),
                                                      params.get("MessageSystemAttributeNames"))
        names = params.get("MessageAttributeNames")
        attempt_id = params.get("ReceiveRequestAttemptId") if queue.fifo else None
        if attempt_id is not None and not _FIFO_TOKEN.fullmatch(attempt_id):
            raise errors.invalid_value(
                "ReceiveRequestAttemptId", attempt_id,
                "ReceiveRequestAttemptId can only include alphanumeric and punctuation characters. 1 to 128 in length.",
            )
        engine, name = self.store.engine, queue.engine_name
        dead_letter = self._dead_letter_of(queue)
        clock = self.runtime.clock

        def attempt() -> list[Any]:
            try:
                found = engine.receive(name, count, now_ms(clock.now()),
                                       visibility_timeout_ms=-1 if visibility is None else visibility * 1000,
                                       attempt_id=attempt_id)
            except QueueError as exc:
                raise engine_error(exc) from None
            if dead_letter is not None:
                self.waiters.notify(dead_letter.engine_name)  # the receive may have moved messages there
            return found

        def next_wake() -> float | None:
            now = now_ms(clock.now())
            try:
                when = engine.next_visible_ms(name, now)
            except QueueError as exc:
                raise engine_error(exc) from None
            return None if when < 0 else (when - now) / 1000 + 0.001

        found = await poll(attempt, bool, wait, next_wake, self.waiters, name) if wait else attempt()
        if not found:
            return {}
        return {"Messages": [self._render(queue, m, system, names) for m in found]}

    @staticmethod
    def _render(queue: Queue, message: Any, system: frozenset[str], names: list[str] | None) -> dict[str, Any]:
        body = bytes(message.body)
        out: dict[str, Any] = {
            "MessageId": message.message_id,
            "ReceiptHandle": message.receipt_handle,
            "MD5OfBody": messages.md5_of_body(body),
            "Body": body.decode("utf-8"),
        }
        # The stored extras (attributes, sender, trace header) are read only when asked for.
        extras = messages.decode_extras(bytes(message.attributes)) if names or system else None
        if names:
            selected = messages.select_attributes(extras.attributes, names)
            if selected:
                out["MessageAttributes"] = selected
                out["MD5OfMessageAttributes"] = messages.md5_of_attributes(selected)
        if system:
            values = {
                "SenderId": extras.sender_id,
                "SentTimestamp": str(message.sent_ms),
                "ApproximateReceiveCount": str(message.receive_count),
                "ApproximateFirstReceiveTimestamp": str(message.first_receive_ms),
                "SequenceNumber": message.sequence_number or None,
                "MessageDeduplicationId": message.dedup_id or None,
                "MessageGroupId": message.group_id or None,
                "AWSTraceHeader": extras.trace_header,
                "DeadLetterQueueSourceArn": (
                    arn_of_engine_name(message.dead_letter_source) if message.dead_letter_source else None
                ),
            }
            chosen = {k: v for k, v in values.items() if k in system and v}
            if chosen:
                out["Attributes"] = chosen
        return out

    # -- deleting and visibility ------------------------------------------------------------------

    def delete_message(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Delete by receipt handle (a stale handle of a deleted message succeeds)."""
        queue = self._queue(ctx, params["QueueUrl"])
        handle = params.get("ReceiptHandle") or ""
        if not handle:
            raise errors.missing_parameter("ReceiptHandle")
        try:
            self.store.engine.delete(queue.engine_name, handle, now_ms(ctx.now))
        except QueueError as exc:
            raise engine_error(exc, handle) from None
        return {}

    def delete_message_batch(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Up to ten deletes, each reported in ``Successful`` or ``Failed``."""
        queue = self._queue(ctx, params["QueueUrl"])
        entries = check_batch(params.get("Entries"), "DeleteMessageBatchRequestEntry")
        try:
            results = self.store.engine.delete_batch(
                queue.engine_name, [e.get("ReceiptHandle") or "" for e in entries], now_ms(ctx.now)
            )
        except QueueError as exc:
            raise engine_error(exc) from None
        return _batch_answer(entries, results)

    def change_message_visibility(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """A new visibility timeout for an in-flight message, counted from now (0: visible at once)."""
        queue = self._queue(ctx, params["QueueUrl"])
        handle = params.get("ReceiptHandle") or ""
        timeout = _visibility(params)
        try:
            self.store.engine.change_visibility(queue.engine_name, handle, timeout * 1000, now_ms(ctx.now))
        except QueueError as exc:
            raise engine_error(exc, handle) from None
        if timeout == 0:
            self.waiters.notify(queue.engine_name)  # visible again now
        return {}

    def change_message_visibility_batch(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Up to ten visibility changes, each reported in ``Successful`` or ``Failed``."""
        queue = self._queue(ctx, params["QueueUrl"])
        entries = check_batch(params.get("Entries"), "ChangeMessageVisibilityBatchRequestEntry")
        failed: list[dict[str, Any]] = []
        valid: list[dict[str, Any]] = []
        for entry in entries:
            try:
                entry["VisibilityTimeout"] = _visibility(entry)
                valid.append(entry)
            except ServiceError as err:
                failed.append(_failed(entry["Id"], err.code, err.message))
        answer: dict[str, Any] = {"Successful": [], "Failed": failed}
        if valid:
            try:
                results = self.store.engine.change_visibility_batch(
                    queue.engine_name,
                    [(e.get("ReceiptHandle") or "", e["VisibilityTimeout"] * 1000) for e in valid],
                    now_ms(ctx.now),
                )
            except QueueError as exc:
                raise engine_error(exc) from None
            done = _batch_answer(valid, results)
            answer["Successful"] = done["Successful"]
            answer["Failed"] = failed + done["Failed"]
            if any(e["VisibilityTimeout"] == 0 for e in valid):
                self.waiters.notify(queue.engine_name)
        return answer

    def purge_queue(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Delete every message; once per 60 seconds per queue."""
        queue = self._queue(ctx, params["QueueUrl"])
        now = ctx.now.timestamp()
        if self._purged.running(queue.account_id, queue.region, queue.name, now):
            raise errors.sqs_error(
                "PurgeQueueInProgress",
                f"Only one PurgeQueue operation on {queue.name} is allowed every {PURGE_COOLDOWN_SECONDS} seconds.",
            )
        try:
            self.store.engine.purge(queue.engine_name, now_ms(ctx.now))
        except QueueError as exc:
            raise engine_error(exc) from None
        self._purged.begin(queue.account_id, queue.region, queue.name, now)  # kept across restarts
        return {}


def _visibility(params: dict[str, Any]) -> int:
    value = params.get("VisibilityTimeout")
    if value is None:
        raise errors.missing_parameter("VisibilityTimeout")
    if not 0 <= value <= 43_200:
        raise errors.invalid_value("VisibilityTimeout", value, "Must be between 0 and 43200, if provided.")
    return value


def _sized(attributes: Any) -> messages.Attributes:
    """Attributes as far as they count toward a batch's size, before validation."""
    out: messages.Attributes = {}
    for name, value in (attributes or {}).items():
        if isinstance(value, dict):
            out[name] = {
                "DataType": value.get("DataType") or "",
                **({"BinaryValue": bytes(value["BinaryValue"])} if value.get("BinaryValue") is not None
                   else {"StringValue": value.get("StringValue") or ""}),
            }
    return out


def _batch_answer(entries: list[dict[str, Any]], results: list[str | None]) -> dict[str, Any]:
    """Successful/Failed lists from the engine's per-entry results (None or an engine error code)."""
    successful, failed = [], []
    for entry, code in zip(entries, results, strict=True):
        if code is None:
            successful.append({"Id": entry["Id"]})
        else:
            sqs_code, message = error_entry(code)
            if sqs_code == "ReceiptHandleIsInvalid":
                message = f'The input receipt handle "{entry.get("ReceiptHandle") or ""}" is not a valid receipt handle.'
            failed.append(_failed(entry["Id"], sqs_code, message))
    return {"Successful": successful, "Failed": failed}
