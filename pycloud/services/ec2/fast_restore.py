"""Fast snapshot restore: Enable/Disable/DescribeFastSnapshotRestores and the volume creation credits.

Per (account, snapshot, zone): enabling (a minute) → optimizing (60 minutes per TiB of snapshot
size) → enabled, and disabling → disabled, all on the virtual clock. Each pair has a credit bucket
as AWS documents it: it starts empty when enabled, fills at MIN(10, 1024 / size GiB) credits an hour
up to MAX(1, MIN(10, 1024 / size GiB)); a volume created while the pair is enabled and a whole
credit is left takes it and is fully initialized (no first-touch penalty), otherwise it hydrates
lazily.
"""

from __future__ import annotations

from typing import Any

from pycloud.context import RequestContext
from pycloud.protocol.errors import ServiceError
from pycloud.services.ec2 import ebs_shared as sh
from pycloud.services.ec2.ebs_models import (
    FSR_DISABLING_SECONDS,
    FSR_ENABLING_SECONDS,
    FSR_OPTIMIZING_SECONDS_PER_TIB,
    EbsCatalog,
    FastRestoreRecord,
)
from pycloud.services.ec2.filters import apply_filters
from pycloud.services.ec2.zones import Zone, zones_for_region

MAX_SNAPSHOT_GIB = 16 * 1024
"""Fast snapshot restore can be enabled on snapshots of 16 TiB or less."""
USER_INITIATED = "Client.UserInitiated"
TRANSITION = "Client.UserInitiated - Lifecycle state transition"
_ACTIVE = ("enabling", "optimizing", "enabled")


def fill_rate(size_gib: int) -> float:
    """Credits earned per hour."""
    return min(10.0, 1024.0 / max(size_gib, 1))


def bucket_size(size_gib: int) -> float:
    """The most credits a bucket holds."""
    return max(1.0, min(10.0, 1024.0 / max(size_gib, 1)))


def balance(record: FastRestoreRecord, now: float) -> float:
    """Credits in the bucket at ``now``."""
    earned = fill_rate(record.snapshot_size) * max(0.0, now - record.credits_at) / 3600.0
    return min(bucket_size(record.snapshot_size), record.credits + earned)


def _key(snapshot_id: str, zone: str) -> str:
    return f"{snapshot_id}/{zone}"


def _entry(record: FastRestoreRecord, now: float) -> dict[str, Any]:
    state = record.state(now)
    reached = {
        "EnablingTime": record.enabling_time,
        "OptimizingTime": record.optimizing_time if now >= record.optimizing_time else None,
        "EnabledTime": record.enabled_time if now >= record.enabled_time else None,
        "DisablingTime": record.disabling_time,
        "DisabledTime": record.disabled_time if state == "disabled" else None,
    }
    if record.disabling_time is not None:  # a disable cuts the enable timeline short
        for name in ("OptimizingTime", "EnabledTime"):
            stamp = reached[name]
            if stamp is not None and stamp > record.disabling_time:
                reached[name] = None
    return {
        "SnapshotId": record.snapshot_id,
        "AvailabilityZone": record.zone,
        "AvailabilityZoneId": record.zone_id,
        "State": state,
        "StateTransitionReason": USER_INITIATED if state in ("enabling", "disabling") else TRANSITION,
        "OwnerId": record.snapshot_owner,
        **reached,
    }


def _error(snapshot_id: str, zone: Zone | None, code: str, message: str) -> dict[str, Any]:
    return {
        "SnapshotId": snapshot_id,
        "FastSnapshotRestoreStateErrors": [{
            "AvailabilityZone": zone.name if zone else None,
            "AvailabilityZoneId": zone.zone_id if zone else None,
            "Error": {"Code": code, "Message": message},
        }],
    }


