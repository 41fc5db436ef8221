"""Identifiers in the forms AWS Organizations gives them."""

from __future__ import annotations

import secrets
import string

_LOWER = string.ascii_lowercase + string.digits
_KEY = string.ascii_uppercase + "234567"


def _random(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def organization_id() -> str:
    """``o-`` and ten lowercase letters or digits."""
    return "o-" + _random(_LOWER, 10)


def root_id() -> str:
    """``r-`` and four lowercase letters or digits."""
    return "r-" + _random(_LOWER, 4)


def unit_id(root: str) -> str:
    """``ou-<root suffix>-<8 chars>``: an OU id carries its root's suffix."""
    return f"ou-{root.removeprefix('r-')}-{_random(_LOWER, 8)}"


def policy_id() -> str:
    """``p-`` and ten lowercase letters or digits."""
    return "p-" + _random(_LOWER, 10)


def create_request_id() -> str:
    """``car-`` and 32 lowercase letters or digits."""
    return "car-" + _random(_LOWER, 32)


def account_id() -> str:
    """Twelve digits, not starting with 0 (so it never looks like the default account)."""
    return str(secrets.choice("123456789")) + _random(string.digits, 11)


def root_access_key() -> tuple[str, str]:
    """An access key id and a secret for a created account's root: nobody is ever told the secret."""
    return "AKIA" + _random(_KEY, 16), secrets.token_urlsafe(30)
