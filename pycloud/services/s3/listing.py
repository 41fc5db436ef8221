"""S3 listing operations (ListObjects, ListObjectsV2, ListObjectVersions) over the native index.

The store walks keys in order, rolls up common prefixes and pages; this module validates the
request, turns store pages into AWS members (per-entry storage class, owner and checksum from the
stored metadata: one cheap native ``head`` per entry), applies ``encoding-type=url`` and makes the
opaque V2 continuation tokens. Only in buckets that ever had a lifecycle transition or a restore is
each entry's class (and RestoreStatus, when asked for) looked up in ``storage_state``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pycloud._core import StoreError
from pycloud.services.pagination import decode_token, encode_token
from pycloud.services.s3 import errors
from pycloud.services.s3.datastore import store_error
from pycloud.services.s3.list_encoding import encoder
from pycloud.services.s3.object_meta import ObjectMeta

if TYPE_CHECKING:
    from pycloud.context import RequestContext
    from pycloud.services.s3.datastore import S3DataStore
    from pycloud.services.s3.models import Bucket
    from pycloud.services.s3.storage_state import StorageStore

MAX_KEYS = 1000
"""The largest page S3 returns (bigger ``max-keys`` values are capped to it)."""

_V2_SCOPE = "s3:ListObjectsV2"
_VERSION_ID = re.compile(r"^(null|[A-Za-z0-9_-]{32})$")


def max_keys(value: int | None, name: str = "max-keys") -> tuple[int, int]:
    """(value echoed in ``MaxKeys``, page size used): default 1000, above 1000 capped, negative refused."""
    if value is None:
        return MAX_KEYS, MAX_KEYS
    if value < 0:
        raise errors.invalid_argument(f"Argument {name} must be an integer between 0 and 2147483647", name, str(value))
    return value, min(value, MAX_KEYS)


def encoding_type(params: dict[str, Any]) -> str | None:
    """The request's ``encoding-type`` (only ``url`` exists)."""
    value = params.get("EncodingType")
    if value is None or value == "":
        return None
    if value != "url":
        raise errors.invalid_argument("Invalid Encoding Method specified in Request", "encoding-type", value)
    return value


def _wants_restore_status(params: dict[str, Any]) -> bool:
    """Whether ``x-amz-optional-object-attributes`` asks for each entry's RestoreStatus."""
    return "RestoreStatus" in (params.get("OptionalObjectAttributes") or ())


def _bad_continuation_token() -> Exception:
    return errors.invalid_argument("The continuation token provided is incorrect", "continuation-token")


