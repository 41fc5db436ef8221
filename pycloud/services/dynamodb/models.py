"""DynamoDB control-plane records: the table registry (item data comes with the table work)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pycloud.state.table import RecordModel


@dataclass
class Table(RecordModel):
    """A table's definition. Stored under (account, region, key=table name)."""

    name: str
    arn: str
    created: datetime
    status: str = "ACTIVE"
    key_schema: list[dict[str, Any]] = field(default_factory=list)
    attribute_definitions: list[dict[str, Any]] = field(default_factory=list)
    billing_mode: str = "PROVISIONED"


def table_arn(account_id: str, region: str, name: str) -> str:
    return f"arn:aws:dynamodb:{region}:{account_id}:table/{name}"
