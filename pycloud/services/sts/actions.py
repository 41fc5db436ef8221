"""STS operations → IAM actions, as the gateway enforces them.

AWS asks no permission for GetCallerIdentity and GetSessionToken. The AssumeRole family is decided
by the provider against the role's trust policy (a resource policy), so the gateway leaves it alone.
GetFederationToken acts on the federated user's ARN; the others take no resource type.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pycloud.iam.actions import ActionRule, ActionTable

if TYPE_CHECKING:
    from pycloud.context import RequestContext


def _federated_user(ctx: RequestContext, params: dict[str, Any]) -> tuple[str, ...]:
    name = params.get("Name")
    return (f"arn:aws:sts::{ctx.account_id}:federated-user/{name}",) if name else ()


TABLE = ActionTable(
    "sts",
    rules={"GetFederationToken": ActionRule("sts:GetFederationToken", _federated_user)},
    provider_decides=frozenset({"AssumeRole", "AssumeRoleWithWebIdentity", "AssumeRoleWithSAML"}),
    unauthenticated=frozenset({"GetCallerIdentity", "GetSessionToken"}),
)
