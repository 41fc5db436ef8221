"""List pagination shared by every provider: keyset pages and opaque continuation tokens.

A page continues *after the last key returned* rather than at an offset, so resources created or
deleted between two calls never make a later page skip or repeat an item. Tokens are url-safe
base64 of a small JSON object carrying that key and the operation they belong to (a token handed to
another operation is rejected like a forged one). Each service raises its own error for a bad token:
callers pass a factory for it.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from pycloud.protocol.errors import ServiceError

T = TypeVar("T")
_VERSION = 1


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a sorted listing."""

    items: list[T]
    last_key: str | None
    """The key of the last item returned when more items follow, else None."""

    @property
    def truncated(self) -> bool:
        return self.last_key is not None


def paginate(items: Iterable[T], key: Callable[[T], str], after: str | None, limit: int) -> Page[T]:
    """Sort ``items`` by ``key`` and take up to ``limit`` of those whose key is greater than ``after``."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    ordered = sorted(items, key=key)
    if after is not None:
        ordered = [item for item in ordered if key(item) > after]
    if len(ordered) <= limit:
        return Page(ordered, None)
    chosen = ordered[:limit]
    return Page(chosen, key(chosen[-1]))


def encode_token(after: str, scope: str) -> str:
    """An opaque token meaning "continue after ``after``" for the operation named ``scope``."""
    payload = json.dumps({"v": _VERSION, "s": scope, "a": after}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(payload).decode("ascii").rstrip("=")


def decode_token(token: str, scope: str, error: Callable[[], ServiceError]) -> str:
    """The key a token continues after; raises ``error()`` when the token is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        payload = json.loads(raw)
    except (binascii.Error, ValueError, TypeError):
        raise error() from None
    if (
        not isinstance(payload, dict)
        or payload.get("v") != _VERSION
        or payload.get("s") != scope
        or not isinstance(payload.get("a"), str)
    ):
        raise error()
    return payload["a"]


def next_token(page: Page[T], scope: str) -> str | None:
    """The continuation token for the page after ``page`` (None when it was the last)."""
    return encode_token(page.last_key, scope) if page.last_key is not None else None
