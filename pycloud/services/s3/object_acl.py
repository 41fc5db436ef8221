"""Object ACLs: who owns each object version, what its ACL grants, and Put/GetObjectAcl.

An ACL is mutable per version, so it lives in the control-plane state (RecordTable kind
``object-acl``) keyed like object tags, not in the store's immutable metadata. Only ACLs other than
the default (the owner's FULL_CONTROL) are stored; without a record a version's ACL is that default
for the owner recorded in its metadata. Under BucketOwnerEnforced ACLs are disabled: every object
reads as the bucket owner's with the default ACL, and stored records wait unused until ACLs are
enabled again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from pycloud._core import StoreError
from pycloud.services.s3 import access_controls, acl, authorization, errors
from pycloud.services.s3 import events as s3_events
from pycloud.services.s3.models import canonical_user_id
from pycloud.services.s3.object_meta import ObjectMeta
from pycloud.services.s3.object_tagging import version_key
from pycloud.state.table import RecordModel, RecordTable

if TYPE_CHECKING:
    from pycloud.context import RequestContext
    from pycloud.services.base import ServiceRuntime
    from pycloud.services.s3.datastore import S3DataStore
    from pycloud.services.s3.models import Bucket


@dataclass
class ObjectAcl(RecordModel):
    """The owner (account id) and ACL grants of one object version."""

    owner: str = ""
    grants: list[dict[str, Any]] = field(default_factory=list)


class AclStore:
    """Per-version ACLs in a RecordTable scoped by the bucket's (account, region)."""

    def __init__(self, table: RecordTable[ObjectAcl]) -> None:
        self.table = table

    def get(self, scope: tuple[str, str], bucket: str, key: str, version_id: str) -> ObjectAcl | None:
        """The stored (non-default) ACL of a version, or None."""
        return self.table.get(*scope, version_key(bucket, key, version_id))

    def set(
        self, scope: tuple[str, str], bucket: str, key: str, version_id: str, record: ObjectAcl | None,
        owner_id: str = "",
    ) -> None:
        """Store a version's ACL; None, or the default ACL of ``owner_id`` (canonical id), removes the record."""
        name = version_key(bucket, key, version_id)
        if record is not None and not acl.is_owner_full_control(record.grants, {"ID": owner_id}):
            self.table.put(*scope, name, record)
        elif self.table.get(*scope, name) is not None:
            self.table.delete(*scope, name)


class ObjectAclOperations:
    """Mixin of S3Provider: object ownership and ACLs (PutObjectAcl, GetObjectAcl, ACLs on writes)."""

    # Provided by S3Provider and ObjectOperations (declared only: stubs would shadow them in the MRO).
    data: S3DataStore
    runtime: ServiceRuntime
    _bucket: Callable[[RequestContext, dict[str, Any]], Bucket]
    owner: Callable[[str], dict[str, str]]
    _display_name: Callable[[str], str | None]
    _version: Callable[..., Any]

    @cached_property
    def object_acls(self) -> AclStore:
        """Per-version ACLs that differ from the default (RecordTable kind ``object-acl``)."""
        return AclStore(RecordTable(self.runtime.state, "s3", "object-acl", ObjectAcl))

    # -- the ACL a write asks for -----------------------------------------------------------------

    def request_acl(self, ctx: RequestContext, bucket: Bucket, params: dict[str, Any]) -> ObjectAcl:
        """Owner and ACL of the object a PutObject / CopyObject / CreateMultipartUpload writes.

        Checks, in S3's order: the ACL itself (InvalidArgument, InvalidRequest...), ACLs disabled
        under BucketOwnerEnforced (AccessControlListNotSupported unless it grants the bucket owner
        alone), then Block Public Access (AccessDenied for a public ACL).
        """
        writer = ctx.principal.account_id if ctx.principal.kind != "anonymous" else None
        owner_id = access_controls.object_owner(bucket, writer, params.get("ACL"))
        owner = self.owner(owner_id)
        if not params.get("ACL") and not acl.has_header_grants(params):
            return ObjectAcl(owner_id, [acl.user_grant(owner, "FULL_CONTROL")])  # the common case
        grants = acl.request_grants(params, owner, self._display_name, allow_body=False,
                                    bucket_owner=self.owner(bucket.account_id)) or []
        if access_controls.acls_disabled(bucket) and not acl.only_owner_full_control(grants, owner):
            raise errors.acl_not_supported()
        authorization.block_public_writes(bucket, ctx.operation, params)
        return ObjectAcl(owner_id, grants)

    def store_version_acl(self, bucket: Bucket, key: str, version_id: str, record: ObjectAcl | None) -> None:
        """Record (or clear) a version's ACL."""
        owner_id = canonical_user_id(record.owner) if record is not None else ""
        self.object_acls.set((bucket.account_id, bucket.region), bucket.name, key, version_id, record, owner_id)

    # -- what a version's ACL is ------------------------------------------------------------------

    def version_acl(self, bucket: Bucket, info: Any) -> ObjectAcl:
        """The ACL in force on a stored version (``info``: its ObjectInfo)."""
        if access_controls.acls_disabled(bucket):
            return ObjectAcl(bucket.account_id, [acl.user_grant(self.owner(bucket.account_id), "FULL_CONTROL")])
        stored = self.object_acls.get((bucket.account_id, bucket.region), bucket.name, info.key, info.version_id)
        if stored is not None:
            return stored
        owner_id = ObjectMeta.from_bytes(info.metadata).owner or bucket.account_id
        return ObjectAcl(owner_id, [acl.user_grant(self.owner(owner_id), "FULL_CONTROL")])

    def object_grants(self, bucket: Bucket, key: str, version_id: str) -> list[dict[str, Any]] | None:
        """Grants of a live version (the current one when ``version_id`` is empty), for authorization;
        None when there is no such version or it is a delete marker."""
        try:
            info = self.data.store.head(bucket.name, key, version_id)
        except StoreError:
            return None
        if info.is_delete_marker:
            return None
        return self.version_acl(bucket, info).grants

    # -- operations -------------------------------------------------------------------------------

    def get_object_acl(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """A version's owner and grants."""
        bucket = self._bucket(ctx, params)
        info = self._version(bucket, params["Key"], params.get("VersionId") or "")
        record = self.version_acl(bucket, info)
        return {"Owner": self.owner(record.owner), "Grants": record.grants}

    def put_object_acl(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Replace a version's ACL (canned, grant headers or AccessControlPolicy body)."""
        bucket = self._bucket(ctx, params)
        info = self._version(bucket, params["Key"], params.get("VersionId") or "", method="PUT")
        current = self.version_acl(bucket, info)
        owner = self.owner(current.owner)
        grants = acl.request_grants(params, owner, self._display_name, allow_body=True,
                                    bucket_owner=self.owner(bucket.account_id))
        if grants is None:
            raise errors.missing_acl_header()
        if access_controls.acls_disabled(bucket) and not acl.only_owner_full_control(grants, owner):
            raise errors.acl_not_supported()
        authorization.block_public_writes(bucket, ctx.operation, params)
        self.store_version_acl(bucket, info.key, info.version_id, ObjectAcl(current.owner, grants))
        s3_events.object_tagging(self.runtime, ctx, bucket, "ObjectAcl:Put", info)
        return {}
