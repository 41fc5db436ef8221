"""Lifecycle execution: applies buckets' stored lifecycle rules at a given (virtual) time.

Runs when the virtual clock advances (wired in ``S3Provider.__init__``), never on the request path.
Implemented actions: Expiration (Days / Date / ExpiredObjectDeleteMarker), NoncurrentVersionExpiration
(NoncurrentDays, NewerNoncurrentVersions) and AbortIncompleteMultipartUpload. Transitions are not
applied: the store cannot change a version's storage class in place. Versions under Object Lock
retention or legal hold are never removed (a delete marker may still be placed over a locked current
version, as S3 does).
"""

from __future__ import annotations

import logging
import math
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pycloud._core import StoreError
from pycloud.services.s3.models import Bucket
from pycloud.services.s3.objects import ns, versioning_mode

if TYPE_CHECKING:
    from pycloud.services.s3.provider import S3Provider

log = logging.getLogger(__name__)

_DAY_NS = 86_400 * 1_000_000_000


def due_after(start_ns: int, days: int) -> int:
    """When an age-based action fires: ``start + days`` rounded up to the next midnight UTC (as S3 does)."""
    return math.ceil((start_ns + days * _DAY_NS) / _DAY_NS) * _DAY_NS


def _predicate(rule: dict[str, Any]) -> dict[str, Any]:
    """The rule's filter as one flat predicate: Prefix, Tags, ObjectSizeGreaterThan/LessThan."""
    if "Filter" not in rule:
        return {"Prefix": rule.get("Prefix") or ""}
    flt = rule.get("Filter") or {}
    if flt.get("And"):
        return flt["And"]
    out = dict(flt)
    if flt.get("Tag"):
        out["Tags"] = [flt["Tag"]]
    return out


def _matches(pred: dict[str, Any], key: str, size: int | None, tags: Any) -> bool:
    """Whether a version satisfies the predicate; ``size`` None (delete markers) skips size tests;
    ``tags`` is a callable fetching the version's tags only when the filter needs them."""
    if not key.startswith(pred.get("Prefix") or ""):
        return False
    if size is not None:
        above, below = pred.get("ObjectSizeGreaterThan"), pred.get("ObjectSizeLessThan")
        if (above is not None and size <= above) or (below is not None and size >= below):
            return False
    wanted = pred.get("Tags") or []
    if wanted:
        have = {(t["Key"], t["Value"]) for t in tags()}
        if not all((t["Key"], t.get("Value", "")) in have for t in wanted):
            return False
    return True


def _versions_by_key(store: Any, bucket: str) -> list[tuple[str, list[Any]]]:
    """Each key with its versions (delete markers included), newest first; listed fully before any change."""
    grouped: dict[str, list[Any]] = {}
    key_marker, version_marker = "", ""
    while True:
        page = store.list_versions(bucket, key_marker=key_marker, version_id_marker=version_marker)
        for version in page.versions:
            grouped.setdefault(version.key, []).append(version)
        if not page.is_truncated:
            return list(grouped.items())
        key_marker, version_marker = page.next_key_marker, page.next_version_id_marker


