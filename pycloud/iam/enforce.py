"""Authorization of every request: the caller's policies gathered, decided once, remembered.

The gateway asks :meth:`Authorizer.check_request` after a request is parsed and validated; providers
that hold resource-based policies (S3 buckets, SQS queues, SNS topics, role trust policies) ask
:meth:`Authorizer.decide` with that policy. Both end in :func:`pycloud.iam.policy.evaluate`, fed
with what binds the caller:

* root of an account → nothing but SCPs (member accounts) and resource policies;
* IAM user / role session → its identity policies, permissions boundary, session policies and
  tags (from IAM through the :class:`PolicyDirectory`, and from the temporary credential);
* SCP levels of the caller's account (Organizations), except for service-linked roles.

Decisions are remembered per (policy generation, caller key, action, resource, resource policies,
request context); any policy change bumps the generation. Policies that read the time
(``aws:CurrentTime``, ``aws:EpochTime``, MFA age, token issue time) are decided afresh every time.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pycloud.iam import actions
from pycloud.iam.directory import IdentityPolicies, PolicyDirectory, SessionData
from pycloud.protocol.errors import ServiceError

if TYPE_CHECKING:
    from pycloud.context import Principal, RequestContext
    from pycloud.iam.policy import Decision, NamedPolicy, PolicyDocument
    from pycloud.iam.policy import Principal as EnginePrincipal

_ENGINE: Any = None
_ROOT_ALLOWED: Any = None


def _engine() -> Any:
    """The policy engine, imported on the first decision (a server whose callers are all root
    users outside organizations never loads it: start-up stays fast)."""
    global _ENGINE, _ROOT_ALLOWED
    if _ENGINE is None:
        from pycloud.iam import policy

        _ROOT_ALLOWED = policy.Decision(policy.ALLOW, None, None, "root user")
        _ENGINE = policy
    return _ENGINE


def _root_allowed() -> Decision:
    _engine()
    return _ROOT_ALLOWED
_VOLATILE_KEYS = frozenset({"aws:currenttime", "aws:epochtime", "aws:multifactorauthage", "aws:tokenissuetime"})
_CACHE_MAX = 65536
_SERVICE_LINKED = "/aws-service-role/"

# service → (error code, HTTP status) of a refused request, as each service answers it.
_DENIALS: dict[str, tuple[str, int]] = {
    "s3": ("AccessDenied", 403),
    "iam": ("AccessDenied", 403),
    "sts": ("AccessDenied", 403),
    "cloudwatch": ("AccessDenied", 403),
    "sns": ("AuthorizationError", 403),
    "ec2": ("UnauthorizedOperation", 403),
    "lambda": ("AccessDeniedException", 403),
    "sqs": ("AccessDeniedException", 400),
    "ebs": ("AccessDeniedException", 403),
}


def _volatile(doc: PolicyDocument, memo: dict[str, bool] = {}) -> bool:  # noqa: B006 - a deliberate memo
    """Whether a document's conditions read a key whose value changes with time."""
    found = memo.get(doc.text)
    if found is None:
        found = any(
            cond.key in _VOLATILE_KEYS or cond.base.startswith("date")
            for statement in doc.statements
            for cond in statement.conditions
        )
        if len(memo) > 4096:
            memo.clear()
        memo[doc.text] = found
    return found


def _reads_request(doc: PolicyDocument) -> bool:
    """Whether a document's statements read the request context (conditions, resource variables)."""
    for statement in doc.statements:
        if statement.conditions:
            return True
        resources = statement.resources
        if resources is not None and resources.has_variables:
            return True
    return False


def _documents(policies: Iterable[NamedPolicy]) -> list[PolicyDocument]:
    parse_policy = _engine().parse_policy
    return [parse_policy(p.document) for p in policies]


class _Caller:
    """What binds one caller, gathered once per (caller, generation)."""

    __slots__ = ("principal", "identity", "boundary", "session", "scps", "volatile", "static", "context")

    def __init__(
        self,
        principal: EnginePrincipal,
        identity: list[NamedPolicy] | None,
        boundary: NamedPolicy | None,
        session: list[NamedPolicy] | None,
        scps: tuple[tuple[NamedPolicy, ...], ...] | None,
        context: dict[str, Any],
    ) -> None:
        self.principal = principal
        self.identity = identity
        self.boundary = boundary
        self.session = session
        self.scps = scps
        self.context = context
        docs = _documents(identity or ())
        if boundary is not None:
            docs += _documents([boundary])
        docs += _documents(session or ())
        for level in scps or ():
            docs += _documents(level)
        self.volatile = any(_volatile(doc) for doc in docs) or any(k.casefold() in _VOLATILE_KEYS for k in context)
        self.static = not any(_reads_request(doc) for doc in docs)
        """No condition and no resource variable: without resource policies, only the action and
        the resource decide."""


