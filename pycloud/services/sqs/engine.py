"""The native queue engine behind SQS: where it lives, and its failures as SQS errors.

Messages (bodies, visibility, delays, receive counts, FIFO groups and deduplication, dead-letter
moves) live in ``pycloud._core.QueueEngine``; with a data directory its write-ahead logs sit under
``<data-dir>/sqs``, an ephemeral server keeps it in memory. Queue records and attributes stay in
the control-plane state (``models.py``); the engine holds the settings that drive message
handling, pushed to it by :meth:`QueueStore.configure`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pycloud._core import QueueEngine, QueueError
from pycloud.protocol.errors import ServiceError, internal_error
from pycloud.services.sqs import errors
from pycloud.services.sqs.attributes import parse_redrive_policy
from pycloud.services.sqs.models import Queue

STORE_DIR = "sqs"


def now_ms(when: Any) -> int:
    """Milliseconds since the epoch of an aware datetime (the engine's time unit)."""
    return int(when.timestamp() * 1000)


class QueueStore:
    """Owns the QueueEngine: opening, configuring queues from their attributes, wiping on reset."""

    def __init__(self, data_path: Path | None, sync: str = "batch") -> None:
        self.path: Path | None = None
        if data_path is not None:
            self.path = Path(data_path) / STORE_DIR
            self.path.mkdir(parents=True, exist_ok=True)
        self._sync = sync
        self.engine = QueueEngine(str(self.path) if self.path is not None else None, sync=sync)

    def ensure(self, queue: Queue, dead_letter: Queue | None) -> None:
        """Make sure the engine holds ``queue`` and runs it with its current attributes."""
        try:
            self.engine.create_queue(queue.engine_name, queue.fifo)
        except QueueError as exc:
            if getattr(exc, "code", "") != "QueueExists":
                raise
        self.configure(queue, dead_letter)

    def configure(self, queue: Queue, dead_letter: Queue | None) -> None:
        """Push the attributes that drive message handling (``dead_letter``: the redrive target, if it exists)."""
        values = queue.values()
        redrive = values.get("RedrivePolicy")
        max_receives = 0
        if redrive and dead_letter is not None:
            max_receives = parse_redrive_policy(redrive).max_receive_count
        self.engine.configure(
            queue.engine_name,
            visibility_timeout_ms=int(values["VisibilityTimeout"]) * 1000,
            delay_ms=int(values["DelaySeconds"]) * 1000,
            retention_ms=int(values["MessageRetentionPeriod"]) * 1000,
            max_message_bytes=int(values["MaximumMessageSize"]),
            content_based_dedup=values.get("ContentBasedDeduplication") == "true",
            dead_letter_target=dead_letter.engine_name if dead_letter is not None and max_receives else None,
            max_receive_count=max_receives,
            dedup_scope_group=values.get("DeduplicationScope") == "messageGroup",
        )

    def drop(self, queue: Queue) -> None:
        """Remove a queue and its messages (already gone is fine)."""
        try:
            self.engine.delete_queue(queue.engine_name)
        except QueueError as exc:
            if getattr(exc, "code", "") != "NoSuchQueue":
                raise

    def wipe(self) -> None:
        """Forget every queue and message (admin reset)."""
        for name in self.engine.queue_names():
            self.engine.delete_queue(name)

    def close(self) -> None:
        """Close the engine (its log is flushed first)."""
        self.engine.close()


# Engine error code → (SQS error code, message) for batch result entries and single operations.
_MESSAGES = {
    "MissingGroupId": ("MissingParameter", "The request must contain the parameter MessageGroupId."),
    "MissingDedupId": (
        "InvalidParameterValue",
        "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided "
        "explicitly",
    ),
    "ReceiptHandleIsInvalid": ("ReceiptHandleIsInvalid", "The input receipt handle is not a valid receipt handle."),
    "MessageNotInflight": (
        "MessageNotInflight",
        "Message does not exist or is not available for visibility timeout change.",
    ),
    "OverLimit": ("OverLimit", "Too many messages are in flight for this queue."),
    "NoSuchQueue": ("QueueDoesNotExist", "The specified queue does not exist."),
}


def error_entry(code: str) -> tuple[str, str]:
    """(SQS code, message) of an engine error code, for a batch ``Failed`` entry."""
    return _MESSAGES.get(code, ("InternalError", "The request processing has failed because of an unknown error."))


def engine_error(exc: QueueError, receipt_handle: str | None = None) -> ServiceError:
    """The SQS error for an engine failure (anything unexpected becomes a 500)."""
    code = getattr(exc, "code", "")
    if code == "ReceiptHandleIsInvalid" and receipt_handle is not None:
        return errors.receipt_handle_invalid(receipt_handle)
    if code == "InvalidArgument":
        return errors.invalid_parameter(str(exc).split(": ", 1)[-1])
    if code in _MESSAGES:
        sqs_code, message = _MESSAGES[code]
        return errors.sqs_error(sqs_code, message)
    return internal_error()
