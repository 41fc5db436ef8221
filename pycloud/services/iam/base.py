"""What every IAM family mixin shares: the record tables, entity lookups and change notification."""

from __future__ import annotations

import threading
from typing import Any

from pycloud.context import RequestContext
from pycloud.iam.arn import try_parse_arn
from pycloud.services.base import Provider, ServiceRuntime
from pycloud.services.iam import errors
from pycloud.services.iam.aws_managed import aws_policy
from pycloud.services.iam.models import AccountSettings, Group, ManagedPolicy, Role, Tables, User

G = ""
"""IAM is global: every record lives in the account's region-less scope."""


class IamBase(Provider):
    """Tables, lookups and the generation counter every family mixin uses."""

    service = "iam"

    def __init__(self, runtime: ServiceRuntime) -> None:
        super().__init__(runtime)
        self.tables = Tables(runtime.state, self.service)
        self.generation = 0
        self._lock = threading.RLock()

    def reset(self) -> None:
        for table in self.tables.all():
            table.clear()
        self._changed()

    def _changed(self) -> None:
        """Something authorization reads changed: forget cached identity views and decisions."""
        self.generation += 1
        if self.runtime.policies is not None:
            self.runtime.policies.bump()

    def _now(self, ctx: RequestContext | None = None) -> float:
        return (ctx.now if ctx is not None else self.runtime.clock.now()).timestamp()

    # -- lookups ---------------------------------------------------------------------------------

    def _user(self, account: str, name: str) -> User:
        user = self.tables.users.get(account, G, name.lower())
        if user is None:
            raise errors.no_such_entity(f"The user with name {name} cannot be found.")
        return user

    def _group(self, account: str, name: str) -> Group:
        group = self.tables.groups.get(account, G, name.lower())
        if group is None:
            raise errors.no_such_entity(f"The group with name {name} cannot be found.")
        return group

    def _role(self, account: str, name: str) -> Role:
        role = self.tables.roles.get(account, G, name.lower())
        if role is None:
            raise errors.no_such_entity(f"The role with name {name} cannot be found.")
        return role

    def _settings(self, account: str) -> AccountSettings:
        return self.tables.settings.get(account, G, "settings") or AccountSettings()

    def _put_settings(self, account: str, settings: AccountSettings) -> None:
        self.tables.settings.put(account, G, "settings", settings)

    def _customer_policy(self, account: str, arn: str) -> ManagedPolicy | None:
        """The account's own managed policy at ``arn`` (any account in the ARN but ``aws``)."""
        parsed = try_parse_arn(arn)
        if parsed is None or parsed.service != "iam" or not parsed.resource.startswith("policy/"):
            return None
        if parsed.account != account:
            return None
        name = parsed.resource.rsplit("/", 1)[-1]
        policy = self.tables.policies.get(account, G, name.lower())
        return policy if policy is not None and policy.arn == arn else None

    def _policy_or_404(self, account: str, arn: str) -> Any:
        """The managed policy (AWS's ``AwsPolicy`` or the account's ``ManagedPolicy``) at ``arn``."""
        if try_parse_arn(arn) is None:
            raise errors.invalid_input(f"ARN {arn} is not valid.")
        found = aws_policy(arn) or self._customer_policy(account, arn)
        if found is None:
            raise errors.no_such_entity(f"Policy {arn} does not exist or is not attachable.")
        return found

    def _policy_document(self, account: str, arn: str) -> str | None:
        found = aws_policy(arn) or self._customer_policy(account, arn)
        return found.document if found is not None else None
