"""S3 authorization: who may perform which operation on a bucket or object.

Every bucket and object operation resolves its bucket through ``buckets.owned_bucket``, which calls
:func:`authorize`. The decision follows S3's rules for what exists today (IAM identity policies
arrive with the IAM service; until then a principal is allowed by its own account):

* the bucket owner's principals are allowed unless the bucket policy explicitly denies;
* another account's principals and anonymous callers need an Allow from the bucket policy or from
  an ACL grant: the bucket's ACL for bucket-level actions and writes, the object version's ACL for
  object reads and ACL operations (ACLs count for nothing under ``BucketOwnerEnforced``);
* Block Public Access: ``RestrictPublicBuckets`` voids a public policy's grants to outsiders,
  ``IgnorePublicAcls`` voids public ACL grants, ``BlockPublicPolicy`` / ``BlockPublicAcls`` refuse
  writing public policies / ACLs.

The hot path (owner's principal, no bucket policy) never reaches the policy engine, nor looks up
an object's ACL.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from pycloud.context import RequestContext
from pycloud.iam.policy import EXPLICIT_DENY, AuthRequest, NamedPolicy, Principal, evaluate, parse_policy
from pycloud.protocol.errors import ServiceError
from pycloud.services.s3 import access_controls, acl, errors
from pycloud.services.s3.copy_source import parse_copy_source
from pycloud.services.s3.models import Bucket, canonical_user_id

BUCKET = "bucket"
OBJECT = "object"

# Operation → (IAM action, resource kind). Deletes of sub-configurations use the Put action, as S3 does.
ACTIONS: dict[str, tuple[str, str]] = {
    "HeadBucket": ("s3:ListBucket", BUCKET),
    "GetBucketLocation": ("s3:GetBucketLocation", BUCKET),
    "DeleteBucket": ("s3:DeleteBucket", BUCKET),
    "PutBucketAcl": ("s3:PutBucketAcl", BUCKET),
    "GetBucketAcl": ("s3:GetBucketAcl", BUCKET),
    "PutBucketOwnershipControls": ("s3:PutBucketOwnershipControls", BUCKET),
    "GetBucketOwnershipControls": ("s3:GetBucketOwnershipControls", BUCKET),
    "DeleteBucketOwnershipControls": ("s3:PutBucketOwnershipControls", BUCKET),
    "PutPublicAccessBlock": ("s3:PutBucketPublicAccessBlock", BUCKET),
    "GetPublicAccessBlock": ("s3:GetBucketPublicAccessBlock", BUCKET),
    "DeletePublicAccessBlock": ("s3:PutBucketPublicAccessBlock", BUCKET),
    "PutBucketPolicy": ("s3:PutBucketPolicy", BUCKET),
    "GetBucketPolicy": ("s3:GetBucketPolicy", BUCKET),
    "DeleteBucketPolicy": ("s3:DeleteBucketPolicy", BUCKET),
    "GetBucketPolicyStatus": ("s3:GetBucketPolicyStatus", BUCKET),
    "PutBucketTagging": ("s3:PutBucketTagging", BUCKET),
    "GetBucketTagging": ("s3:GetBucketTagging", BUCKET),
    "DeleteBucketTagging": ("s3:PutBucketTagging", BUCKET),
    "PutBucketVersioning": ("s3:PutBucketVersioning", BUCKET),
    "GetBucketVersioning": ("s3:GetBucketVersioning", BUCKET),
    "PutObjectLockConfiguration": ("s3:PutBucketObjectLockConfiguration", BUCKET),
    "GetObjectLockConfiguration": ("s3:GetBucketObjectLockConfiguration", BUCKET),
    "PutBucketEncryption": ("s3:PutEncryptionConfiguration", BUCKET),
    "GetBucketEncryption": ("s3:GetEncryptionConfiguration", BUCKET),
    "DeleteBucketEncryption": ("s3:PutEncryptionConfiguration", BUCKET),
    "PutBucketCors": ("s3:PutBucketCORS", BUCKET),
    "GetBucketCors": ("s3:GetBucketCORS", BUCKET),
    "DeleteBucketCors": ("s3:PutBucketCORS", BUCKET),
    "PutBucketWebsite": ("s3:PutBucketWebsite", BUCKET),
    "GetBucketWebsite": ("s3:GetBucketWebsite", BUCKET),
    "DeleteBucketWebsite": ("s3:DeleteBucketWebsite", BUCKET),
    "PutBucketLifecycleConfiguration": ("s3:PutLifecycleConfiguration", BUCKET),
    "GetBucketLifecycleConfiguration": ("s3:GetLifecycleConfiguration", BUCKET),
    "DeleteBucketLifecycle": ("s3:PutLifecycleConfiguration", BUCKET),
    "PutBucketNotificationConfiguration": ("s3:PutBucketNotification", BUCKET),
    "GetBucketNotificationConfiguration": ("s3:GetBucketNotification", BUCKET),
    "PutBucketLogging": ("s3:PutBucketLogging", BUCKET),
    "GetBucketLogging": ("s3:GetBucketLogging", BUCKET),
    "PutBucketRequestPayment": ("s3:PutBucketRequestPayment", BUCKET),
    "GetBucketRequestPayment": ("s3:GetBucketRequestPayment", BUCKET),
    "PutBucketAccelerateConfiguration": ("s3:PutAccelerateConfiguration", BUCKET),
    "GetBucketAccelerateConfiguration": ("s3:GetAccelerateConfiguration", BUCKET),
    "ListObjects": ("s3:ListBucket", BUCKET),
    "ListObjectsV2": ("s3:ListBucket", BUCKET),
    "ListObjectVersions": ("s3:ListBucketVersions", BUCKET),
    "ListMultipartUploads": ("s3:ListBucketMultipartUploads", BUCKET),
    "PutObject": ("s3:PutObject", OBJECT),
    "GetObject": ("s3:GetObject", OBJECT),
    "HeadObject": ("s3:GetObject", OBJECT),
    "DeleteObject": ("s3:DeleteObject", OBJECT),
    "DeleteObjects": ("s3:DeleteObject", OBJECT),
    "CopyObject": ("s3:PutObject", OBJECT),
    "GetObjectAttributes": ("s3:GetObjectAttributes", OBJECT),
    "PutObjectAcl": ("s3:PutObjectAcl", OBJECT),
    "GetObjectAcl": ("s3:GetObjectAcl", OBJECT),
    "PutObjectTagging": ("s3:PutObjectTagging", OBJECT),
    "GetObjectTagging": ("s3:GetObjectTagging", OBJECT),
    "DeleteObjectTagging": ("s3:DeleteObjectTagging", OBJECT),
    "PutObjectRetention": ("s3:PutObjectRetention", OBJECT),
    "GetObjectRetention": ("s3:GetObjectRetention", OBJECT),
    "PutObjectLegalHold": ("s3:PutObjectLegalHold", OBJECT),
    "GetObjectLegalHold": ("s3:GetObjectLegalHold", OBJECT),
    "CreateMultipartUpload": ("s3:PutObject", OBJECT),
    "UploadPart": ("s3:PutObject", OBJECT),
    "UploadPartCopy": ("s3:PutObject", OBJECT),
    "CompleteMultipartUpload": ("s3:PutObject", OBJECT),
    "AbortMultipartUpload": ("s3:AbortMultipartUpload", OBJECT),
    "ListParts": ("s3:ListMultipartUploadParts", OBJECT),
    "RestoreObject": ("s3:RestoreObject", OBJECT),
}

# The action S3 checks instead when the request names a VersionId.
VERSION_ACTIONS = {
    "s3:GetObject": "s3:GetObjectVersion",
    "s3:DeleteObject": "s3:DeleteObjectVersion",
    "s3:GetObjectAttributes": "s3:GetObjectVersionAttributes",
    "s3:PutObjectTagging": "s3:PutObjectVersionTagging",
    "s3:GetObjectTagging": "s3:GetObjectVersionTagging",
    "s3:DeleteObjectTagging": "s3:DeleteObjectVersionTagging",
    "s3:PutObjectAcl": "s3:PutObjectVersionAcl",
    "s3:GetObjectAcl": "s3:GetObjectVersionAcl",
}

_COPIES = frozenset({"CopyObject", "UploadPartCopy"})
_LISTINGS = frozenset({"ListObjects", "ListObjectsV2", "ListObjectVersions"})
_COPY_SOURCE = "s3.authorization.copy_source"  # ctx.extra slot: the copy source, for the source bucket's check

# ACL permission → the actions it grants, on a bucket and on an object (S3 User Guide, "ACL
# permissions and access policy permissions"). WRITE means nothing on an object.
_ACL_ACTIONS: dict[str, frozenset[str]] = {
    "READ": frozenset({"s3:ListBucket", "s3:ListBucketVersions", "s3:ListBucketMultipartUploads"}),
    "WRITE": frozenset({"s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:AbortMultipartUpload"}),
    "READ_ACP": frozenset({"s3:GetBucketAcl"}),
    "WRITE_ACP": frozenset({"s3:PutBucketAcl"}),
}
_ACL_ACTIONS["FULL_CONTROL"] = frozenset().union(*_ACL_ACTIONS.values())
_OBJECT_ACL_ACTIONS: dict[str, frozenset[str]] = {
    "READ": frozenset({"s3:GetObject", "s3:GetObjectVersion"}),
    "READ_ACP": frozenset({"s3:GetObjectAcl", "s3:GetObjectVersionAcl"}),
    "WRITE_ACP": frozenset({"s3:PutObjectAcl", "s3:PutObjectVersionAcl"}),
}
_OBJECT_ACL_ACTIONS["FULL_CONTROL"] = frozenset().union(*_OBJECT_ACL_ACTIONS.values())
_OBJECT_ACL_ANY = _OBJECT_ACL_ACTIONS["FULL_CONTROL"]

ObjectGrants = Callable[[Bucket, str, str], "list[dict[str, Any]] | None"]
"""(bucket, key, version id or "" for the current one) → that live version's ACL grants, or None."""
Target = tuple[str, str]
"""(key, version id) of the object version a check is about."""

