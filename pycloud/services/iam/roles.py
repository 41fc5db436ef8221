"""IAM roles, service-linked roles and instance profiles."""

from __future__ import annotations

import json
import uuid
from typing import Any

from pycloud.context import RequestContext
from pycloud.services.iam import errors
from pycloud.services.iam.base import G, IamBase
from pycloud.services.iam.common import (
    TRUST_POLICY_SIZE,
    check_path,
    check_policy,
    new_id,
    page,
    policy_size,
    tag_dict,
    tag_list,
    url_encoded,
)
from pycloud.services.iam.models import InstanceProfile, Role
from pycloud.services.iam.users import boundary_shape

MAX_ROLES_PER_PROFILE = 1
_SERVICE_ROLE_NAMES = {
    "autoscaling": "AutoScaling", "elasticloadbalancing": "ElasticLoadBalancing", "ecs": "ECS", "eks": "AmazonEKS",
    "rds": "RDS", "organizations": "Organizations", "dynamodb": "DynamoDB", "lambda": "Lambda",
    "elasticbeanstalk": "ElasticBeanstalk", "cloudtrail": "CloudTrail", "config": "Config", "sso": "SSO",
    "spot": "EC2Spot", "spotfleet": "EC2SpotFleet", "ec2scheduled": "EC2Scheduled", "events": "CloudWatchEvents",
    "guardduty": "AmazonGuardDuty", "support": "Support", "trustedadvisor": "TrustedAdvisor",
}


def role_shape(role: Role, full: bool = True) -> dict[str, Any]:
    """The ``Role`` structure; ``full`` adds boundary, tags and last use (GetRole/CreateRole)."""
    out: dict[str, Any] = {
        "Path": role.path, "RoleName": role.name, "RoleId": role.role_id, "Arn": role.arn,
        "CreateDate": role.created, "AssumeRolePolicyDocument": url_encoded(role.assume_role_policy_document),
        "MaxSessionDuration": role.max_session_duration,
    }
    if role.description:
        out["Description"] = role.description
    if full:
        if role.boundary:
            out["PermissionsBoundary"] = boundary_shape(role.boundary)
        if role.tags:
            out["Tags"] = tag_list(role.tags)
        last: dict[str, Any] = {}
        if role.last_used is not None:
            last = {"LastUsedDate": role.last_used, "Region": role.last_used_region}
        out["RoleLastUsed"] = last
    return out


def profile_shape(profile: InstanceProfile, roles: list[Role]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "Path": profile.path, "InstanceProfileName": profile.name, "InstanceProfileId": profile.profile_id,
        "Arn": profile.arn, "CreateDate": profile.created, "Roles": [role_shape(r, full=False) for r in roles],
    }
    if profile.tags:
        out["Tags"] = tag_list(profile.tags)
    return out


def check_trust_policy(document: str) -> None:
    """A role's trust policy: valid as one, and at most 2,048 characters."""
    check_policy(document, "trust")
    if policy_size(document) > TRUST_POLICY_SIZE:
        raise errors.limit_exceeded(f"Cannot exceed quota for ACLSizePerRole: {TRUST_POLICY_SIZE}")


