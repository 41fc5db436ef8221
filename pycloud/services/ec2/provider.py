"""EC2 operations: regions and zones here; EBS volumes, snapshots and fast snapshot restores from the
mixins of ``volumes.py``, ``snapshots.py`` and ``fast_restore.py`` (records in ``ebs_models.py``)."""

from __future__ import annotations

from typing import Any

from pycloud.context import RequestContext
from pycloud.protocol.errors import ServiceError
from pycloud.services.base import Provider, ServiceRuntime
from pycloud.services.ec2.ebs_models import catalog
from pycloud.services.ec2.fast_restore import FastRestoreOperations
from pycloud.services.ec2.filters import apply_filters
from pycloud.services.ec2.models import RegionOptIn
from pycloud.services.ec2.regions import Region, all_regions
from pycloud.services.ec2.snapshots import SnapshotOperations
from pycloud.services.ec2.volumes import VolumeOperations
from pycloud.services.ec2.zones import Zone, zones_for_region
from pycloud.state.table import RecordTable

_GLOBAL = ""


def _invalid(message: str) -> ServiceError:
    return ServiceError("InvalidParameterValue", message, 400)


def _check_dry_run(params: dict[str, Any]) -> None:
    if params.get("DryRun"):
        raise ServiceError("DryRunOperation", "Request would have succeeded, but DryRun flag is set.", 412)


class Ec2Provider(VolumeOperations, SnapshotOperations, FastRestoreOperations, Provider):
    """Amazon Elastic Compute Cloud."""

    service = "ec2"

    def __init__(self, runtime: ServiceRuntime) -> None:
        super().__init__(runtime)
        self.opt_ins: RecordTable[RegionOptIn] = RecordTable(runtime.state, self.service, "opt-in", RegionOptIn)
        self.ebs = catalog(runtime)

    def reset(self) -> None:
        self.opt_ins.clear()
        self.ebs.clear()

    # -- account opt-ins (driven by the Account service or the admin API, not an EC2 operation) --

    def set_region_opt_in(self, account_id: str, name: str, enabled: bool) -> None:
        """Enable or disable an opt-in region or Local Zone group for an account."""
        if enabled:
            self.opt_ins.put(account_id, _GLOBAL, name, RegionOptIn(name))
        else:
            self.opt_ins.delete(account_id, _GLOBAL, name)

    def _opt_in_status(self, account_id: str, name: str, required: bool) -> str:
        if not required:
            return "opt-in-not-required"
        return "opted-in" if self.opt_ins.get(account_id, _GLOBAL, name) else "not-opted-in"

    # -- DescribeRegions ---------------------------------------------------------------------------

    def describe_regions(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Regions of the aws partition, with their EC2 endpoints and opt-in status."""
        _check_dry_run(params)
        regions = all_regions()
        names = params.get("RegionNames") or []
        unknown = [name for name in names if name not in regions]
        if unknown:
            raise _invalid(f"Invalid region names: {', '.join(unknown)}")
        if names:
            selected = [regions[name] for name in sorted(set(names))]
        else:
            selected = list(regions.values())
        entries = [self._region_entry(ctx.account_id, region) for region in selected]
        if not names and not params.get("AllRegions"):
            entries = [entry for entry in entries if entry["OptInStatus"] != "not-opted-in"]
        entries = apply_filters(
            entries,
            params.get("Filters"),
            {
                "region-name": lambda e: e["RegionName"],
                "endpoint": lambda e: e["Endpoint"],
                "opt-in-status": lambda e: e["OptInStatus"],
            },
        )
        return {"Regions": entries}

    def _region_entry(self, account_id: str, region: Region) -> dict[str, Any]:
        return {
            "RegionName": region.name,
            "Endpoint": region.endpoint,
            "OptInStatus": self._opt_in_status(account_id, region.name, region.opt_in_required),
        }

    # -- DescribeAvailabilityZones -------------------------------------------------------------------

    def describe_availability_zones(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """The request region's zones, selected by name, id, filters and opt-in status."""
        _check_dry_run(params)
        zones = zones_for_region(ctx.region)
        by_name = {zone.name: zone for zone in zones}
        by_id = {zone.zone_id: zone for zone in zones}
        names = params.get("ZoneNames") or []
        ids = params.get("ZoneIds") or []
        for name in names:
            if name not in by_name:
                raise _invalid(f"The zone '{name}' does not exist in the region {ctx.region}")
        for zone_id in ids:
            if zone_id not in by_id:
                raise _invalid(f"The zone id '{zone_id}' does not exist in the region {ctx.region}")
        explicit = bool(names or ids)
        if explicit:
            wanted = set(names) | {by_id[zone_id].name for zone_id in ids}
            zones = tuple(zone for zone in zones if zone.name in wanted)
        entries = [self._zone_entry(ctx.account_id, zone) for zone in zones]
        if not explicit and not params.get("AllAvailabilityZones"):
            entries = [entry for entry in entries if entry["OptInStatus"] != "not-opted-in"]
        entries = apply_filters(
            entries,
            params.get("Filters"),
            {
                "zone-name": lambda e: e["ZoneName"],
                "zone-id": lambda e: e["ZoneId"],
                "state": lambda e: e["State"],
                "region-name": lambda e: e["RegionName"],
                "zone-type": lambda e: e["ZoneType"],
                "group-name": lambda e: e["GroupName"],
                "group-long-name": lambda e: e.get("GroupLongName"),
                "network-border-group": lambda e: e["NetworkBorderGroup"],
                "opt-in-status": lambda e: e["OptInStatus"],
                "message": lambda e: [m["Message"] for m in e["Messages"]],
            },
        )
        return {"AvailabilityZones": entries}

    def _zone_entry(self, account_id: str, zone: Zone) -> dict[str, Any]:
        return {
            "State": "available",
            "OptInStatus": self._opt_in_status(account_id, zone.group_name, zone.opt_in_required),
            "Messages": [],
            "RegionName": zone.region,
            "ZoneName": zone.name,
            "ZoneId": zone.zone_id,
            "GroupName": zone.group_name,
            "NetworkBorderGroup": zone.network_border_group,
            "ZoneType": zone.zone_type,
        }
