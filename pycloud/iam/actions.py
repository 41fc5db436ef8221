"""Operation → IAM action and resource ARN(s): the mechanism behind each service's table.

Each service keeps its mapping in one table, ``pycloud/services/<svc>/actions.py`` → ``TABLE``
(an :class:`ActionTable`). A service without a table maps ``Operation`` to ``<prefix>:Operation``
on resource ``*``, which is what AWS does for the many actions that support no resource type.

``provider_decides`` marks operations on resources that carry resource-based policies (S3 buckets,
SQS queues, SNS topics, role trust policies): the gateway leaves them to the provider, which calls
the same :class:`pycloud.iam.enforce.Authorizer` with the resource's policy.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pycloud.context import RequestContext

ResourceFn = Callable[["RequestContext", dict[str, Any]], Sequence[str]]


@dataclass(frozen=True)
class ActionRule:
    """How one operation is authorized: its action, its resource ARNs, who decides."""

    action: str
    resources: ResourceFn | None = None
    provider_decides: bool = False

    def resolve(self, ctx: RequestContext, params: dict[str, Any]) -> Sequence[str]:
        """The resource ARNs this request acts on (``*`` when the action has no resource type)."""
        if self.resources is None:
            return ("*",)
        found = self.resources(ctx, params)
        return found or ("*",)


@dataclass
class ActionTable:
    """One service's operations → rules; unlisted operations take ``prefix:Operation`` on
    ``default_resources`` (``*`` when None)."""

    prefix: str
    rules: dict[str, ActionRule] = field(default_factory=dict)
    default_resources: ResourceFn | None = None
    provider_decides: frozenset[str] = frozenset()
    """Operations whose provider authorizes them against a resource policy."""
    unauthenticated: frozenset[str] = frozenset()
    """Operations AWS answers without any permission check (sts:GetCallerIdentity)."""
    resource_context: Callable[[RequestContext, dict[str, Any]], dict[str, Any] | None] | None = None
    """Condition keys of the resource a request acts on (``aws:ResourceTag/...``), if any."""
    _cache: dict[str, ActionRule] = field(default_factory=dict, repr=False)

    def rule(self, operation: str) -> ActionRule:
        """The rule of ``operation`` (built once)."""
        rule = self._cache.get(operation)
        if rule is None:
            rule = self.rules.get(operation)
            if rule is None:
                rule = ActionRule(f"{self.prefix}:{operation}", self.default_resources)
            if operation in self.provider_decides and not rule.provider_decides:
                rule = ActionRule(rule.action, rule.resources, True)
            self._cache[operation] = rule
        return rule


_PREFIXES = {"cloudwatch": "cloudwatch", "lambda": "lambda"}
_TABLES: dict[str, ActionTable] = {}


def table(service: str) -> ActionTable:
    """The action table of ``service`` (its ``actions.TABLE``, or the default mapping)."""
    found = _TABLES.get(service)
    if found is None:
        package = "awslambda" if service == "lambda" else service
        try:
            module = importlib.import_module(f"pycloud.services.{package}.actions")
            found = module.TABLE
        except ModuleNotFoundError:
            found = ActionTable(_PREFIXES.get(service, service))
        _TABLES[service] = found
    return found


def arn(service: str, ctx: RequestContext, resource: str, *, region: bool = True, account: str | None = None) -> str:
    """``arn:aws:<service>:<region>:<account>:<resource>`` for the request's region and account."""
    return f"arn:aws:{service}:{ctx.region if region else ''}:{account or ctx.account_id}:{resource}"
