"""The context every request carries through the pipeline: who, where, when, which operation."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pycloud.protocol.message import HttpRequest


@dataclass(frozen=True)
class Principal:
    """The authenticated caller.

    ``kind`` is ``root``, ``user``, ``assumed-role``, ``federated-user`` or ``anonymous``.
    ``access_key`` is the key id the request was signed with (empty for anonymous requests).
    ``session`` is what a temporary credential carries (``pycloud.iam.directory.SessionData``).
    """

    account_id: str
    arn: str
    kind: str = "root"
    access_key: str = ""
    user_id: str = ""
    session: Any = None


@dataclass
class RequestContext:
    """One request's context, handed to every provider method."""

    request_id: str
    service: str
    operation: str
    region: str
    account_id: str
    principal: Principal
    now: datetime
    request: HttpRequest | None = None
    source_ip: str = ""
    protocol: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    authorizer: Any = None
    """The ``pycloud.iam.enforce.Authorizer`` providers ask about resource-policy operations
    (None when a provider is driven without the gateway: callers are then their account's)."""
