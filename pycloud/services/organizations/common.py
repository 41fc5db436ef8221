"""What every Organizations operation family shares: the store, who may call, output shapes,
tags, pagination and the change hook that keeps authorization's caches honest."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from pycloud.context import RequestContext
from pycloud.iam.policy import NamedPolicy
from pycloud.services.base import Provider, ServiceRuntime
from pycloud.services.organizations import errors
from pycloud.services.organizations.managed import ManagedPolicy
from pycloud.services.organizations.models import ROOT_NAME, Member, Organization, Policy, Unit
from pycloud.services.organizations.store import OrgStore
from pycloud.services.pagination import decode_token, next_token, paginate

T = TypeVar("T")
Levels = tuple[tuple[NamedPolicy, ...], ...]

DEFAULT_PAGE_SIZE = 20
MAX_TAGS = 50


class OrganizationsBase(Provider):
    """State and helpers of the Organizations provider; the operation families derive from it."""

    service = "organizations"

    def __init__(self, runtime: ServiceRuntime) -> None:
        super().__init__(runtime)
        self.store = OrgStore(runtime.state, self.service)
        self._scp_cache: dict[str, Levels | None] = {}

    def _changed(self) -> None:
        """Policies, attachments, the tree, membership or policy types changed: drop what
        authorization derived from them."""
        self._scp_cache.clear()
        if self.runtime.policies is not None:
            self.runtime.policies.bump()

    # -- who may call ------------------------------------------------------------------------------

    def _member_org(self, ctx: RequestContext) -> Organization:
        """The caller's organization (AWSOrganizationsNotInUseException when it has none)."""
        org = self.store.organization_of(ctx.account_id)
        if org is None:
            raise errors.not_in_use()
        return org

    def _managed_org(self, ctx: RequestContext) -> Organization:
        """The caller's organization, which the caller must manage (AccessDeniedException otherwise)."""
        org = self._member_org(ctx)
        if org.master_account_id != ctx.account_id:
            raise errors.access_denied()
        return org

    # -- shapes ------------------------------------------------------------------------------------

    @staticmethod
    def _root_shape(org: Organization) -> dict[str, Any]:
        return {
            "Id": org.root_id,
            "Arn": org.root_arn,
            "Name": ROOT_NAME,
            "PolicyTypes": [{"Type": kind, "Status": "ENABLED"} for kind in org.policy_types],
        }

    def _account_shape(self, org: Organization, member: Member) -> dict[str, Any]:
        return {
            "Id": member.id,
            "Arn": org.account_arn(member.id),
            "Email": member.email,
            "Name": member.name,
            "Status": "ACTIVE",
            "State": "ACTIVE",
            "JoinedMethod": member.joined_method,
            "JoinedTimestamp": member.joined,
            "Paths": [f"{self.store.path(org, member.parent_id)}{member.id}/"],
        }

    def _unit_shape(self, org: Organization, unit: Unit) -> dict[str, Any]:
        return {"Id": unit.id, "Arn": org.ou_arn(unit.id), "Name": unit.name, "Path": self.store.path(org, unit.id)}

    @staticmethod
    def _policy_arn(org: Organization, policy: Policy | ManagedPolicy) -> str:
        return policy.arn if isinstance(policy, ManagedPolicy) else org.policy_arn(policy.type, policy.id)

    def _policy_summary(self, org: Organization, policy: Policy | ManagedPolicy) -> dict[str, Any]:
        return {
            "Id": policy.id,
            "Arn": self._policy_arn(org, policy),
            "Name": policy.name,
            "Description": policy.description,
            "Type": policy.type,
            "AwsManaged": isinstance(policy, ManagedPolicy),
        }

    # -- tags and pages ----------------------------------------------------------------------------

    @staticmethod
    def _tags_in(tags: Iterable[dict[str, str]] | None, existing: dict[str, str] | None = None) -> dict[str, str]:
        """``existing`` with ``tags`` (the request's Key/Value list) applied, checked as AWS does."""
        merged = dict(existing or {})
        seen: set[str] = set()
        for tag in tags or ():
            key = tag["Key"]
            if key in seen:
                raise errors.invalid_input("DUPLICATE_TAG_KEY", f"Duplicate tag key {key!r} in the request.")
            if key.lower().startswith("aws:"):
                raise errors.invalid_input(
                    "INVALID_SYSTEM_TAGS_PARAMETER", "Tag keys starting with 'aws:' are reserved for AWS use."
                )
            seen.add(key)
            merged[key] = tag.get("Value", "")
        if len(merged) > MAX_TAGS:
            raise errors.constraint("MAX_TAG_LIMIT_EXCEEDED", f"A resource can have at most {MAX_TAGS} tags.")
        return merged

    @staticmethod
    def _tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
        return [{"Key": key, "Value": value} for key, value in sorted(tags.items())]

    @staticmethod
    def _page(
        params: dict[str, Any], items: Iterable[T], key: Callable[[T], str], scope: str
    ) -> tuple[list[T], dict[str, str]]:
        """One page of ``items`` sorted by ``key``, and ``{"NextToken": ...}`` when more follow."""
        token = params.get("NextToken")
        after = decode_token(token, scope, errors.bad_token) if token else None
        page = paginate(items, key, after, params.get("MaxResults") or DEFAULT_PAGE_SIZE)
        following = next_token(page, scope)
        return page.items, ({"NextToken": following} if following else {})
