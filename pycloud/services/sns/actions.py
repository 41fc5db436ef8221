"""SNS operations → IAM actions and resources (see ``pycloud.iam.actions``).

Operations on an existing topic are decided by the provider against the topic's policy
(``topic_policy.py``); subscription operations act on the subscription's topic.
"""

from __future__ import annotations

from typing import Any

from pycloud.context import RequestContext
from pycloud.iam.actions import ActionRule, ActionTable, arn
from pycloud.services.sns.topic_policy import ACTIONS


def _new_topic(ctx: RequestContext, params: dict[str, Any]) -> list[str]:
    return [arn("sns", ctx, params.get("Name") or "*")]


def _subscription_topic(ctx: RequestContext, params: dict[str, Any]) -> list[str]:
    subscription = params.get("SubscriptionArn") or ""
    topic = subscription.rsplit(":", 1)[0] if subscription.count(":") >= 6 else ""
    return [topic or "*"]


TABLE = ActionTable(
    "sns",
    rules={
        "CreateTopic": ActionRule("sns:CreateTopic", _new_topic),
        "GetSubscriptionAttributes": ActionRule("sns:GetSubscriptionAttributes", _subscription_topic),
        "SetSubscriptionAttributes": ActionRule("sns:SetSubscriptionAttributes", _subscription_topic),
        "Unsubscribe": ActionRule("sns:Unsubscribe", _subscription_topic),
    },
    provider_decides=frozenset(ACTIONS),
)
