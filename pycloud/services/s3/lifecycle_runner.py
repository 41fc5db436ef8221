"""Lifecycle execution: applies buckets' stored lifecycle rules at a given (virtual) time.

A pass runs after every virtual clock advance and, on its own, every ``PERIOD_SECONDS`` of real time
while the server runs (both wired by :func:`attach`), never on the request path and never twice at
once. Implemented actions: Expiration (Days / Date / ExpiredObjectDeleteMarker),
NoncurrentVersionExpiration (NoncurrentDays, NewerNoncurrentVersions), Transitions (Days / Date),
NoncurrentVersionTransitions (NoncurrentDays, NewerNoncurrentVersions) and
AbortIncompleteMultipartUpload. A transition records the version's new class in ``storage_state``
(the store cannot change a version's metadata in place); it follows the storage-class waterfall and
the bucket's transition minimum object size. Versions under Object Lock retention or legal hold are
never removed (a delete marker may still be placed over a locked current version, as S3 does).

Each pass also moves restores of archived versions along: it announces completed restores and
archives again the versions whose restored copy expired.
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
import weakref
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pycloud._core import StoreError
from pycloud.services.s3 import events as s3_events
from pycloud.services.s3.lifecycle import DEFAULT_MIN_SIZE, TRANSITION_RANK
from pycloud.services.s3.models import Bucket
from pycloud.services.s3.object_meta import ARCHIVED_CLASSES, ObjectMeta
from pycloud.services.s3.objects import ns, versioning_mode
from pycloud.services.s3.storage_state import effective_class

if TYPE_CHECKING:
    from pycloud.services.s3.provider import S3Provider

log = logging.getLogger(__name__)

_DAY_NS = 86_400 * 1_000_000_000
PERIOD_SECONDS = 60.0
"""Real seconds between periodic passes (``s3_lifecycle_interval`` setting; 0 turns them off)."""
MIN_TRANSITION_SIZE = 128 * 1024
"""Objects smaller than this are not transitioned unless the rule filters by size itself."""
_START_CLASSES = frozenset({"STANDARD", "REDUCED_REDUNDANCY"})
"""Classes a transition may start from besides the transition targets themselves."""


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


def _noncurrent(versions: list[Any]) -> list[tuple[Any, int]]:
    """A key's noncurrent versions, newest first, each with when it became noncurrent: when its
    successor was written."""
    return [(v, versions[i].last_modified) for i, v in enumerate(versions[1:])]


class _Run:
    """One lifecycle pass over one bucket."""

    def __init__(self, provider: S3Provider, bucket: Bucket, now: datetime, counts: dict[str, int]) -> None:
        self.provider, self.bucket, self.now, self.counts = provider, bucket, now, counts
        self.now_ns = ns(now)
        self.store = provider.data.store
        self.scope = (bucket.account_id, bucket.region)
        config = bucket.configs["lifecycle"]
        self.rules = [
            (rule, _predicate(rule)) for rule in config.get("Rules", []) if rule.get("Status") == "Enabled"
        ]
        self.min_size = config.get("MinimumObjectSize") or DEFAULT_MIN_SIZE
        self.states = provider.storage_states
        self.cleans_markers = any((rule.get("Expiration") or {}).get("ExpiredObjectDeleteMarker")
                                  for rule, _ in self.rules)

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
        removed = self.expire_noncurrent(key, versions)
        if not latest.is_delete_marker:
            self.transition(key, latest, latest.last_modified, None)
        for rank, (version, since) in enumerate(_noncurrent(versions)):
            if version.version_id not in removed and not version.is_delete_marker:
                self.transition(key, version, since, rank)
        if self.cleans_markers:
            self.remove_lone_marker(key)

    def expire_noncurrent(self, key: str, versions: list[Any]) -> set[str]:
        """NoncurrentVersionExpiration; the version ids it removed."""
        noncurrent = _noncurrent(versions)
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
        return removed

    # -- transitions ------------------------------------------------------------------------------

    def step_due(self, step: dict[str, Any], since_ns: int, rank: int | None) -> bool:
        """Whether a Transition (``rank`` None: the current version, aged from ``since_ns``) or a
        NoncurrentVersionTransition (the ``rank``-th newest noncurrent version, noncurrent since
        ``since_ns``) applies now."""
        if rank is not None:
            return rank >= (step.get("NewerNoncurrentVersions") or 0) and due_after(
                since_ns, step["NoncurrentDays"]) <= self.now_ns
        if step.get("Days") is not None:
            return due_after(since_ns, step["Days"]) <= self.now_ns
        date = step.get("Date")
        return date is not None and (date if date.tzinfo else date.replace(tzinfo=UTC)) <= self.now

    def size_allows(self, pred: dict[str, Any], storage_class: str, size: int) -> bool:
        """The transition minimum object size: a rule's own size filter replaces the bucket default."""
        if pred.get("ObjectSizeGreaterThan") is not None or pred.get("ObjectSizeLessThan") is not None:
            return True
        if size >= MIN_TRANSITION_SIZE:
            return True
        return self.min_size == "varies_by_storage_class" and storage_class in ARCHIVED_CLASSES

    def target_class(self, key: str, version: Any, since_ns: int, rank: int | None) -> str | None:
        """The furthest class down the waterfall that a due transition of an enabled rule moves to."""
        best: str | None = None
        member = "Transitions" if rank is None else "NoncurrentVersionTransitions"
        for rule, pred in self.rules:
            for step in rule.get(member) or ():
                target = step.get("StorageClass")
                if target not in TRANSITION_RANK:
                    continue
                if best is not None and TRANSITION_RANK[target] <= TRANSITION_RANK[best]:
                    continue
                if (self.step_due(step, since_ns, rank) and self.size_allows(pred, target, version.size)
                        and _matches(pred, key, version.size, self.tags_of(key, version.version_id))):
                    best = target
        return best

    def transition(self, key: str, version: Any, since_ns: int, rank: int | None) -> None:
        """Move one version to the class its due transitions name, if that is further down the waterfall."""
        target = self.target_class(key, version, since_ns, rank)
        if target is None:
            return
        state = self.states.get(self.scope, self.bucket.name, key, version.version_id)
        if state is not None and state.storage_class:
            current = state.storage_class
        else:
            try:
                info = self.store.head(self.bucket.name, key, version.version_id)
            except StoreError:
                return  # gone meanwhile
            current = effective_class(ObjectMeta.from_bytes(info.metadata).storage_class, None)
        rank_now = 0 if current in _START_CLASSES else TRANSITION_RANK.get(current)
        if rank_now is None or TRANSITION_RANK[target] <= rank_now:
            return  # already there or further, or a class lifecycle does not move (Outposts, Express...)
        if state is not None and state.phase(self.now.timestamp()) == "ongoing":
            return  # never under a restore in progress; the next pass will do it
        self.states.transition(self.scope, self.bucket.name, key, version.version_id, target)
        self.counts["transitioned" if rank is None else "noncurrent_transitioned"] += 1
        s3_events.lifecycle_transition(self.provider.runtime, self.bucket, key, version, target, self.now)

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
    """Apply every bucket's enabled lifecycle rules as of ``now`` and move restores along; counts of
    what was done."""
    counts = {"expired": 0, "delete_markers_created": 0, "noncurrent_expired": 0, "delete_markers_removed": 0,
              "uploads_aborted": 0, "transitioned": 0, "noncurrent_transitioned": 0, "restores_completed": 0,
              "restores_expired": 0}
    for _account, _region, _name, bucket in provider.buckets:
        if bucket.configs.get("lifecycle") and provider.data.store.bucket_exists(bucket.name):
            try:
                _Run(provider, bucket, now, counts).run()
            except Exception:  # one bucket's failure must not stop the others
                log.exception("S3 lifecycle failed for bucket %s", bucket.name)
    progress_restores(provider, now, counts)
    return counts


