"""OpenID Connect ID tokens (JWTs) for AssumeRoleWithWebIdentity.

A token is ``header.payload.signature``, each part base64url; header and payload are JSON. The
claims that matter: ``iss`` (the issuer URL, which must be an IAM OIDC provider registered in the
role's account), ``aud`` (one of that provider's client ids), ``sub``, ``exp`` (checked against
the virtual clock) and optionally ``amr``.

The signature is NOT verified: that needs the issuer's signing keys from its JWKS endpoint, which
an offline emulator cannot fetch, so any signature (even none) is accepted. Everything else AWS
checks about the token is checked.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pycloud.services.sts import errors

WELL_KNOWN = frozenset({"accounts.google.com", "graph.facebook.com", "www.amazon.com", "cognito-identity.amazonaws.com"})
"""Identity providers AWS trusts without an IAM OIDC provider; trust policies name them directly."""


@dataclass(frozen=True)
class WebIdentityToken:
    """The claims of one ID token."""

    issuer: str
    """``iss`` as given (``https://example.com/path``)."""
    issuer_id: str
    """The issuer without scheme or trailing slash: how IAM names the provider and its keys."""
    audiences: tuple[str, ...]
    subject: str
    expires: float
    claims: dict[str, Any] = field(default_factory=dict)


def _b64json(part: str) -> Any:
    raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    return json.loads(raw)


def parse_token(text: str) -> WebIdentityToken:
    """Decode a JWT's claims; InvalidIdentityToken when it is not a well-formed ID token."""
    parts = text.strip().split(".")
    if len(parts) != 3:
        raise errors.invalid_identity_token("The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)")
    try:
        header, claims = _b64json(parts[0]), _b64json(parts[1])
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise errors.invalid_identity_token("The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise errors.invalid_identity_token("The ID Token provided is not a valid JWT.")
    issuer = claims.get("iss")
    if not isinstance(issuer, str) or not issuer:
        raise errors.invalid_identity_token("Missing a required claim: iss")
    issuer_id = issuer.removeprefix("https://").rstrip("/")
    if not issuer.startswith("https://") and issuer_id not in WELL_KNOWN:
        raise errors.invalid_identity_token(f"The issuer of the token must use https: {issuer}")
    aud = claims.get("aud")
    audiences = tuple(a for a in (aud if isinstance(aud, list) else [aud]) if isinstance(a, str))
    if not audiences:
        raise errors.invalid_identity_token("Missing a required claim: aud")
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise errors.invalid_identity_token("Missing a required claim: sub")
    exp = claims.get("exp")
    if isinstance(exp, bool) or not isinstance(exp, int | float):
        raise errors.invalid_identity_token("Missing a required claim: exp")
    return WebIdentityToken(issuer, issuer_id, audiences, subject, float(exp), claims)


def check_expiry(token: WebIdentityToken, now: datetime) -> None:
    """ExpiredTokenException once the token's ``exp`` has passed on the virtual clock."""
    if token.expires <= now.timestamp():
        expired = datetime.fromtimestamp(token.expires, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        raise errors.expired_token(
            f"Token expired: current date/time {now.strftime('%Y-%m-%dT%H:%M:%SZ')} must be before the expiration "
            f"date/time {expired}"
        )


def matching_audience(token: WebIdentityToken, client_ids: list[str] | tuple[str, ...]) -> str:
    """The token audience the provider lists as a client id; InvalidIdentityToken if none."""
    for aud in token.audiences:
        if aud in client_ids:
            return aud
    raise errors.invalid_identity_token("Incorrect token audience")


def condition_keys(token: WebIdentityToken, audience: str) -> dict[str, Any]:
    """The ``<issuer>:aud``, ``:sub``, ``:amr``... keys trust policies test."""
    prefix = token.issuer_id
    keys: dict[str, Any] = {f"{prefix}:aud": audience, f"{prefix}:sub": token.subject}
    amr = token.claims.get("amr")
    if isinstance(amr, list):
        keys[f"{prefix}:amr"] = [str(v) for v in amr]
    elif isinstance(amr, str):
        keys[f"{prefix}:amr"] = amr
    azp = token.claims.get("azp")
    if isinstance(azp, str) and prefix == "accounts.google.com":  # Google: aud is the azp, oaud the audience
        keys[f"{prefix}:oaud"] = audience
        keys[f"{prefix}:aud"] = azp
    email = token.claims.get("email")
    if isinstance(email, str):
        keys[f"{prefix}:email"] = email
    return keys
