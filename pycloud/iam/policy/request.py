"""What the engine is asked about: who (Principal), does what (action) to what (resource), in
which context (condition keys), and the normalized view of that context that statements read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..arn import root_arn, session_role_arn, try_parse_arn

PRINCIPAL_TYPES = {
    "root": "Account",
    "user": "User",
    "role": "AssumedRole",
    "assumed-role": "AssumedRole",
    "federated-user": "FederatedUser",
    "anonymous": "Anonymous",
}
"""Principal kind → value of ``aws:PrincipalType``."""


@dataclass(frozen=True)
class Principal:
    """The caller, as authorization sees it.

    ``kind`` is ``root``, ``user``, ``role``, ``assumed-role``, ``federated-user`` (STS
    GetFederationToken), ``anonymous``, ``service`` (an AWS service principal such as
    ``s3.amazonaws.com``, named in ``service``) or ``federated`` (a web-identity/SAML provider,
    whose ARN or name is ``arn``). ``role_arn`` is the role behind an assumed-role session (derived
    from the session ARN when omitted, which loses the role's path). ``parent_arn`` is the IAM user
    that created a federated-user session (GetFederationToken): a resource policy naming that user
    applies to the session, bounded by its session policy. ``has_boundary`` tells the engine a
    permissions boundary is attached (it changes how ``NotPrincipal`` denies behave).
    """

    kind: str
    account: str = ""
    arn: str = ""
    user_id: str = ""
    username: str = ""
    role_arn: str = ""
    tags: Mapping[str, str] = field(default_factory=dict)
    service: str = ""
    canonical_id: str = ""
    has_boundary: bool = False
    parent_arn: str = ""

    @classmethod
    def root(cls, account: str, partition: str = "aws") -> Principal:
        """The root user of ``account``."""
        return cls("root", account, root_arn(account, partition), user_id=account)

    @classmethod
    def anonymous(cls) -> Principal:
        """An unsigned request."""
        return cls("anonymous", arn="*", user_id="anonymous")

    @classmethod
    def aws_service(cls, name: str) -> Principal:
        """An AWS service acting on its own behalf (``events.amazonaws.com``)."""
        return cls("service", service=name)

    @classmethod
    def from_arn(cls, arn: str, **kwargs: Any) -> Principal:
        """Infer kind and account from an IAM/STS ARN (user, role, assumed-role, federated-user, root)."""
        parsed = try_parse_arn(arn)
        if parsed is None:
            raise ValueError(f"{arn!r} is not a principal ARN")
        kind = parsed.resource_type or parsed.resource
        if kind not in ("root", "user", "role", "assumed-role", "federated-user"):
            raise ValueError(f"{arn!r} is not a principal ARN")
        if kind == "user" and "username" not in kwargs:
            kwargs["username"] = parsed.resource.rsplit("/", 1)[-1]
        if kind == "root" and "user_id" not in kwargs:
            kwargs["user_id"] = parsed.account
        return cls(kind, parsed.account, arn, **kwargs)

    @classmethod
    def of_caller(cls, kind: str, account: str, arn: str, user_id: str = "", canonical_id: str = "") -> Principal:
        """The principal of an authenticated request's caller (its kind, account and ARN as the
        gateway resolved them); ``anonymous`` for unsigned requests, root of the account when the
        ARN is not an IAM/STS principal ARN."""
        if kind == "anonymous":
            return cls.anonymous()
        try:
            return cls.from_arn(arn, user_id=user_id or account, canonical_id=canonical_id)
        except ValueError:
            return cls("root", account, root_arn(account), user_id=account, canonical_id=canonical_id)

    @property
    def effective_role_arn(self) -> str:
        """The role ARN of an assumed-role session ('' for other kinds)."""
        if self.kind == "role":
            return self.arn
        if self.kind != "assumed-role":
            return ""
        return self.role_arn or session_role_arn(self.arn) or ""

    @property
    def service_linked(self) -> bool:
        """A session of a service-linked role (path ``/aws-service-role/``, or, when only the session
        ARN is known, a role named ``AWSServiceRoleFor...``): SCPs and RCPs do not restrict it."""
        role = self.effective_role_arn
        if not role:
            return False
        return ":role/aws-service-role/" in role or role.rsplit("/", 1)[-1].startswith("AWSServiceRoleFor")

    @property
    def principal_arn(self) -> str:
        """The value of ``aws:PrincipalArn``: the role ARN for role sessions, else the caller's ARN."""
        return self.effective_role_arn or self.arn


