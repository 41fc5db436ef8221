"""STS operations: GetCallerIdentity so far."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from pycloud.context import Principal, RequestContext
from pycloud.protocol.errors import ServiceError
from pycloud.services.base import Provider


def derived_unique_id(prefix: str, arn: str) -> str:
    """A stable IAM-style unique id (``AIDA``/``AROA`` + 17 base32 chars) for an identity without one."""
    digest = base64.b32encode(hashlib.sha256(arn.encode()).digest()).decode("ascii")
    return prefix + digest[:17]


def caller_user_id(principal: Principal) -> str:
    """The ``UserId`` AWS reports for a principal.

    root → the account id; IAM user → its ``AIDA...`` id; assumed role → ``AROA...:session-name``;
    federated user → ``account:user-name``.
    """
    if principal.kind == "root":
        return principal.account_id
    resource = principal.arn.split(":", 5)[-1]
    if principal.kind == "assumed-role":
        session_name = resource.rsplit("/", 1)[-1]
        role_id = principal.user_id or derived_unique_id("AROA", principal.arn.rsplit("/", 1)[0])
        return role_id if ":" in role_id else f"{role_id}:{session_name}"
    if principal.kind == "federated-user":
        return principal.user_id or f"{principal.account_id}:{resource.split('/', 1)[-1]}"
    return principal.user_id or derived_unique_id("AIDA", principal.arn)


class StsProvider(Provider):
    """AWS Security Token Service."""

    service = "sts"

    def get_caller_identity(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Who signed the request: account, ARN and unique id."""
        principal = ctx.principal
        if principal.kind == "anonymous" or not principal.arn:
            raise ServiceError("MissingAuthenticationToken", "Request is missing Authentication Token", 403)
        return {"UserId": caller_user_id(principal), "Account": principal.account_id, "Arn": principal.arn}
