"""The decision: combine every policy type that applies to a request the way AWS does.

Order (IAM User Guide, "Policy evaluation logic" and "Cross-account policy evaluation logic"):

1. an explicit Deny in any applicable policy denies;
2. every level of resource control policies (RCPs) and of service control policies (SCPs), when
   given, must allow (SCPs bind the caller's account, RCPs the resource's; neither restricts a
   service-linked role, and SCPs do not apply to anonymous callers or AWS services);
3. the root user of the resource's account is allowed;
4. same account: a resource policy naming the caller's exact user / role-session ARN allows
   outright; otherwise the identity policies, or a resource policy naming the role or ``*``, must
   allow, and the permissions boundary and session policies (when present) must allow too;
5. cross account: the resource policy must allow (naming the caller, its role or its account)
   *and* the caller's own side (identity policies within boundary and session policy) must allow;
   anonymous callers and AWS services only need the resource policy.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..arn import account_of
from .document import PolicyDocument, Statement, parse_policy
from .principals import ACCOUNT, DIRECT, STRENGTH
from .request import AuthRequest, ContextView, Principal

IDENTITY = "identity-based policy"
RESOURCE = "resource-based policy"
BOUNDARY = "permissions boundary"
SESSION = "session policy"
SCP = "service control policy"
RCP = "resource control policy"
ROOT = "root user"

ALLOW = "Allow"
EXPLICIT_DENY = "ExplicitDeny"
IMPLICIT_DENY = "ImplicitDeny"


@dataclass(frozen=True)
class NamedPolicy:
    """A policy with the name it is reported under (policy ARN, ``inline:name``, bucket name)."""

    name: str
    document: PolicyDocument | str | Mapping[str, Any]


PolicyLike = PolicyDocument | NamedPolicy | str | Mapping[str, Any]


@dataclass(frozen=True)
class StatementRef:
    """The statement that decided, for debugging and AccessDenied messages."""

    policy_type: str
    policy_name: str
    index: int
    sid: str
    effect: str


@dataclass(frozen=True)
class Decision:
    """The answer. ``outcome`` is ``Allow``, ``ExplicitDeny`` or ``ImplicitDeny``.

    ``policy_type`` names the policy type that decided (for an implicit deny: the type that failed
    to allow) and ``statement`` the deciding statement when there is one.
    """

    outcome: str
    policy_type: str | None
    statement: StatementRef | None
    reason: str

    @property
    def allowed(self) -> bool:
        return self.outcome == ALLOW

    def __bool__(self) -> bool:
        return self.allowed

    def message(self, principal_arn: str, action: str, resource: str) -> str:
        """An ``AccessDenied`` message in AWS's wording (for denials)."""
        head = f"User: {principal_arn} is not authorized to perform: {action} on resource: {resource}"
        if self.outcome == EXPLICIT_DENY:
            article = "an" if self.policy_type and self.policy_type[0] in "aeiou" else "a"
            return f"{head} with an explicit deny in {article} {self.policy_type}"
        if self.outcome == IMPLICIT_DENY and self.policy_type:
            return f"{head} because no {self.policy_type} allows the {action} action"
        return head


def _named(policies: Iterable[PolicyLike] | PolicyLike | None) -> list[tuple[str, PolicyDocument]]:
    if policies is None:
        return []
    if isinstance(policies, PolicyDocument | NamedPolicy | str | Mapping):
        policies = [policies]
    out = []
    for i, policy in enumerate(policies):
        if isinstance(policy, NamedPolicy):
            out.append((policy.name, parse_policy(policy.document)))
        else:
            out.append((f"#{i}", parse_policy(policy)))
    return out


class _Scan:
    """Statements of one policy set matched against the request: first allow, best resource grant."""

    __slots__ = ("policy_type", "allow", "grant")

    def __init__(self, policy_type: str) -> None:
        self.policy_type = policy_type
        self.allow: StatementRef | None = None
        self.grant: str | None = None


class _Denied(Exception):
    def __init__(self, ref: StatementRef) -> None:
        self.ref = ref


def _ref(policy_type: str, name: str, statement: Statement) -> StatementRef:
    return StatementRef(policy_type, name, statement.index, statement.sid, statement.effect)


def _scan(
    policy_type: str,
    policies: list[tuple[str, PolicyDocument]],
    action: str,
    resource: str,
    principal: Principal,
    ctx: ContextView,
    use_principal: bool,
) -> _Scan:
    """Raise _Denied on a matching Deny; otherwise record the first matching Allow."""
    result = _Scan(policy_type)
    for name, doc in policies:
        for statement in doc.statements:
            if statement.allow and result.allow is not None and (not use_principal or result.grant == DIRECT):
                continue  # an allow is already known; only denies (or a stronger grant) matter now
            if not statement.matches_action(action):
                continue
            if use_principal and statement.principals is None:
                continue  # a resource-side statement must name who it applies to
            grant = statement.principal_grant(principal) if use_principal else DIRECT
            if grant is None or not statement.matches_resource(resource, ctx):
                continue
            if not statement.conditions_hold(ctx):
                continue
            if not statement.allow:
                raise _Denied(_ref(policy_type, name, statement))
            if result.allow is None or STRENGTH[grant] > STRENGTH[result.grant or ACCOUNT]:
                result.allow = _ref(policy_type, name, statement)
                result.grant = grant
    return result


