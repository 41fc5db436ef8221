"""SimulatePrincipalPolicy and SimulateCustomPolicy, answered by the policy engine itself."""

from __future__ import annotations

import base64
import json
from typing import Any

from pycloud.context import RequestContext
from pycloud.iam.arn import try_parse_arn
from pycloud.iam.policy import (
    ALLOW,
    EXPLICIT_DENY,
    AuthRequest,
    NamedPolicy,
    PolicyDocument,
    PolicyError,
    Principal,
    evaluate,
    parse_policy,
)
from pycloud.iam.policy.request import ContextView
from pycloud.protocol.timestamps import parse_timestamp
from pycloud.services.iam import errors
from pycloud.services.iam.aws_managed import aws_policy
from pycloud.services.iam.base import G, IamBase
from pycloud.services.iam.common import page

_DECISIONS = {ALLOW: "allowed", EXPLICIT_DENY: "explicitDeny"}
_ALLOW_ALL = parse_policy('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}')


def _context_value(entry: dict[str, Any]) -> Any:
    kind = entry.get("ContextKeyType") or "string"
    values = entry.get("ContextKeyValues") or []
    base = kind.removesuffix("List")
    try:
        if base == "numeric":
            converted: list[Any] = [float(v) if "." in v else int(v) for v in values]
        elif base == "boolean":
            converted = [v.strip().lower() == "true" for v in values]
        elif base == "date":
            converted = [parse_timestamp(v) for v in values]
        elif base == "binary":
            converted = [base64.b64decode(v) for v in values]
        else:
            converted = list(values)
    except (ValueError, TypeError, Exception):  # noqa: BLE001 - any unparsable value is the caller's error
        raise errors.invalid_input(f"Invalid value for context key {entry.get('ContextKeyName')} "
                                   f"of type {kind}.") from None
    if kind.endswith("List"):
        return converted
    return converted[0] if converted else None


def _compile(document: str, kind: str) -> PolicyDocument:
    try:
        return parse_policy(document, kind=kind)
    except PolicyError as exc:
        raise errors.malformed(exc.message) from None