_PUBLIC_GROUPS = frozenset({acl.ALL_USERS, acl.AUTHENTICATED_USERS})
_PUBLIC_CANNED = frozenset({"public-read", "public-read-write", "authenticated-read"})

# Condition keys whose fixed value pins a wildcard principal to known parties ("The meaning of
# public" in the S3 User Guide); aws:SourceIp counts when its range is not too broad.
_FIXING_KEYS = frozenset(
    {
        "aws:sourcearn",
        "aws:sourcevpc",
        "aws:sourcevpce",
        "aws:sourceaccount",
        "aws:sourceowner",
        "aws:principalorgid",
        "aws:principalaccount",
        "aws:userid",
        "s3:x-amz-server-side-encryption-aws-kms-key-id",
        "s3:dataaccesspointarn",
        "s3:dataaccesspointaccount",
    }
)
_MIN_FIXED_PREFIX = {4: 8, 6: 32}  # narrowest CIDR prefix still public, per IP version


# -- public-ness ----------------------------------------------------------------------------------


def _fixed_ip(values: list[Any]) -> bool:
    try:
        networks = [ipaddress.ip_network(str(v), strict=False) for v in values]
    except ValueError:
        return False
    return bool(networks) and all(n.prefixlen >= _MIN_FIXED_PREFIX[n.version] for n in networks)


