"""RestoreObject and what archived versions look like to readers.

Versions in GLACIER or DEEP_ARCHIVE (written so, or moved there by a lifecycle transition) cannot be
read until a restore makes a temporary copy available. A restore takes the tier's documented upper
bound of virtual time, then the copy stays readable until ``Days`` after completion, rounded up to
midnight UTC; afterwards the version is archived again. The state lives in ``storage_state``; the
lifecycle runner announces completion and expiry (``s3:ObjectRestore:Completed`` / ``:Delete``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from functools import cached_property
from typing import TYPE_CHECKING, Any

from pycloud.protocol.errors import ServiceError
from pycloud.protocol.rest_xml import HTTP_STATUS_KEY
from pycloud.protocol.timestamps import format_rfc822
from pycloud.services.s3 import errors
from pycloud.services.s3 import events as s3_events
from pycloud.services.s3.object_meta import ARCHIVED_CLASSES, ObjectMeta
from pycloud.services.s3.storage_state import StorageState, StorageStore, effective_class
from pycloud.state.table import RecordTable

if TYPE_CHECKING:
    from pycloud.context import RequestContext
    from pycloud.services.base import ServiceRuntime
    from pycloud.services.s3.datastore import S3DataStore
    from pycloud.services.s3.models import Bucket

_MINUTE, _HOUR, _DAY = 60, 3600, 86_400
TIER_SECONDS: dict[str, dict[str, int]] = {
    "GLACIER": {"Expedited": 5 * _MINUTE, "Standard": 5 * _HOUR, "Bulk": 12 * _HOUR},
    "DEEP_ARCHIVE": {"Standard": 12 * _HOUR, "Bulk": 48 * _HOUR},
}
"""How long a restore takes, per class and tier: the upper bound S3 documents (1–5 min, 3–5 h, 5–12 h;
within 12 h / 48 h for Deep Archive)."""
TIERS = ("Expedited", "Standard", "Bulk")
"""Fastest first."""
DEFAULT_TIER = "Standard"


def expiry_after(start: float, days: int) -> float:
    """``start + days`` rounded up to the next midnight UTC (epoch seconds), as S3 dates restored copies."""
    return math.ceil((start + days * _DAY) / _DAY) * _DAY


def restore_header(state: StorageState | None, now: float) -> dict[str, str]:
    """The ``Restore`` member (``x-amz-restore``) of a GET/HEAD, or nothing when no restore is live."""
    phase = state.phase(now) if state is not None else "none"
    if phase == "ongoing":
        return {"Restore": 'ongoing-request="true"'}
    if phase == "restored":
        assert state is not None
        return {"Restore": f'ongoing-request="false", expiry-date="{format_rfc822(state.restore_expiry)}"'}
    return {}


def restore_status(state: StorageState | None, now: float) -> dict[str, Any]:
    """A listing entry's ``RestoreStatus`` (only when a restore is in progress or done)."""
    phase = state.phase(now) if state is not None else "none"
    if phase == "ongoing":
        return {"RestoreStatus": {"IsRestoreInProgress": True}}
    if phase == "restored":
        assert state is not None
        return {"RestoreStatus": {"IsRestoreInProgress": False, "RestoreExpiryDate": state.restore_expiry}}
    return {}


def _not_restorable() -> ServiceError:
    return ServiceError("InvalidObjectState", "Restore is not allowed for the object's current storage class", 403)


def _in_progress() -> ServiceError:
    return ServiceError("RestoreAlreadyInProgress", "Object restore is already in progress", 409)


def parse_request(storage_class: str, request: dict[str, Any]) -> tuple[str, int]:
    """The (tier, days) of a RestoreRequest for a version of ``storage_class``, or the S3 error."""
    if request.get("Type") == "SELECT":
        raise ServiceError("NotImplemented", "SELECT restore requests are not supported", 501)
    days = request.get("Days")
    if storage_class == "INTELLIGENT_TIERING":
        # No archive tiers are modelled: an Intelligent-Tiering object is always in an active tier.
        if days is not None:
            raise errors.invalid_argument("INTELLIGENT_TIERING objects are not subject to restore expiry. "
                                          "Do not specify Days when restoring this object")
        raise ServiceError("ObjectAlreadyInActiveTierError", "This operation is not allowed against this storage tier.",
                           403)
    if storage_class not in ARCHIVED_CLASSES:
        raise _not_restorable()
    if days is None:
        raise errors.malformed_xml()
    if not isinstance(days, int) or days < 1:
        raise errors.invalid_argument("The Days element must be a positive integer", "Days", str(days))
    tier = (request.get("GlacierJobParameters") or {}).get("Tier") or request.get("Tier") or DEFAULT_TIER
    if tier not in TIERS:
        raise errors.malformed_xml()
    if tier not in TIER_SECONDS[storage_class]:
        raise errors.invalid_argument(f"{tier} retrieval is not available for objects in the {storage_class} "
                                      "storage class", "Tier", tier)
    return tier, days


