"""Queue policies: who may perform which operation on a queue, decided by the shared policy engine.

The caller's own policies (identity-based, permissions boundary, session policies, SCPs: the
request's ``Authorizer``) meet the queue policy in the shared engine:

* the queue owner's root is allowed unless the queue policy explicitly denies; its IAM users and
  roles need an Allow from their policies or from the queue policy;
* another account's principals and anonymous callers need an Allow from the queue policy, and
  only for the actions SQS lets be shared (messages, GetQueueAttributes, GetQueueUrl, PurgeQueue,
  dead-letter listings, move tasks); "cross-account permissions don't apply" to the others;
* AWS services delivering to a queue (S3 notifications, SNS) are checked against the queue policy
  when the queue has one, with ``aws:SourceArn`` / ``aws:SourceAccount`` set. A queue without a
  policy accepts them: pycloud's S3 and SNS do not refuse such destinations at configuration time
  as AWS does, so a silent drop would only confuse.

The hot path (the owner's root, no queue policy, no SCPs) never reaches the policy engine; an IAM
user's decisions are remembered by the authorizer.
"""

from __future__ import annotations

from typing import Any

from pycloud.context import RequestContext
from pycloud.iam.enforce import resource_tag_keys
from pycloud.iam.policy import EXPLICIT_DENY, AuthRequest, NamedPolicy, Principal, evaluate, parse_policy
from pycloud.services.sqs import errors
from pycloud.services.sqs.models import Queue

# Operation → (IAM action, whether another account may be granted it).
ACTIONS: dict[str, tuple[str, bool]] = {
    "SendMessage": ("sqs:SendMessage", True),
    "SendMessageBatch": ("sqs:SendMessage", True),
    "ReceiveMessage": ("sqs:ReceiveMessage", True),
    "DeleteMessage": ("sqs:DeleteMessage", True),
    "DeleteMessageBatch": ("sqs:DeleteMessage", True),
    "ChangeMessageVisibility": ("sqs:ChangeMessageVisibility", True),
    "ChangeMessageVisibilityBatch": ("sqs:ChangeMessageVisibility", True),
    "GetQueueAttributes": ("sqs:GetQueueAttributes", True),
    "GetQueueUrl": ("sqs:GetQueueUrl", True),
    "PurgeQueue": ("sqs:PurgeQueue", True),
    "ListDeadLetterSourceQueues": ("sqs:ListDeadLetterSourceQueues", True),
    "StartMessageMoveTask": ("sqs:StartMessageMoveTask", True),
    "CancelMessageMoveTask": ("sqs:CancelMessageMoveTask", True),
    "ListMessageMoveTasks": ("sqs:ListMessageMoveTasks", True),
    "DeleteQueue": ("sqs:DeleteQueue", False),
    "SetQueueAttributes": ("sqs:SetQueueAttributes", False),
    "TagQueue": ("sqs:TagQueue", False),
    "UntagQueue": ("sqs:UntagQueue", False),
    "ListQueueTags": ("sqs:ListQueueTags", False),
    "AddPermission": ("sqs:AddPermission", False),
    "RemovePermission": ("sqs:RemovePermission", False),
    "CreateQueue": ("sqs:CreateQueue", False),
}

# Actions AddPermission may grant (the batch forms come with their single forms).
GRANTABLE = frozenset(
    {
        "*",
        "SendMessage",
        "ReceiveMessage",
        "DeleteMessage",
        "ChangeMessageVisibility",
        "GetQueueAttributes",
        "GetQueueUrl",
        "PurgeQueue",
        "ListDeadLetterSourceQueues",
        "StartMessageMoveTask",
        "CancelMessageMoveTask",
        "ListMessageMoveTasks",
        "SendMessageBatch",
        "DeleteMessageBatch",
        "ChangeMessageVisibilityBatch",
    }
)

_ALLOW_ALL = parse_policy('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}')


def _context_keys(ctx: RequestContext) -> dict[str, Any]:
    keys: dict[str, Any] = {"aws:SecureTransport": False}
    if ctx.source_ip:
        keys["aws:SourceIp"] = ctx.source_ip
    return keys


def is_insider(ctx: RequestContext, queue: Queue) -> bool:
    """Whether the caller is a signed principal of the queue's own account."""
    caller = ctx.principal
    return caller.kind != "anonymous" and caller.account_id == queue.account_id


def authorize(queue: Queue, ctx: RequestContext, operation: str | None = None) -> None:
    """Raise ``AccessDenied`` unless the caller may perform ``operation`` (default: the request's) on ``queue``."""
    operation = operation or ctx.operation
    insider = is_insider(ctx, queue)
    policy = queue.policy
    authorizer = ctx.authorizer
    if insider and not policy and (authorizer is None or authorizer.unbound(ctx.principal)):
        return  # the hot path: the owner's root (or no IAM), nothing that could deny
    action, shareable = ACTIONS.get(operation, (f"sqs:{operation}", False))
    if authorizer is not None:
        # The caller's own policies (identity, boundary, session, SCPs) meet the queue policy.
        policies = [NamedPolicy(queue.arn, policy)] if policy else None
        decision = authorizer.decide(ctx, action, queue.arn, resource_policies=policies,
                                     resource_account=queue.account_id, context=resource_tag_keys(queue.tags))
        if decision.allowed and (insider or shareable):
            return
        if ctx.principal.kind != "anonymous" and (insider or shareable):
            raise errors.sqs_error("AccessDeniedException", decision.message(ctx.principal.arn, action.lower(), queue.arn))
        raise errors.access_denied(ctx.principal.arn, action, queue.arn)
    if policy:
        caller = ctx.principal
        principal = Principal.of_caller(caller.kind, caller.account_id, caller.arn, caller.user_id)
        identity = _ALLOW_ALL if principal.kind != "anonymous" else None
        request = AuthRequest(principal, action, queue.arn, _context_keys(ctx), resource_account=queue.account_id,
                              now=ctx.now)
        decision = evaluate(request, identity=identity, resource=NamedPolicy(queue.arn, policy))
        if decision.outcome != EXPLICIT_DENY and (insider or (shareable and decision.allowed)):
            return
    raise errors.access_denied(ctx.principal.arn, action, queue.arn)


def service_may_send(queue: Queue, service: str, source_arn: str, source_account: str | None, now: Any) -> bool:
    """Whether an AWS service (``s3.amazonaws.com``, ``sns.amazonaws.com``) may deliver to ``queue``
    on behalf of ``source_arn``: the queue policy decides when there is one."""
    policy = queue.policy
    if not policy:
        return True
    keys: dict[str, Any] = {"aws:SourceArn": source_arn}
    if source_account:
        keys["aws:SourceAccount"] = source_account
    request = AuthRequest(Principal.aws_service(service), "sqs:SendMessage", queue.arn, keys,
                          resource_account=queue.account_id, now=now)
    return evaluate(request, resource=NamedPolicy(queue.arn, policy)).allowed