def progress_restores(provider: S3Provider, now: datetime, counts: dict[str, int]) -> None:
    """Announce restores that completed and archive again the versions whose restored copy expired.

    What a reader sees does not wait for this (it is derived from the restore's times); this pass
    sends ``s3:ObjectRestore:Completed`` / ``s3:ObjectRestore:Delete`` and drops expired restores.
    """
    states = provider.storage_states
    when = now.timestamp()
    for (account, region, name, key, version_id), state in states.restores():
        if state.restore_ready > when:
            continue
        scope = (account, region)
        bucket = provider.buckets.get(account, region, name)
        try:
            info = provider.data.store.head(name, key, version_id) if bucket is not None else None
        except StoreError:
            info = None
        if info is None:
            states.forget(scope, name, key, version_id)  # the version (or its bucket) is gone
            continue
        storage_class = effective_class(ObjectMeta.from_bytes(info.metadata).storage_class, state)
        expiry = datetime.fromtimestamp(state.restore_expiry, UTC)
        if not state.restore_notified:
            states.put(scope, name, key, version_id, replace(state, restore_notified=True))
            counts["restores_completed"] += 1
            ready = datetime.fromtimestamp(state.restore_ready, UTC)
            s3_events.restore_finished(provider.runtime, bucket, "ObjectRestore:Completed", info, storage_class,
                                       expiry, ready)
        if when >= state.restore_expiry:
            states.put(scope, name, key, version_id, state.without_restore())
            counts["restores_expired"] += 1
            s3_events.restore_finished(provider.runtime, bucket, "ObjectRestore:Delete", info, storage_class,
                                       expiry, expiry)


