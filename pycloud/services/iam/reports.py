"""Account-wide views: aliases, GetAccountSummary, GetAccountAuthorizationDetails and the
credential report."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

from pycloud.context import RequestContext
from pycloud.iam.arn import root_arn
from pycloud.protocol.errors import ServiceError
from pycloud.services.iam import errors
from pycloud.services.iam.aws_managed import CREATED, aws_policies
from pycloud.services.iam.base import G, IamBase
from pycloud.services.iam.common import page, tag_list, url_encoded
from pycloud.services.iam.users import boundary_shape

REPORT_TTL = 4 * 3600
"""A credential report is served for four hours after it was generated."""
_QUOTAS = {
    "UsersQuota": 5000, "GroupsQuota": 300, "RolesQuota": 1000, "PoliciesQuota": 1500,
    "InstanceProfilesQuota": 1000, "ServerCertificatesQuota": 20, "GroupsPerUserQuota": 10,
    "AttachedPoliciesPerUserQuota": 10, "AttachedPoliciesPerGroupQuota": 10, "AttachedPoliciesPerRoleQuota": 10,
    "PolicySizeQuota": 6144, "PolicyVersionsInUseQuota": 10000, "VersionsPerPolicyQuota": 5,
    "UserPolicySizeQuota": 2048, "GroupPolicySizeQuota": 5120, "RolePolicySizeQuota": 10240,
    "AccessKeysPerUserQuota": 2, "SigningCertificatesPerUserQuota": 2, "AssumeRolePolicySizeQuota": 2048,
    "MFADevices": 0, "MFADevicesInUse": 0, "AccountMFAEnabled": 0, "AccountSigningCertificatesPresent": 0,
    "ServerCertificates": 0, "GlobalEndpointTokenVersion": 1,
}
_REPORT_COLUMNS = (
    "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,"
    "password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,"
    "access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,"
    "access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,"
    "cert_1_last_rotated,cert_2_active,cert_2_last_rotated"
).split(",")


def _iso(epoch: float | None) -> str:
    if epoch is None:
        return "N/A"
    return datetime.fromtimestamp(int(epoch), UTC).isoformat()


def _policies_of(holder: Any, account: str, lookup: Any) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    inline = [{"PolicyName": n, "PolicyDocument": url_encoded(d)} for n, d in holder.inline.items()]
    attached = []
    for arn in holder.attached:
        policy = lookup(account, arn)
        attached.append({"PolicyName": policy.name if policy else arn.rsplit("/", 1)[-1], "PolicyArn": arn})
    return inline, attached


class ReportOperations(IamBase):
    """Aliases, summary, authorization details, credential report."""

    # -- account aliases --------------------------------------------------------------------------

    def create_account_alias(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        alias = params["AccountAlias"]
        with self._lock:
            for account, _, _, settings in self.tables.settings:
                if alias in settings.aliases and account != ctx.account_id:
                    raise errors.already_exists(f"The account alias {alias} already exists.")
            settings = self._settings(ctx.account_id)
            settings.aliases = [alias]  # one alias per account: a new one replaces the old
            self._put_settings(ctx.account_id, settings)
        return {}

    def delete_account_alias(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        alias = params["AccountAlias"]
        with self._lock:
            settings = self._settings(ctx.account_id)
            if alias not in settings.aliases:
                raise errors.no_such_entity(f"The account alias {alias} cannot be found.")
            settings.aliases.remove(alias)
            self._put_settings(ctx.account_id, settings)
        return {}

    def list_account_aliases(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return {"AccountAliases": list(self._settings(ctx.account_id).aliases), "IsTruncated": False}

    # -- summary -------------------------------------------------------------------------------------

    def get_account_summary(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        account = ctx.account_id
        policies = self.tables.policies.values(account, G)
        summary = dict(_QUOTAS)
        summary.update({
            "Users": len(self.tables.users.values(account, G)),
            "Groups": len(self.tables.groups.values(account, G)),
            "Roles": len(self.tables.roles.values(account, G)),
            "Policies": len(policies),
            "PolicyVersionsInUse": sum(len(p.versions) for p in policies),
            "InstanceProfiles": len(self.tables.profiles.values(account, G)),
            "Providers": len(self.tables.oidc.values(account, G)) + len(self.tables.saml.values(account, G)),
            "AccountAccessKeysPresent": int(bool(self.runtime.credentials.accounts.get(account)
                                                 and self.runtime.credentials.accounts[account].access_keys)),
        })
        return {"SummaryMap": summary}

    # -- authorization details ----------------------------------------------------------------------

    def _user_detail(self, account: str, user: Any) -> dict[str, Any]:
        inline, attached = _policies_of(user, account, self._lookup_policy)
        groups = [g.name for g in (self.tables.groups.get(account, G, k) for k in user.groups) if g]
        out = {"Path": user.path, "UserName": user.name, "UserId": user.user_id, "Arn": user.arn,
               "CreateDate": user.created, "UserPolicyList": inline, "GroupList": groups,
               "AttachedManagedPolicies": attached, "Tags": tag_list(user.tags)}
        if user.boundary:
            out["PermissionsBoundary"] = boundary_shape(user.boundary)
        return out

    def _group_detail(self, account: str, group: Any) -> dict[str, Any]:
        inline, attached = _policies_of(group, account, self._lookup_policy)
        return {"Path": group.path, "GroupName": group.name, "GroupId": group.group_id, "Arn": group.arn,
                "CreateDate": group.created, "GroupPolicyList": inline, "AttachedManagedPolicies": attached}

    def _role_detail(self, account: str, role: Any) -> dict[str, Any]:
        from pycloud.services.iam.roles import profile_shape

        inline, attached = _policies_of(role, account, self._lookup_policy)
        profiles = [profile_shape(p, [role]) for p in self.tables.profiles.values(account, G)
                    if role.name.lower() in p.roles]
        out = {"Path": role.path, "RoleName": role.name, "RoleId": role.role_id, "Arn": role.arn,
               "CreateDate": role.created, "AssumeRolePolicyDocument": url_encoded(role.assume_role_policy_document),
               "InstanceProfileList": profiles, "RolePolicyList": inline, "AttachedManagedPolicies": attached,
               "Tags": tag_list(role.tags), "RoleLastUsed": {}}
        if role.boundary:
            out["PermissionsBoundary"] = boundary_shape(role.boundary)
        return out

    def _lookup_policy(self, account: str, arn: str) -> Any:
        return aws_policies().get(arn) or self._customer_policy(account, arn)

    def _policy_detail(self, account: str, policy: Any) -> dict[str, Any]:
        shape = self._policy_shape(account, policy)
        shape.pop("Tags", None)
        if hasattr(policy, "versions"):
            versions = [{"Document": url_encoded(v["document"]), "VersionId": k,
                         "IsDefaultVersion": k == policy.default_version, "CreateDate": v["created"]}
                        for k, v in policy.versions.items()]
        else:
            versions = [{"Document": url_encoded(policy.document), "VersionId": "v1", "IsDefaultVersion": True,
                         "CreateDate": CREATED}]
        shape["PolicyVersionList"] = versions
        return shape

    def _policy_shape(self, account: str, policy: Any, full: bool = True) -> dict[str, Any]:
        raise NotImplementedError  # provided by PolicyOperations

    def _usage(self, account: str, arn: str) -> tuple[int, int]:
        raise NotImplementedError  # provided by PolicyOperations

    def get_account_authorization_details(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        account = ctx.account_id
        wanted = set(params.get("Filter") or ("User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy"))
        items: list[tuple[str, str, Any]] = []
        if "User" in wanted:
            items += [("1user", u.name.lower(), u) for u in self.tables.users.values(account, G)]
        if "Group" in wanted:
            items += [("2group", g.name.lower(), g) for g in self.tables.groups.values(account, G)]
        if "Role" in wanted:
            items += [("3role", r.name.lower(), r) for r in self.tables.roles.values(account, G)]
        if "LocalManagedPolicy" in wanted:
            items += [("4policy", p.arn, p) for p in self.tables.policies.values(account, G)]
        if "AWSManagedPolicy" in wanted:
            items += [("4policy", p.arn, p) for p in aws_policies().values() if any(self._usage(account, p.arn))]
        chosen, extra = page(items, lambda i: f"{i[0]}|{i[1]}", params, "iam.GetAccountAuthorizationDetails")
        out: dict[str, Any] = {"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [], "Policies": [],
                               **extra}
        for kind, _, item in chosen:
            if kind == "1user":
                out["UserDetailList"].append(self._user_detail(account, item))
            elif kind == "2group":
                out["GroupDetailList"].append(self._group_detail(account, item))
            elif kind == "3role":
                out["RoleDetailList"].append(self._role_detail(account, item))
            else:
                out["Policies"].append(self._policy_detail(account, item))
        return out

    # -- credential report ---------------------------------------------------------------------------

    def generate_credential_report(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        now = self._now(ctx)
        with self._lock:
            settings = self._settings(ctx.account_id)
            fresh = settings.report_generated is not None and now - settings.report_generated < REPORT_TTL
            if not fresh:
                settings.report_generated = now
                self._put_settings(ctx.account_id, settings)
        if fresh:
            return {"State": "COMPLETE"}
        return {"State": "STARTED", "Description": "No report exists. Starting a new report generation task"}

    def get_credential_report(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        generated = self._settings(ctx.account_id).report_generated
        if generated is None:
            raise ServiceError("ReportNotPresent", "Credential report not present. Use GenerateCredentialReport "
                               "to generate a report.", 410)
        if self._now(ctx) - generated >= REPORT_TTL:
            raise ServiceError("ReportExpired", "Credential report is expired. Use GenerateCredentialReport to "
                               "generate a new report.", 410)
        return {"Content": self._report_csv(ctx.account_id, generated).encode(), "ReportFormat": "text/csv",
                "GeneratedTime": generated}

    def _report_csv(self, account: str, generated: float) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(_REPORT_COLUMNS)
        root_keys = bool(self.runtime.credentials.accounts.get(account))
        writer.writerow(["<root_account>", root_arn(account), _iso(CREATED), "not_supported", "N/A",
                         "not_supported", "not_supported", "false", str(root_keys).lower(), "N/A", "N/A", "N/A",
                         "N/A", "false", "N/A", "N/A", "N/A", "N/A", "false", "N/A", "false", "N/A"])
        last_used = getattr(self, "key_last_used", {})
        for user in sorted(self.tables.users.values(account, G), key=lambda u: u.name.lower()):
            if user.created > generated:
                continue
            login = self.tables.logins.get(account, G, user.name.lower())
            keys = sorted((k for k in self.tables.keys.values(account, G) if k.user == user.name.lower()),
                          key=lambda k: k.created)
            row = [user.name, user.arn, _iso(user.created), str(login is not None).lower(),
                   _iso(user.password_last_used) if login else "N/A",
                   _iso(login.created) if login else "N/A", "N/A", "false"]
            for index in range(2):
                key = keys[index] if index < len(keys) else None
                if key is None:
                    row += ["false", "N/A", "N/A", "N/A", "N/A"]
                    continue
                used = last_used.get(key.access_key)
                row += [str(key.status == "Active").lower(), _iso(key.created), _iso(used[0]) if used else "N/A",
                        (used[2] or "N/A") if used else "N/A", used[1] if used else "N/A"]
            row += ["false", "N/A", "false", "N/A"]
            writer.writerow(row)
        return buffer.getvalue()