@dataclass
class AuthRequest:
    """One authorization question.

    ``resource`` is the ARN being acted on (``*`` for actions that take none). ``resource_account``
    is the account owning it; when None it is read from the ARN, and when the ARN has no account
    (S3) the resource is taken to be in the principal's account. ``context`` holds request
    condition keys (``aws:SourceIp``, ``s3:prefix``, ``aws:RequestTag/env``...): values may be
    str, bool, int, float, datetime, bytes, or a list of those for multivalued keys. Keys derived
    from the principal and ``now`` (``aws:username``, ``aws:PrincipalTag/...``,
    ``aws:CurrentTime``...) are added unless given.
    """

    principal: Principal
    action: str
    resource: str = "*"
    context: Mapping[str, Any] = field(default_factory=dict)
    resource_account: str | None = None
    now: datetime | None = None


def _principal_keys(principal: Principal) -> dict[str, Any]:
    keys: dict[str, Any] = {}
    if principal.kind == "service":
        keys["aws:principalisawsservice"] = True
        keys["aws:principalservicename"] = principal.service
        return keys
    keys["aws:principalisawsservice"] = False
    if principal.kind == "anonymous":
        keys["aws:userid"] = principal.user_id or "anonymous"
        keys["aws:principaltype"] = "Anonymous"
        return keys
    if principal.kind == "federated":
        return keys
    keys["aws:principalarn"] = principal.principal_arn
    keys["aws:principalaccount"] = principal.account
    keys["aws:principaltype"] = PRINCIPAL_TYPES.get(principal.kind, "")
    if principal.user_id:
        keys["aws:userid"] = principal.user_id
    if principal.kind == "user" and principal.username:
        keys["aws:username"] = principal.username
    for tag, value in principal.tags.items():
        keys["aws:principaltag/" + tag.casefold()] = value
    return keys


class ContextView:
    """The request context as statements read it: casefolded keys, every value a tuple.

    A key absent here is "not present in the request context" for the condition operators. Keys
    the caller gave as a list (or other collection) are multivalued whatever their length: AWS
    never substitutes a multivalued key into a policy variable.
    """

    __slots__ = ("_values", "_multi")

    def __init__(self, request: AuthRequest) -> None:
        values: dict[str, tuple[Any, ...]] = {}
        now = request.now
        if now is None:
            from pycloud.clock import clock  # the process-wide virtual clock

            now = clock.now()
        elif now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
        values["aws:currenttime"] = (now,)
        values["aws:epochtime"] = (int(now.timestamp()),)
        for key, value in _principal_keys(request.principal).items():
            values[key] = (value,)
        multi: set[str] = set()
        for key, value in request.context.items():
            if value is None:
                continue
            folded = key.casefold()
            if isinstance(value, list | tuple | set | frozenset):
                values[folded] = tuple(value)
                multi.add(folded)
            else:
                values[folded] = (value,)
                multi.discard(folded)
        self._values = values
        self._multi = multi

    def get(self, key: str) -> tuple[Any, ...] | None:
        """All values of casefolded ``key``, or None when the key is absent."""
        return self._values.get(key)

    def single(self, key: str) -> str | None:
        """The value of ``key`` as text for a policy variable; None when absent or multivalued."""
        values = self._values.get(key)
        if values is None or len(values) != 1 or key in self._multi:
            return None
        return as_text(values[0])


def as_text(value: Any) -> str:
    """How a context value reads as a string (booleans as ``true``/``false``, times in ISO 8601)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, bytes):
        import base64

        return base64.b64encode(value).decode()
    return str(value)