def run_pass(provider: S3Provider, guard: threading.Lock, *, wait: bool) -> dict[str, int] | None:
    """One guarded pass at the provider's current virtual time: never two at once (``wait`` False
    skips when one is under way); failures are logged, never raised."""
    if not guard.acquire(blocking=wait):
        return None
    try:
        counts = run_lifecycle(provider, provider.runtime.clock.now())
    except Exception:  # neither the admin clock API nor the server may fail because of lifecycle
        log.exception("S3 lifecycle run failed")
        return None
    finally:
        guard.release()
    if any(counts.values()):
        log.info("S3 lifecycle: %s", counts)
    return counts


def interval(settings: Any) -> float:
    """Real seconds between periodic passes (the ``s3_lifecycle_interval`` setting, else the default)."""
    value = getattr(settings, "s3_lifecycle_interval", None)
    return PERIOD_SECONDS if value is None else float(value)


def _tick(loop: asyncio.AbstractEventLoop, ref: weakref.ReferenceType[S3Provider], guard: threading.Lock,
          seconds: float) -> None:
    # A timer callback on the event loop thread, where request handlers and clock advances run, so a
    # pass never interleaves with them. A pending timer neither keeps the loop running nor warns when the loop
    # goes away at shutdown; the chain ends with its provider.
    provider = ref()
    if provider is None:
        return
    run_pass(provider, guard, wait=False)
    del provider
    loop.call_later(seconds, _tick, loop, ref, guard, seconds)


def attach(provider: S3Provider) -> None:
    """Run lifecycle after every virtual clock advance and, when built inside a running event loop
    (the server), every ``interval`` real seconds. Both hold the provider weakly: a provider dropped
    by its owner (tests build many) is not kept alive by the clock or the loop."""
    ref = weakref.ref(provider)
    guard = threading.Lock()
    provider.runtime.clock.on_advance(
        lambda _offset: (p := ref()) is not None and run_pass(p, guard, wait=True) is not None
    )
    seconds = interval(provider.runtime.settings)
    if seconds <= 0:
        return
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return  # built outside a server: clock advances only
    loop.call_later(seconds, _tick, loop, ref, guard, seconds)