class Authorizer:
    """Decides requests with the policies a :class:`PolicyDirectory` finds."""

    def __init__(self, directory: PolicyDirectory) -> None:
        self.directory = directory
        self._generation = -1
        self._callers: dict[tuple[str, str, str], _Caller] = {}
        self._decisions: dict[tuple[Any, ...], Decision] = {}
        self._scps: dict[str, tuple[tuple[NamedPolicy, ...], ...] | None] = {}
        self._org_ids: dict[str, str] = {}

    # -- what binds a caller --------------------------------------------------------------------

    def _sync(self) -> None:
        generation = self.directory.generation
        if generation != self._generation:
            self._generation = generation
            self._callers.clear()
            self._decisions.clear()
            self._scps.clear()
            self._org_ids.clear()

    def scp_levels(self, account_id: str) -> tuple[tuple[NamedPolicy, ...], ...] | None:
        """The SCP levels binding ``account_id`` (None outside an organization)."""
        try:
            return self._scps[account_id]
        except KeyError:
            found = self._scps[account_id] = self.directory.scp_levels(account_id)
            return found

    def org_id(self, account_id: str) -> str:
        """The organization id of ``account_id`` ('' when in none), for ``aws:PrincipalOrgID``."""
        found = self._org_ids.get(account_id)
        if found is None:
            orgs = self.directory.provider("organizations")
            lookup = getattr(orgs, "organization_id", None)
            found = self._org_ids[account_id] = (lookup(account_id) if lookup is not None else "") or ""
        return found

    def _caller(self, principal: Principal) -> _Caller:
        key = (principal.kind, principal.arn, principal.access_key)
        found = self._callers.get(key)
        if found is not None:
            return found
        session: SessionData | None = principal.session
        kind = principal.kind
        identity: list[NamedPolicy] | None = None
        boundary = None
        tags: dict[str, str] = {}
        role_arn = ""
        service_linked = False
        if kind in ("user", "assumed-role", "federated-user"):
            side: IdentityPolicies = self.directory.identity_policies(principal)
            identity = list(side.identity) if side.exists else []
            boundary = side.boundary
            tags = dict(side.tags)
            if kind == "assumed-role":
                role_arn = (session.source_arn if session is not None else "") or side.path_arn
                service_linked = _SERVICE_LINKED in role_arn
        session_policies: list[NamedPolicy] | None = None
        context: dict[str, Any] = {}
        if session is not None:
            if session.has_session_policies:
                session_policies = list(session.policies)
            tags.update(dict(session.tags))
            context["aws:MultiFactorAuthPresent"] = session.mfa
            if session.source_identity:
                context["aws:SourceIdentity"] = session.source_identity
            if session.federated_provider:
                context["aws:FederatedProvider"] = session.federated_provider
        scps = None if service_linked or kind == "anonymous" else self.scp_levels(principal.account_id)
        if kind != "anonymous":
            org = self.org_id(principal.account_id)
            if org:
                context["aws:PrincipalOrgID"] = org
        username = principal.arn.rsplit("/", 1)[-1] if kind == "user" else ""
        EnginePrincipal = _engine().Principal  # noqa: N806 - the engine's Principal class
        engine_principal = EnginePrincipal.of_caller(kind, principal.account_id, principal.arn, principal.user_id)
        if kind != "anonymous":
            engine_principal = EnginePrincipal(
                engine_principal.kind, engine_principal.account, engine_principal.arn,
                user_id=engine_principal.user_id, username=username, role_arn=role_arn, tags=tags,
                has_boundary=boundary is not None,
                parent_arn=session.source_arn if session is not None and kind == "federated-user" else "",
            )  # fmt: skip
        found = _Caller(engine_principal, identity, boundary, session_policies, scps, context)
        if len(self._callers) > 4096:
            self._callers.clear()
        self._callers[key] = found
        return found

    def unbound(self, principal: Principal) -> bool:
        """Whether nothing but resource policies can refuse ``principal``: an account's root user
        outside any organization's SCPs. Hot paths skip authorization for it."""
        if principal.kind != "root":
            return False
        self._sync()
        return self.scp_levels(principal.account_id) is None

    # -- deciding -------------------------------------------------------------------------------

    def decide(
        self,
        ctx: RequestContext,
        action: str,
        resource: str = "*",
        *,
        resource_policies: Sequence[NamedPolicy] | None = None,
        resource_account: str | None = None,
        context: Mapping[str, Any] | None = None,
        resource_required: bool = False,
    ) -> Decision:
        """Whether the request's caller may perform ``action`` on ``resource``.

        ``resource_policies``: the resource's own policies (bucket/queue/topic policy, trust
        policy), or None. ``resource_account``: the account owning the resource when its ARN does
        not say (S3). ``context``: request condition keys beyond the global ones filled here.
        ``resource_required``: the resource policy must allow even within its account (trust policies).
        """
        self._sync()
        principal = ctx.principal
        if (principal.kind == "root" and not resource_policies
                and _owner(resource, resource_account, principal.account_id) == principal.account_id
                and self.scp_levels(principal.account_id) is None):
            return _root_allowed()  # the account's root on its own resource, nothing that could deny
        callers = self._callers
        caller = callers.get((principal.kind, principal.arn, principal.access_key)) or self._caller(principal)
        cache_key: tuple[Any, ...] | None = None
        if caller.static and not resource_policies and not resource_required:
            cache_key = (principal.kind, principal.arn, principal.access_key, action, resource, resource_account)
        elif not caller.volatile:
            # Everything the decision reads: the caller (its policies are fixed per generation), the
            # target, the resource policies, and the request keys (region, source, ``context``).
            policies_key: tuple[Any, ...] = ()
            if resource_policies:
                parse_policy = _engine().parse_policy
                if any(_volatile(parse_policy(p.document)) for p in resource_policies):
                    policies_key = None  # type: ignore[assignment]
                else:
                    policies_key = tuple((p.name, _policy_key(p.document)) for p in resource_policies)
            if policies_key is not None:
                cache_key = (principal.kind, principal.arn, principal.access_key, action, resource, resource_account,
                             policies_key, ctx.region, ctx.source_ip, tuple(context.items()) if context else None,
                             resource_required)
        if cache_key is not None:
            try:
                found = self._decisions.get(cache_key)
            except TypeError:  # a context value that cannot be a key (a list): decide without remembering
                cache_key = found = None
            if found is not None:
                return found
        keys = self.request_keys(ctx)
        if caller.context:
            keys.update(caller.context)
        if context:
            keys.update(context)
        engine = _engine()
        request = engine.AuthRequest(caller.principal, action, resource, keys, resource_account=resource_account,
                                     now=ctx.now)
        decision = engine.evaluate(
            request,
            identity=caller.identity,
            resource=list(resource_policies) if resource_policies else None,
            boundary=caller.boundary,
            session=caller.session,
            scps=caller.scps,
            resource_required=resource_required,
        )
        if cache_key is not None:
            if len(self._decisions) > _CACHE_MAX:
                self._decisions.clear()
            self._decisions[cache_key] = decision
        return decision

    @staticmethod
    def request_keys(ctx: RequestContext) -> dict[str, Any]:
        """Global condition keys every request carries (the engine adds the principal's and time)."""
        keys: dict[str, Any] = {"aws:SecureTransport": False, "aws:RequestedRegion": ctx.region}
        if ctx.source_ip:
            keys["aws:SourceIp"] = ctx.source_ip
        return keys

    def check_request(self, ctx: RequestContext, params: dict[str, Any]) -> None:
        """The gateway's check: raise the service's denial unless the caller may make this request.

        Operations the service's table leaves to its provider (resource policies) pass here."""
        principal = ctx.principal
        kind = principal.kind
        if kind == "root":
            self._sync()
            if self.scp_levels(principal.account_id) is None:
                return  # the hot path: an account's root outside any organization's SCPs
        elif kind == "anonymous":
            return  # only operations open to anonymous callers got here; their provider decides
        table = actions.table(ctx.service)
        operation = ctx.operation
        if operation in table.unauthenticated:
            return
        rule = table.rule(operation)
        if rule.provider_decides:
            return
        context = request_tag_keys(params)
        if table.resource_context is not None:
            resource_keys = table.resource_context(ctx, params)
            if resource_keys:
                context = {**(context or {}), **resource_keys}
        for resource in rule.resolve(ctx, params):
            decision = self.decide(ctx, rule.action, resource, context=context)
            if not decision.allowed:
                raise denial(ctx, decision, rule.action, resource)


