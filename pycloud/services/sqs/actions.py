"""SQS operations → IAM actions and resources (see ``pycloud.iam.actions``).

Every operation on an existing queue is decided by the provider against the queue's policy
(``authorization.py``); the gateway decides CreateQueue (on the ARN the queue would have) and
ListQueues.
"""

from __future__ import annotations

from typing import Any

from pycloud.context import RequestContext
from pycloud.iam.actions import ActionRule, ActionTable, arn
from pycloud.services.sqs.authorization import ACTIONS


def _new_queue(ctx: RequestContext, params: dict[str, Any]) -> list[str]:
    return [arn("sqs", ctx, params.get("QueueName") or "*")]


TABLE = ActionTable(
    "sqs",
    rules={"CreateQueue": ActionRule("sqs:CreateQueue", _new_queue)},
    provider_decides=frozenset(op for op in ACTIONS if op != "CreateQueue"),
)