class SimulateOperations(IamBase):
    """The policy simulator."""

    def _named_for(self, account: str, holder: Any, owner_type: str) -> list[tuple[NamedPolicy, str, str]]:
        """(policy, source id, source type) of a user's, group's or role's inline and attached policies."""
        out = []
        for name, document in holder.inline.items():
            out.append((NamedPolicy(f"{owner_type}:{holder.name}:{name}", document), name, owner_type))
        for arn in holder.attached:
            document = self._policy_document(account, arn)
            if document is not None:
                kind = "aws-managed" if aws_policy(arn) else "user-managed"
                out.append((NamedPolicy(arn, document), arn.rsplit("/", 1)[-1], kind))
        return out

    def _source(self, account: str, arn: str) -> tuple[Principal, list[tuple[NamedPolicy, str, str]], str]:
        """The simulated principal, its policies and its boundary ARN from ``PolicySourceArn``."""
        parsed = try_parse_arn(arn)
        if parsed is None or parsed.service != "iam":
            raise errors.invalid_input(f"Invalid ARN: {arn}")
        kind, name = parsed.resource_type, parsed.resource.rsplit("/", 1)[-1]
        if kind == "user":
            user = self._user(parsed.account, name)
            policies = self._named_for(account, user, "user")
            for key in user.groups:
                group = self.tables.groups.get(account, G, key)
                if group is not None:
                    policies += self._named_for(account, group, "group")
            principal = Principal("user", account, user.arn, user_id=user.user_id, username=user.name,
                                  tags=user.tags, has_boundary=bool(user.boundary))
            return principal, policies, user.boundary
        if kind == "role":
            role = self._role(parsed.account, name)
            principal = Principal("role", account, role.arn, user_id=role.role_id, tags=role.tags,
                                  has_boundary=bool(role.boundary))
            return principal, self._named_for(account, role, "role"), role.boundary
        if kind == "group":
            group = self._group(parsed.account, name)
            return Principal("user", account, group.arn), self._named_for(account, group, "group"), ""
        raise errors.invalid_input(f"Invalid ARN: {arn}: it must name a user, group or role.")

    def simulate_principal_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        principal, policies, boundary_arn = self._source(ctx.account_id, params["PolicySourceArn"])
        if params.get("CallerArn"):
            principal = self._caller(params["CallerArn"], principal)
        boundary = None
        if boundary_arn:
            document = self._policy_document(ctx.account_id, boundary_arn)
            boundary = NamedPolicy(boundary_arn, document) if document else None
        return self._simulate(ctx, params, principal, policies, boundary)

    def simulate_custom_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        principal = Principal("user", ctx.account_id, "")
        if params.get("CallerArn"):
            principal = self._caller(params["CallerArn"], principal)
        return self._simulate(ctx, params, principal, [], None)

    @staticmethod
    def _caller(arn: str, fallback: Principal) -> Principal:
        try:
            found = Principal.from_arn(arn)
        except ValueError:
            raise errors.invalid_input(f"Invalid CallerArn: {arn}") from None
        if found.kind == "root":
            raise errors.invalid_input("CallerArn must be an IAM user or role, not the root user.")
        return found if found.kind != fallback.kind or found.arn != fallback.arn else fallback

    def _simulate(
        self, ctx: RequestContext, params: dict[str, Any], principal: Principal,
        policies: list[tuple[NamedPolicy, str, str]], boundary: NamedPolicy | None,
    ) -> dict[str, Any]:
        account = ctx.account_id
        for index, document in enumerate(params.get("PolicyInputList") or [], 1):
            _compile(document, "identity")
            policies.append((NamedPolicy(f"input:{index}", document), f"PolicyInputList.{index}", "none"))
        boundary_inputs = params.get("PermissionsBoundaryPolicyInputList") or []
        if len(boundary_inputs) > 1:
            raise errors.invalid_input("Only one permissions boundary policy may be simulated.")
        if boundary_inputs:
            _compile(boundary_inputs[0], "boundary")
            boundary = NamedPolicy("PermissionsBoundaryPolicyInputList.1", boundary_inputs[0])
        resource_policy = params.get("ResourcePolicy")
        if resource_policy:
            _compile(resource_policy, "resource")
        sources = {named.name: (source_id, source_type) for named, source_id, source_type in policies}
        sources["ResourcePolicy"] = ("ResourcePolicy", "resource")
        context = {e["ContextKeyName"]: _context_value(e) for e in params.get("ContextEntries") or []}
        scps = self.runtime.policies.scp_levels(account) if self.runtime.policies is not None else None
        results = []
        for action in params["ActionNames"]:
            for resource in params.get("ResourceArns") or ["*"]:
                request = AuthRequest(principal, action, resource, context,
                                      resource_account=params.get("ResourceOwner") and
                                      params["ResourceOwner"].split(":")[4] or None, now=ctx.now)
                results.append(self._one(request, policies, boundary, resource_policy, scps, sources))
        chosen, extra = page(list(enumerate(results)), lambda ir: f"{ir[0]:08d}", params, "iam.Simulate")
        return {"EvaluationResults": [r for _, r in chosen], **extra}

    def _one(
        self, request: AuthRequest, policies: list[tuple[NamedPolicy, str, str]], boundary: NamedPolicy | None,
        resource_policy: str | None, scps: Any, sources: dict[str, tuple[str, str]],
    ) -> dict[str, Any]:
        identity = [named for named, _, _ in policies]
        resource = [NamedPolicy("ResourcePolicy", resource_policy)] if resource_policy else None
        decision = evaluate(request, identity=identity, resource=resource, boundary=boundary, scps=scps)
        out: dict[str, Any] = {
            "EvalActionName": request.action, "EvalResourceName": request.resource,
            "EvalDecision": _DECISIONS.get(decision.outcome, "implicitDeny"), "MatchedStatements": [],
            "MissingContextValues": self._missing(request, identity + (resource or [])),
        }
        ref = decision.statement
        if ref is not None:
            source_id, source_type = sources.get(ref.policy_name, (ref.policy_name, "none"))
            out["MatchedStatements"].append({"SourcePolicyId": source_id, "SourcePolicyType": source_type})
        if scps is not None:
            org = evaluate(request, identity=[_ALLOW_ALL], scps=scps)
            out["OrganizationsDecisionDetail"] = {"AllowedByOrganizations": org.allowed}
        if boundary is not None:
            bounded = evaluate(request, identity=[_ALLOW_ALL], boundary=boundary)
            out["PermissionsBoundaryDecisionDetail"] = {"AllowedByPermissionsBoundary": bounded.allowed}
        return out

    @staticmethod
    def _missing(request: AuthRequest, policies: list[NamedPolicy]) -> list[str]:
        """Condition keys of statements matching the action and resource that the request lacks."""
        view = ContextView(request)
        action = request.action.casefold()
        missing: list[str] = []
        for named in policies:
            doc = parse_policy(named.document)
            raw = json.loads(doc.text) if doc.text else {}
            raw_statements = raw.get("Statement") if isinstance(raw, dict) else None
            if isinstance(raw_statements, dict):
                raw_statements = [raw_statements]
            for statement in doc.statements:
                if not statement.conditions or not statement.matches_action(action):
                    continue
                if not statement.matches_resource(request.resource, view):
                    continue
                block = (raw_statements[statement.index] or {}).get("Condition", {}) if raw_statements else {}
                for keys in block.values():
                    for key in keys if isinstance(keys, dict) else {}:
                        if view.get(key.casefold()) is None and key not in missing:
                            missing.append(key)
        return missing
