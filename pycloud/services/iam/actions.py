"""IAM operations → IAM actions and resources (see ``pycloud.iam.actions``).

Every operation takes ``iam:<Operation>``; its resource is the entity it names, found in this order:
instance profile, role, group, user, managed policy, identity provider (AttachUserPolicy acts on the
user, AddUserToGroup on the group, AddRoleToInstanceProfile on the instance profile). ARNs carry
the entity's path when it exists (policies name ``user/division/*``); an operation on no named
entity acts on ``*``, except the caller's own-user operations (GetUser, ChangePassword...) which act
on the caller.
"""

from __future__ import annotations

from typing import Any

from pycloud.context import RequestContext
from pycloud.iam.actions import ActionTable

_NAMED = (
    ("InstanceProfileName", "instance-profile"),
    ("RoleName", "role"),
    ("GroupName", "group"),
    ("UserName", "user"),
)
_ARNS = ("PolicyArn", "OpenIDConnectProviderArn", "SAMLProviderArn")
_SELF = frozenset({"GetUser", "ChangePassword", "ListAccessKeys", "CreateAccessKey", "GetLoginProfile",
                   "ListUserPolicies", "ListAttachedUserPolicies", "ListGroupsForUser", "ListUserTags"})


def _entity(ctx: RequestContext, kind: str, name: str) -> tuple[str, dict[str, str]]:
    directory = ctx.authorizer.directory if ctx.authorizer is not None else None
    iam = directory.iam() if directory is not None else None
    lookup = getattr(iam, "entity", None)
    found = lookup(ctx.account_id, kind, name) if lookup is not None else None
    return found or (f"arn:aws:iam::{ctx.account_id}:{kind}/{name}", {})


def _named(params: dict[str, Any]) -> tuple[str, str] | None:
    for member, kind in _NAMED:
        name = params.get(member)
        if name:
            return kind, name
    return None


def _resources(ctx: RequestContext, params: dict[str, Any]) -> list[str]:
    named = _named(params)
    if named is not None:
        return [_entity(ctx, *named)[0]]
    for member in _ARNS:
        if params.get(member):
            return [params[member]]
    if ctx.operation in _SELF and ctx.principal.kind == "user":
        return [ctx.principal.arn]
    return ["*"]


def _resource_tags(ctx: RequestContext, params: dict[str, Any]) -> dict[str, str] | None:
    """``aws:ResourceTag/…`` and ``iam:ResourceTag/…`` of the user or role a request names."""
    named = _named(params)
    if named is None or named[0] not in ("user", "role"):
        return None
    tags = _entity(ctx, *named)[1]
    if not tags:
        return None
    keys = {f"aws:ResourceTag/{k}": v for k, v in tags.items()}
    keys.update({f"iam:ResourceTag/{k}": v for k, v in tags.items()})
    return keys


TABLE = ActionTable("iam", default_resources=_resources, resource_context=_resource_tags)
