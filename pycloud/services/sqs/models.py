"""SQS control-plane records: queues, their attributes and tags, and the cooldowns of DeleteQueue and
PurgeQueue (messages live in the queue engine; move tasks in ``move_tasks.py``)."""

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


@dataclass
class Cooldown(RecordModel):
    """When a cooldown on a queue name started (virtual epoch seconds). Stored under (account, region, key=queue name)."""

    since: float


class CooldownTable(RecordTable[Cooldown]):
    """Per-queue-name cooldowns of a fixed length: ``deleted-queue`` (the name cannot be reused yet)
    and ``purge`` (no second PurgeQueue yet).

    Written only when a cooldown starts or is ended early (DeleteQueue, PurgeQueue, CreateQueue),
    never on the message path. Run-out cooldowns are dropped when looked at, whenever another one
    starts and when the server starts, so they do not pile up.
    """

    def __init__(self, store: StateStore, service: str, kind: str, seconds: float) -> None:
        super().__init__(store, service, kind, Cooldown)
        self.seconds = seconds

    def running(self, account: str, region: str, name: str, now: float) -> bool:
        """Whether a cooldown on ``name`` started less than ``seconds`` before ``now``."""
        found = self.get(account, region, name)
        if found is None:
            return False
        if now - found.since < self.seconds:
            return True
        self.delete(account, region, name)
        return False

    def begin(self, account: str, region: str, name: str, now: float) -> None:
        """Start (or restart) the cooldown on ``name`` at ``now``."""
        self.prune(now)
        self.put(account, region, name, Cooldown(now))

    def end(self, account: str, region: str, name: str) -> None:
        """Drop the cooldown on ``name``, if there is one."""
        if self.get(account, region, name) is not None:
            self.delete(account, region, name)

    def prune(self, now: float) -> None:
        """Drop every cooldown that has run out by ``now``."""
        for account, region, name, item in self:
            if now - item.since >= self.seconds:
                self.delete(account, region, name)

    def settle(self, now: float) -> None:
        """At start-up: drop run-out cooldowns, and count one stamped after ``now`` from ``now``.

        The virtual clock starts again at real time (its offset is not kept), so a cooldown begun
        on an advanced clock would otherwise last until real time caught up with it.
        """
        self.prune(now)
        for account, region, name, item in self:
            if item.since > now:
                self.put(account, region, name, Cooldown(now))