def _statement_is_fixed(conditions: dict[str, Any]) -> bool:
    """Whether a statement's conditions pin its wildcard principal to known parties."""
    for operator, keys in conditions.items():
        op = operator.casefold()
        if not isinstance(keys, dict) or "not" in op or op.endswith("ifexists") or op.startswith("forany"):
            continue
        for key, raw in keys.items():
            values = raw if isinstance(raw, list) else [raw]
            name = key.casefold()
            if name == "aws:sourceip" and op.startswith("ipaddress") and _fixed_ip(values):
                return True
            if name in _FIXING_KEYS and values and not any("*" in str(v) or "?" in str(v) for v in values):
                return True
    return False


def _wildcard_principal(statement: dict[str, Any]) -> bool:
    if "NotPrincipal" in statement:
        return True  # everyone but a few
    principal = statement.get("Principal")
    if principal == "*":
        return True
    if isinstance(principal, dict):
        aws = principal.get("AWS")
        return aws == "*" or (isinstance(aws, list) and "*" in aws)
    return False


@lru_cache(maxsize=1024)
def is_public_policy(text: str) -> bool:
    """Whether a bucket policy is public: it allows a wildcard principal without a fixing condition.

    A malformed policy is not public: PutBucketPolicy then answers MalformedPolicy, as S3 does.
    """
    try:
        parse_policy(text, kind="resource")
        statements = json.loads(text).get("Statement") or []
    except (ValueError, AttributeError):
        return False
    if isinstance(statements, dict):
        statements = [statements]
    for statement in statements:
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        if _wildcard_principal(statement) and not _statement_is_fixed(statement.get("Condition") or {}):
            return True
    return False


