"""Topic access policies: the default policy, AddPermission/RemovePermission, and enforcement.

The topic owner's principals are allowed unless the topic policy explicitly denies them (IAM
identity policies are not modelled yet, as for S3). Principals of other accounts need an Allow
from the topic policy, evaluated by the shared policy engine.
"""

from __future__ import annotations

import json
from typing import Any

from pycloud.context import RequestContext
from pycloud.iam.enforce import resource_tag_keys
from pycloud.iam.policy import EXPLICIT_DENY, AuthRequest, NamedPolicy, PolicyError, Principal, evaluate, parse_policy
from pycloud.services.sns.errors import authorization_error, invalid_parameter
from pycloud.services.sns.models import Topic

DEFAULT_ACTIONS = (
    "SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission", "SNS:RemovePermission",
    "SNS:DeleteTopic", "SNS:Subscribe", "SNS:ListSubscriptionsByTopic", "SNS:Publish",
)
# Operation → the action a topic policy grants for it.
ACTIONS = {
    "GetTopicAttributes": "SNS:GetTopicAttributes",
    "SetTopicAttributes": "SNS:SetTopicAttributes",
    "AddPermission": "SNS:AddPermission",
    "RemovePermission": "SNS:RemovePermission",
    "DeleteTopic": "SNS:DeleteTopic",
    "Subscribe": "SNS:Subscribe",
    "ListSubscriptionsByTopic": "SNS:ListSubscriptionsByTopic",
    "Publish": "SNS:Publish",
    "PublishBatch": "SNS:Publish",
    "TagResource": "SNS:TagResource",
    "UntagResource": "SNS:UntagResource",
    "ListTagsForResource": "SNS:ListTagsForResource",
}
_ALLOW_ALL = parse_policy('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}')


def default_policy(topic_arn: str, account_id: str) -> str:
    """The policy SNS gives a new topic: the owner account may do everything."""
    return json.dumps({
        "Version": "2008-10-17",
        "Id": "__default_policy_ID",
        "Statement": [{
            "Sid": "__default_statement_ID",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": list(DEFAULT_ACTIONS),
            "Resource": topic_arn,
            "Condition": {"StringEquals": {"AWS:SourceOwner": account_id}},
        }],
    }, separators=(",", ":"))


def authorize(topic: Topic, ctx: RequestContext, operation: str | None = None) -> None:
    """Raise ``AuthorizationError`` unless the caller may perform the operation on ``topic``."""
    operation = operation or ctx.operation
    caller = ctx.principal
    insider = caller.kind != "anonymous" and caller.account_id == topic.account_id
    text = topic.attributes.get("Policy")
    action = ACTIONS.get(operation)
    authorizer = ctx.authorizer
    unbound = authorizer is None or authorizer.unbound(caller)
    if insider and unbound and (not text or action is None):
        return
    if action is None:
        if insider:
            return
        raise authorization_error()
    if authorizer is not None:
        # The caller's own policies (identity, boundary, session, SCPs) meet the topic policy.
        document = _document(text)
        policies = [NamedPolicy(topic.name, document)] if document is not None else None
        keys = {"aws:SourceOwner": caller.account_id, **(resource_tag_keys(topic.tags) or {})}
        decision = authorizer.decide(ctx, action, topic.arn, resource_policies=policies,
                                     resource_account=topic.account_id, context=keys)
        if decision.allowed:
            return
        raise authorization_error(decision.message(caller.arn or "anonymous", action, topic.arn))
    caller = ctx.principal
    principal = Principal.of_caller(caller.kind, caller.account_id, caller.arn, caller.user_id)
    keys: dict[str, Any] = {"aws:SourceOwner": caller.account_id, "aws:SecureTransport": False}
    if ctx.source_ip:
        keys["aws:SourceIp"] = ctx.source_ip
    request = AuthRequest(principal, action, topic.arn, keys, resource_account=topic.account_id, now=ctx.now)
    identity = _ALLOW_ALL if principal.kind != "anonymous" else None
    decision = None
    if text:
        try:
            document = parse_policy(text, kind="resource")
        except PolicyError:  # e.g. every statement removed: the policy grants nothing
            document = None
        if document is not None:
            decision = evaluate(request, identity=identity, resource=NamedPolicy(topic.name, document))
    if decision is not None and decision.outcome == EXPLICIT_DENY:
        raise authorization_error(decision.message(caller.arn, action, topic.arn))
    if insider or (decision is not None and decision.allowed):
        return
    raise authorization_error(f"User: {caller.arn or 'anonymous'} is not authorized to perform: {action} on resource: {topic.arn}")


def _document(text: str | None) -> Any:
    if not text:
        return None
    try:
        return parse_policy(text, kind="resource")
    except PolicyError:  # e.g. every statement removed: the policy grants nothing
        return None


def add_permission(policy_text: str, topic_arn: str, label: str, accounts: list[str], actions: list[str]) -> str:
    """The policy with a statement ``label`` allowing ``accounts`` to perform ``actions``."""
    policy = json.loads(policy_text)
    statements = policy.get("Statement", [])
    statements = policy["Statement"] = [statements] if isinstance(statements, dict) else list(statements)
    if any(s.get("Sid") == label for s in statements):
        raise invalid_parameter("Invalid parameter: Statement already exists")
    for action in actions:
        if f"SNS:{action}" not in DEFAULT_ACTIONS and action != "*":
            raise invalid_parameter("Invalid parameter: Policy statement action out of service scope!")
    principals = [f"arn:aws:iam::{a}:root" if a.isdigit() else a for a in accounts]
    statements.append({
        "Sid": label,
        "Effect": "Allow",
        "Principal": {"AWS": principals[0] if len(principals) == 1 else principals},
        "Action": [f"SNS:{a}" for a in actions] if len(actions) > 1 else f"SNS:{actions[0]}",
        "Resource": topic_arn,
    })
    return json.dumps(policy, separators=(",", ":"))


def remove_permission(policy_text: str, label: str) -> str:
    """The policy without statement ``label`` (InvalidParameter when no statement has that label)."""
    policy = json.loads(policy_text)
    statements = policy.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    kept = [s for s in statements if s.get("Sid") != label]
    if len(kept) == len(statements):
        raise invalid_parameter("Invalid parameter: Statement with label " + label + " does not exist")
    policy["Statement"] = kept
    return json.dumps(policy, separators=(",", ":"))
