"""Service errors: raised by providers and protocol parsers, rendered per protocol by serializers."""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """An AWS error answer.

    ``code`` is the AWS error code (``NoSuchBucket``), ``status`` the HTTP status, ``sender_fault``
    decides Sender/Receiver (query protocols) and ``fields`` adds protocol-specific members to the
    error body (S3's ``BucketName``, ``Key``...). ``headers`` are extra response headers.
    """

    def __init__(
        self,
        code: str,
        message: str = "",
        status: int = 400,
        *,
        sender_fault: bool = True,
        fields: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.sender_fault = sender_fault
        self.fields = fields or {}
        self.headers = headers or {}


def serialization_error(message: str) -> ServiceError:
    """A request body that cannot be decoded in the operation's protocol."""
    return ServiceError("SerializationException", message, 400)


def internal_error() -> ServiceError:
    """An unexpected failure inside pycloud, rendered as AWS's InternalError (never a traceback)."""
    return ServiceError(
        "InternalFailure", "The request processing has failed because of an unknown error.", 500, sender_fault=False
    )
