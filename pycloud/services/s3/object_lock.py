"""Object Lock per version: retention (GOVERNANCE / COMPLIANCE) and legal hold.

Lock state changes after a version is written, so it lives in the control-plane state
(RecordTable kind ``object-lock``) keyed like tags; the bucket's default retention is applied to
new versions. Only buckets with Object Lock enabled accept any of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pycloud.services.s3 import errors
from pycloud.services.s3.models import Bucket
from pycloud.services.s3.object_tagging import version_key
from pycloud.state.table import RecordModel, RecordTable

MODES = frozenset({"GOVERNANCE", "COMPLIANCE"})
HOLD_STATUSES = frozenset({"ON", "OFF"})


@dataclass
class LockState(RecordModel):
    """One version's lock: ``mode`` + ``retain_until`` (ISO 8601) and/or the legal hold."""

    mode: str = ""
    retain_until: str = ""
    legal_hold: str = ""

    def until(self) -> datetime | None:
        return datetime.fromisoformat(self.retain_until) if self.retain_until else None

    def retained(self, now: datetime) -> bool:
        """Whether a retention period is still running."""
        until = self.until()
        return bool(self.mode and until and until > now)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def require_lock_bucket(bucket: Bucket) -> None:
    if not bucket.object_lock_enabled:
        raise errors.missing_object_lock_configuration()


def initial_state(bucket: Bucket, params: dict[str, Any], now: datetime) -> LockState | None:
    """The lock of a new version from its request headers, else the bucket's default retention."""
    mode = params.get("ObjectLockMode")
    until = params.get("ObjectLockRetainUntilDate")
    hold = params.get("ObjectLockLegalHoldStatus")
    if mode is None and until is None and hold is None:
        default = (bucket.configs.get("object_lock") or {}).get("DefaultRetention")
        if not bucket.object_lock_enabled or not default:
            return None
        days = default.get("Days") or 0
        years = default.get("Years") or 0
        retain = _aware(now) + timedelta(days=days + 365 * years)
        return LockState(mode=default["Mode"], retain_until=retain.isoformat())
    require_lock_bucket(bucket)
    if (mode is None) != (until is None):
        raise errors.invalid_argument(
            "x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied")
    state = LockState()
    if mode is not None:
        if mode not in MODES:
            raise errors.invalid_argument("Unknown wormMode directive.", "x-amz-object-lock-mode", mode)
        if _aware(until) <= _aware(now):
            raise errors.invalid_argument("The retain until date must be in the future!")
        state.mode, state.retain_until = mode, _aware(until).isoformat()
    if hold is not None:
        if hold not in HOLD_STATUSES:
            raise errors.invalid_argument("Unknown legal hold status.", "x-amz-object-lock-legal-hold", hold)
        state.legal_hold = hold
    return state


def apply_retention(current: LockState, retention: dict[str, Any] | None, bypass: bool, now: datetime) -> LockState:
    """PutObjectRetention's result: COMPLIANCE can only be extended; weakening GOVERNANCE needs bypass."""
    retention = retention or {}
    mode = retention.get("Mode")
    until = retention.get("RetainUntilDate")
    if (mode is None) != (until is None):
        raise errors.malformed_xml()
    if mode is not None and mode not in MODES:
        raise errors.malformed_xml()
    if until is not None and _aware(until) <= _aware(now):
        raise errors.invalid_argument("The retain until date must be in the future!")
    if current.retained(now):
        old_until = current.until()
        weaker = mode is None or (until is not None and old_until is not None and _aware(until) < old_until)
        if current.mode == "COMPLIANCE" and (weaker or mode == "GOVERNANCE"):
            raise errors.object_locked()
        if current.mode == "GOVERNANCE" and weaker and not bypass:
            raise errors.object_locked()
    return LockState(mode=mode or "", retain_until=_aware(until).isoformat() if until else "",
                     legal_hold=current.legal_hold)


def check_delete(state: LockState | None, bypass: bool, now: datetime) -> None:
    """Refuse to delete a version under legal hold or unexpired retention (GOVERNANCE needs bypass)."""
    if state is None:
        return
    if state.legal_hold == "ON":
        raise errors.object_locked()
    if state.retained(now) and (state.mode == "COMPLIANCE" or not bypass):
        raise errors.object_locked()


def output(state: LockState | None) -> dict[str, Any]:
    """GET/HEAD lock members."""
    if state is None:
        return {}
    out: dict[str, Any] = {}
    if state.mode:
        out["ObjectLockMode"] = state.mode
        out["ObjectLockRetainUntilDate"] = state.until()
    if state.legal_hold:
        out["ObjectLockLegalHoldStatus"] = state.legal_hold
    return out


class LockStore:
    """Per-version lock states in a RecordTable."""

    def __init__(self, table: RecordTable[LockState]) -> None:
        self.table = table

    def get(self, scope: tuple[str, str], bucket: str, key: str, version_id: str) -> LockState | None:
        return self.table.get(*scope, version_key(bucket, key, version_id))

    def set(self, scope: tuple[str, str], bucket: str, key: str, version_id: str, state: LockState | None) -> None:
        name = version_key(bucket, key, version_id)
        if state is not None and (state.mode or state.legal_hold):
            self.table.put(*scope, name, state)
        elif self.table.get(*scope, name) is not None:
            self.table.delete(*scope, name)
