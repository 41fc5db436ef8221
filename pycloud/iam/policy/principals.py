"""The Principal / NotPrincipal element: parsing and matching callers against it."""

from __future__ import annotations

from typing import Any

from ..arn import PARTITIONS, is_account_id, root_arn, try_parse_arn
from .errors import PolicyError
from .request import Principal

# How a resource policy names the caller, strongest first. It decides whether a same-account
# resource policy grant is bounded by the caller's permissions boundary and session policy.
DIRECT = "direct"  # the exact user / role-session / federated-user ARN, or a service principal
ROLE = "role"  # the role behind an assumed-role session, the IAM user behind a federated-user one
ANY = "any"  # "*"
ACCOUNT = "account"  # the caller's account (root ARN or bare id): delegation to that account's IAM
STRENGTH = {DIRECT: 3, ROLE: 2, ANY: 1, ACCOUNT: 0}

_TYPES = ("AWS", "Service", "Federated", "CanonicalUser")


def _invalid(kind: str, value: Any) -> PolicyError:
    return PolicyError(f'Invalid principal in policy: "{kind}":"{value}"')


def _normalize_aws(value: str) -> str:
    """Account ids become root ARNs; anything else must be ``*`` or an IAM/STS ARN."""
    if value == "*":
        return value
    if is_account_id(value):
        return root_arn(value)
    arn = try_parse_arn(value)
    if arn is None or arn.partition not in PARTITIONS or arn.service not in ("iam", "sts") or not arn.account:
        raise _invalid("AWS", value)
    if "*" in value or "?" in value:  # IAM refuses partial wildcards in principals
        raise _invalid("AWS", value)
    return value


class PrincipalSet:
    """A compiled Principal or NotPrincipal element."""

    __slots__ = ("any", "aws", "services", "federated", "canonical")

    def __init__(self, element: Any) -> None:
        self.any = False
        self.aws: frozenset[str] = frozenset()
        self.services: frozenset[str] = frozenset()
        self.federated: frozenset[str] = frozenset()
        self.canonical: frozenset[str] = frozenset()
        if element == "*":
            self.any = True
            return
        if not isinstance(element, dict) or not element:
            raise PolicyError("Invalid principal in policy")
        for kind, raw in element.items():
            if kind not in _TYPES:
                raise PolicyError(f'Invalid principal in policy: "{kind}"')
            values = raw if isinstance(raw, list) else [raw]
            if not values or not all(isinstance(v, str) and v for v in values):
                raise _invalid(kind, raw)
            if kind == "AWS":
                normalized = frozenset(_normalize_aws(v) for v in values)
                if "*" in normalized:
                    self.any = True
                self.aws = normalized
            elif kind == "Service":
                self.services = frozenset(values)
            elif kind == "Federated":
                self.federated = frozenset(values)
            else:
                self.canonical = frozenset(values)

    def grant(self, principal: Principal) -> str | None:
        """How strongly this element names ``principal`` (one of the constants above), or None."""
        best: str | None = ANY if self.any else None
        kind = principal.kind
        if kind == "service":
            return DIRECT if principal.service in self.services else best
        if kind == "federated":
            return DIRECT if principal.arn in self.federated else best
        if principal.canonical_id and principal.canonical_id in self.canonical:
            best = ACCOUNT if best is None else best
        if not self.aws or kind == "anonymous":
            return best
        aws = self.aws
        if kind == "root":
            return DIRECT if principal.arn in aws else best
        if principal.arn in aws:
            return DIRECT
        role = principal.effective_role_arn or (principal.parent_arn if kind == "federated-user" else "")
        if role and role in aws:
            return ROLE  # the role (or user) behind a session: bounded like its identity policies
        if best is None and principal.account and root_arn(principal.account) in aws:
            return ACCOUNT
        return best

    def excludes(self, principal: Principal) -> bool:
        """For NotPrincipal: True when every identity the caller acts as is listed.

        AWS evaluates a request against each ARN the caller carries (session, role, account),
        which is why its documentation tells NotPrincipal users to list the account ARN next to the
        user or role-session ARN: leaving one out leaves the caller subject to the statement.
        """
        if self.any:
            return True
        kind = principal.kind
        if kind == "service":
            return principal.service in self.services
        if kind == "federated":
            return principal.arn in self.federated
        if kind == "anonymous":
            return False
        identities = {principal.arn}
        role = principal.effective_role_arn
        if role:
            identities.add(role)
        if principal.account:
            identities.add(root_arn(principal.account))
        return identities <= self.aws
