"""SQS errors, named for both protocols SQS speaks.

SQS moved from the query protocol to JSON; its modeled error shapes lost the legacy query codes
(``AWS.SimpleQueueService.NonExistentQueue``...). AWS still sends them in the JSON answer's
``x-amzn-query-error`` header (botocore maps them back to the modeled exception) and as ``<Code>``
in query answers, so every error here carries its query code in that header.
"""

from __future__ import annotations

from pycloud.protocol.errors import ServiceError

# Modeled shape name → (legacy query code, HTTP status).
_QUERY_CODES: dict[str, tuple[str, int]] = {
    "QueueDoesNotExist": ("AWS.SimpleQueueService.NonExistentQueue", 400),
    "QueueNameExists": ("QueueAlreadyExists", 400),
    "QueueDeletedRecently": ("AWS.SimpleQueueService.QueueDeletedRecently", 400),
    "PurgeQueueInProgress": ("AWS.SimpleQueueService.PurgeQueueInProgress", 403),
    "MessageNotInflight": ("AWS.SimpleQueueService.MessageNotInflight", 400),
    "BatchEntryIdsNotDistinct": ("AWS.SimpleQueueService.BatchEntryIdsNotDistinct", 400),
    "BatchRequestTooLong": ("AWS.SimpleQueueService.BatchRequestTooLong", 400),
    "EmptyBatchRequest": ("AWS.SimpleQueueService.EmptyBatchRequest", 400),
    "InvalidBatchEntryId": ("AWS.SimpleQueueService.InvalidBatchEntryId", 400),
    "TooManyEntriesInBatchRequest": ("AWS.SimpleQueueService.TooManyEntriesInBatchRequest", 400),
    "UnsupportedOperation": ("AWS.SimpleQueueService.UnsupportedOperation", 400),
    "OverLimit": ("OverLimit", 403),
    "ResourceNotFoundException": ("ResourceNotFoundException", 404),
    "AccessDeniedException": ("AccessDenied", 403),
}


def sqs_error(code: str, message: str, status: int | None = None, *, sender_fault: bool = True) -> ServiceError:
    """A ServiceError for modeled shape ``code`` (or an unmodeled code such as InvalidParameterValue)."""
    query_code, default_status = _QUERY_CODES.get(code, (code, 400))
    fault = "Sender" if sender_fault else "Receiver"
    return ServiceError(
        code,
        message,
        status or default_status,
        sender_fault=sender_fault,
        headers={"x-amzn-query-error": f"{query_code};{fault}"},
    )


def query_code(code: str) -> str:
    """The legacy query code of an error (batch result entries and SNS acks carry it)."""
    return _QUERY_CODES.get(code, (code, 400))[0]


def queue_does_not_exist() -> ServiceError:
    """The queue a URL, name or ARN names is not there."""
    return sqs_error("QueueDoesNotExist", "The specified queue does not exist.")


def invalid_parameter(message: str) -> ServiceError:
    """``InvalidParameterValue`` (unmodeled, 400): a request value outside what SQS accepts."""
    return sqs_error("InvalidParameterValue", message)


def invalid_value(name: str, value: object, reason: str) -> ServiceError:
    """``Value X for parameter Name is invalid. Reason: ...``, SQS's wording for bad parameters."""
    return invalid_parameter(f"Value {value} for parameter {name} is invalid. Reason: {reason}")


def missing_parameter(name: str) -> ServiceError:
    """A required value is absent (or empty)."""
    return sqs_error("MissingParameter", f"The request must contain the parameter {name}.")


def invalid_attribute_name(name: str) -> ServiceError:
    """A queue attribute this operation or queue type does not know."""
    return sqs_error("InvalidAttributeName", f"Unknown Attribute {name}.")


def invalid_attribute_value(name: str, reason: str = "") -> ServiceError:
    """A known queue attribute with a value out of its range or form."""
    message = f"Invalid value for the parameter {name}."
    return sqs_error("InvalidAttributeValue", f"{message} Reason: {reason}" if reason else message)


def access_denied(caller_arn: str, action: str, resource: str) -> ServiceError:
    """The JSON ``AccessDeniedException`` (query code ``AccessDenied``) for a refused caller."""
    who = caller_arn if caller_arn and caller_arn != "*" else "anonymous"
    return sqs_error(
        "AccessDeniedException",
        f"User: {who} is not authorized to perform: {action.lower()} on resource: {resource}",
    )


def receipt_handle_invalid(handle: str) -> ServiceError:
    """A receipt handle that is malformed or belongs to another queue."""
    return sqs_error("ReceiptHandleIsInvalid", f'The input receipt handle "{handle}" is not a valid receipt handle.')


def message_not_inflight() -> ServiceError:
    """ChangeMessageVisibility on a message that is no longer in flight."""
    return sqs_error("MessageNotInflight", "Message does not exist or is not available for visibility timeout change.")