def is_public_grant(grant: dict[str, Any]) -> bool:
    """Whether an ACL grant gives access to AllUsers or AuthenticatedUsers."""
    return grant.get("Grantee", {}).get("URI") in _PUBLIC_GROUPS


def requests_public_acl(params: dict[str, Any]) -> bool:
    """Whether a request's canned ACL, grant headers or AccessControlPolicy body is public."""
    if params.get("ACL") in _PUBLIC_CANNED:
        return True
    for member in ("GrantFullControl", "GrantRead", "GrantReadACP", "GrantWrite", "GrantWriteACP"):
        value = params.get(member) or ""
        if any(group in value for group in _PUBLIC_GROUPS):
            return True
    body = params.get("AccessControlPolicy") or {}
    return any(is_public_grant(g) for g in body.get("Grants") or [] if isinstance(g, dict))


# -- the decision ---------------------------------------------------------------------------------


def _object_arn(bucket: str, key: str) -> str:
    return f"arn:aws:s3:::{bucket}/{key}"


def _checks(bucket: Bucket, ctx: RequestContext, params: dict[str, Any]) -> list[tuple[str, str, Target | None]]:
    """The (action, resource ARN, object version) triples the request needs allowed on this bucket."""
    operation = ctx.operation
    if operation in _COPIES and "Key" not in params:
        # The copy's second bucket lookup: read access to the source version.
        source = ctx.extra.get(_COPY_SOURCE)
        if source is None:
            return [("s3:GetObject", bucket.arn + "/*", None)]
        action = "s3:GetObjectVersion" if source.version_id else "s3:GetObject"
        return [(action, _object_arn(bucket.name, source.key), (source.key, source.version_id or ""))]
    action, kind = ACTIONS[operation]
    if kind == BUCKET:
        return [(action, bucket.arn, None)]
    if operation == "DeleteObjects":
        items = [i for i in ((params.get("Delete") or {}).get("Objects") or []) if isinstance(i, dict)]
        if not items:
            return [(action, _object_arn(bucket.name, "*"), None)]  # still needs some delete permission
        return [
            (VERSION_ACTIONS[action] if item.get("VersionId") else action,
             _object_arn(bucket.name, item.get("Key", "")), None)
            for item in items
        ]
    key, version_id = params.get("Key") or "", params.get("VersionId") or ""
    if version_id:
        action = VERSION_ACTIONS.get(action, action)
    return [(action, _object_arn(bucket.name, key), (key, version_id))]


