"""S3 single-object operations on the native store.

PutObject, GetObject, HeadObject, DeleteObject, DeleteObjects, CopyObject, GetObjectAttributes,
object tagging and Object Lock retention / legal hold. Bodies stream: a PutObject body arrives as
a BodyStream and is written chunk by chunk into a store writer; a GetObject body is served as an
async iterator of chunks read from a store reader. The rules of each family live in their own
modules (ranges, conditions, integrity, sse, object_tagging, object_lock, copy_source).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from pycloud._core import StoreError
from pycloud.protocol.errors import ServiceError
from pycloud.protocol.rest_xml import HTTP_STATUS_KEY
from pycloud.services.s3 import conditions, copy_source, errors, object_lock, object_tagging, ranges, sse
from pycloud.services.s3 import events as s3_events
from pycloud.services.s3.body_sink import WRITE_BATCH, write_body
from pycloud.services.s3.datastore import store_error
from pycloud.services.s3.integrity import CHECKSUM_MEMBERS, UploadCheck, checksum_output
from pycloud.services.s3.object_acl import AclStore, ObjectAcl
from pycloud.services.s3.object_lock import LockState, LockStore
from pycloud.services.s3.object_meta import (
    ObjectMeta,
    storage_class,
    system_members,
    user_metadata,
)
from pycloud.services.s3.object_tagging import ObjectTags, TagStore
from pycloud.state.table import RecordTable

if TYPE_CHECKING:
    from pycloud.context import RequestContext
    from pycloud.services.base import ServiceRuntime
    from pycloud.services.s3.datastore import S3DataStore
    from pycloud.services.s3.models import Bucket
    from pycloud.services.s3.storage_state import StorageStore

READ_CHUNK = 1024 * 1024
"""Bytes per store read when streaming a body out (or copying)."""
MAX_KEY_BYTES = 1024
MAX_DELETE_KEYS = 1000

__all__ = ["CHECKSUM_MEMBERS", "ObjectOperations", "ns", "versioning_mode"]

# response-* query overrides of GetObject → the response member they replace.
_OVERRIDES = {
    "ResponseCacheControl": "CacheControl",
    "ResponseContentDisposition": "ContentDisposition",
    "ResponseContentEncoding": "ContentEncoding",
    "ResponseContentLanguage": "ContentLanguage",
    "ResponseContentType": "ContentType",
    "ResponseExpires": "Expires",
}


def versioning_mode(bucket: Bucket) -> str:
    """How the store treats existing versions in this bucket."""
    return {"Enabled": "enabled", "Suspended": "suspended"}.get(bucket.versioning, "unversioned")


def ns(dt: Any) -> int:
    """A datetime as integer nanoseconds since the epoch (the store's time unit)."""
    return int(dt.timestamp() * 1_000_000_000)


def _scope(bucket: Bucket) -> tuple[str, str]:
    return bucket.account_id, bucket.region


def check_key(key: str) -> None:
    """``KeyTooLongError`` for keys over 1024 bytes of UTF-8."""
    size = len(key.encode("utf-8", "surrogatepass"))
    if size > MAX_KEY_BYTES:
        raise errors.key_too_long(size)


class ObjectOperations:
    """Mixin of S3Provider: single-object operations."""

    data: S3DataStore
    runtime: ServiceRuntime
    # Provided by ObjectAclOperations (declared only: a stub here would shadow it in S3Provider's MRO).
    object_acls: AclStore
    request_acl: Callable[[RequestContext, Bucket, dict[str, Any]], ObjectAcl]
    store_version_acl: Callable[[Bucket, str, str, ObjectAcl | None], None]
    # Provided by RestoreOperations: storage class overrides (lifecycle transitions) and restores.
    storage_states: StorageStore
    storage_view: Callable[[Bucket, str, str, str], tuple[str, dict[str, str]]]
    check_readable: Callable[[Bucket, Any, ObjectMeta], None]

    def _bucket(self, ctx: RequestContext, params: dict[str, Any]) -> Bucket:  # provided by S3Provider
        raise NotImplementedError

    # -- mutable per-version state ----------------------------------------------------------------

    @cached_property
    def object_tags(self) -> TagStore:
        """Per-version tag sets (RecordTable kind ``object-tags``)."""
        return TagStore(RecordTable(self.runtime.state, "s3", "object-tags", ObjectTags))

    @cached_property
    def object_locks(self) -> LockStore:
        """Per-version retention and legal hold (RecordTable kind ``object-lock``)."""
        return LockStore(RecordTable(self.runtime.state, "s3", "object-lock", LockState))

    def reset_object_state(self) -> None:
        """Forget every object's tags, lock and ACL (admin reset, with the store wiped)."""
        self.object_tags.table.clear()
        self.object_locks.table.clear()
        self.object_acls.table.clear()

    def _forget_version(self, bucket: Bucket, key: str, version_id: str) -> None:
        """Drop the tags, lock and ACL of a version that no longer exists."""
        self.object_tags.set(_scope(bucket), bucket.name, key, version_id, [])
        self.object_locks.set(_scope(bucket), bucket.name, key, version_id, None)
        self.store_version_acl(bucket, key, version_id, None)
        self.storage_states.forget(_scope(bucket), bucket.name, key, version_id)

    def record_new_version(
        self, bucket: Bucket, key: str, version_id: str, tags: list[dict[str, str]], lock: LockState | None,
        acl: ObjectAcl | None = None,
    ) -> None:
        """Set (or clear) the tags, lock and ACL of a freshly written version (also for multipart completion)."""
        self.object_tags.set(_scope(bucket), bucket.name, key, version_id, tags)
        self.object_locks.set(_scope(bucket), bucket.name, key, version_id, lock)
        self.store_version_acl(bucket, key, version_id, acl)
        self.storage_states.forget(_scope(bucket), bucket.name, key, version_id)  # an overwritten "null" version

    # -- writes -----------------------------------------------------------------------------------

    def _write_rules(self, ctx: RequestContext, bucket: Bucket, params: dict[str, Any]) -> dict[str, Any]:
        """Validate everything a write request carries besides its body; the pieces to store."""
        tags = object_tagging.parse_header(params.get("Tagging"))
        if_none_match = params.get("IfNoneMatch")
        if if_none_match is not None and if_none_match.strip() != "*":
            raise errors.not_implemented("If-None-Match")
        acl = self.request_acl(ctx, bucket, params)  # ownership, ACL checks and Block Public Access
        return {
            "storage_class": storage_class(params),
            "user": user_metadata(params),
            "system": system_members(params),
            "sse": sse.write_settings(params, bucket, bucket.account_id, bucket.region),
            "tags": tags,
            "lock": object_lock.initial_state(bucket, params, ctx.now),
            "acl": acl,
        }

    def _check_write_conditions(self, bucket: Bucket, key: str, params: dict[str, Any]) -> None:
        """Conditional writes: ``If-None-Match: *`` (key must not exist), ``If-Match`` (ETag must match)."""
        if params.get("IfNoneMatch") is None and params.get("IfMatch") is None:
            return
        try:
            current = self.data.store.head(bucket.name, key)
        except StoreError as exc:
            if getattr(exc, "code", "") not in ("NoSuchKey", "NoSuchBucket"):
                raise store_error(exc, bucket.name, key) from None
            current = None
        exists = current is not None and not current.is_delete_marker
        if params.get("IfNoneMatch") is not None and exists:
            raise errors.precondition_failed("If-None-Match")
        if_match = params.get("IfMatch")
        if if_match is not None:
            if not exists:
                raise errors.no_such_key(key)
            if not conditions.etag_matches(if_match, current.etag):
                raise errors.precondition_failed("If-Match")

    def _commit(
        self, ctx: RequestContext, bucket: Bucket, key: str, writer: Any, meta: ObjectMeta, params: dict[str, Any],
        rules: dict[str, Any],
    ) -> Any:
        """Publish a written body, then record its tags and lock."""
        self._check_write_conditions(bucket, key, params)
        try:
            info = writer.commit(key, meta.to_bytes(), ns(ctx.now), versioning_mode(bucket))
        except StoreError as exc:
            raise store_error(exc, bucket.name, key) from None
        self.record_new_version(bucket, key, info.version_id, rules["tags"], rules["lock"], rules["acl"])
        return info

    async def _publish(
        self, ctx: RequestContext, bucket: Bucket, key: str, writer: Any, content_type: str,
        params: dict[str, Any], rules: dict[str, Any],
    ) -> tuple[Any, ObjectMeta]:
        """Commit a fully written body as a new version with the request's metadata."""
        meta = ObjectMeta(
            content_type=content_type,
            system=rules["system"],
            user=rules["user"],
            storage_class=rules["storage_class"],
            sse=rules["sse"],
            owner=rules["acl"].owner,
            checksum_type="FULL_OBJECT",
        )
        if writer.size > WRITE_BATCH:  # a large body is fsynced before it is published: off the loop
            info = await asyncio.to_thread(self._commit, ctx, bucket, key, writer, meta, params, rules)
        else:
            info = self._commit(ctx, bucket, key, writer, meta, params, rules)
        return info, meta

    async def put_object(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Store a body (streamed) with its metadata; answers ETag, version id and checksum."""
        bucket = self._bucket(ctx, params)
        key = params["Key"]
        check_key(key)
        rules = self._write_rules(ctx, bucket, params)
        headers = ctx.request.headers if ctx.request is not None else {}
        check = UploadCheck(params, headers)
        self.data.ensure_bucket(bucket.name)
        writer = self.data.store.begin_put(bucket.name, check.algorithm)
        try:
            await write_body(params.get("Body"), lambda data: (check.update(data), writer.write(data)))
            check.verify(ctx.request.headers if ctx.request is not None else {})
            content_type = params.get("ContentType") or ObjectMeta.content_type
            info, meta = await self._publish(ctx, bucket, key, writer, content_type, params, rules)
        except BaseException:
            writer.abort()
            raise
        # a browser form upload (post_object) is the same write, announced as ObjectCreated:Post
        event = ctx.extra.get("s3.created_event", "ObjectCreated:Put")
        s3_events.object_created(self.runtime, ctx, bucket, event, key, info)
        result: dict[str, Any] = {"ETag": f'"{info.etag}"', "Size": info.size}
        if bucket.versioning:
            result["VersionId"] = info.version_id
        result.update(checksum_output(info, meta.checksum_type))
        result.update(rules["sse"])
        return result

    # -- reads ------------------------------------------------------------------------------------

    def _version(self, bucket: Bucket, key: str, version_id: str, *, method: str = "GET") -> Any:
        """The ObjectInfo of a live version (404/405 for delete markers)."""
        try:
            info = self.data.store.head(bucket.name, key, version_id)
        except StoreError as exc:
            raise store_error(exc, bucket.name, key, version_id) from None
        if info.is_delete_marker:
            raise _deleted(key, version_id, info.version_id, method)
        return info

    def _read_checks(
        self, ctx: RequestContext, bucket: Bucket, info: Any, meta: ObjectMeta, params: dict[str, Any], *, get: bool
    ) -> None:
        sse.check_read(meta.sse, params)
        conditions.check(params, info.etag, info.last_modified / 1e9, ctx.now)
        if get:
            self.check_readable(bucket, info, meta)

    def _partial(self, info: Any, meta: ObjectMeta, params: dict[str, Any]) -> tuple[int, int] | None:
        """Inclusive byte span of a Range / partNumber read, or None for the whole object."""
        part = params.get("PartNumber")
        if part is not None:
            if params.get("Range"):
                raise errors.invalid_request("Cannot specify both Range header and partNumber query parameter")
            return ranges.part_range(int(part), meta.part_sizes, info.size)
        return ranges.parse_range(params.get("Range"), info.size)

    def get_object(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """The object's body (streamed; a range or part of it) and metadata."""
        bucket = self._bucket(ctx, params)
        key = params["Key"]
        version_id = params.get("VersionId") or ""
        try:
            reader = self.data.store.open(bucket.name, key, version_id)
        except StoreError as exc:
            raise store_error(exc, bucket.name, key, version_id) from None
        info = reader.info
        if info.is_delete_marker:
            raise _deleted(key, version_id, info.version_id, "GET")
        meta = ObjectMeta.shared(info.metadata)
        self._read_checks(ctx, bucket, info, meta, params, get=True)
        span = self._partial(info, meta, params)
        result = self._describe(bucket, info, meta, params, span)
        first, last = span if span is not None else (0, info.size - 1)
        length = last + 1 - first
        # One chunk's worth is answered as bytes: no async generator for the common small object.
        result["Body"] = reader.read(first, length) if length <= READ_CHUNK else stream_body(reader, first, length)
        return result

    def head_object(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """The object's metadata without its body (conditions and ranges apply as for GET)."""
        bucket = self._bucket(ctx, params)
        key = params["Key"]
        info = self._version(bucket, key, params.get("VersionId") or "", method="HEAD")
        meta = ObjectMeta.shared(info.metadata)
        self._read_checks(ctx, bucket, info, meta, params, get=False)
        return self._describe(bucket, info, meta, params, self._partial(info, meta, params))

    def _describe(
        self, bucket: Bucket, info: Any, meta: ObjectMeta, params: dict[str, Any], span: tuple[int, int] | None
    ) -> dict[str, Any]:
        """GET/HEAD response members for one stored version."""
        result: dict[str, Any] = {
            "ContentLength": info.size,
            "ContentType": meta.content_type,
            "ETag": f'"{info.etag}"',
            "LastModified": info.last_modified / 1_000_000_000,
            "AcceptRanges": "bytes",
        }
        if meta.user:
            result["Metadata"] = meta.user
        result.update(meta.system)
        result.update(sse.echo(meta.sse))
        effective, restore = self.storage_view(bucket, info.key, info.version_id, meta.storage_class)
        if effective != "STANDARD":
            result["StorageClass"] = effective
        result.update(restore)
        if bucket.versioning:
            result["VersionId"] = info.version_id
        if info.parts or meta.part_sizes:
            result["PartsCount"] = info.parts or len(meta.part_sizes)
        if span is not None:
            result["ContentLength"] = span[1] + 1 - span[0]
            result["ContentRange"] = ranges.content_range(span[0], span[1], info.size)
            result[HTTP_STATUS_KEY] = 206
        if params.get("ChecksumMode") == "ENABLED" and span is None:
            result.update(_checksums(info, meta))
        scope = _scope(bucket)
        tags = self.object_tags.get(scope, bucket.name, info.key, info.version_id)
        if tags:
            result["TagCount"] = len(tags)
        result.update(object_lock.output(self.object_locks.get(scope, bucket.name, info.key, info.version_id)))
        for param, member in _OVERRIDES.items():
            if params.get(param) is not None:
                value = params[param]
                result[member] = conditions.http_date(value.timestamp()) if isinstance(value, datetime) else value
        return result

    # -- deletes ----------------------------------------------------------------------------------

    def _delete_one(self, ctx: RequestContext, bucket: Bucket, key: str, version_id: str, bypass: bool) -> Any:
        """Delete one key/version honouring Object Lock; the store's DeleteResult (None: nothing there)."""
        if version_id and bucket.object_lock_enabled:
            lock = self.object_locks.get(_scope(bucket), bucket.name, key, version_id)
            object_lock.check_delete(lock, bypass, ctx.now)
        mode = versioning_mode(bucket)
        try:
            deleted = self.data.store.delete(bucket.name, key, version_id, mode, ns(ctx.now))
        except StoreError as exc:
            if getattr(exc, "code", "") in ("NoSuchKey", "NoSuchBucket"):
                return None  # deleting what is not there succeeds in S3
            raise store_error(exc, bucket.name, key, version_id) from None
        gone = version_id or ("null" if mode != "enabled" else "")
        if gone:
            self._forget_version(bucket, key, gone)
        s3_events.object_removed(self.runtime, ctx, bucket, key, version_id, deleted)
        return deleted

    def delete_object(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Remove the null version / add a delete marker / remove one version."""
        bucket = self._bucket(ctx, params)
        deleted = self._delete_one(
            ctx, bucket, params["Key"], params.get("VersionId") or "", bool(params.get("BypassGovernanceRetention"))
        )
        result: dict[str, Any] = {}
        if deleted is None:
            return result
        if deleted.is_delete_marker:
            result["DeleteMarker"] = True
        if bucket.versioning and deleted.version_id:
            result["VersionId"] = deleted.version_id
        return result

    def delete_objects(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Delete up to 1000 keys/versions; per-key results (errors only in Quiet mode)."""
        bucket = self._bucket(ctx, params)
        request = params.get("Delete") or {}
        objects = request.get("Objects") or []
        if not objects or len(objects) > MAX_DELETE_KEYS:
            raise errors.malformed_xml()
        quiet = bool(request.get("Quiet"))
        bypass = bool(params.get("BypassGovernanceRetention"))
        deleted_out: list[dict[str, Any]] = []
        errors_out: list[dict[str, Any]] = []
        for item in objects:
            key = item.get("Key") or ""
            version_id = item.get("VersionId") or ""
            try:
                check_key(key)
                deleted = self._delete_one(ctx, bucket, key, version_id, bypass)
            except ServiceError as err:
                entry = {"Key": key, "Code": err.code, "Message": err.message}
                if version_id:
                    entry["VersionId"] = version_id
                errors_out.append(entry)
                continue
            if quiet:
                continue
            entry = {"Key": key}
            if version_id:
                entry["VersionId"] = version_id
            if deleted is not None and deleted.is_delete_marker:
                entry["DeleteMarker"] = True
                entry["DeleteMarkerVersionId"] = deleted.version_id
            deleted_out.append(entry)
        result: dict[str, Any] = {}
        if deleted_out:
            result["Deleted"] = deleted_out
        if errors_out:
            result["Errors"] = errors_out
        return result

    # -- copy -------------------------------------------------------------------------------------

    async def copy_object(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Copy a version (streamed reader → writer) with COPY/REPLACE metadata and tagging directives."""
        bucket = self._bucket(ctx, params)
        key = params["Key"]
        check_key(key)
        src_bucket_name, src_key, src_version = copy_source.parse_copy_source(params.get("CopySource"))
        src_bucket = self._bucket(
            ctx, {"Bucket": src_bucket_name, "ExpectedBucketOwner": params.get("ExpectedSourceBucketOwner")}
        )
        try:
            reader = self.data.store.open(src_bucket.name, src_key, src_version)
        except StoreError as exc:
            raise store_error(exc, src_bucket.name, src_key, src_version) from None
        src = reader.info
        if src.is_delete_marker:
            if src_version:
                raise errors.invalid_request(
                    "The source of a copy request may not specifically refer to a delete marker by version id.")
            raise errors.no_such_key(src_key)
        src_meta = ObjectMeta.from_bytes(src.metadata)
        sse.check_read(src_meta.sse, params, prefix="CopySource")
        conditions.check(params, src.etag, src.last_modified / 1e9, ctx.now, prefix="CopySource", copy=True)
        self.check_readable(src_bucket, src, src_meta)
        directive = params.get("MetadataDirective") or "COPY"
        tagging_directive = params.get("TaggingDirective") or "COPY"
        if directive not in ("COPY", "REPLACE") or tagging_directive not in ("COPY", "REPLACE"):
            raise errors.invalid_argument("Unknown metadata directive.", "x-amz-metadata-directive", directive)
        rules = self._write_rules(ctx, bucket, params if directive == "REPLACE" else {**params, "Metadata": None})
        if tagging_directive == "COPY":
            rules["tags"] = self.object_tags.get(_scope(src_bucket), src_bucket.name, src_key, src.version_id)
        if directive == "COPY":
            rules["user"], rules["system"], content_type = src_meta.user, src_meta.system, src_meta.content_type
        else:
            content_type = params.get("ContentType") or ObjectMeta.content_type
        same = src_bucket.name == bucket.name and src_key == key
        if same and directive == "COPY" and not _changes_something(params):
            raise errors.invalid_request(
                "This copy request is illegal because it is trying to copy an object to itself without changing "
                "the object's metadata, storage class, website redirect location or encryption attributes.")
        algorithm = (params.get("ChecksumAlgorithm") or src.checksum_algorithm or "crc64nvme").lower()
        self.data.ensure_bucket(bucket.name)
        writer = self.data.store.begin_put(bucket.name, algorithm)
        try:
            await asyncio.to_thread(_copy_body, reader, writer, src.size)
            info, meta = await self._publish(ctx, bucket, key, writer, content_type, params, rules)
        except BaseException:
            writer.abort()
            raise
        s3_events.object_created(self.runtime, ctx, bucket, "ObjectCreated:Copy", key, info)
        copied = {"ETag": f'"{info.etag}"', "LastModified": info.last_modified / 1e9}
        copied.update(checksum_output(info, meta.checksum_type))
        result: dict[str, Any] = {"CopyObjectResult": copied}
        if src_bucket.versioning:
            result["CopySourceVersionId"] = src.version_id
        if bucket.versioning:
            result["VersionId"] = info.version_id
        result.update(rules["sse"])
        return result

    # -- attributes -------------------------------------------------------------------------------

    def get_object_attributes(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """The requested ObjectAttributes (ETag, Checksum, ObjectParts, StorageClass, ObjectSize)."""
        bucket = self._bucket(ctx, params)
        key = params["Key"]
        version_id = params.get("VersionId") or ""
        info = self._version(bucket, key, version_id)
        meta = ObjectMeta.from_bytes(info.metadata)
        sse.check_read(meta.sse, params)
        wanted = {a.strip() for a in params.get("ObjectAttributes") or []}
        unknown = wanted - {"ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"}
        if not wanted or unknown:
            raise errors.invalid_argument("Invalid attribute name specified.")
        result: dict[str, Any] = {"LastModified": info.last_modified / 1e9}
        if bucket.versioning:
            result["VersionId"] = info.version_id
        if "ETag" in wanted:
            result["ETag"] = info.etag
        if "Checksum" in wanted:
            checksum = _checksums(info, meta)
            if checksum:
                result["Checksum"] = checksum
        if "StorageClass" in wanted:
            result["StorageClass"] = self.storage_view(bucket, info.key, info.version_id, meta.storage_class)[0]
        if "ObjectSize" in wanted:
            result["ObjectSize"] = info.size
        if "ObjectParts" in wanted and meta.part_sizes:
            result["ObjectParts"] = _parts_page(meta.part_sizes, params)
        return result

    # -- tagging ----------------------------------------------------------------------------------

    def _tag_target(self, ctx: RequestContext, params: dict[str, Any]) -> tuple[Bucket, Any]:
        bucket = self._bucket(ctx, params)
        return bucket, self._version(bucket, params["Key"], params.get("VersionId") or "")

    def _version_out(self, bucket: Bucket, info: Any) -> dict[str, Any]:
        return {"VersionId": info.version_id} if bucket.versioning else {}

    def put_object_tagging(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Replace one version's tag set."""
        bucket, info = self._tag_target(ctx, params)
        tags = object_tagging.validate((params.get("Tagging") or {}).get("TagSet") or [])
        self.object_tags.set(_scope(bucket), bucket.name, info.key, info.version_id, tags)
        s3_events.object_tagging(self.runtime, ctx, bucket, "ObjectTagging:Put", info)
        return self._version_out(bucket, info)

    def get_object_tagging(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket, info = self._tag_target(ctx, params)
        tags = self.object_tags.get(_scope(bucket), bucket.name, info.key, info.version_id)
        return {"TagSet": tags, **self._version_out(bucket, info)}

    def delete_object_tagging(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket, info = self._tag_target(ctx, params)
        self.object_tags.set(_scope(bucket), bucket.name, info.key, info.version_id, [])
        s3_events.object_tagging(self.runtime, ctx, bucket, "ObjectTagging:Delete", info)
        return self._version_out(bucket, info)

    # -- object lock ------------------------------------------------------------------------------

    def _lock_target(self, ctx: RequestContext, params: dict[str, Any]) -> tuple[Bucket, Any, LockState]:
        bucket = self._bucket(ctx, params)
        object_lock.require_lock_bucket(bucket)
        info = self._version(bucket, params["Key"], params.get("VersionId") or "")
        state = self.object_locks.get(_scope(bucket), bucket.name, info.key, info.version_id)
        return bucket, info, state or LockState()

    def put_object_retention(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Set a version's retention (COMPLIANCE only extends; weakening GOVERNANCE needs the bypass)."""
        bucket, info, state = self._lock_target(ctx, params)
        updated = object_lock.apply_retention(
            state, params.get("Retention"), bool(params.get("BypassGovernanceRetention")), ctx.now
        )
        self.object_locks.set(_scope(bucket), bucket.name, info.key, info.version_id, updated)
        return {}

    def get_object_retention(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        _, _, state = self._lock_target(ctx, params)
        if not state.mode:
            raise errors.no_such_object_lock_configuration()
        return {"Retention": {"Mode": state.mode, "RetainUntilDate": state.until()}}

    def put_object_legal_hold(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket, info, state = self._lock_target(ctx, params)
        status = (params.get("LegalHold") or {}).get("Status")
        if status not in object_lock.HOLD_STATUSES:
            raise errors.malformed_xml()
        state = LockState(mode=state.mode, retain_until=state.retain_until, legal_hold=status)
        self.object_locks.set(_scope(bucket), bucket.name, info.key, info.version_id, state)
        return {}

    def get_object_legal_hold(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        _, _, state = self._lock_target(ctx, params)
        if not state.legal_hold:
            raise errors.no_such_object_lock_configuration()
        return {"LegalHold": {"Status": state.legal_hold}}


def _checksums(info: Any, meta: ObjectMeta) -> dict[str, Any]:
    """The stored flexible checksum of a version: the store's, else one recorded in the metadata."""
    out = checksum_output(info, meta.checksum_type)
    if not out and meta.checksums:
        out = {f"Checksum{alg.upper()}": value for alg, value in meta.checksums.items() if alg != "type"}
        out["ChecksumType"] = meta.checksum_type or meta.checksums.get("type") or "COMPOSITE"
    return out


def _parts_page(part_sizes: list[int], params: dict[str, Any]) -> dict[str, Any]:
    marker = int(params.get("PartNumberMarker") or 0)
    max_parts = int(params.get("MaxParts") or 1000)
    numbers = [n for n in range(1, len(part_sizes) + 1) if n > marker]
    page = numbers[:max_parts]
    out: dict[str, Any] = {
        "TotalPartsCount": len(part_sizes),
        "PartNumberMarker": marker,
        "MaxParts": max_parts,
        "IsTruncated": len(numbers) > len(page),
        "Parts": [{"PartNumber": n, "Size": part_sizes[n - 1]} for n in page],
    }
    if page:
        out["NextPartNumberMarker"] = page[-1]
    return out


def _changes_something(params: dict[str, Any]) -> bool:
    """Whether a same-key COPY changes storage class, redirect or encryption (what S3 allows)."""
    return any(
        params.get(name) is not None
        for name in ("StorageClass", "WebsiteRedirectLocation", "ServerSideEncryption", "SSEKMSKeyId",
                     "SSECustomerAlgorithm")
    )


def _copy_body(reader: Any, writer: Any, size: int) -> None:
    """Stream a source version into a writer (runs in a worker thread; store calls release the GIL)."""
    offset = 0
    while offset < size:
        chunk = reader.read(offset, min(READ_CHUNK, size - offset))
        if not chunk:
            break
        writer.write(chunk)
        offset += len(chunk)


def _deleted(key: str, requested_version: str, marker_version: str, method: str = "GET") -> Exception:
    """GET/HEAD of a delete marker: 404 NoSuchKey (latest) or 405 MethodNotAllowed (by version id)."""
    if requested_version:
        err = errors.method_not_allowed_on_delete_marker()
        err.fields["Method"] = method
    else:
        err = errors.no_such_key(key)
    err.headers["x-amz-delete-marker"] = "true"
    err.headers["x-amz-version-id"] = marker_version
    return err


async def stream_body(reader: Any, first: int, length: int) -> AsyncIterator[bytes]:
    offset, end = first, first + length
    while offset < end:
        chunk = reader.read(offset, min(READ_CHUNK, end - offset))
        if not chunk:
            break
        offset += len(chunk)
        yield chunk