def _policy_key(document: Any) -> Any:
    """What identifies a resource policy's content in a cache key."""
    if isinstance(document, _engine().PolicyDocument):
        return document.text
    if isinstance(document, str):
        return document
    return json.dumps(document, sort_keys=True, default=str)


def _owner(resource: str, resource_account: str | None, default: str) -> str:
    """The account owning ``resource``: given, else read from its ARN, else ``default``."""
    if resource_account:
        return resource_account
    if resource.startswith("arn:"):
        parts = resource.split(":", 5)
        if len(parts) > 4 and parts[4]:
            return parts[4]
    return default


def resource_tag_keys(tags: dict[str, str] | None) -> dict[str, str] | None:
    """``aws:ResourceTag/<key>`` of a resource's tags, or None when it has none."""
    if not tags:
        return None
    return {f"aws:ResourceTag/{k}": v for k, v in tags.items()}


def request_tag_keys(params: dict[str, Any]) -> dict[str, Any] | None:
    """``aws:RequestTag/<key>`` and ``aws:TagKeys`` from a request's tags (``Tags``/``tags`` as a
    list of ``{Key, Value}`` or a map), or None when it carries none."""
    tags = params.get("Tags")
    if tags is None:
        tags = params.get("tags")
    if not tags:
        return None
    pairs: list[tuple[str, str]] = []
    if isinstance(tags, dict):
        pairs = [(str(k), str(v)) for k, v in tags.items()]
    elif isinstance(tags, list):
        for item in tags:
            if isinstance(item, dict) and "Key" in item:
                pairs.append((str(item["Key"]), str(item.get("Value", ""))))
    if not pairs:
        return None
    keys: dict[str, Any] = {f"aws:RequestTag/{k}": v for k, v in pairs}
    keys["aws:TagKeys"] = [k for k, _ in pairs]
    return keys