class _Run:
    """One lifecycle pass over one bucket."""

    def __init__(self, provider: S3Provider, bucket: Bucket, now: datetime, counts: dict[str, int]) -> None:
        self.provider, self.bucket, self.now, self.counts = provider, bucket, now, counts
        self.now_ns = ns(now)
        self.store = provider.data.store
        self.scope = (bucket.account_id, bucket.region)
        self.rules = [
            (rule, _predicate(rule)) for rule in bucket.configs["lifecycle"].get("Rules", [])
            if rule.get("Status") == "Enabled"
        ]

    def tags_of(self, key: str, version_id: str) -> Any:
        return lambda: self.provider.object_tags.get(self.scope, self.bucket.name, key, version_id)

    def locked(self, key: str, version_id: str) -> bool:
        if not self.bucket.object_lock_enabled:
            return False
        state = self.provider.object_locks.get(self.scope, self.bucket.name, key, version_id)
        return state is not None and (state.legal_hold == "ON" or state.retained(self.now))

    def remove_version(self, key: str, version_id: str) -> bool:
        """Permanently delete one version unless it is locked; whether it went."""
        if self.locked(key, version_id):
            return False
        try:
            self.store.delete(self.bucket.name, key, version_id, versioning_mode(self.bucket), self.now_ns)
        except StoreError:
            return False  # already gone (a concurrent request won)
        self.provider._forget_version(self.bucket, key, version_id)
        return True

    def run(self) -> None:
        if not self.rules:
            return
        for key, versions in _versions_by_key(self.store, self.bucket.name):
            self.apply_to_key(key, versions)
        self.abort_uploads()

    def current_expired(self, key: str, version: Any) -> bool:
        for rule, pred in self.rules:
            expiration = rule.get("Expiration") or {}
            if expiration.get("Days") is None and expiration.get("Date") is None:
                continue
            if not _matches(pred, key, version.size, self.tags_of(key, version.version_id)):
                continue
            if expiration.get("Days") is not None and due_after(version.last_modified, expiration["Days"]) <= self.now_ns:
                return True
            date = expiration.get("Date")
            if date is not None and (date if date.tzinfo else date.replace(tzinfo=UTC)) <= self.now:
                return True
        return False

    def apply_to_key(self, key: str, versions: list[Any]) -> None:
        latest = versions[0]
        mode = versioning_mode(self.bucket)
        if not latest.is_delete_marker and self.current_expired(key, latest):
            if mode == "unversioned":
                if self.remove_version(key, latest.version_id):
                    self.counts["expired"] += 1
                return
            self.store.delete(self.bucket.name, key, "", mode, self.now_ns)
            if mode == "suspended":
                self.provider._forget_version(self.bucket, key, "null")
            self.counts["delete_markers_created"] += 1
            return  # the new marker makes this version noncurrent only from now on
        self.expire_noncurrent(key, versions)
        self.remove_lone_marker(key)

    def expire_noncurrent(self, key: str, versions: list[Any]) -> None:
        # A noncurrent version became noncurrent when its successor was written.
        noncurrent = [(v, versions[i].last_modified) for i, v in enumerate(versions[1:])]
        removed: set[str] = set()
        for rule, pred in self.rules:
            action = rule.get("NoncurrentVersionExpiration")
            if not action or action.get("NoncurrentDays") is None:
                continue
            keep = action.get("NewerNoncurrentVersions") or 0
            left = [(v, since) for v, since in noncurrent if v.version_id not in removed]
            for rank, (version, since) in enumerate(left):
                if rank < keep or due_after(since, action["NoncurrentDays"]) > self.now_ns:
                    continue
                size = None if version.is_delete_marker else version.size
                if _matches(pred, key, size, self.tags_of(key, version.version_id)) and self.remove_version(
                    key, version.version_id
                ):
                    removed.add(version.version_id)
                    self.counts["noncurrent_expired"] += 1

    def remove_lone_marker(self, key: str) -> None:
        """ExpiredObjectDeleteMarker: a delete marker that is the key's only version goes."""
        left = [v for v in self.store.list_versions(self.bucket.name, prefix=key, max_keys=2).versions if v.key == key]
        if len(left) != 1 or not left[0].is_delete_marker:
            return
        for rule, pred in self.rules:
            expiration = rule.get("Expiration") or {}
            if expiration.get("ExpiredObjectDeleteMarker") and _matches(pred, key, None, lambda: []):
                if self.remove_version(key, left[0].version_id):
                    self.counts["delete_markers_removed"] += 1
                return

    def abort_uploads(self) -> None:
        rules = [(rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"], pred)
                 for rule, pred in self.rules if rule.get("AbortIncompleteMultipartUpload")]
        if not rules:
            return
        key_marker, upload_marker = "", ""
        expired: list[str] = []
        while True:
            page = self.store.list_uploads(self.bucket.name, key_marker=key_marker, upload_id_marker=upload_marker)
            for upload in page.uploads:
                if any(upload.key.startswith(pred.get("Prefix") or "") and due_after(upload.initiated, days) <= self.now_ns
                       for days, pred in rules):
                    expired.append(upload.upload_id)
            if not page.is_truncated:
                break
            key_marker, upload_marker = page.next_key_marker, page.next_upload_id_marker
        for upload_id in expired:
            try:
                self.store.abort_upload(upload_id)
            except StoreError:
                continue
            self.counts["uploads_aborted"] += 1


def run_lifecycle(provider: S3Provider, now: datetime) -> dict[str, int]:
    """Apply every bucket's enabled lifecycle rules as of ``now``; counts of what was done."""
    counts = {"expired": 0, "delete_markers_created": 0, "noncurrent_expired": 0, "delete_markers_removed": 0,
              "uploads_aborted": 0}
    for _account, _region, _name, bucket in provider.buckets:
        if bucket.configs.get("lifecycle") and provider.data.store.bucket_exists(bucket.name):
            _Run(provider, bucket, now, counts).run()
    return counts


def on_clock_advance(provider: S3Provider) -> None:
    """Clock listener: run lifecycle at the new virtual time; failures are logged, never raised."""
    try:
        counts = run_lifecycle(provider, provider.runtime.clock.now())
    except Exception:  # the admin clock API must not fail because of lifecycle
        log.exception("S3 lifecycle run failed")
        return
    if any(counts.values()):
        log.info("S3 lifecycle: %s", counts)
