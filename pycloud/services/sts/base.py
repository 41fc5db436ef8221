"""What every STS operation family shares: the session store, IAM lookups, durations, issuing
role sessions and deciding trust policies for federated callers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pycloud.context import RequestContext
from pycloud.iam.arn import try_parse_arn
from pycloud.iam.directory import SessionData
from pycloud.iam.enforce import Authorizer
from pycloud.iam.policy import IMPLICIT_DENY, AuthRequest, Decision, NamedPolicy, PolicyError, evaluate
from pycloud.iam.policy import Principal as EnginePrincipal
from pycloud.services.base import Provider, ServiceRuntime
from pycloud.services.sts import errors
from pycloud.services.sts.session_policies import SessionPolicies, SessionTags
from pycloud.services.sts.sessions import SessionRecord, SessionStore

DEFAULT_ROLE_SECONDS = 3600
CHAINED_MAX_SECONDS = 3600
DEFAULT_TOKEN_SECONDS = 43200
ROOT_MAX_SECONDS = 3600
TRUST_POLICY = "trust-policy"


@dataclass(frozen=True)
class RoleTarget:
    """The role a request names: its account and, when it exists, IAM's view of it."""

    arn: str
    account: str
    name: str
    role: Any


def credentials_shape(record: SessionRecord) -> dict[str, Any]:
    """The ``Credentials`` member of every STS answer."""
    return {
        "AccessKeyId": record.access_key,
        "SecretAccessKey": record.secret,
        "SessionToken": record.token,
        "Expiration": datetime.fromtimestamp(record.expires, UTC),
    }


class StsBase(Provider):
    """Shared state and steps of the STS operations."""

    service = "sts"

    def __init__(self, runtime: ServiceRuntime) -> None:
        super().__init__(runtime)
        self.sessions = SessionStore(runtime.state, runtime.credentials)

    def reset(self) -> None:
        self.sessions.clear()

    def credential_for(self, access_key: str) -> Any:
        """The credential of a temporary key kept as a record (the gateway's resolver)."""
        return self.sessions.credential_for(access_key)

    # -- lookups ----------------------------------------------------------------------------------

    def iam(self) -> Any:
        """The IAM provider's lookups, or None when IAM is not available."""
        policies = self.runtime.policies
        return policies.iam() if policies is not None else None

    def role_target(self, role_arn: str) -> RoleTarget:
        """Parse ``RoleArn`` and find the role (``role`` None when IAM has no such role)."""
        parsed = try_parse_arn(role_arn)
        if parsed is None or parsed.service != "iam" or not parsed.resource.startswith("role/") or not parsed.account:
            raise errors.validation(f"{role_arn} is invalid")
        name = parsed.resource.rsplit("/", 1)[-1]
        iam = self.iam()
        lookup = getattr(iam, "role", None)
        role = lookup(parsed.account, name) if lookup is not None else None
        if role is not None and parsed.resource != f"role/{name}" and role.arn != role_arn:
            role = None  # a path that is not the role's names no role
        return RoleTarget(role_arn, parsed.account, name, role)

    # -- durations ---------------------------------------------------------------------------------

    @staticmethod
    def role_duration(requested: int | None, role: Any, *, chained: bool = False) -> int:
        """A role session's lifetime: 1 hour by default, at most the role's MaxSessionDuration (and
        1 hour for role chaining); ValidationError beyond."""
        if requested is None:
            return DEFAULT_ROLE_SECONDS
        if chained and requested > CHAINED_MAX_SECONDS:
            raise errors.validation(
                "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."
            )
        if requested > int(getattr(role, "max_session_duration", DEFAULT_ROLE_SECONDS) or DEFAULT_ROLE_SECONDS):
            raise errors.validation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
        return requested

    @staticmethod
    def token_duration(requested: int | None, root: bool) -> int:
        """GetSessionToken / GetFederationToken lifetime: 12 hours by default; the root user's
        sessions are held to 1 hour, as AWS documents (longer requests get 1 hour)."""
        duration = DEFAULT_TOKEN_SECONDS if requested is None else requested
        return min(duration, ROOT_MAX_SECONDS) if root else duration

    # -- trust policies ----------------------------------------------------------------------------

    @staticmethod
    def trust(role: Any) -> list[NamedPolicy]:
        """The role's trust policy as the resource policy of an AssumeRole* decision."""
        return [NamedPolicy(TRUST_POLICY, role.assume_role_policy_document)]

    @staticmethod
    def federated_decision(
        ctx: RequestContext, action: str, target: RoleTarget, provider: str, keys: dict[str, Any]
    ) -> Decision:
        """Whether the trust policy lets the identity provider ``provider`` (an IAM provider ARN or
        a well-known provider's name) perform ``action`` on the role."""
        context = Authorizer.request_keys(ctx)
        context["aws:FederatedProvider"] = provider
        context.update(keys)
        request = AuthRequest(EnginePrincipal("federated", arn=provider), action, target.role.arn, context,
                              resource_account=target.account, now=ctx.now)  # fmt: skip
        try:
            return evaluate(request, resource=StsBase.trust(target.role))
        except PolicyError:
            return Decision(IMPLICIT_DENY, "resource-based policy", None, "the trust policy is not valid")

    # -- issuing ----------------------------------------------------------------------------------

    def issue_role_session(
        self,
        ctx: RequestContext,
        target: RoleTarget,
        session_name: str,
        duration: int,
        policies: SessionPolicies,
        tags: SessionTags,
        **extra: Any,
    ) -> tuple[SessionRecord, dict[str, Any]]:
        """Create a role session; returns its record and the answer's common members
        (``Credentials``, ``AssumedRoleUser``, ``PackedPolicySize``)."""
        role = target.role
        now = ctx.now.timestamp()
        session = SessionData(
            kind="assumed-role", source_arn=role.arn, policies=policies.policies,
            has_session_policies=policies.passed, tags=tags.tags, transitive_tag_keys=tags.transitive,
            issued_at=now, **extra,
        )  # fmt: skip
        arn = f"arn:aws:sts::{target.account}:assumed-role/{role.name}/{session_name}"
        role_id = f"{role.role_id}:{session_name}"
        record = self.sessions.issue(account=target.account, arn=arn, kind="assumed-role", user_id=role_id,
                                     now=now, duration=duration, session=session)  # fmt: skip
        answer: dict[str, Any] = {
            "Credentials": credentials_shape(record),
            "AssumedRoleUser": {"AssumedRoleId": role_id, "Arn": arn},
        }
        if policies.passed or tags.passed:
            answer["PackedPolicySize"] = max(policies.packed_percent, tags.packed_percent)
        return record, answer
