"""Per-version storage class overrides and restore state, kept in the control-plane state.

A stored version's metadata bytes never change, so a lifecycle transition (which moves a version to
another storage class) and a restore of an archived version (a temporary readable copy) are recorded
here instead, like object tags: RecordTable kind ``object-storage``, one record per version that was
ever transitioned or restored. The effective storage class is the record's class, else the class the
version was written with.

Restore progress is derived from the record's timestamps (virtual epoch seconds), so a HEAD always
sees the right phase whether or not a lifecycle pass ran since: in progress until ``restore_ready``,
restored until ``restore_expiry``, archived again afterwards.

Readers on hot paths (listings) first ask :meth:`StorageStore.marked`: only buckets that have ever
held such a record are consulted at all.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from typing import Literal

from pycloud.services.s3.object_tagging import version_key
from pycloud.state.table import RecordModel, RecordTable

Scope = tuple[str, str]
Phase = Literal["none", "ongoing", "restored"]
VersionRef = tuple[str, str, str, str, str]
"""(account, region, bucket, key, version id) of one version."""


@dataclass
class StorageState(RecordModel):
    """What changed about one version after it was written."""

    storage_class: str = ""
    """The class a lifecycle transition moved the version to ("" = the class it was written with)."""
    restore_tier: str = ""
    """Tier of the latest restore request (Expedited / Standard / Bulk)."""
    restore_days: int = 0
    restore_requested: float = 0.0
    restore_ready: float = 0.0
    """When the restored copy is (or was) available; 0 when no restore was requested."""
    restore_expiry: float = 0.0
    """When the restored copy goes away (midnight UTC)."""
    restore_notified: bool = False
    """Whether the restore's completion was announced (``s3:ObjectRestore:Completed``)."""

    def phase(self, now: float) -> Phase:
        """Where the version's restore stands at virtual time ``now``."""
        if not self.restore_ready or now >= self.restore_expiry:
            return "none"
        return "ongoing" if now < self.restore_ready else "restored"

    def without_restore(self) -> StorageState:
        """The same record with its restore forgotten (the copy expired)."""
        return StorageState(storage_class=self.storage_class)

    def is_empty(self) -> bool:
        return not self.storage_class and not self.restore_ready


def effective_class(stored_class: str, state: StorageState | None) -> str:
    """The class to report for a version written as ``stored_class``."""
    return (state.storage_class if state is not None and state.storage_class else stored_class) or "STANDARD"


def _parse_name(name: str) -> tuple[str, str, str]:
    """(bucket, key, version id) of a record name made by ``version_key``."""
    bucket, version_id, key = name.split("/", 2)
    return bucket, key, version_id


class StorageStore:
    """Per-version StorageState records, with a per-bucket marker and an index of live restores."""

    def __init__(self, table: RecordTable[StorageState]) -> None:
        self.table = table
        self._lock = threading.Lock()
        self._buckets: set[tuple[str, str, str]] = set()
        self._restores: set[VersionRef] = set()
        for account, region, name, state in table:
            bucket, key, version_id = _parse_name(name)
            self._buckets.add((account, region, bucket))
            if state.restore_ready:
                self._restores.add((account, region, bucket, key, version_id))

    def marked(self, scope: Scope, bucket: str) -> bool:
        """Whether this bucket ever had a transitioned or restored version (else nothing to look up)."""
        return (scope[0], scope[1], bucket) in self._buckets

    def get(self, scope: Scope, bucket: str, key: str, version_id: str) -> StorageState | None:
        """The version's record, or None (one set lookup for unmarked buckets)."""
        if (scope[0], scope[1], bucket) not in self._buckets:
            return None
        return self.table.get(*scope, version_key(bucket, key, version_id))

    def put(self, scope: Scope, bucket: str, key: str, version_id: str, state: StorageState | None) -> None:
        """Replace the version's record; None or an empty record removes it."""
        ref = (scope[0], scope[1], bucket, key, version_id)
        name = version_key(bucket, key, version_id)
        with self._lock:
            if state is None or state.is_empty():
                if self.table.get(*scope, name) is not None:
                    self.table.delete(*scope, name)
                self._restores.discard(ref)
                return
            self._buckets.add((scope[0], scope[1], bucket))
            self.table.put(*scope, name, state)
            if state.restore_ready:
                self._restores.add(ref)
            else:
                self._restores.discard(ref)

    def transition(self, scope: Scope, bucket: str, key: str, version_id: str, storage_class: str) -> None:
        """Record a lifecycle transition (an ongoing or finished restore stays as it is)."""
        state = self.get(scope, bucket, key, version_id) or StorageState()
        self.put(scope, bucket, key, version_id, replace(state, storage_class=storage_class))

    def forget(self, scope: Scope, bucket: str, key: str, version_id: str) -> None:
        """Drop the record of a version that is gone or was overwritten (no cost for unmarked buckets)."""
        if (scope[0], scope[1], bucket) in self._buckets:
            self.put(scope, bucket, key, version_id, None)

    def restores(self) -> list[tuple[VersionRef, StorageState]]:
        """Every version with a restore requested (ongoing, done or expired but not yet cleaned up)."""
        with self._lock:
            refs = list(self._restores)
        found = []
        for ref in refs:
            state = self.table.get(ref[0], ref[1], version_key(ref[2], ref[3], ref[4]))
            if state is not None and state.restore_ready:
                found.append((ref, state))
        return found

    def clear(self) -> None:
        """Forget everything (admin reset)."""
        with self._lock:
            self.table.clear()
            self._buckets.clear()
            self._restores.clear()
