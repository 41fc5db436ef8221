"""Organization policies: policy types on the root, customer policies, attachments and the
lookups between policies and targets."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from pycloud.context import RequestContext
from pycloud.iam.policy import PolicyError, parse_policy
from pycloud.services.organizations import errors, ids
from pycloud.services.organizations.common import OrganizationsBase
from pycloud.services.organizations.managed import (
    DEFAULT_ATTACHMENT,
    DEFAULT_MAX_CONTENT,
    JSON_POLICY_TYPES,
    MANAGED,
    MAX_CONTENT,
    MIN_ONE_ATTACHED,
    SCP,
    ManagedPolicy,
)
from pycloud.services.organizations.models import ROOT_NAME, Organization, Policy
from pycloud.services.organizations.store import target_kind

MAX_POLICIES = 1000
MAX_ATTACHED_PER_TYPE = 5
_POLICY_KIND = {SCP: "scp", "RESOURCE_CONTROL_POLICY": "rcp"}


def check_content(policy_type: str, content: str) -> None:
    """Refuse content that is too long or not a valid document of ``policy_type``."""
    limit = MAX_CONTENT.get(policy_type, DEFAULT_MAX_CONTENT)
    if len(content) > limit:
        raise errors.constraint(
            "POLICY_CONTENT_LIMIT_EXCEEDED", f"The policy content exceeds the maximum of {limit} characters."
        )
    if policy_type in JSON_POLICY_TYPES:
        try:
            parse_policy(content, kind=_POLICY_KIND[policy_type])
        except PolicyError as exc:
            raise errors.malformed_policy(exc.message) from None
        return
    try:  # other types (tag, backup... policies) are JSON documents pycloud stores without enforcing
        if not isinstance(json.loads(content), dict):
            raise ValueError
    except ValueError:
        raise errors.malformed_policy("The policy is not a JSON object.") from None


class PolicyOperations(OrganizationsBase):
    """Policy types, policies and their attachments."""

    # -- policy types on the root ------------------------------------------------------------------

    def _root(self, org: Organization, root_id: str) -> None:
        if root_id != org.root_id:
            raise errors.root_not_found()

    def enable_policy_type(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Enable a policy type; its default managed policy (FullAWSAccess for SCPs) is attached to
        the root, every OU and every account."""
        org = self._managed_org(ctx)
        self._root(org, params["RootId"])
        policy_type = params["PolicyType"]
        if org.feature_set != "ALL":
            raise errors.policy_type_not_available()
        if policy_type in org.policy_types:
            raise errors.policy_type_already_enabled()
        default = DEFAULT_ATTACHMENT.get(policy_type)
        if default is not None:
            for target in self.store.all_targets(org):
                self.store.attach(org, default.id, target)
        org = self.store.replace_organization(org, policy_types=[*org.policy_types, policy_type])
        self._changed()
        return {"Root": self._root_shape(org)}

    def disable_policy_type(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Disable a policy type: every policy of the type is detached from every target."""
        org = self._managed_org(ctx)
        self._root(org, params["RootId"])
        policy_type = params["PolicyType"]
        if policy_type not in org.policy_types:
            raise errors.policy_type_not_enabled()
        for target in self.store.all_targets(org):
            for policy_id in self.store.attached(org, target, policy_type):
                self.store.detach(org, policy_id, target)
        org = self.store.replace_organization(org, policy_types=[t for t in org.policy_types if t != policy_type])
        self._changed()
        return {"Root": self._root_shape(org)}

    # -- policies ----------------------------------------------------------------------------------

    def _policy(self, org: Organization, policy_id: str) -> Policy | ManagedPolicy:
        policy = self.store.policy(org, policy_id)
        if policy is None:
            raise errors.policy_not_found()
        return policy

    def _customer_policy(self, org: Organization, policy_id: str) -> Policy:
        policy = self._policy(org, policy_id)
        if isinstance(policy, ManagedPolicy):
            raise errors.immutable_policy()
        return policy

    def _check_policy_name(self, org: Organization, policy_type: str, name: str) -> None:
        taken = any(p.name == name and p.type == policy_type for p in self.store.policies(org))
        if taken or any(p.name == name and p.type == policy_type for p in MANAGED.values()):
            raise errors.duplicate_policy()

    def _policy_shape(self, org: Organization, policy: Policy | ManagedPolicy) -> dict[str, Any]:
        return {"PolicySummary": self._policy_summary(org, policy), "Content": policy.content}

    def create_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        org = self._managed_org(ctx)
        policy_type, name, content = params["Type"], params["Name"], params["Content"]
        if org.feature_set != "ALL":
            raise errors.policy_type_not_available()
        check_content(policy_type, content)
        self._check_policy_name(org, policy_type, name)
        if sum(p.type == policy_type for p in self.store.policies(org)) >= MAX_POLICIES:
            raise errors.constraint(
                "POLICY_NUMBER_LIMIT_EXCEEDED", f"An organization can have at most {MAX_POLICIES} policies of a type."
            )
        tags = self._tags_in(params.get("Tags"))
        policy = Policy(ids.policy_id(), name, params["Description"], policy_type, content, tags)
        self.store.put_policy(org, policy)
        return {"Policy": self._policy_shape(org, policy)}

    def describe_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        org = self._managed_org(ctx)
        return {"Policy": self._policy_shape(org, self._policy(org, params["PolicyId"]))}

    def update_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        org = self._managed_org(ctx)
        policy = self._customer_policy(org, params["PolicyId"])
        changes: dict[str, Any] = {}
        if params.get("Name") is not None and params["Name"] != policy.name:
            self._check_policy_name(org, policy.type, params["Name"])
            changes["name"] = params["Name"]
        if params.get("Description") is not None:
            changes["description"] = params["Description"]
        if params.get("Content") is not None:
            check_content(policy.type, params["Content"])
            changes["content"] = params["Content"]
        if changes:
            policy = dataclasses.replace(policy, **changes)
            self.store.put_policy(org, policy)
            if "content" in changes:
                self._changed()
        return {"Policy": self._policy_shape(org, policy)}

    def delete_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        org = self._managed_org(ctx)
        policy = self._customer_policy(org, params["PolicyId"])
        if self.store.targets_of(org, policy.id):
            raise errors.policy_in_use()
        self.store.drop_policy(org, policy.id)
        return {}

    def list_policies(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        org = self._managed_org(ctx)
        wanted = params["Filter"]
        found: list[Policy | ManagedPolicy] = [p for p in MANAGED.values() if p.type == wanted]
        found += [p for p in self.store.policies(org) if p.type == wanted]
        page, more = self._page(params, found, lambda p: p.id, f"ListPolicies/{wanted}")
        return {"Policies": [self._policy_summary(org, p) for p in page], **more}

    # -- attachments -------------------------------------------------------------------------------

    def _target(self, org: Organization, target_id: str) -> None:
        if not self.store.target_exists(org, target_id):
            raise errors.target_not_found()

    def attach_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        org = self._managed_org(ctx)
        policy = self._policy(org, params["PolicyId"])
        target_id = params["TargetId"]
        self._target(org, target_id)
        if policy.type not in org.policy_types:
            raise errors.policy_type_not_enabled()
        attached = self.store.attached(org, target_id, policy.type)
        if policy.id in attached:
            raise errors.duplicate_attachment()
        if len(attached) >= MAX_ATTACHED_PER_TYPE:
            raise errors.constraint(
                "MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED",
                f"A target can have at most {MAX_ATTACHED_PER_TYPE} policies of a type attached.",
            )
        self.store.attach(org, policy.id, target_id)
        self._changed()
        return {}

    def detach_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        org = self._managed_org(ctx)
        policy = self._policy(org, params["PolicyId"])
        target_id = params["TargetId"]
        self._target(org, target_id)
        attached = self.store.attached(org, target_id, policy.type)
        if policy.id not in attached:
            raise errors.policy_not_attached()
        if policy.type in MIN_ONE_ATTACHED and len(attached) == 1:
            raise errors.constraint(
                "MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED",
                "You can't detach the last service control policy from a target: attach another one first.",
            )
        self.store.detach(org, policy.id, target_id)
        self._changed()
        return {}

    def list_policies_for_target(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        org = self._managed_org(ctx)
        target_id, wanted = params["TargetId"], params["Filter"]
        self._target(org, target_id)
        found = [self._policy(org, pid) for pid in self.store.attached(org, target_id, wanted)]
        page, more = self._page(params, found, lambda p: p.id, f"ListPoliciesForTarget/{target_id}/{wanted}")
        return {"Policies": [self._policy_summary(org, p) for p in page], **more}

    def list_targets_for_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        org = self._managed_org(ctx)
        policy = self._policy(org, params["PolicyId"])
        targets = self.store.targets_of(org, policy.id)
        page, more = self._page(params, targets, lambda t: t, f"ListTargetsForPolicy/{policy.id}")
        return {"Targets": [self._target_summary(org, t) for t in page], **more}

    def _target_summary(self, org: Organization, target_id: str) -> dict[str, Any]:
        kind = target_kind(target_id)
        if kind == "ROOT":
            arn, name = org.root_arn, ROOT_NAME
        elif kind == "ORGANIZATIONAL_UNIT":
            unit = self.store.unit(org, target_id)
            arn, name = org.ou_arn(target_id), unit.name if unit is not None else target_id
        else:
            member = self.store.member(org, target_id)
            arn, name = org.account_arn(target_id), member.name if member is not None else target_id
        return {"TargetId": target_id, "Arn": arn, "Name": name, "Type": kind}
