"""IAM's error answers (codes and HTTP statuses as botocore's ``iam`` model declares them)."""

from __future__ import annotations

from pycloud.protocol.errors import ServiceError


def no_such_entity(message: str) -> ServiceError:
    """The named user, group, role, policy... does not exist."""
    return ServiceError("NoSuchEntity", message, 404)


def already_exists(message: str) -> ServiceError:
    return ServiceError("EntityAlreadyExists", message, 409)


def limit_exceeded(message: str) -> ServiceError:
    return ServiceError("LimitExceeded", message, 409)


def delete_conflict(message: str) -> ServiceError:
    return ServiceError("DeleteConflict", message, 409)


def malformed(message: str) -> ServiceError:
    """A policy document IAM refuses."""
    return ServiceError("MalformedPolicyDocument", message, 400)


def invalid_input(message: str) -> ServiceError:
    return ServiceError("InvalidInput", message, 400)


def validation(message: str) -> ServiceError:
    return ServiceError("ValidationError", message, 400)


def password_violation(message: str) -> ServiceError:
    return ServiceError("PasswordPolicyViolation", message, 400)


def unmodifiable(message: str) -> ServiceError:
    """AWS managed policies and service-linked roles cannot be changed this way."""
    return ServiceError("UnmodifiableEntity", message, 400)


def not_attachable(message: str) -> ServiceError:
    return ServiceError("PolicyNotAttachable", message, 400)