class RestoreOperations:
    """Mixin of S3Provider: RestoreObject, and the effective storage class / restore view of a version."""

    data: S3DataStore
    runtime: ServiceRuntime

    def _bucket(self, ctx: RequestContext, params: dict[str, Any]) -> Bucket:  # provided by S3Provider
        raise NotImplementedError

    # Provided by ObjectOperations (declared only: a stub here could shadow it in S3Provider's MRO).
    _version: Callable[..., Any]

    @cached_property
    def storage_states(self) -> StorageStore:
        """Per-version storage class overrides and restores (RecordTable kind ``object-storage``)."""
        return StorageStore(RecordTable(self.runtime.state, "s3", "object-storage", StorageState))

    def storage_view(self, bucket: Bucket, key: str, version_id: str, stored_class: str) -> tuple[str, dict[str, str]]:
        """(effective storage class, ``Restore`` member if any) of one version, for GET/HEAD."""
        state = self.storage_states.get((bucket.account_id, bucket.region), bucket.name, key, version_id)
        return effective_class(stored_class, state), restore_header(state, self.runtime.clock.time())

    def listed_storage(self, bucket: Bucket, key: str, version_id: str, stored_class: str, with_restore: bool) -> dict[str, Any]:
        """StorageClass (and RestoreStatus when asked for) of a listed version of a marked bucket."""
        state = self.storage_states.get((bucket.account_id, bucket.region), bucket.name, key, version_id)
        out: dict[str, Any] = {"StorageClass": effective_class(stored_class, state)}
        if with_restore:
            out.update(restore_status(state, self.runtime.clock.time()))
        return out

    def check_readable(self, bucket: Bucket, info: Any, meta: ObjectMeta) -> None:
        """``InvalidObjectState`` when the version is archived and has no restored copy right now."""
        state = self.storage_states.get((bucket.account_id, bucket.region), bucket.name, info.key, info.version_id)
        storage_class = effective_class(meta.storage_class, state)
        if storage_class in ARCHIVED_CLASSES and (state is None or state.phase(self.runtime.clock.time()) != "restored"):
            raise errors.invalid_object_state(storage_class)

    def restore_object(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Start (202), extend (200) or speed up (202) the restore of an archived version."""
        bucket = self._bucket(ctx, params)
        info = self._version(bucket, params["Key"], params.get("VersionId") or "", method="POST")
        scope = (bucket.account_id, bucket.region)
        state = self.storage_states.get(scope, bucket.name, info.key, info.version_id) or StorageState()
        storage_class = effective_class(ObjectMeta.from_bytes(info.metadata).storage_class, state)
        tier, days = parse_request(storage_class, params.get("RestoreRequest") or {})
        now = ctx.now.timestamp()
        phase = state.phase(now)
        if phase == "restored":
            # A repeated request only moves the copy's expiry, counted from now.
            extended = replace(state, restore_days=days, restore_expiry=expiry_after(now, days))
            self.storage_states.put(scope, bucket.name, info.key, info.version_id, extended)
            return {}
        ready = now + TIER_SECONDS[storage_class][tier]
        if phase == "ongoing":
            if TIERS.index(tier) >= TIERS.index(state.restore_tier) or ready >= state.restore_ready:
                raise _in_progress()
            # A faster tier upgrades the restore under way.
        started = replace(
            state, restore_tier=tier, restore_days=days, restore_requested=now, restore_ready=ready,
            restore_expiry=expiry_after(ready, days), restore_notified=False,
        )
        self.storage_states.put(scope, bucket.name, info.key, info.version_id, started)
        s3_events.restore_posted(self.runtime, ctx, bucket, info)
        return {HTTP_STATUS_KEY: 202}