def _context_keys(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    keys: dict[str, Any] = {"aws:SecureTransport": False}
    if ctx.source_ip:
        keys["aws:SourceIp"] = ctx.source_ip
    if ctx.operation in _LISTINGS:
        keys["s3:prefix"] = params.get("Prefix") or ""
        if params.get("Delimiter") is not None:
            keys["s3:delimiter"] = params["Delimiter"]
        if params.get("MaxKeys") is not None:
            keys["s3:max-keys"] = params["MaxKeys"]
    for member, key in (
        ("ACL", "s3:x-amz-acl"),
        ("VersionId", "s3:VersionId"),
        ("ServerSideEncryption", "s3:x-amz-server-side-encryption"),
        ("CopySource", "s3:x-amz-copy-source"),
    ):
        if params.get(member) is not None:
            keys[key] = params[member]
    return keys


def _grants_allow(
    grants: list[dict[str, Any]], table: dict[str, frozenset[str]], ctx: RequestContext, action: str,
    ignore_public: bool,
) -> bool:
    """Whether an ACL (bucket or object: ``table`` maps its permissions to actions) grants the caller ``action``."""
    caller = ctx.principal
    signed = caller.kind != "anonymous"
    canonical = canonical_user_id(caller.account_id) if signed else None
    for grant in grants:
        if action not in table.get(grant.get("Permission", ""), ()):
            continue
        grantee = grant.get("Grantee") or {}
        uri = grantee.get("URI")
        if uri in _PUBLIC_GROUPS:
            if ignore_public:
                continue
            if uri == acl.ALL_USERS or signed:
                return True
        elif canonical is not None and grantee.get("ID") == canonical:
            return True
    return False


def _acl_allows(
    bucket: Bucket, ctx: RequestContext, action: str, target: Target | None, object_grants: ObjectGrants | None
) -> bool:
    """Whether the bucket's ACL, or for object actions the object version's ACL, grants the caller ``action``."""
    if access_controls.acls_disabled(bucket):
        return False
    ignore_public = bool((bucket.configs.get("public_access_block") or {}).get("IgnorePublicAcls"))
    if _grants_allow(bucket.acl, _ACL_ACTIONS, ctx, action, ignore_public):
        return True
    if action not in _OBJECT_ACL_ANY or target is None or object_grants is None:
        return False
    grants = object_grants(bucket, target[0], target[1])  # looked up only now: the slow path
    return grants is not None and _grants_allow(grants, _OBJECT_ACL_ACTIONS, ctx, action, ignore_public)


def _allowed(
    bucket: Bucket, ctx: RequestContext, action: str, resource: str, keys: dict[str, Any],
    target: Target | None = None, object_grants: ObjectGrants | None = None,
) -> bool:
    caller = ctx.principal
    insider = caller.kind != "anonymous" and caller.account_id == bucket.account_id
    block = bucket.configs.get("public_access_block") or {}
    text = bucket.configs.get("policy")
    authorizer = ctx.authorizer
    if authorizer is not None:
        # The caller's own policies (identity, boundary, session, SCPs) meet the bucket policy.
        policies = [NamedPolicy(bucket.name, parse_policy(text, kind="resource"))] if text else None
        decision = authorizer.decide(ctx, action, resource, resource_policies=policies,
                                     resource_account=bucket.account_id, context=keys)
        if decision.outcome == EXPLICIT_DENY:
            return False
        if decision.allowed:
            if insider or not text:
                return True
            if not (block.get("RestrictPublicBuckets") and is_public_policy(text)):
                return True
        elif insider:
            return False
        return _acl_allows(bucket, ctx, action, target, object_grants)
    if text:
        doc = parse_policy(text, kind="resource")  # cached by text in the engine
        principal = Principal.of_caller(caller.kind, caller.account_id, caller.arn, caller.user_id,
                                        canonical_user_id(caller.account_id))
        # Driven without the gateway (no authorizer): a signed caller's own account allows it everything.
        identity = _ALLOW_ALL if principal.kind != "anonymous" else None
        request = AuthRequest(principal, action, resource, keys, resource_account=bucket.account_id, now=ctx.now)
        decision = evaluate(request, identity=identity, resource=NamedPolicy(bucket.name, doc))
        if decision.outcome == EXPLICIT_DENY:
            return False
        if insider:
            return True
        restricted = block.get("RestrictPublicBuckets") and is_public_policy(text)
        if decision.allowed and not restricted:
            return True
    elif insider:
        return True
    return _acl_allows(bucket, ctx, action, target, object_grants)


_ALLOW_ALL = parse_policy('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}')


def _denial_message(bucket: Bucket, ctx: RequestContext, action: str, resource: str, keys: dict[str, Any]) -> str:
    """AWS's wording of a refusal for a signed caller (which policy type failed to allow)."""
    text = bucket.configs.get("policy")
    policies = [NamedPolicy(bucket.name, parse_policy(text, kind="resource"))] if text else None
    decision = ctx.authorizer.decide(ctx, action, resource, resource_policies=policies,
                                     resource_account=bucket.account_id, context=keys)
    if decision.allowed:  # refused by an ACL or Block Public Access rule, not by a policy
        return "Access Denied"
    return decision.message(ctx.principal.arn, action, resource)


def block_public_writes(bucket: Bucket, operation: str, params: dict[str, Any]) -> None:
    """BlockPublicPolicy / BlockPublicAcls: refuse a (validated) request that would make the bucket
    or an object public. Called by the operations once their input has passed validation, so
    malformed input still gets its own error first, as in S3."""
    block = bucket.configs.get("public_access_block") or {}
    if operation == "PutBucketPolicy":
        if block.get("BlockPublicPolicy") and is_public_policy(params.get("Policy") or ""):
            raise errors.access_denied()
    elif operation in ("PutBucketAcl", "PutObjectAcl", "PutObject", "CopyObject", "CreateMultipartUpload"):
        if block.get("BlockPublicAcls") and requests_public_acl(params):
            raise errors.access_denied()


def authorize(
    bucket: Bucket, ctx: RequestContext, params: dict[str, Any], object_grants: ObjectGrants | None = None
) -> None:
    """Raise ``AccessDenied`` unless the caller may perform ``ctx.operation`` on ``bucket``.

    ``params`` are the operation's input (Key, VersionId, Prefix, ACL...). ``object_grants`` reads an
    object version's ACL; it is called only when nothing else has decided. Operations this module
    does not know stay owner-only, as before authorization existed.
    """
    operation = ctx.operation
    if operation in _COPIES and "CopySource" in params:
        try:
            ctx.extra[_COPY_SOURCE] = parse_copy_source(params["CopySource"])
        except ServiceError:  # the operation reports a malformed source itself
            pass
    caller = ctx.principal
    insider = caller.kind != "anonymous" and caller.account_id == bucket.account_id
    authorizer = ctx.authorizer
    unbound = authorizer is None or authorizer.unbound(caller)
    if insider and unbound and not bucket.configs.get("policy"):
        return  # the hot path: the owner's root (or no IAM), nothing that could deny
    if operation not in ACTIONS:
        if insider and unbound:
            return
        raise errors.access_denied()
    keys = _context_keys(ctx, params)
    for action, resource, target in _checks(bucket, ctx, params):
        if not _allowed(bucket, ctx, action, resource, keys, target, object_grants):
            if authorizer is not None and insider:
                # S3 explains denials within the caller's own account; other accounts read "Access Denied"
                raise errors.access_denied(_denial_message(bucket, ctx, action, resource, keys))
            raise errors.access_denied()


def authorize_account_operation(ctx: RequestContext) -> None:
    """Operations on the caller's own account (ListBuckets, CreateBucket) need a signed request."""
    if ctx.principal.kind == "anonymous":
        raise errors.access_denied()