def denial(ctx: RequestContext, decision: Decision, action: str, resource: str) -> ServiceError:
    """The service's refusal, worded as AWS words it."""
    service = ctx.service
    caller = ctx.principal.arn or "anonymous"
    if service == "sqs":
        action = action.lower()  # SQS words its denials with the action in lower case
    message = decision.message(caller, action, resource)
    if resource == "*":  # actions without a resource type are worded without one
        message = message.replace(" on resource: *", "", 1)
    code, status = _DENIALS.get(service, ("AccessDeniedException", 400))
    if service == "ec2":
        encoded = encode_authorization_message(ctx, decision, action, resource)
        return ServiceError(
            code, f"You are not authorized to perform this operation. {message}. Encoded authorization failure "
            f"message: {encoded}", status,
        )  # fmt: skip
    if service == "sqs":
        from pycloud.services.sqs import errors as sqs_errors

        return sqs_errors.sqs_error("AccessDeniedException", message)
    return ServiceError(code, message, status)


# -- encoded authorization messages (ec2 UnauthorizedOperation → sts:DecodeAuthorizationMessage) --

_MESSAGE_KEY = os.urandom(32)  # messages decode in the process that made them, as AWS's do per region/key


def encode_authorization_message(ctx: RequestContext, decision: Decision, action: str, resource: str) -> str:
    """An opaque, tamper-evident token of why a request was refused."""
    import base64
    import hashlib
    import hmac
    import zlib

    matched = []
    if decision.statement is not None:
        ref = decision.statement
        matched.append({"statementId": ref.sid, "effect": ref.effect, "principals": {"items": [{"value": ctx.principal.arn}]},
                        "sourcePolicyId": ref.policy_name, "sourcePolicyType": ref.policy_type})
    details = {
        "allowed": decision.allowed,
        "explicitDeny": decision.outcome == "ExplicitDeny",
        "matchedStatements": {"items": matched},
        "failures": {"items": []},
        "context": {
            "principal": {"id": ctx.principal.user_id or ctx.principal.account_id, "arn": ctx.principal.arn},
            "action": action,
            "resource": resource,
            "conditions": {"items": [
                {"key": key, "values": {"items": [{"value": str(value)}]}}
                for key, value in Authorizer.request_keys(ctx).items()
            ]},
        },
    }  # fmt: skip
    body = zlib.compress(json.dumps(details, separators=(",", ":")).encode())
    tag = hmac.new(_MESSAGE_KEY, body, hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(tag + body).decode().rstrip("=")


def decode_authorization_message(encoded: str) -> str | None:
    """The JSON document an encoded message holds, or None if it is not one of ours."""
    import base64
    import hashlib
    import hmac
    import zlib

    try:
        raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    except (ValueError, TypeError):
        return None
    tag, body = raw[:16], raw[16:]
    if len(tag) < 16 or not hmac.compare_digest(tag, hmac.new(_MESSAGE_KEY, body, hashlib.sha256).digest()[:16]):
        return None
    try:
        return zlib.decompress(body).decode()
    except (zlib.error, UnicodeDecodeError):
        return None
