"""Bucket and object ACLs: canned ACLs, ``x-amz-grant-*`` headers and AccessControlPolicy documents → grants.

Grants are stored in the model's ``Grant`` form. Grantees are checked against what S3 can resolve:
canonical user ids of known accounts, the three predefined groups, and (never here) e-mail addresses.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from pycloud.protocol.errors import ServiceError
from pycloud.services.s3 import errors

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTHENTICATED_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
LOG_DELIVERY = "http://acs.amazonaws.com/groups/s3/LogDelivery"
GROUPS = frozenset({ALL_USERS, AUTHENTICATED_USERS, LOG_DELIVERY})
PERMISSIONS = frozenset({"FULL_CONTROL", "WRITE", "WRITE_ACP", "READ", "READ_ACP"})

# Canned ACL → the grants it adds besides the owner's FULL_CONTROL.
_CANNED: dict[str, list[tuple[str, str]]] = {
    "private": [],
    "public-read": [(ALL_USERS, "READ")],
    "public-read-write": [(ALL_USERS, "READ"), (ALL_USERS, "WRITE")],
    "authenticated-read": [(AUTHENTICATED_USERS, "READ")],
    "log-delivery-write": [(LOG_DELIVERY, "WRITE"), (LOG_DELIVERY, "READ_ACP")],
    "aws-exec-read": [],  # EC2's read access is not modelled: the owner keeps full control
}
# Canned ACLs only objects take → the permission they give the bucket owner.
_OBJECT_CANNED = {"bucket-owner-read": "READ", "bucket-owner-full-control": "FULL_CONTROL"}

_HEADER_GRANTS = {
    "GrantFullControl": ("x-amz-grant-full-control", "FULL_CONTROL"),
    "GrantRead": ("x-amz-grant-read", "READ"),
    "GrantReadACP": ("x-amz-grant-read-acp", "READ_ACP"),
    "GrantWrite": ("x-amz-grant-write", "WRITE"),
    "GrantWriteACP": ("x-amz-grant-write-acp", "WRITE_ACP"),
}
_GRANT_ITEM = re.compile(r'^\s*(id|uri|emailAddress)\s*=\s*"?([^"]*)"?\s*$', re.IGNORECASE)

Owner = dict[str, str]
"""``{"ID", "DisplayName"}`` of the bucket owner."""
UserLookup = Callable[[str], "str | None"]
"""Canonical user id → that account's display name, or None for an unknown id."""


def user_grant(owner: Owner, permission: str) -> dict[str, Any]:
    """A grant to a canonical user."""
    grantee = {"Type": "CanonicalUser", "ID": owner["ID"], "DisplayName": owner["DisplayName"]}
    return {"Grantee": grantee, "Permission": permission}


def group_grant(uri: str, permission: str) -> dict[str, Any]:
    """A grant to one of the predefined groups."""
    return {"Grantee": {"Type": "Group", "URI": uri}, "Permission": permission}


def canned_grants(acl: str, owner: Owner) -> list[dict[str, Any]]:
    """The grants a canned ACL stands for; ``InvalidArgument`` for an unknown name."""
    if acl not in _CANNED:
        raise errors.invalid_argument(f"Invalid canned ACL: {acl}", "x-amz-acl", acl)
    return [user_grant(owner, "FULL_CONTROL")] + [group_grant(uri, perm) for uri, perm in _CANNED[acl]]


def object_canned_grants(acl: str, owner: Owner, bucket_owner: Owner) -> list[dict[str, Any]]:
    """The grants a canned ACL stands for on an object owned by ``owner`` in ``bucket_owner``'s bucket.

    The bucket owner's grant of ``bucket-owner-*`` is left out when it owns the object already.
    """
    if acl not in _OBJECT_CANNED:
        return canned_grants(acl, owner)
    grants = [user_grant(owner, "FULL_CONTROL")]
    if bucket_owner["ID"] != owner["ID"]:
        grants.append(user_grant(bucket_owner, _OBJECT_CANNED[acl]))
    return grants


def has_header_grants(params: dict[str, Any]) -> bool:
    """Whether the request carries any ``x-amz-grant-*`` header."""
    return any(params.get(member) for member in _HEADER_GRANTS)


def _unresolvable_email() -> ServiceError:
    return ServiceError(
        "UnresolvableGrantByEmailAddress",
        "The e-mail address you provided does not match any account on record.",
        400,
    )


