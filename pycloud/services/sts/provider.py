"""STS operations: the caller's identity, temporary credentials of every kind, key and message
lookups. Role sessions come from :mod:`assume_role` and :mod:`federation`; the sessions themselves
are records (:mod:`sessions`)."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from pycloud.context import Principal, RequestContext
from pycloud.iam.directory import SessionData
from pycloud.iam.enforce import decode_authorization_message, denial, request_tag_keys
from pycloud.protocol.errors import ServiceError
from pycloud.services.sts import errors
from pycloud.services.sts.assume_role import AssumeRoleMixin, mfa_presented
from pycloud.services.sts.base import credentials_shape
from pycloud.services.sts.federation import FederationMixin
from pycloud.services.sts.session_policies import SessionPolicies, session_policies, session_tags


def derived_unique_id(prefix: str, arn: str) -> str:
    """A stable IAM-style unique id (``AIDA``/``AROA`` + 17 base32 chars) for an identity without one."""
    digest = base64.b32encode(hashlib.sha256(arn.encode()).digest()).decode("ascii")
    return prefix + digest[:17]


def caller_user_id(principal: Principal) -> str:
    """The ``UserId`` AWS reports for a principal.

    root → the account id; IAM user → its ``AIDA...`` id; assumed role → ``AROA...:session-name``;
    federated user → ``account:user-name``.
    """
    if principal.kind == "root":
        return principal.account_id
    resource = principal.arn.split(":", 5)[-1]
    if principal.kind == "assumed-role":
        session_name = resource.rsplit("/", 1)[-1]
        role_id = principal.user_id or derived_unique_id("AROA", principal.arn.rsplit("/", 1)[0])
        return role_id if ":" in role_id else f"{role_id}:{session_name}"
    if principal.kind == "federated-user":
        return principal.user_id or f"{principal.account_id}:{resource.split('/', 1)[-1]}"
    return principal.user_id or derived_unique_id("AIDA", principal.arn)


def _long_term(principal: Principal, operation: str) -> None:
    """GetSessionToken and GetFederationToken take an IAM user's or the root user's own keys."""
    if principal.kind not in ("user", "root") or principal.session is not None:
        raise errors.access_denied(f"Cannot call {operation} with session credentials")


class StsProvider(AssumeRoleMixin, FederationMixin):
    """AWS Security Token Service."""

    service = "sts"

    def get_caller_identity(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Who signed the request: account, ARN and unique id."""
        principal = ctx.principal
        if principal.kind == "anonymous" or not principal.arn:
            raise ServiceError("MissingAuthenticationToken", "Request is missing Authentication Token", 403)
        return {"UserId": caller_user_id(principal), "Account": principal.account_id, "Arn": principal.arn}

    def get_access_key_info(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """The account an access key id belongs to (keys this endpoint does not know map, as the
        gateway maps them when not strict, to the default account)."""
        key = params["AccessKeyId"]
        credential = self.runtime.credentials.get(key)
        if credential is None or not credential.verified:
            if getattr(self.runtime.settings, "strict", False):
                raise errors.validation(f"The access key ID {key} is not valid.")
            return {"Account": self.runtime.credentials.default_account}
        return {"Account": credential.account_id}

    def decode_authorization_message(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """The JSON document behind an encoded authorization failure message."""
        decoded = decode_authorization_message(params["EncodedMessage"])
        if decoded is None:
            raise errors.invalid_authorization_message("The encoded authorization message is invalid.")
        return {"DecodedMessage": decoded}

    def get_session_token(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Temporary credentials of the caller itself (with MFA context when a code is passed)."""
        principal = ctx.principal
        _long_term(principal, "GetSessionToken")
        mfa = mfa_presented(params)
        now = ctx.now.timestamp()
        session = SessionData(kind="session-token", source_arn=principal.arn, mfa=mfa,
                              mfa_age_seconds=0 if mfa else None, issued_at=now)  # fmt: skip
        duration = self.token_duration(params.get("DurationSeconds"), principal.kind == "root")
        record = self.sessions.issue(account=principal.account_id, arn=principal.arn, kind=principal.kind,
                                     user_id=caller_user_id(principal), now=now, duration=duration,
                                     session=session)  # fmt: skip
        return {"Credentials": credentials_shape(record)}

    def get_federation_token(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Credentials of a federated user: the calling user's permissions ∩ the passed policies
        (none passed: no permissions but what resource policies grant the federated user)."""
        principal = ctx.principal
        _long_term(principal, "GetFederationToken")
        name = params["Name"]
        account = principal.account_id
        arn = f"arn:aws:sts::{account}:federated-user/{name}"
        policies = session_policies(params, self.iam(), account)
        tags = session_tags(params.get("Tags"), None)
        if tags.passed and ctx.authorizer is not None and principal.kind != "root":
            decision = ctx.authorizer.decide(ctx, "sts:TagSession", arn, context=request_tag_keys(params))
            if not decision.allowed:
                raise denial(ctx, decision, "sts:TagSession", arn)
        if not policies.passed:
            policies = SessionPolicies((), True, 0)
        now = ctx.now.timestamp()
        session = SessionData(kind="federated-user", source_arn=principal.arn, policies=policies.policies,
                              has_session_policies=True, tags=tags.tags, issued_at=now)  # fmt: skip
        duration = self.token_duration(params.get("DurationSeconds"), principal.kind == "root")
        user_id = f"{account}:{name}"
        record = self.sessions.issue(account=account, arn=arn, kind="federated-user", user_id=user_id, now=now,
                                     duration=duration, session=session)  # fmt: skip
        answer: dict[str, Any] = {
            "Credentials": credentials_shape(record),
            "FederatedUser": {"FederatedUserId": user_id, "Arn": arn},
        }
        if params.get("Policy") is not None or params.get("PolicyArns") or tags.passed:
            answer["PackedPolicySize"] = max(policies.packed_percent, tags.packed_percent)
        return answer
