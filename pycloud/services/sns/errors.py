"""SNS error answers (codes and statuses from botocore's SNS model)."""

from __future__ import annotations

from pycloud.protocol.errors import ServiceError


def invalid_parameter(message: str) -> ServiceError:
    """``InvalidParameter`` (400); ``message`` is the whole text, e.g. ``Invalid parameter: Endpoint``."""
    return ServiceError("InvalidParameter", message, 400)


def invalid_parameter_value(message: str) -> ServiceError:
    """``ParameterValueInvalid`` (400): message attributes and other value errors."""
    return ServiceError("ParameterValueInvalid", message, 400)


def not_found(message: str) -> ServiceError:
    """``NotFound`` (404)."""
    return ServiceError("NotFound", message, 404)


def topic_not_found() -> ServiceError:
    return not_found("Topic does not exist")


def subscription_not_found() -> ServiceError:
    return not_found("Subscription does not exist")


def authorization_error(message: str = "") -> ServiceError:
    """``AuthorizationError`` (403): a topic policy does not allow the caller."""
    return ServiceError("AuthorizationError", message or "User is not authorized to perform this action", 403)
