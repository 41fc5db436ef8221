"""The aws partition's regions, read from botocore's ``endpoints.json`` (without importing botocore).

Which regions need an opt-in follows AWS: the regions launched before March 2019 are enabled for
every account; every later region must be enabled per account first.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

from pycloud.protocol.model import botocore_data_dir

PARTITION = "aws"

DEFAULT_REGIONS = frozenset(
    {
        "us-east-1", "us-east-2", "us-west-1", "us-west-2",
        "ca-central-1", "sa-east-1",
        "eu-central-1", "eu-west-1", "eu-west-2", "eu-west-3", "eu-north-1",
        "ap-south-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
        "ap-southeast-1", "ap-southeast-2",
    }
)  # fmt: skip
"""Regions enabled in every account (OptInStatus ``opt-in-not-required``)."""


@dataclass(frozen=True)
class Region:
    """One region of the partition."""

    name: str
    description: str
    endpoint: str
    """The EC2 endpoint host (``ec2.us-east-1.amazonaws.com``)."""

    @property
    def opt_in_required(self) -> bool:
        return self.name not in DEFAULT_REGIONS


@lru_cache(maxsize=1)
def _partition() -> dict:
    with open(botocore_data_dir() / "endpoints.json", "rb") as fh:
        data = json.load(fh)
    for partition in data["partitions"]:
        if partition["partition"] == PARTITION:
            return partition
    raise RuntimeError(f"botocore's endpoints.json has no {PARTITION} partition")


@lru_cache(maxsize=1)
def all_regions() -> dict[str, Region]:
    """Every region of the aws partition by name, sorted by name (read once, then cached)."""
    partition = _partition()
    template = partition["defaults"]["hostname"]
    dns_suffix = partition["dnsSuffix"]
    ec2_endpoints = partition.get("services", {}).get("ec2", {}).get("endpoints", {})
    regions: dict[str, Region] = {}
    for name in sorted(partition["regions"]):
        override = ec2_endpoints.get(name, {}).get("hostname")
        endpoint = override or template.format(service="ec2", region=name, dnsSuffix=dns_suffix)
        regions[name] = Region(name, partition["regions"][name].get("description", ""), endpoint)
    return regions


def get_region(name: str) -> Region | None:
    """The region called ``name``, or None when the partition has no such region."""
    return all_regions().get(name)
