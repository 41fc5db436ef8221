"""The opaque tokens of the EBS direct APIs: block tokens (a snapshot's block, until an expiry) and
page tokens. Both are standard base64 of a small JSON object, as the model's token patterns
(``^[A-Za-z0-9+/=]+$``) require."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

BLOCK_TOKEN_SECONDS = 7 * 86_400
"""How long a block token from ListSnapshotBlocks / ListChangedBlocks stays usable."""


def _encode(payload: dict[str, Any]) -> str:
    return base64.b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode("ascii")


def _decode(token: str) -> dict[str, Any] | None:
    try:
        payload = json.loads(base64.b64decode(token, validate=True))
    except (binascii.Error, ValueError, TypeError):
        return None
    return payload if isinstance(payload, dict) else None


def block_token(snapshot_id: str, index: int, expires: float) -> str:
    """A token granting GetSnapshotBlock of ``index`` in ``snapshot_id`` until ``expires``."""
    return _encode({"s": snapshot_id, "i": index, "e": int(expires)})


def block_token_valid(token: str, snapshot_id: str, index: int, now: float) -> bool:
    """Whether ``token`` was issued for this block and has not expired."""
    payload = _decode(token)
    return (
        payload is not None
        and payload.get("s") == snapshot_id
        and payload.get("i") == index
        and isinstance(payload.get("e"), int)
        and now <= payload["e"]
    )


def page_token(scope: str, after: int) -> str:
    """A token meaning "continue after block ``after``" for the listing named ``scope``."""
    return _encode({"p": scope, "a": after})


def page_after(token: str, scope: str) -> int | None:
    """The block index a page token continues after, or None when it is not one of ``scope``'s."""
    payload = _decode(token)
    if payload is None or payload.get("p") != scope or not isinstance(payload.get("a"), int):
        return None
    return payload["a"]
