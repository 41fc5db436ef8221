"""EC2 records persisted in the state store."""

from __future__ import annotations

from dataclasses import dataclass

from pycloud.state.table import RecordModel


@dataclass
class RegionOptIn(RecordModel):
    """An opt-in region (or Local Zone group) that an account has enabled; account-global."""

    name: str
    status: str = "opted-in"