class ListingOperations:
    """Mixin of S3Provider: object listings."""

    data: S3DataStore
    # Provided by RestoreOperations (declared only): transitioned classes and restores of a bucket.
    storage_states: StorageStore
    listed_storage: Callable[[Bucket, str, str, str, bool], dict[str, Any]]

    def _bucket(self, ctx: RequestContext, params: dict[str, Any]) -> Bucket:  # provided by S3Provider
        raise NotImplementedError

    def owner(self, account_id: str) -> dict[str, str]:  # provided by S3Provider
        raise NotImplementedError

    # -- V1 / V2 --------------------------------------------------------------------------------

    def list_objects_v2(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """One page of current objects after ``start-after`` or a continuation token."""
        bucket = self._bucket(ctx, params)
        echoed, limit = max_keys(params.get("MaxKeys"))
        encoding = encoding_type(params)
        enc = encoder(encoding)
        prefix = params.get("Prefix") or ""
        delimiter = params.get("Delimiter") or ""
        start_after = params.get("StartAfter") or ""
        token = params.get("ContinuationToken")
        if token is not None:
            after = decode_token(token, f"{_V2_SCOPE}:{bucket.name}", _bad_continuation_token)
        else:
            after = start_after
        listing = self._list(bucket.name, prefix, delimiter, after, limit)
        result: dict[str, Any] = {
            "Name": bucket.name,
            "Prefix": enc(prefix),
            "MaxKeys": echoed,
            "KeyCount": len(listing.objects) + len(listing.common_prefixes),
            "IsTruncated": bool(limit) and listing.is_truncated,
            "Contents": self._contents(
                bucket, listing.objects, enc, bool(params.get("FetchOwner")), _wants_restore_status(params)
            ),
            "CommonPrefixes": [{"Prefix": enc(p)} for p in listing.common_prefixes],
        }
        if delimiter:
            result["Delimiter"] = enc(delimiter)
        if encoding:
            result["EncodingType"] = encoding
        if token is not None:
            result["ContinuationToken"] = token
        if params.get("StartAfter") is not None:
            result["StartAfter"] = enc(start_after)
        if result["IsTruncated"]:
            result["NextContinuationToken"] = encode_token(listing.next_marker, f"{_V2_SCOPE}:{bucket.name}")
        return result

    def list_objects(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """V1: one page after ``marker``; ``NextMarker`` only when a delimiter was given."""
        bucket = self._bucket(ctx, params)
        echoed, limit = max_keys(params.get("MaxKeys"))
        encoding = encoding_type(params)
        enc = encoder(encoding)
        prefix = params.get("Prefix") or ""
        delimiter = params.get("Delimiter") or ""
        marker = params.get("Marker") or ""
        listing = self._list(bucket.name, prefix, delimiter, marker, limit)
        result: dict[str, Any] = {
            "Name": bucket.name,
            "Prefix": enc(prefix),
            "Marker": enc(marker),
            "MaxKeys": echoed,
            "IsTruncated": bool(limit) and listing.is_truncated,
            "Contents": self._contents(bucket, listing.objects, enc, True, _wants_restore_status(params)),
            "CommonPrefixes": [{"Prefix": enc(p)} for p in listing.common_prefixes],
        }
        if delimiter:
            result["Delimiter"] = enc(delimiter)
            if result["IsTruncated"]:
                result["NextMarker"] = enc(listing.next_marker)
        if encoding:
            result["EncodingType"] = encoding
        return result

    def _list(self, bucket: str, prefix: str, delimiter: str, after: str, limit: int) -> Any:
        try:
            return self.data.store.list(bucket, prefix, delimiter, after, limit)
        except StoreError as exc:
            raise store_error(exc, bucket) from None

    def _contents(
        self, bucket: Bucket, objects: list[Any], enc: Any, with_owner: bool, restore_status: bool = False
    ) -> list[dict[str, Any]]:
        entries = []
        tracked = self.storage_states.marked((bucket.account_id, bucket.region), bucket.name)
        for summary in objects:
            entry = {
                "Key": enc(summary.key),
                "LastModified": summary.last_modified / 1_000_000_000,
                "ETag": f'"{summary.etag}"',
                "Size": summary.size,
            }
            entry.update(self._stored_details(bucket, summary, with_owner))
            if tracked:
                entry.update(self.listed_storage(
                    bucket, summary.key, summary.version_id, entry["StorageClass"], restore_status))
            entries.append(entry)
        return entries

    def _stored_details(self, bucket: Bucket, summary: Any, with_owner: bool) -> dict[str, Any]:
        """StorageClass, checksum and Owner of one listed version, read from its stored metadata."""
        try:
            info = self.data.store.head(bucket.name, summary.key, summary.version_id)
            meta = ObjectMeta.shared(info.metadata)
            algorithm = info.checksum_algorithm or next(iter(meta.checksums), "")
        except StoreError:
            # Removed between the listing and this read: describe it with the defaults.
            meta, algorithm = ObjectMeta(), ""
        details: dict[str, Any] = {"StorageClass": meta.storage_class or "STANDARD"}
        if algorithm:
            details["ChecksumAlgorithm"] = [algorithm.upper()]
            details["ChecksumType"] = meta.checksum_type or "FULL_OBJECT"
        if with_owner:
            details["Owner"] = self.owner(meta.owner or bucket.account_id)
        return details

    # -- versions -------------------------------------------------------------------------------

    def list_object_versions(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Versions and delete markers, newest first within a key, after (key-marker, version-id-marker)."""
        bucket = self._bucket(ctx, params)
        echoed, limit = max_keys(params.get("MaxKeys"))
        encoding = encoding_type(params)
        enc = encoder(encoding)
        prefix = params.get("Prefix") or ""
        delimiter = params.get("Delimiter") or ""
        key_marker = params.get("KeyMarker") or ""
        version_marker = params.get("VersionIdMarker") or ""
        if version_marker:
            if not key_marker:
                raise errors.invalid_argument(
                    "A version-id marker cannot be specified without a key marker.",
                    "version-id-marker",
                    version_marker,
                )
            if not _VERSION_ID.match(version_marker):
                raise errors.invalid_argument("Invalid version id specified", "version-id-marker", version_marker)
        try:
            listing = self.data.store.list_versions(bucket.name, prefix, delimiter, key_marker, version_marker, limit)
        except StoreError as exc:
            raise store_error(exc, bucket.name) from None
        versions: list[dict[str, Any]] = []
        markers: list[dict[str, Any]] = []
        tracked = self.storage_states.marked((bucket.account_id, bucket.region), bucket.name)
        restore_status = _wants_restore_status(params)
        for summary in listing.versions:
            entry: dict[str, Any] = {
                "Key": enc(summary.key),
                "VersionId": summary.version_id,
                "IsLatest": summary.is_latest,
                "LastModified": summary.last_modified / 1_000_000_000,
            }
            details = self._stored_details(bucket, summary, True)
            if summary.is_delete_marker:
                entry["Owner"] = details["Owner"]
                markers.append(entry)
            else:
                entry.update({"ETag": f'"{summary.etag}"', "Size": summary.size})
                entry.update(details)
                if tracked:
                    entry.update(self.listed_storage(
                        bucket, summary.key, summary.version_id, entry["StorageClass"], restore_status))
                versions.append(entry)
        truncated = bool(limit) and listing.is_truncated
        result: dict[str, Any] = {
            "Name": bucket.name,
            "Prefix": enc(prefix),
            "KeyMarker": enc(key_marker),
            "VersionIdMarker": version_marker,
            "MaxKeys": echoed,
            "IsTruncated": truncated,
            "Versions": versions,
            "DeleteMarkers": markers,
            "CommonPrefixes": [{"Prefix": enc(p)} for p in listing.common_prefixes],
        }
        if delimiter:
            result["Delimiter"] = enc(delimiter)
        if encoding:
            result["EncodingType"] = encoding
        if truncated:
            result["NextKeyMarker"] = enc(listing.next_key_marker)
            if listing.next_version_id_marker:
                result["NextVersionIdMarker"] = listing.next_version_id_marker
        return result