def evaluate(
    request: AuthRequest,
    *,
    identity: Iterable[PolicyLike] | PolicyLike | None = None,
    resource: Iterable[PolicyLike] | PolicyLike | None = None,
    boundary: PolicyLike | None = None,
    session: Iterable[PolicyLike] | PolicyLike | None = None,
    scps: Sequence[Iterable[PolicyLike] | PolicyLike] | None = None,
    rcps: Sequence[Iterable[PolicyLike] | PolicyLike] | None = None,
    resource_required: bool = False,
) -> Decision:
    """Decide ``request`` against the policies that apply to it.

    ``identity``: the caller's identity-based policies (user, its groups, or the role), combined.
    ``resource``: the resource-based policies of the target (bucket policy, queue policy...).
    ``boundary``: the caller's permissions boundary, or None when it has none.
    ``session``: the session policies passed at AssumeRole/GetFederationToken (their union bounds
    the session), or None when none were passed. ``scps``/``rcps``: one entry per level of the
    organization hierarchy (root, OUs, account), each the policies attached at that level; at
    every level one must allow. None when the account is not governed by them (standalone
    accounts, the management account). Documents may be compiled, JSON text or mappings;
    parsing errors raise :class:`PolicyError`. ``resource_required``: the resource policy must
    allow even within its account (a role's trust policy: identity policies alone never let a
    caller assume a role; naming the caller's account still needs the caller's identity policies).
    """
    principal = request.principal
    action = request.action.casefold()
    target = request.resource
    ctx = ContextView(request)
    anonymous = principal.kind in ("anonymous", "service", "federated")
    org_bound = not principal.service_linked  # SCPs and RCPs never restrict service-linked roles

    identity_set = _named(identity) if not anonymous else []
    resource_set = _named(resource)
    boundary_set = _named(boundary) if boundary is not None and not anonymous else None
    session_set = _named(session) if session is not None and not anonymous else None
    scp_levels = [_named(level) for level in scps] if scps is not None and not anonymous and org_bound else None
    rcp_levels = [_named(level) for level in rcps] if rcps is not None and org_bound else None

    def scan(policy_type: str, policies: list[tuple[str, PolicyDocument]], use_principal: bool = False) -> _Scan:
        return _scan(policy_type, policies, action, target, principal, ctx, use_principal)

    try:
        rcp_scans = [scan(RCP, level, True) for level in rcp_levels] if rcp_levels is not None else []
        scp_scans = [scan(SCP, level) for level in scp_levels] if scp_levels is not None else []
        resource_scan = scan(RESOURCE, resource_set, True)
        boundary_scan = scan(BOUNDARY, boundary_set) if boundary_set is not None else None
        session_scan = scan(SESSION, session_set) if session_set is not None else None
        identity_scan = scan(IDENTITY, identity_set)
    except _Denied as denied:
        ref = denied.ref
        return Decision(EXPLICIT_DENY, ref.policy_type, ref, f"explicitly denied by {_describe(ref)}")

    for scans, policy_type in ((rcp_scans, RCP), (scp_scans, SCP)):
        for level in scans:
            if level.allow is None:
                return Decision(IMPLICIT_DENY, policy_type, None, f"no {policy_type} allows the action")

    owner = request.resource_account
    if owner is None:
        owner = account_of(target) or principal.account
    same_account = not anonymous and principal.account == owner
    grant, rbp = resource_scan.grant, resource_scan.allow

    if principal.kind == "root" and same_account:
        return Decision(ALLOW, ROOT, None, "the account's root user")

    if anonymous:
        if rbp is not None:
            return Decision(ALLOW, RESOURCE, rbp, f"allowed by {_describe(rbp)}")
        return Decision(IMPLICIT_DENY, RESOURCE, None, "no resource-based policy allows anonymous access")

    if resource_required and rbp is None:
        return Decision(IMPLICIT_DENY, RESOURCE, None, f"no {RESOURCE} allows the action")

    if same_account and rbp is not None and grant == DIRECT:
        # Naming the exact user or session lets a resource policy grant past boundary and session policy.
        return Decision(ALLOW, RESOURCE, rbp, f"allowed by {_describe(rbp)}")

    # The caller's own side: identity policies (root has every permission) within its bounds.
    own = identity_scan.allow
    own_allows = own is not None or principal.kind == "root"
    resource_counts = rbp is not None and grant != ACCOUNT  # an account grant only delegates to IAM
    if same_account:
        if not own_allows and not resource_counts:
            return Decision(IMPLICIT_DENY, IDENTITY, None, f"no {IDENTITY} allows the action")
    else:
        if rbp is None:
            return Decision(IMPLICIT_DENY, RESOURCE, None, f"cross-account request and no {RESOURCE} allows it")
        if not own_allows:
            return Decision(IMPLICIT_DENY, IDENTITY, None, f"cross-account request and no {IDENTITY} allows it")
    for bound in (boundary_scan, session_scan):
        if bound is not None and bound.allow is None:
            return Decision(IMPLICIT_DENY, bound.policy_type, None, f"no {bound.policy_type} allows the action")
    if not same_account:
        assert rbp is not None
        mine = _describe(own) if own is not None else "the root user's own permissions"
        return Decision(ALLOW, RESOURCE, rbp, f"allowed by {_describe(rbp)} and {mine}")
    deciding = own if own is not None else rbp
    assert deciding is not None
    return Decision(ALLOW, deciding.policy_type, deciding, f"allowed by {_describe(deciding)}")


def _describe(ref: StatementRef | None) -> str:
    if ref is None:
        return "the root user"
    sid = f" {ref.sid!r}" if ref.sid else ""
    return f"statement {ref.index}{sid} of {ref.policy_type} {ref.policy_name}"
