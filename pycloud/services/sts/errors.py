"""STS error answers, with the codes and HTTP statuses of botocore's ``sts`` model."""

from __future__ import annotations

from pycloud.protocol.errors import ServiceError


def validation(message: str) -> ServiceError:
    """A parameter outside what AWS accepts (``ValidationError``, 400)."""
    return ServiceError("ValidationError", message, 400)


def access_denied(message: str) -> ServiceError:
    """A refused request (``AccessDenied``, 403)."""
    return ServiceError("AccessDenied", message, 403)


def malformed_policy(message: str) -> ServiceError:
    """A session policy that is not a valid policy document."""
    return ServiceError("MalformedPolicyDocument", message, 400)


def packed_too_large(message: str) -> ServiceError:
    """Session policies and tags too large once packed."""
    return ServiceError("PackedPolicyTooLarge", message, 400)


def invalid_identity_token(message: str) -> ServiceError:
    """A web identity token or SAML assertion that cannot be accepted."""
    return ServiceError("InvalidIdentityToken", message, 400)


def expired_token(message: str) -> ServiceError:
    """A web identity token or SAML assertion past its expiry."""
    return ServiceError("ExpiredTokenException", message, 400)


def idp_rejected(message: str) -> ServiceError:
    """The identity provider's claims do not allow the request."""
    return ServiceError("IDPRejectedClaim", message, 403)


def invalid_authorization_message(message: str) -> ServiceError:
    """DecodeAuthorizationMessage given something that is not an encoded message."""
    return ServiceError("InvalidAuthorizationMessageException", message, 400)