def header_grants(params: dict[str, Any], lookup: UserLookup) -> list[dict[str, Any]]:
    """Grants from ``x-amz-grant-*`` headers (``id="..."``, ``uri="..."``, ``emailAddress="..."`` lists)."""
    grants: list[dict[str, Any]] = []
    for member, (header, permission) in _HEADER_GRANTS.items():
        value = params.get(member)
        if not value:
            continue
        for item in value.split(","):
            match = _GRANT_ITEM.match(item)
            if not match:
                raise errors.invalid_argument("Invalid grant header value", header, value)
            kind, subject = match.group(1).lower(), match.group(2).strip()
            if kind == "id":
                name = lookup(subject)
                if name is None:
                    raise errors.invalid_argument("Invalid id", "CanonicalUser/ID", subject)
                grants.append(user_grant({"ID": subject, "DisplayName": name}, permission))
            elif kind == "uri":
                if subject not in GROUPS:
                    raise errors.invalid_argument("Invalid group uri", "Group/URI", subject)
                grants.append(group_grant(subject, permission))
            else:
                raise _unresolvable_email()
    return grants


def policy_grants(policy: dict[str, Any], owner: Owner, lookup: UserLookup) -> list[dict[str, Any]]:
    """Grants from an AccessControlPolicy document, validated; its Owner must be the resource's owner."""
    declared = policy.get("Owner")
    if not declared or not declared.get("ID"):
        raise errors.malformed_acl()
    if declared["ID"] != owner["ID"]:
        raise errors.access_denied()
    grants: list[dict[str, Any]] = []
    for grant in policy.get("Grants") or []:
        grantee = grant.get("Grantee") or {}
        permission = grant.get("Permission")
        if permission not in PERMISSIONS:
            raise errors.malformed_acl()
        kind = grantee.get("Type")
        if kind == "CanonicalUser":
            name = lookup(grantee.get("ID") or "")
            if name is None:
                raise errors.invalid_argument("Invalid id", "CanonicalUser/ID", grantee.get("ID") or "")
            grants.append(user_grant({"ID": grantee["ID"], "DisplayName": name}, permission))
        elif kind == "Group":
            uri = grantee.get("URI") or ""
            if uri not in GROUPS:
                raise errors.invalid_argument("Invalid group uri", "Group/URI", uri)
            grants.append(group_grant(uri, permission))
        elif kind == "AmazonCustomerByEmail":
            raise _unresolvable_email()
        else:
            raise errors.malformed_acl()
    return grants


def only_owner_full_control(grants: list[dict[str, Any]], owner: Owner) -> bool:
    """Whether an ACL gives nobody but the owner any access (all BucketOwnerEnforced allows)."""
    return all(
        g["Grantee"].get("Type") == "CanonicalUser" and g["Grantee"].get("ID") == owner["ID"] for g in grants
    ) and any(g["Permission"] == "FULL_CONTROL" for g in grants)


def request_grants(
    params: dict[str, Any], owner: Owner, lookup: UserLookup, allow_body: bool, bucket_owner: Owner | None = None
) -> list[dict[str, Any]] | None:
    """The grants a request's ACL asks for, or None when it names no ACL.

    A canned ACL, grant headers and an AccessControlPolicy body are mutually exclusive. With
    ``bucket_owner`` the request is about an object, which also takes the ``bucket-owner-*`` canned ACLs.
    """
    canned = params.get("ACL")
    headers = has_header_grants(params)
    body = params.get("AccessControlPolicy") if allow_body else None
    if canned and headers:
        raise errors.invalid_request("Specifying both Canned ACLs and Header Grants is not allowed")
    if body is not None and (canned or headers):
        raise ServiceError("UnexpectedContent", "This request does not support content", 400)
    if canned:
        return canned_grants(canned, owner) if bucket_owner is None else object_canned_grants(canned, owner, bucket_owner)
    if headers:
        return header_grants(params, lookup)
    if body is not None:
        return policy_grants(body, owner, lookup)
    return None


def is_owner_full_control(grants: list[dict[str, Any]], owner: Owner) -> bool:
    """Whether an ACL is exactly the default one: the owner's FULL_CONTROL and nothing else."""
    return len(grants) == 1 and grants[0]["Permission"] == "FULL_CONTROL" and (
        grants[0]["Grantee"].get("Type") == "CanonicalUser" and grants[0]["Grantee"].get("ID") == owner["ID"]
    )


def is_public(grants: list[dict[str, Any]]) -> bool:
    """Whether an ACL grants anything to AllUsers or AuthenticatedUsers."""
    return any((g.get("Grantee") or {}).get("URI") in (ALL_USERS, AUTHENTICATED_USERS) for g in grants)


def check_create_acl(grants: list[dict[str, Any]], owner: Owner, acls_disabled: bool, block_public: bool) -> None:
    """CreateBucket's ACL against the bucket's Object Ownership and Block Public Access settings."""
    if acls_disabled and not only_owner_full_control(grants, owner):
        raise errors.acl_with_object_ownership()
    if block_public and is_public(grants):
        raise acl_with_block_public_access()


def acl_with_block_public_access() -> ServiceError:
    """CreateBucket asking for a public ACL: new buckets start with Block Public Access on."""
    return ServiceError(
        "InvalidBucketAclWithBlockPublicAccessError",
        "Bucket cannot have public ACLs set with BlockPublicAccess enabled",
        400,
    )
