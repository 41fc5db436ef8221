"""Availability Zones (and a few Local Zones) per region: names and zone ids.

Real accounts map zone letters to zone ids differently for the oldest regions; pycloud uses one
fixed mapping. The main regions have their real letters (some regions skip letters, e.g.
us-west-1 has only a and c for new accounts); any other region gets a, b, c.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

# region → ((zone letter, az number), ...)
_AZ_TABLE: dict[str, tuple[tuple[str, int], ...]] = {
    "us-east-1": (("a", 1), ("b", 2), ("c", 3), ("d", 4), ("e", 5), ("f", 6)),
    "us-east-2": (("a", 1), ("b", 2), ("c", 3)),
    "us-west-1": (("a", 1), ("c", 3)),
    "us-west-2": (("a", 1), ("b", 2), ("c", 3), ("d", 4)),
    "ca-central-1": (("a", 1), ("b", 2), ("d", 4)),
    "ap-northeast-1": (("a", 4), ("c", 1), ("d", 2)),
    "ap-northeast-2": (("a", 1), ("b", 2), ("c", 3), ("d", 4)),
}
_GENERIC_AZS: tuple[tuple[str, int], ...] = (("a", 1), ("b", 2), ("c", 3))

# Local Zones need an opt-in per account: region → ((metro code, zone letter, az number), ...)
_LOCAL_ZONES: dict[str, tuple[tuple[str, str, int], ...]] = {
    "us-east-1": (("bos", "a", 1), ("mia", "a", 1)),
    "us-west-2": (("lax", "a", 1), ("lax", "b", 2)),
}

_DIRECTIONS = {
    "north": "n", "south": "s", "east": "e", "west": "w", "central": "c",
    "northeast": "ne", "northwest": "nw", "southeast": "se", "southwest": "sw", "gov": "g",
}  # fmt: skip


@dataclass(frozen=True)
class Zone:
    """One zone as DescribeAvailabilityZones reports it."""

    name: str
    zone_id: str
    region: str
    zone_type: str = "availability-zone"
    group_name: str = ""
    network_border_group: str = ""
    opt_in_required: bool = False


def zone_id_prefix(region: str) -> str:
    """The short region code zone ids start with: ``us-east-1`` → ``use1``, ``ap-northeast-1`` → ``apne1``."""
    parts = region.split("-")
    if len(parts) < 3:
        return region.replace("-", "")
    middle = "".join(_DIRECTIONS.get(part, part[:1]) for part in parts[1:-1])
    return f"{parts[0]}{middle}{parts[-1]}"


@lru_cache(maxsize=64)
def zones_for_region(region: str) -> tuple[Zone, ...]:
    """Every zone of ``region``: its Availability Zones, then its Local Zones."""
    prefix = zone_id_prefix(region)
    zones = [
        Zone(f"{region}{letter}", f"{prefix}-az{number}", region, group_name=region, network_border_group=region)
        for letter, number in _AZ_TABLE.get(region, _GENERIC_AZS)
    ]
    for metro, letter, number in _LOCAL_ZONES.get(region, ()):
        group = f"{region}-{metro}-1"
        zones.append(
            Zone(
                f"{group}{letter}",
                f"{prefix}-{metro}1-az{number}",
                region,
                zone_type="local-zone",
                group_name=group,
                network_border_group=group,
                opt_in_required=True,
            )
        )
    return tuple(zones)
