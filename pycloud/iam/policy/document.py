"""Policy documents: parse and validate JSON the way IAM does, compile once, match fast."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ..arn import PARTITIONS, try_parse_arn
from .conditions import Condition, compile_conditions, conditions_hold
from .errors import PolicyError
from .matching import ActionMatcher, compile_arn_pattern
from .principals import PrincipalSet
from .request import ContextView, Principal
from .variables import Template

VERSIONS = ("2012-10-17", "2008-10-17")
KINDS = ("identity", "resource", "trust", "boundary", "session", "scp", "rcp")
"""Where a document is used; ``parse_policy(kind=...)`` applies that use's extra rules."""

_STATEMENT_FIELDS = frozenset(
    {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Principal", "NotPrincipal", "Condition"}
)
_DOCUMENT_FIELDS = frozenset({"Version", "Id", "Statement"})
_SID = re.compile(r"[0-9A-Za-z]*")


def _string_list(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    if not values or not all(isinstance(v, str) for v in values):
        raise PolicyError("Syntax errors in policy.")
    return values


class ResourceMatcher:
    """The Resource / NotResource list of one statement, with variables resolved per request."""

    __slots__ = ("_static", "_templates", "_any")

    def __init__(self, patterns: list[str], variables: bool) -> None:
        for pattern in patterns:
            _check_resource(pattern)
        templates = [Template(p, variables) for p in patterns]
        self._any = any(t.text == "*" for t in templates)
        self._static = tuple(compile_arn_pattern(t.text) for t in templates if not t.has_variables)
        self._templates = tuple(t for t in templates if t.has_variables)

    @property
    def has_variables(self) -> bool:
        """Whether a pattern holds policy variables (resolved from the request)."""
        return bool(self._templates)

    def matches(self, resource: str, ctx: ContextView) -> bool:
        if self._any:
            return True
        for match in self._static:
            if match(resource):
                return True
        for template in self._templates:
            pattern = template.render(ctx.single, True)
            if pattern is not None and compile_arn_pattern(pattern)(resource):
                return True
        return False


def _check_resource(pattern: str) -> None:
    if pattern == "*":
        return
    arn = try_parse_arn(pattern) if pattern.count(":") >= 5 else None
    if arn is None:
        if pattern.startswith("arn:") and pattern.count(":") >= 2:
            partition = pattern.split(":")[1]
            if partition not in PARTITIONS and "*" not in partition and "$" not in partition:
                raise PolicyError(f'Partition "{partition}" is not valid for resource "{pattern}".')
            if pattern.count(":") < 5 and "*" in pattern:
                return  # "arn:aws:s3:*"-style prefixes: the last field spans the rest
        raise PolicyError(f'Resource {pattern} must be in ARN format or "*".')
    if arn.partition not in PARTITIONS and "*" not in arn.partition and "$" not in arn.partition:
        raise PolicyError(f'Partition "{arn.partition}" is not valid for resource "{pattern}".')


@dataclass(frozen=True, slots=True)
class Statement:
    """One compiled statement. ``index`` is its position in the document (0-based)."""

    index: int
    sid: str
    allow: bool
    actions: ActionMatcher | None
    not_action: bool
    resources: ResourceMatcher | None
    not_resource: bool
    principals: PrincipalSet | None
    not_principal: bool
    conditions: tuple[Condition, ...]

    @property
    def effect(self) -> str:
        return "Allow" if self.allow else "Deny"

    def matches_action(self, action_folded: str) -> bool:
        """``action_folded`` is the casefolded ``service:Operation``."""
        if self.actions is None:
            return True
        return self.actions.matches(action_folded) != self.not_action

    def matches_resource(self, resource: str, ctx: ContextView) -> bool:
        if self.resources is None:  # trust policies name no resource: the role itself
            return True
        return self.resources.matches(resource, ctx) != self.not_resource

    def principal_grant(self, principal: Principal) -> str | None:
        """For resource policies: how this statement names the caller, None if it does not apply.

        Statements without Principal/NotPrincipal (identity-side documents) apply to anyone.
        """
        from .principals import ANY, DIRECT

        if self.principals is None:
            return DIRECT
        if self.not_principal:
            # AWS: a Deny with NotPrincipal always applies to callers with a permissions boundary.
            if not self.allow and principal.has_boundary:
                return ANY
            return None if self.principals.excludes(principal) else ANY
        return self.principals.grant(principal)

    def conditions_hold(self, ctx: ContextView) -> bool:
        return conditions_hold(self.conditions, ctx)


@dataclass(frozen=True, slots=True)
class PolicyDocument:
    """A parsed, validated and compiled policy. Immutable and shared through the parse cache."""

    version: str
    id: str | None
    statements: tuple[Statement, ...]
    text: str

    @property
    def has_principal(self) -> bool:
        """Some statement has a Principal element."""
        return any(s.principals is not None and not s.not_principal for s in self.statements)

    @property
    def has_not_principal(self) -> bool:
        return any(s.not_principal for s in self.statements)

    @property
    def has_any_principal(self) -> bool:
        """Some statement has Principal or NotPrincipal (identity policies must have neither)."""
        return any(s.principals is not None for s in self.statements)

    @property
    def all_have_principal(self) -> bool:
        """Every statement has Principal or NotPrincipal (resource policies need one each)."""
        return all(s.principals is not None for s in self.statements)

    @property
    def has_resource(self) -> bool:
        """Some statement has Resource or NotResource."""
        return any(s.resources is not None for s in self.statements)

    @property
    def all_have_resource(self) -> bool:
        return all(s.resources is not None for s in self.statements)

    @property
    def has_conditions(self) -> bool:
        return any(s.conditions for s in self.statements)


def _compile_statement(index: int, raw: Any, variables: bool, sids: set[str], strict_sid: bool) -> Statement:
    if not isinstance(raw, dict):
        raise PolicyError("Syntax errors in policy.")
    unknown = set(raw) - _STATEMENT_FIELDS
    if unknown:
        raise PolicyError("Syntax errors in policy.")
    sid = raw.get("Sid", "")
    if not isinstance(sid, str):
        raise PolicyError("Syntax errors in policy.")
    if sid:
        if strict_sid and not _SID.fullmatch(sid):
            raise PolicyError(
                "Statement IDs (SID) must be alpha-numeric. "
                "Check that your input satisfies the regular expression [0-9A-Za-z]*"
            )
        if sid in sids:
            raise PolicyError("Statement IDs (SID) in a single policy must be unique.")
        sids.add(sid)
    effect = raw.get("Effect")
    if effect is None:
        raise PolicyError("Missing required field Effect")
    if effect not in ("Allow", "Deny"):
        raise PolicyError(f"Invalid effect: {effect}")

    if "Action" in raw and "NotAction" in raw:
        raise PolicyError("Statement cannot contain both Action and NotAction.")
    if "Action" not in raw and "NotAction" not in raw:
        raise PolicyError("Policy statement must contain actions.")
    not_action = "NotAction" in raw
    actions = _string_list(raw["NotAction" if not_action else "Action"])
    for action in actions:
        if action != "*" and (":" not in action or not action.split(":", 1)[0]):
            raise PolicyError("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.")

    if "Resource" in raw and "NotResource" in raw:
        raise PolicyError("Statement cannot contain both Resource and NotResource.")
    not_resource = "NotResource" in raw
    resources = None
    if "Resource" in raw or not_resource:
        resources = ResourceMatcher(_string_list(raw["NotResource" if not_resource else "Resource"]), variables)

    if "Principal" in raw and "NotPrincipal" in raw:
        raise PolicyError("Statement cannot contain both Principal and NotPrincipal.")
    not_principal = "NotPrincipal" in raw
    principals = None
    if "Principal" in raw or not_principal:
        principals = PrincipalSet(raw["NotPrincipal" if not_principal else "Principal"])
        if not_principal and effect == "Allow":
            # IAM refuses NotPrincipal with Allow in new policies.
            raise PolicyError("Invalid principal in policy: NotPrincipal can only be used with Deny")

    conditions = compile_conditions(raw["Condition"], variables) if "Condition" in raw else ()
    return Statement(
        index, sid, effect == "Allow", ActionMatcher(actions), not_action,
        resources, not_resource, principals, not_principal, conditions,
    )  # fmt: skip


def _check_kind(doc: PolicyDocument, kind: str) -> None:
    if kind in ("identity", "boundary", "session", "scp", "rcp"):
        if doc.has_any_principal and kind != "rcp":
            raise PolicyError("Policy document should not specify a principal.")
    if kind in ("resource", "trust", "rcp") and not doc.all_have_principal:
        raise PolicyError("Missing required field Principal")
    if kind in ("identity", "boundary", "session", "resource") and not doc.all_have_resource:
        raise PolicyError("Policy statement must contain resources.")
    if kind == "trust" and doc.has_resource:
        raise PolicyError("Has prohibited field Resource")


def _compile(data: Any, text: str, kind: str | None) -> PolicyDocument:
    if not isinstance(data, dict):
        raise PolicyError("Syntax errors in policy.")
    if set(data) - _DOCUMENT_FIELDS:
        raise PolicyError("Syntax errors in policy.")
    version = data.get("Version", "2008-10-17")
    if version not in VERSIONS:
        raise PolicyError("The policy failed legacy parsing")
    policy_id = data.get("Id")
    if policy_id is not None and not isinstance(policy_id, str):
        raise PolicyError("Syntax errors in policy.")
    if "Statement" not in data:
        raise PolicyError("Syntax errors in policy.")
    raw_statements = data["Statement"]
    if isinstance(raw_statements, dict):
        raw_statements = [raw_statements]
    if not isinstance(raw_statements, list) or not raw_statements:
        raise PolicyError("Syntax errors in policy.")
    variables = version == "2012-10-17"
    strict_sid = kind in ("identity", "boundary", "session", "trust", "scp")
    sids: set[str] = set()
    statements = tuple(_compile_statement(i, s, variables, sids, strict_sid) for i, s in enumerate(raw_statements))
    doc = PolicyDocument(version, policy_id, statements, text)
    if kind is not None:
        if kind not in KINDS:
            raise ValueError(f"unknown policy kind {kind!r}")
        _check_kind(doc, kind)
    return doc


@lru_cache(maxsize=4096)
def _parse_text(text: str, kind: str | None) -> PolicyDocument:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise PolicyError("Syntax errors in policy.") from None
    return _compile(data, text, kind)


def parse_policy(source: str | bytes | Mapping[str, Any] | PolicyDocument, kind: str | None = None) -> PolicyDocument:
    """Parse, validate and compile a policy document.

    ``source`` is JSON text (as stored by IAM, possibly URL-decoded by the caller), an already
    decoded mapping, or a compiled document (returned as is). ``kind`` (one of :data:`KINDS`)
    adds the rules of that use: identity-side documents must not name a principal, resource and
    trust policies must name one in every statement, identity and resource policies need a
    Resource, trust policies must not have one. Compiled documents are cached by text.
    Raises :class:`PolicyError` with IAM's message when the document is malformed.
    """
    if isinstance(source, PolicyDocument):
        if kind is not None:
            _check_kind(source, kind)
        return source
    if isinstance(source, bytes):
        try:
            source = source.decode("utf-8")
        except UnicodeDecodeError:
            raise PolicyError("Syntax errors in policy.") from None
    if isinstance(source, str):
        return _parse_text(source, kind)
    if isinstance(source, Mapping):
        try:
            text = json.dumps(source, sort_keys=True)
        except (TypeError, ValueError):
            raise PolicyError("Syntax errors in policy.") from None
        return _parse_text(text, kind)
    raise PolicyError("Syntax errors in policy.")
