"""AWS Organizations: one organization per management account, global across regions and visible to
every account's calls.

Organization lifecycle, roots and the SCP view authorization reads (:meth:`scp_levels`) are here;
the operation families are mixins: ``accounts`` (CreateAccount and member accounts), ``units``
(OUs and the tree), ``policies`` (policy types, policies, attachments) and ``tagging``. Records
live in ``models.py`` behind ``store.OrgStore``.
"""

from __future__ import annotations

from typing import Any

from pycloud.context import RequestContext
from pycloud.iam.policy import NamedPolicy, parse_policy
from pycloud.services.organizations import errors, ids
from pycloud.services.organizations.accounts import AccountOperations
from pycloud.services.organizations.common import Levels
from pycloud.services.organizations.managed import SCP
from pycloud.services.organizations.models import Member, Organization
from pycloud.services.organizations.policies import PolicyOperations
from pycloud.services.organizations.tagging import TagOperations
from pycloud.services.organizations.units import UnitOperations

_UNCACHED = object()


def management_email(account_id: str) -> str:
    """The email pycloud reports for a management account (accounts carry none of their own)."""
    return f"root+{account_id}@pycloud.local"


class OrganizationsProvider(AccountOperations, UnitOperations, PolicyOperations, TagOperations):
    """AWS Organizations."""

    service = "organizations"

    def reset(self) -> None:
        self._forget_created_accounts()
        self.store.clear()
        self._changed()

    # -- the organization --------------------------------------------------------------------------

    def _organization_shape(self, org: Organization) -> dict[str, Any]:
        return {
            "Id": org.id,
            "Arn": org.arn,
            "FeatureSet": org.feature_set,
            "MasterAccountArn": org.account_arn(org.master_account_id),
            "MasterAccountId": org.master_account_id,
            "MasterAccountEmail": org.master_email,
            "AvailablePolicyTypes": [{"Type": SCP, "Status": "ENABLED"}] if org.feature_set == "ALL" else [],
        }

    def create_organization(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """The caller's account becomes the management account of a new organization."""
        account_id = ctx.account_id
        if self.store.organization_of(account_id) is not None:
            raise errors.already_in_organization()
        org_id = ids.organization_id()
        while self.store.organization(org_id) is not None:
            org_id = ids.organization_id()
        now = ctx.now.timestamp()
        email = management_email(account_id)
        org = Organization(org_id, account_id, email, params.get("FeatureSet") or "ALL", ids.root_id(), now)
        known = self.runtime.credentials.accounts.get(account_id)
        name = known.name if known is not None and known.name else account_id
        self.store.put_organization(org)
        self.store.put_member(org, Member(account_id, name, email, org.root_id, "INVITED", now))
        self._changed()
        return {"Organization": self._organization_shape(org)}

    def describe_organization(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Any member account may describe its organization."""
        return {"Organization": self._organization_shape(self._member_org(ctx))}

    def delete_organization(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Only an organization left with its management account alone can be deleted."""
        org = self._managed_org(ctx)
        if any(member.id != org.master_account_id for member in self.store.members(org)):
            raise errors.organization_not_empty()
        self.store.drop_organization(org)
        self._changed()
        return {}

    def list_roots(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        org = self._managed_org(ctx)
        page, more = self._page(params, [org], lambda o: o.root_id, "ListRoots")
        return {"Roots": [self._root_shape(o) for o in page], **more}

    # -- what authorization reads ------------------------------------------------------------------

    def scp_levels(self, account_id: str) -> Levels | None:
        """SCPs binding ``account_id``: one tuple per level from the root through its OUs down to
        the account, each the SCPs attached there (named by policy ARN, documents compiled).
        None when the account is in no organization, manages it, or SCPs are not enabled.
        Remembered until the next change to the organization (runs on every member request)."""
        cached = self._scp_cache.get(account_id, _UNCACHED)
        if cached is _UNCACHED:
            cached = self._scp_cache[account_id] = self._compute_levels(account_id)
        return cached  # type: ignore[return-value]

    def organization_id(self, account_id: str) -> str:
        """The id of the organization ``account_id`` belongs to ('' when none): ``aws:PrincipalOrgID``."""
        org = self.store.organization_of(account_id)
        return org.id if org is not None else ""

    def _compute_levels(self, account_id: str) -> Levels | None:
        org = self.store.organization_of(account_id)
        if org is None or org.master_account_id == account_id or SCP not in org.policy_types:
            return None
        member = self.store.member(org, account_id)
        if member is None:
            return None
        levels = []
        for target in [*self.store.lineage(org, member.parent_id), account_id]:
            level = []
            for policy_id in self.store.attached(org, target, SCP):
                policy = self.store.policy(org, policy_id)
                if policy is not None:
                    level.append(NamedPolicy(self._policy_arn(org, policy), parse_policy(policy.content)))
            levels.append(tuple(level))
        return tuple(levels)
