"""Where authorization finds the policies that bind a caller.

The gateway authorizes every request with :func:`pycloud.iam.policy.evaluate`; the policies it
needs live with the services that own them:

* IAM (``services/iam``) holds users, groups and roles with their inline and attached policies,
  permissions boundaries and tags → :meth:`IdentitySource.identity_policies`;
* STS puts what a temporary credential carries (session policies, session tags, the role or user
  behind it) on the credential itself → :class:`SessionData` on ``Credential.session``;
* Organizations holds SCPs and the OU tree → :meth:`ScpSource.scp_levels`.

Those providers are created on first use, so the directory reaches them through the dispatcher's
``provider(service)`` hook (attached by the app). Every change to any policy, attachment, group
membership, boundary, tag or organization structure calls :meth:`PolicyDirectory.bump`, which
invalidates every cached decision.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from pycloud.context import Principal
    from pycloud.iam.policy import NamedPolicy


@dataclass(frozen=True)
class IdentityPolicies:
    """The identity side of a caller as IAM stores it.

    ``identity``: inline and attached managed policies of the user and its groups, or of the role
    behind a role session (names: the policy ARN for managed policies, ``inline:<name>`` for inline
    ones). ``boundary``: the permissions boundary's managed policy, if any. ``tags``: the user's or
    role's tags (``aws:PrincipalTag/...``; session tags override them). ``exists`` is False when
    the user or role is gone (a deleted user's keys stop working; a deleted role's sessions are
    denied everything).
    """

    identity: tuple[NamedPolicy, ...] = ()
    boundary: NamedPolicy | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    exists: bool = True
    path_arn: str = ""
    """The user's or role's ARN with its path (``arn:aws:iam::1:role/svc/R``), '' if unknown."""


@dataclass(frozen=True)
class SessionData:
    """What a temporary credential carries (set by STS on ``Credential.session``).

    ``kind``: ``assumed-role`` (AssumeRole*), ``federated-user`` (GetFederationToken) or
    ``session-token`` (GetSessionToken: the user's own permissions, MFA context).
    ``source_arn``: the role ARN (with path) for role sessions, the IAM user's ARN otherwise.
    ``policies``: the session policies (inline ``Policy`` and ``PolicyArns`` resolved to their
    documents); empty with ``has_session_policies`` False when none were passed.
    ``tags``: session tags (override the role's tags of the same key); ``transitive_tag_keys``
    carry over when this session assumes another role. ``mfa``: MFA was presented.
    ``chained``: the session was made by a role session (1-hour limit; needs no boundary change).
    """

    kind: str
    source_arn: str
    policies: tuple[NamedPolicy, ...] = ()
    has_session_policies: bool = False
    tags: tuple[tuple[str, str], ...] = ()
    transitive_tag_keys: tuple[str, ...] = ()
    mfa: bool = False
    mfa_age_seconds: int | None = None
    source_identity: str = ""
    chained: bool = False
    issued_at: float = 0.0
    federated_provider: str = ""
    """The web identity / SAML provider ARN of a federated role session ('' otherwise)."""


class IdentitySource(Protocol):
    """What the IAM provider offers authorization."""

    def identity_policies(self, principal: Principal) -> IdentityPolicies:
        """The identity side of ``principal`` (a user, or the role behind a role session)."""
        ...


class RoleView(Protocol):
    """A role as STS and Organizations read it from IAM."""

    arn: str  # with its path
    role_id: str  # AROA...
    name: str
    assume_role_policy_document: str  # the trust policy, JSON text
    max_session_duration: int  # seconds, 3600–43200
    tags: dict[str, str]


class IamDirectory(Protocol):
    """Lookups the IAM provider offers other services (STS, Organizations)."""

    def role(self, account_id: str, name: str) -> RoleView | None:
        """The role named ``name`` (no path) in ``account_id``."""
        ...

    def managed_policy_document(self, account_id: str, policy_arn: str) -> str | None:
        """The default version's document of a managed policy (AWS managed under
        ``arn:aws:iam::aws:policy/...`` or the account's own), or None if there is none."""
        ...

    def oidc_provider(self, account_id: str, arn: str) -> Any:
        """The IAM OIDC identity provider (``.url``, ``.client_ids``, ``.thumbprints``) or None."""
        ...

    def saml_provider(self, account_id: str, arn: str) -> Any:
        """The IAM SAML provider (``.metadata_document``, ``.name``) or None."""
        ...

    def ensure_role(
        self, account_id: str, name: str, trust_policy: str, managed_policy_arns: list[str], description: str = ""
    ) -> RoleView:
        """Create the role (and attach the policies) unless it exists; used for
        ``OrganizationAccountAccessRole`` in accounts Organizations creates."""
        ...


class ScpSource(Protocol):
    """What the Organizations provider offers authorization."""

    def scp_levels(self, account_id: str) -> tuple[tuple[NamedPolicy, ...], ...] | None:
        """SCPs binding ``account_id``, one tuple per level from the root down to the account
        itself, each holding the SCPs attached at that level; None when the account is in no
        organization, is the management account, or the organization has SCPs disabled."""
        ...


class PolicyDirectory:
    """The runtime's view of every policy store, plus the generation counter of their contents."""

    def __init__(self) -> None:
        self._providers: Callable[[str], Any] | None = None
        self._lock = threading.Lock()
        self.generation = 0

    def attach(self, providers: Callable[[str], Any]) -> None:
        """Give the directory the dispatcher's provider lookup (``provider(service)``)."""
        self._providers = providers

    def bump(self) -> None:
        """Something that authorization reads changed: forget every cached decision."""
        with self._lock:
            self.generation += 1

    def provider(self, service: str) -> Any:
        """The live provider of ``service`` (created on first use), None when not attached."""
        return self._providers(service) if self._providers is not None else None

    def iam(self) -> IamDirectory | None:
        """The IAM provider's lookups (roles, managed policies, identity providers)."""
        return self.provider("iam")

    def identity_policies(self, principal: Principal) -> IdentityPolicies:
        """The IAM side of ``principal``; empty when IAM is not available."""
        iam = self.provider("iam")
        if iam is None or not hasattr(iam, "identity_policies"):
            return IdentityPolicies()
        return iam.identity_policies(principal)

    def resolve_credential(self, access_key: str) -> Any:
        """A key the credential store does not hold yet: an IAM user's (``AKIA``) or a temporary
        (``ASIA``) key kept as a record by IAM or STS (providers answer ``credential_for``)."""
        service = "iam" if access_key.startswith("AKIA") else "sts" if access_key.startswith("ASIA") else None
        provider = self.provider(service) if service else None
        lookup = getattr(provider, "credential_for", None)
        return lookup(access_key) if lookup is not None else None

    def scp_levels(self, account_id: str) -> tuple[tuple[NamedPolicy, ...], ...] | None:
        """The SCP levels binding ``account_id`` (see :class:`ScpSource`)."""
        orgs = self.provider("organizations")
        if orgs is None or not hasattr(orgs, "scp_levels"):
            return None
        return orgs.scp_levels(account_id)