class RoleOperations(IamBase):
    """Roles, service-linked roles and instance profiles."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deletion_tasks: dict[str, str] = {}

    def _new_role(
        self, account: str, name: str, path: str, trust: str, now: float, *, description: str = "",
        max_session: int = 3600, tags: dict[str, str] | None = None, boundary: str = "",
    ) -> Role:
        with self._lock:
            if self.tables.roles.get(account, G, name.lower()) is not None:
                raise errors.already_exists(f"Role with name {name} already exists.")
            role = Role(name, new_id("AROA"), path, now, account, trust, description, max_session,
                        tags=tags or {}, boundary=boundary)
            self.tables.roles.put(account, G, name.lower(), role)
        return role

    def create_role(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        account = ctx.account_id
        path = check_path(params.get("Path"))
        trust = params["AssumeRolePolicyDocument"]
        check_trust_policy(trust)
        tags = tag_dict(params.get("Tags"))
        boundary = params.get("PermissionsBoundary") or ""
        if boundary:
            self._policy_or_404(account, boundary)
        role = self._new_role(account, params["RoleName"], path, trust, self._now(ctx),
                              description=params.get("Description") or "",
                              max_session=params.get("MaxSessionDuration") or 3600, tags=tags, boundary=boundary)
        return {"Role": role_shape(role)}

    def get_role(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return {"Role": role_shape(self._role(ctx.account_id, params["RoleName"]))}

    def list_roles(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        prefix = params.get("PathPrefix") or "/"
        roles = [r for r in self.tables.roles.values(ctx.account_id, G) if r.path.startswith(prefix)]
        chosen, extra = page(roles, lambda r: r.name.lower(), params, "iam.ListRoles")
        return {"Roles": [role_shape(r, full=False) for r in chosen], **extra}

    def _modifiable_role(self, account: str, name: str) -> Role:
        role = self._role(account, name)
        if role.service_linked:
            raise errors.unmodifiable(f"Cannot perform the operation on the protected role '{role.name}' - "
                                      "this role is only modifiable by AWS")
        return role

    def update_role(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            role = self._modifiable_role(ctx.account_id, params["RoleName"])
            if params.get("Description") is not None:
                role.description = params["Description"]
            if params.get("MaxSessionDuration") is not None:
                role.max_session_duration = params["MaxSessionDuration"]
            self.tables.roles.put(ctx.account_id, G, role.name.lower(), role)
        return {}

    def update_role_description(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            role = self._modifiable_role(ctx.account_id, params["RoleName"])
            role.description = params["Description"]
            self.tables.roles.put(ctx.account_id, G, role.name.lower(), role)
        return {"Role": role_shape(role)}

    def update_assume_role_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        document = params["PolicyDocument"]
        with self._lock:
            role = self._modifiable_role(ctx.account_id, params["RoleName"])
            check_trust_policy(document)
            role.assume_role_policy_document = document
            self.tables.roles.put(ctx.account_id, G, role.name.lower(), role)
        self._changed()
        return {}

    def _delete_role(self, account: str, role: Role) -> None:
        if role.inline or role.attached:
            raise errors.delete_conflict("Cannot delete entity, must detach all policies first.")
        key = role.name.lower()
        if any(key in p.roles for p in self.tables.profiles.values(account, G)):
            raise errors.delete_conflict("Cannot delete entity, must remove roles from instance profile first.")
        self.tables.roles.delete(account, G, key)

    def delete_role(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            role = self._modifiable_role(ctx.account_id, params["RoleName"])
            self._delete_role(ctx.account_id, role)
        self._changed()
        return {}

    # -- service-linked roles ----------------------------------------------------------------------

    def create_service_linked_role(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        service = params["AWSServiceName"]
        label = service.split(".", 1)[0]
        if not service.endswith(".amazonaws.com") or not label:
            raise errors.invalid_input(f"Invalid service name {service}: it must be a service principal "
                                       "such as elasticbeanstalk.amazonaws.com.")
        name = "AWSServiceRoleFor" + _SERVICE_ROLE_NAMES.get(label, label[:1].upper() + label[1:])
        if params.get("CustomSuffix"):
            name += "_" + params["CustomSuffix"]
        if self.tables.roles.get(ctx.account_id, G, name.lower()) is not None:
            raise errors.invalid_input(f"Service role name {name} has been taken in this account, "
                                       "please try a different suffix.")
        trust = json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]})
        role = self._new_role(ctx.account_id, name, f"/aws-service-role/{service}/", trust, self._now(ctx),
                              description=params.get("Description") or "")
        return {"Role": role_shape(role)}

    def delete_service_linked_role(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            role = self._role(ctx.account_id, params["RoleName"])
            if not role.service_linked:
                raise errors.invalid_input(f"Role {role.name} is not a service-linked role.")
            role.inline.clear()
            role.attached.clear()
            self._delete_role(ctx.account_id, role)
        task = f"task{role.path}{role.name}/{uuid.uuid4()}"
        self._deletion_tasks[task] = "SUCCEEDED"
        self._changed()
        return {"DeletionTaskId": task}

    def get_service_linked_role_deletion_status(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        task = params["DeletionTaskId"]
        status = self._deletion_tasks.get(task)
        if status is None:
            raise errors.no_such_entity(f"Deletion task {task} does not exist.")
        return {"Status": status}

    # -- instance profiles -------------------------------------------------------------------------

    def _profile(self, account: str, name: str) -> InstanceProfile:
        profile = self.tables.profiles.get(account, G, name.lower())
        if profile is None:
            raise errors.no_such_entity(f"Instance Profile {name} cannot be found.")
        return profile

    def _profile_shape(self, account: str, profile: InstanceProfile) -> dict[str, Any]:
        roles = [r for r in (self.tables.roles.get(account, G, k) for k in profile.roles) if r is not None]
        return profile_shape(profile, roles)

    def create_instance_profile(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        account, name = ctx.account_id, params["InstanceProfileName"]
        path = check_path(params.get("Path"))
        tags = tag_dict(params.get("Tags"))
        with self._lock:
            if self.tables.profiles.get(account, G, name.lower()) is not None:
                raise errors.already_exists(f"Instance Profile {name} already exists.")
            profile = InstanceProfile(name, new_id("AIPA"), path, self._now(ctx), account, tags=tags)
            self.tables.profiles.put(account, G, name.lower(), profile)
        return {"InstanceProfile": self._profile_shape(account, profile)}

    def get_instance_profile(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        profile = self._profile(ctx.account_id, params["InstanceProfileName"])
        return {"InstanceProfile": self._profile_shape(ctx.account_id, profile)}

    def list_instance_profiles(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        prefix = params.get("PathPrefix") or "/"
        found = [p for p in self.tables.profiles.values(ctx.account_id, G) if p.path.startswith(prefix)]
        chosen, extra = page(found, lambda p: p.name.lower(), params, "iam.ListInstanceProfiles")
        return {"InstanceProfiles": [self._profile_shape(ctx.account_id, p) for p in chosen], **extra}

    def delete_instance_profile(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            profile = self._profile(ctx.account_id, params["InstanceProfileName"])
            if profile.roles:
                raise errors.delete_conflict("Cannot delete entity, must remove roles from instance profile first.")
            self.tables.profiles.delete(ctx.account_id, G, profile.name.lower())
        return {}

    def add_role_to_instance_profile(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        account = ctx.account_id
        with self._lock:
            profile = self._profile(account, params["InstanceProfileName"])
            role = self._role(account, params["RoleName"])
            if role.name.lower() in profile.roles:
                raise errors.limit_exceeded(
                    f"Cannot exceed quota for InstanceSessionsPerInstanceProfile: {MAX_ROLES_PER_PROFILE}")
            if len(profile.roles) >= MAX_ROLES_PER_PROFILE:
                raise errors.limit_exceeded(
                    f"Cannot exceed quota for InstanceSessionsPerInstanceProfile: {MAX_ROLES_PER_PROFILE}")
            profile.roles.append(role.name.lower())
            self.tables.profiles.put(account, G, profile.name.lower(), profile)
        return {}

    def remove_role_from_instance_profile(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        account = ctx.account_id
        with self._lock:
            profile = self._profile(account, params["InstanceProfileName"])
            role = self._role(account, params["RoleName"])
            if role.name.lower() not in profile.roles:
                raise errors.no_such_entity(
                    f"The role with name {role.name} cannot be found in instance profile {profile.name}.")
            profile.roles.remove(role.name.lower())
            self.tables.profiles.put(account, G, profile.name.lower(), profile)
        return {}

    def list_instance_profiles_for_role(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        role = self._role(ctx.account_id, params["RoleName"])
        found = [p for p in self.tables.profiles.values(ctx.account_id, G) if role.name.lower() in p.roles]
        chosen, extra = page(found, lambda p: p.name.lower(), params, "iam.ListInstanceProfilesForRole")
        return {"InstanceProfiles": [self._profile_shape(ctx.account_id, p) for p in chosen], **extra}