class FastRestoreOperations:
    """The fast snapshot restore operations of the EC2 provider (a mixin: the provider sets ``self.ebs``)."""

    ebs: EbsCatalog

    def _zones(self, ctx: RequestContext, params: dict[str, Any]) -> list[Zone]:
        names = params.get("AvailabilityZones") or []
        ids = params.get("AvailabilityZoneIds") or []
        if not names and not ids:
            raise sh.missing("AvailabilityZone")
        zones = [z for z in zones_for_region(ctx.region) if z.zone_type == "availability-zone"]
        found: list[Zone] = []
        for wanted, attr in [(n, "name") for n in names] + [(i, "zone_id") for i in ids]:
            match = next((z for z in zones if getattr(z, attr) == wanted), None)
            if match is None:
                raise ServiceError("InvalidZone.NotFound", f"The zone '{wanted}' does not exist.", 400)
            if match not in found:
                found.append(match)
        return found

    def _take_fast_restore_credit(self, ctx: RequestContext, snapshot_id: str, zone: str, now: float) -> bool:
        """Spend a volume creation credit of (snapshot, zone) when fast snapshot restore is enabled
        there and a whole credit is left; whether the new volume is fully initialized."""
        record = self.ebs.fast_restores.get(ctx.account_id, ctx.region, _key(snapshot_id, zone))
        if record is None or record.state(now) != "enabled":
            return False
        credits = balance(record, now)
        if credits < 1.0:
            return False
        record.credits, record.credits_at = credits - 1.0, now
        self.ebs.fast_restores.put(ctx.account_id, ctx.region, _key(snapshot_id, zone), record)
        return True

    def enable_fast_snapshot_restores(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Starts enabling fast snapshot restore for each snapshot in each zone."""
        zones = self._zones(ctx, params)
        now = ctx.now.timestamp()
        plan: list[tuple[Any, Zone]] = []
        failures: list[dict[str, Any]] = []
        for snapshot_id in params.get("SourceSnapshotIds") or []:
            problem = self._fsr_problem(ctx, snapshot_id, now)
            if problem is not None:
                failures.extend(_error(snapshot_id, zone, *problem) for zone in zones)
                continue
            snapshot = self.ebs.visible_snapshot(ctx.account_id, ctx.region, snapshot_id)
            plan.extend((snapshot, zone) for zone in zones)
        sh.check_dry_run(params)
        successes = []
        for snapshot, zone in plan:
            key = _key(snapshot.snapshot_id, zone.name)
            record = self.ebs.fast_restores.get(ctx.account_id, ctx.region, key)
            if record is None or record.state(now) not in _ACTIVE:
                optimizing = now + FSR_ENABLING_SECONDS
                record = FastRestoreRecord(
                    snapshot_id=snapshot.snapshot_id, zone=zone.name, zone_id=zone.zone_id,
                    snapshot_owner=snapshot.owner, snapshot_size=snapshot.volume_size, enabling_time=now,
                    optimizing_time=optimizing,
                    enabled_time=optimizing + FSR_OPTIMIZING_SECONDS_PER_TIB * snapshot.volume_size / 1024,
                    credits=0.0, credits_at=now,
                )
                self.ebs.fast_restores.put(ctx.account_id, ctx.region, key, record)
            successes.append(_entry(record, now))
        return {"Successful": successes, "Unsuccessful": failures}

    def _fsr_problem(self, ctx: RequestContext, snapshot_id: str, now: float) -> tuple[str, str] | None:
        if not sh.SNAPSHOT_ID.fullmatch(snapshot_id or ""):
            return "InvalidSnapshotID.Malformed", f'Invalid id: "{snapshot_id}" (expecting "snap-...")'
        snapshot = self.ebs.visible_snapshot(ctx.account_id, ctx.region, snapshot_id)
        if snapshot is None:
            return "InvalidSnapshot.NotFound", f"The snapshot '{snapshot_id}' does not exist."
        if snapshot.state(now) != "completed":
            return "IncorrectState", f"Snapshot is in invalid state - {snapshot.state(now)}"
        if snapshot.volume_size > MAX_SNAPSHOT_GIB:
            return "InvalidParameterValue", "Fast snapshot restore can be enabled on snapshots of 16 TiB or less."
        return None

    def disable_fast_snapshot_restores(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Starts disabling fast snapshot restore for each snapshot in each zone."""
        zones = self._zones(ctx, params)
        now = ctx.now.timestamp()
        targets: list[FastRestoreRecord] = []
        failures: list[dict[str, Any]] = []
        for snapshot_id in params.get("SourceSnapshotIds") or []:
            if not sh.SNAPSHOT_ID.fullmatch(snapshot_id or ""):
                failures.extend(_error(snapshot_id, zone, "InvalidSnapshotID.Malformed",
                                       f'Invalid id: "{snapshot_id}" (expecting "snap-...")') for zone in zones)
                continue
            for zone in zones:
                record = self.ebs.fast_restores.get(ctx.account_id, ctx.region, _key(snapshot_id, zone.name))
                if record is None or record.state(now) not in _ACTIVE:
                    failures.append(_error(snapshot_id, zone, "IncorrectState",
                                           f"Fast snapshot restores are not enabled for snapshot {snapshot_id} "
                                           f"in {zone.name}."))
                else:
                    targets.append(record)
        sh.check_dry_run(params)
        successes = []
        for record in targets:
            record.disabling_time, record.disabled_time = now, now + FSR_DISABLING_SECONDS
            self.ebs.fast_restores.put(ctx.account_id, ctx.region, _key(record.snapshot_id, record.zone), record)
            successes.append(_entry(record, now))
        return {"Successful": successes, "Unsuccessful": failures}

    def describe_fast_snapshot_restores(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """The account's fast snapshot restores in the region (filters, pages)."""
        size = sh.page_size(params, 0, 200) or None
        sh.check_dry_run(params)
        now = ctx.now.timestamp()
        entries = [_entry(record, now) for record in self.ebs.fast_restores.values(ctx.account_id, ctx.region)]
        entries = apply_filters(entries, params.get("Filters"), {
            "snapshot-id": lambda e: e["SnapshotId"],
            "availability-zone": lambda e: e["AvailabilityZone"],
            "owner-id": lambda e: e["OwnerId"],
            "state": lambda e: e["State"],
        })
        chosen, token = sh.page(entries, lambda e: _key(e["SnapshotId"], e["AvailabilityZone"]), params,
                                "ec2:DescribeFastSnapshotRestores", size)
        return {"FastSnapshotRestores": chosen, "NextToken": token}
