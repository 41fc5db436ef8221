"""SQS control-plane records: queues, their attributes and tags (messages live in the queue engine)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from pycloud.services.sqs import attributes as attrs
from pycloud.services.sqs.urls import queue_arn
from pycloud.state.store import StateStore
from pycloud.state.table import RecordModel, RecordTable


def engine_name(account: str, region: str, name: str) -> str:
    """The queue's name inside the engine, unique across accounts and regions."""
    return f"{account}/{region}/{name}"


@dataclass
class Queue(RecordModel):
    """One queue. Stored under (account=owner, region, key=queue name).

    ``attributes`` holds the settable attributes that were set (normalized text); defaults are not
    stored. Records are treated as immutable: change a copy (``dataclasses.replace``) and ``put`` it.
    """

    name: str
    account_id: str
    region: str
    created: datetime
    last_modified: datetime
    fifo: bool = False
    attributes: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)

    # Derived values are computed once per record: records are replaced, never changed in place.
    @cached_property
    def arn(self) -> str:
        return queue_arn(self.region, self.account_id, self.name)

    @cached_property
    def engine_name(self) -> str:
        return engine_name(self.account_id, self.region, self.name)

    def values(self) -> dict[str, str]:
        """Every settable attribute's current value (stored over defaults); a fresh dict."""
        return dict(self.settings)

    @cached_property
    def settings(self) -> dict[str, str]:
        """Every settable attribute's current value, shared: read it, never change it."""
        return attrs.effective(self.attributes, fifo=self.fifo)

    @property
    def policy(self) -> str | None:
        return self.attributes.get("Policy") or None


class QueueTable(RecordTable[Queue]):
    """The queue records, keyed by (account, region, name)."""

    def __init__(self, store: StateStore, service: str) -> None:
        super().__init__(store, service, "queue", Queue)

