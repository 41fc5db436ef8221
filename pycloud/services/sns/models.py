"""SNS control-plane records: topics and subscriptions (RecordTables keyed by account/region)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from pycloud.state.store import StateStore
from pycloud.state.table import RecordModel, RecordTable

SERVICE = "sns"


@dataclass
class Topic(RecordModel):
    """One topic; stored under (owner account, region, name).

    ``attributes`` holds only what was set (CreateTopic / SetTopicAttributes); GetTopicAttributes
    adds the computed ones. Records are replaced, never mutated after ``put``.
    """

    name: str
    account_id: str
    region: str
    arn: str
    fifo: bool = False
    attributes: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    deleted_subscriptions: int = 0


@dataclass
class Subscription(RecordModel):
    """One subscription; stored under the *topic's* (account, region), keyed by its id.

    ``owner`` is the subscriber's account (cross-account subscriptions differ from the topic's).
    ``base_url`` is the endpoint pycloud was reached at when the subscription was made: the
    SubscribeURL, UnsubscribeURL and SigningCertURL it receives point there.
    """

    arn: str
    topic_arn: str
    owner: str
    protocol: str
    endpoint: str
    confirmed: bool = False
    token: str = ""
    token_expires: float = 0.0
    authenticated: bool = False
    base_url: str = ""
    attributes: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.arn.rsplit(":", 1)[-1]

    def attribute(self, name: str, default: str = "") -> str:
        return self.attributes.get(name, default)


class SubscriptionTable(RecordTable[Subscription]):
    """Subscriptions plus an index by topic ARN (fan-out reads it on every publish)."""

    def __init__(self, store: StateStore) -> None:
        super().__init__(store, SERVICE, "subscription", Subscription)
        self._by_topic: dict[str, dict[str, Subscription]] = defaultdict(dict)
        for _, _, key, sub in self:
            self._by_topic[sub.topic_arn][key] = sub

    def put(self, account: str, region: str, key: str, item: Subscription) -> None:
        super().put(account, region, key, item)
        self._by_topic[item.topic_arn][key] = item

    def delete(self, account: str, region: str, key: str) -> Subscription | None:
        removed = super().delete(account, region, key)
        if removed is not None:
            self._by_topic.get(removed.topic_arn, {}).pop(key, None)
        return removed

    def of_topic(self, topic_arn: str) -> list[Subscription]:
        """The topic's subscriptions in creation order."""
        return list(self._by_topic.get(topic_arn, {}).values())

    def clear(self) -> None:
        super().clear()
        self._by_topic.clear()


def topic_table(store: StateStore) -> RecordTable[Topic]:
    """The topics table."""
    return RecordTable(store, SERVICE, "topic", Topic)


def unsubscribed_table(store: StateStore) -> RecordTable[Subscription]:
    """Deleted HTTP/HTTPS subscriptions whose UnsubscribeConfirmation token can still restore them
    (stored like subscriptions, under the topic's account and region, keyed by subscription id)."""
    return RecordTable(store, SERVICE, "unsubscribed", Subscription)


def split_topic_arn(arn: str) -> tuple[str, str, str] | None:
    """(region, account, name) of a topic ARN, or None when ``arn`` is not one."""
    parts = arn.split(":")
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "sns" or not parts[3] or not parts[4] or not parts[5]:
        return None
    return parts[3], parts[4], parts[5]


def outbox_entry(**fields: Any) -> dict[str, Any]:
    """An outbox message (email, email-json, sms and other non-network deliveries) as the admin API lists it."""
    return dict(fields)
