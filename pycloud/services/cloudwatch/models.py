"""CloudWatch records: the metric registry (one entry per namespace/name/dimension set)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from pycloud.state.table import RecordModel


def metric_key(namespace: str, name: str, dimensions: list[dict[str, str]]) -> str:
    """The identity of a metric: dimension order does not matter, as in CloudWatch."""
    dims = sorted((d["Name"], d["Value"]) for d in dimensions)
    return json.dumps([namespace, name, dims], separators=(",", ":"), ensure_ascii=False)


@dataclass
class Metric(RecordModel):
    """A metric that has received data. Stored under (account, region, key=metric_key)."""

    namespace: str
    name: str
    dimensions: list[dict[str, str]] = field(default_factory=list)
    last_published: datetime | None = None

    @property
    def key(self) -> str:
        return metric_key(self.namespace, self.name, self.dimensions)

    def matches_dimensions(self, filters: list[dict[str, str]]) -> bool:
        """Whether the metric has every filtered dimension (with the filtered value, when given)."""
        own = {d["Name"]: d["Value"] for d in self.dimensions}
        for flt in filters:
            if flt["Name"] not in own:
                return False
            if flt.get("Value") is not None and own[flt["Name"]] != flt["Value"]:
                return False
        return True
