"""Managed policies (customer and AWS managed) and their versions."""

from __future__ import annotations

from typing import Any

from pycloud.context import RequestContext
from pycloud.services.iam import errors
from pycloud.services.iam.aws_managed import CREATED, AwsPolicy, aws_policies, aws_policy
from pycloud.services.iam.base import G, IamBase
from pycloud.services.iam.common import (
    check_managed_size,
    check_path,
    check_policy,
    new_id,
    page,
    tag_dict,
    tag_list,
    url_encoded,
)
from pycloud.services.iam.models import ManagedPolicy

MAX_VERSIONS = 5


class PolicyOperations(IamBase):
    """Create/Get/List/Delete managed policies; their versions."""

    def _usage(self, account: str, arn: str) -> tuple[int, int]:
        """(attachment count, permissions-boundary usage count) of ``arn`` in ``account``."""
        attached = boundary = 0
        for table in (self.tables.users, self.tables.groups, self.tables.roles):
            for entity in table.values(account, G):
                attached += arn in entity.attached
                boundary += getattr(entity, "boundary", "") == arn
        return attached, boundary

    def _policy_shape(self, account: str, policy: AwsPolicy | ManagedPolicy, full: bool = True) -> dict[str, Any]:
        attached, boundary = self._usage(account, policy.arn)
        aws = isinstance(policy, AwsPolicy)
        out: dict[str, Any] = {
            "PolicyName": policy.name, "PolicyId": policy.policy_id, "Arn": policy.arn, "Path": policy.path,
            "DefaultVersionId": "v1" if aws else policy.default_version, "AttachmentCount": attached,
            "PermissionsBoundaryUsageCount": boundary, "IsAttachable": True,
            "CreateDate": CREATED if aws else policy.created, "UpdateDate": CREATED if aws else policy.updated,
        }
        if full and policy.description:
            out["Description"] = policy.description
        if full and not aws and policy.tags:
            out["Tags"] = tag_list(policy.tags)
        return out

    def _own_policy(self, account: str, arn: str) -> ManagedPolicy:
        """The account's managed policy at ``arn``; AWS managed ones cannot be changed."""
        found = self._policy_or_404(account, arn)
        if isinstance(found, AwsPolicy):
            raise errors.unmodifiable(f"Policy {arn} is an AWS managed policy and cannot be modified.")
        return found

    def create_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        account, name = ctx.account_id, params["PolicyName"]
        path = check_path(params.get("Path"))
        document = params["PolicyDocument"]
        check_policy(document)
        check_managed_size(document)
        tags = tag_dict(params.get("Tags"))
        now = self._now(ctx)
        with self._lock:
            if self.tables.policies.get(account, G, name.lower()) is not None:
                raise errors.already_exists(f"A policy called {name} already exists. Duplicate names are not allowed.")
            policy = ManagedPolicy(name, new_id("ANPA"), path, now, now, account,
                                   description=params.get("Description") or "",
                                   versions={"v1": {"document": document, "created": now}}, tags=tags)
            self.tables.policies.put(account, G, name.lower(), policy)
        return {"Policy": self._policy_shape(account, policy)}

    def get_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return {"Policy": self._policy_shape(ctx.account_id, self._policy_or_404(ctx.account_id, params["PolicyArn"]))}

    def list_policies(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        account = ctx.account_id
        scope = params.get("Scope") or "All"
        prefix = params.get("PathPrefix") or "/"
        found: list[Any] = []
        if scope in ("All", "AWS"):
            found += list(aws_policies().values())
        if scope in ("All", "Local"):
            found += self.tables.policies.values(account, G)
        shapes = [self._policy_shape(account, p, full=False) for p in found if p.path.startswith(prefix)]
        if params.get("OnlyAttached"):
            usage = params.get("PolicyUsageFilter")
            if usage == "PermissionsPolicy":
                shapes = [s for s in shapes if s["AttachmentCount"]]
            elif usage == "PermissionsBoundary":
                shapes = [s for s in shapes if s["PermissionsBoundaryUsageCount"]]
            else:
                shapes = [s for s in shapes if s["AttachmentCount"] or s["PermissionsBoundaryUsageCount"]]
        chosen, extra = page(shapes, lambda s: f"{s['PolicyName'].lower()}|{s['Arn']}", params, "iam.ListPolicies")
        return {"Policies": chosen, **extra}

    def delete_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        account = ctx.account_id
        with self._lock:
            policy = self._own_policy(account, params["PolicyArn"])
            attached, boundary = self._usage(account, policy.arn)
            if attached or boundary:
                raise errors.delete_conflict("Cannot delete a policy attached to entities.")
            if len(policy.versions) > 1:
                raise errors.delete_conflict(
                    "This policy has more than one version. Before you delete a policy, you must delete the "
                    "policy's versions. The default version is deleted with the policy.")
            self.tables.policies.delete(account, G, policy.name.lower())
        self._changed()
        return {}

    # -- versions ------------------------------------------------------------------------------------

    @staticmethod
    def _version_shape(version_id: str, version: dict[str, Any], default: str, document: bool) -> dict[str, Any]:
        out: dict[str, Any] = {"VersionId": version_id, "IsDefaultVersion": version_id == default,
                               "CreateDate": version["created"]}
        if document:
            out["Document"] = url_encoded(version["document"])
        return out

    def create_policy_version(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        account, document = ctx.account_id, params["PolicyDocument"]
        with self._lock:
            policy = self._own_policy(account, params["PolicyArn"])
            check_policy(document)
            check_managed_size(document)
            if len(policy.versions) >= MAX_VERSIONS:
                raise errors.limit_exceeded(
                    f"A managed policy can have up to {MAX_VERSIONS} versions. Before you create a new version, "
                    "you must delete an existing version.")
            now = self._now(ctx)
            version_id = f"v{policy.next_version}"
            policy.next_version += 1
            policy.versions[version_id] = {"document": document, "created": now}
            if params.get("SetAsDefault"):
                policy.default_version = version_id
            policy.updated = now
            self.tables.policies.put(account, G, policy.name.lower(), policy)
        if params.get("SetAsDefault"):
            self._changed()
        return {"PolicyVersion": self._version_shape(version_id, policy.versions[version_id],
                                                     policy.default_version, False)}

    def _version(self, account: str, arn: str, version_id: str) -> tuple[Any, dict[str, Any], str]:
        policy = self._policy_or_404(account, arn)
        if isinstance(policy, AwsPolicy):
            versions = {"v1": {"document": policy.document, "created": CREATED}}
            default = "v1"
        else:
            versions, default = policy.versions, policy.default_version
        if version_id not in versions:
            raise errors.no_such_entity(f"Policy {arn} version {version_id} does not exist or is not attachable.")
        return policy, versions[version_id], default

    def get_policy_version(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        _, version, default = self._version(ctx.account_id, params["PolicyArn"], params["VersionId"])
        return {"PolicyVersion": self._version_shape(params["VersionId"], version, default, True)}

    def list_policy_versions(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        policy = self._policy_or_404(ctx.account_id, params["PolicyArn"])
        if isinstance(policy, AwsPolicy):
            versions, default = {"v1": {"document": policy.document, "created": CREATED}}, "v1"
        else:
            versions, default = policy.versions, policy.default_version
        # Newest first, as IAM lists them.
        items = sorted(versions.items(), key=lambda kv: -int(kv[0][1:]))
        chosen, extra = page(items, lambda kv: f"{10**9 - int(kv[0][1:]):010d}", params, "iam.ListPolicyVersions")
        return {"Versions": [self._version_shape(k, v, default, False) for k, v in chosen], **extra}

    def delete_policy_version(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        account, version_id = ctx.account_id, params["VersionId"]
        with self._lock:
            policy = self._own_policy(account, params["PolicyArn"])
            self._version(account, policy.arn, version_id)
            if version_id == policy.default_version:
                raise errors.delete_conflict("Cannot delete the default version of a policy.")
            del policy.versions[version_id]
            self.tables.policies.put(account, G, policy.name.lower(), policy)
        return {}

    def set_default_policy_version(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        account, version_id = ctx.account_id, params["VersionId"]
        with self._lock:
            policy = self._own_policy(account, params["PolicyArn"])
            self._version(account, policy.arn, version_id)
            policy.default_version = version_id
            policy.updated = self._now(ctx)
            self.tables.policies.put(account, G, policy.name.lower(), policy)
        self._changed()
        return {}

    def managed_policy_document(self, account_id: str, policy_arn: str) -> str | None:
        """The default version's document of a managed policy, or None (IamDirectory)."""
        found = aws_policy(policy_arn) or self._customer_policy(account_id, policy_arn)
        return found.document if found is not None else None
