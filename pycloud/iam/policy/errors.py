"""The error every malformed policy raises."""

from __future__ import annotations


class PolicyError(ValueError):
    """A policy document IAM would refuse.

    ``code`` is the AWS error code services answer with (``MalformedPolicyDocument`` for IAM; S3
    answers ``MalformedPolicy``, SQS ``InvalidAttributeValue``: the caller maps it) and
    ``message`` is IAM's wording.
    """

    code = "MalformedPolicyDocument"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
