"""AssumeRole: a signed caller (IAM user or role session, never the root user) becomes a role.

The role's trust policy decides, through the same authorizer as every request, with the caller's
identity policies: within the role's account the trust policy naming the caller suffices, across
accounts both must allow. Session tags also need ``sts:TagSession`` and a source identity
``sts:SetSourceIdentity``. A role session assuming a role is role chaining: 1 hour at most, and the
calling session's transitive tags and source identity carry over.
"""

from __future__ import annotations

from typing import Any

from pycloud.context import RequestContext
from pycloud.iam.enforce import denial
from pycloud.iam.policy import NamedPolicy
from pycloud.services.sts import errors
from pycloud.services.sts.base import StsBase
from pycloud.services.sts.session_policies import session_policies, session_tags, tag_context


def mfa_presented(params: dict[str, Any]) -> bool:
    """Whether the request carries an MFA device and code (both, or AccessDenied)."""
    serial, code = params.get("SerialNumber"), params.get("TokenCode")
    if serial is None and code is None:
        return False
    if serial is None or code is None:
        raise errors.access_denied(
            "MultiFactorAuthentication failed, must provide both MFA serial number and one time pass code."
        )
    return True


class AssumeRoleMixin(StsBase):
    """The AssumeRole operation."""

    def _check_trust(
        self, ctx: RequestContext, action: str, role_arn: str, trust: list[NamedPolicy], context: dict[str, Any]
    ) -> None:
        authorizer = ctx.authorizer
        if authorizer is None:
            return  # driven without the gateway: nothing enforces policies
        # Unlike other resource policies, a trust policy must grant the caller (by name or by its
        # account) even within the role's account: identity policies alone never suffice.
        decision = authorizer.decide(ctx, action, role_arn, resource_policies=trust, context=context,
                                     resource_required=True)
        if not decision.allowed:
            raise denial(ctx, decision, action, role_arn)

    def assume_role(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Temporary credentials of a role session, if the role's trust policy allows the caller."""
        principal = ctx.principal
        if principal.kind == "root":
            raise errors.access_denied("Roles may not be assumed by root accounts.")
        if principal.kind == "federated-user":
            raise errors.access_denied("Federated users cannot call AssumeRole.")
        role_arn = params["RoleArn"]
        session_name = params["RoleSessionName"]
        target = self.role_target(role_arn)
        if target.role is None:
            raise errors.access_denied(
                f"User: {principal.arn} is not authorized to perform: sts:AssumeRole on resource: {role_arn}"
            )
        role = target.role
        caller = principal.session if principal.kind == "assumed-role" else None
        chained = principal.kind == "assumed-role"
        duration = self.role_duration(params.get("DurationSeconds"), role, chained=chained)
        mfa = mfa_presented(params)
        source_identity = params.get("SourceIdentity") or ""
        inherited_source = getattr(caller, "source_identity", "") or ""
        if inherited_source and source_identity and source_identity != inherited_source:
            raise errors.access_denied("The source identity of a role session cannot be changed once set.")
        policies = session_policies(params, self.iam(), target.account)
        tags = session_tags(
            params.get("Tags"), params.get("TransitiveTagKeys"),
            getattr(caller, "tags", ()), getattr(caller, "transitive_tag_keys", ()),
        )  # fmt: skip
        context: dict[str, Any] = {"sts:RoleSessionName": session_name}
        if "ExternalId" in params:
            context["sts:ExternalId"] = params["ExternalId"]
        if source_identity:
            context["sts:SourceIdentity"] = source_identity
        if mfa:
            context["aws:MultiFactorAuthPresent"] = True
        context.update(tag_context(tags, params.get("Tags")))
        trust = self.trust(role)
        self._check_trust(ctx, "sts:AssumeRole", role.arn, trust, context)
        if params.get("Tags"):
            self._check_trust(ctx, "sts:TagSession", role.arn, trust, context)
        if source_identity and not inherited_source:
            self._check_trust(ctx, "sts:SetSourceIdentity", role.arn, trust, context)
        _, answer = self.issue_role_session(
            ctx, target, session_name, duration, policies, tags,
            mfa=mfa, source_identity=source_identity or inherited_source, chained=chained,
        )  # fmt: skip
        if source_identity or inherited_source:
            answer["SourceIdentity"] = source_identity or inherited_source
        return answer
