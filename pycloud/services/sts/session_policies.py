"""What a caller may pass to narrow or label a session: session policies and session tags.

Session policies (an inline ``Policy`` and up to ten ``PolicyArns``) bound the session: its
permissions are the intersection of its identity's and theirs. Session tags become
``aws:PrincipalTag`` values. AWS packs both into the session token with a size limit of its own,
reported as ``PackedPolicySize`` (a percentage); here the packed size is the zlib-compressed size
of each against a fixed allowance, which refuses incompressible (large, varied) input as AWS does
while ordinary policies and tags fit.
"""

from __future__ import annotations

import json
import math
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pycloud.iam.arn import try_parse_arn
from pycloud.iam.policy import NamedPolicy, PolicyError, parse_policy
from pycloud.services.sts import errors

MAX_POLICY_CHARS = 2048
MAX_POLICY_ARNS = 10
PACKED_ALLOWANCE = 1024
"""Compressed bytes that count as 100 % of the packed space (policies and tags apart)."""
INLINE_NAME = "session-policy"


@dataclass(frozen=True)
class SessionPolicies:
    """The session policies a request passed (``passed`` False when it passed none)."""

    policies: tuple[NamedPolicy, ...] = ()
    passed: bool = False
    packed_percent: int = 0


def _packed_percent(text: str) -> int:
    return math.ceil(100 * len(zlib.compress(text.encode("utf-8"), 9)) / PACKED_ALLOWANCE) if text else 0


def session_policies(params: dict[str, Any], lookup: Any, account: str) -> SessionPolicies:
    """Check and resolve ``Policy`` and ``PolicyArns``; managed policies are read from IAM
    (``lookup.managed_policy_document(account, arn)``) in the account the session belongs to."""
    inline = params.get("Policy")
    arns = [item.get("arn", "") for item in params.get("PolicyArns") or ()]
    if inline is None and not arns:
        return SessionPolicies()
    found: list[NamedPolicy] = []
    if inline is not None:
        if len(inline) > MAX_POLICY_CHARS:
            raise errors.validation(
                "1 validation error detected: Value at 'policy' failed to satisfy constraint: Member must have "
                f"length less than or equal to {MAX_POLICY_CHARS}"
            )
        try:
            parse_policy(inline, kind="session")
        except PolicyError as err:
            raise errors.malformed_policy(str(err) or "The policy is not in the valid JSON format.") from None
        found.append(NamedPolicy(INLINE_NAME, inline))
    if len(arns) > MAX_POLICY_ARNS:
        raise errors.validation(
            "1 validation error detected: Value at 'policyArns' failed to satisfy constraint: Member must have "
            f"length less than or equal to {MAX_POLICY_ARNS}"
        )
    for arn in arns:
        parsed = try_parse_arn(arn)
        if parsed is None or parsed.service != "iam" or not parsed.resource.startswith("policy/"):
            raise errors.validation(f"The policy ARN {arn} is not valid.")
        document = lookup.managed_policy_document(account, arn) if lookup is not None else None
        if document is None:
            raise errors.malformed_policy(f"Policy {arn} does not exist or is not attachable.")
        found.append(NamedPolicy(arn, document))
    packed = _packed_percent(_minified(inline) + "".join(arns))
    if packed > 100:
        raise errors.packed_too_large(f"Packed policy consumes {packed}% of allotted space, please use smaller policy.")
    return SessionPolicies(tuple(found), True, packed)


def _minified(text: str | None) -> str:
    if not text:
        return ""
    try:
        return json.dumps(json.loads(text), separators=(",", ":"))
    except ValueError:
        return text


@dataclass(frozen=True)
class SessionTags:
    """Session tags (passed and carried over), the keys that pass on to chained sessions, and the
    packed size of the passed ones."""

    tags: tuple[tuple[str, str], ...] = ()
    transitive: tuple[str, ...] = ()
    packed_percent: int = 0

    @property
    def passed(self) -> bool:
        return bool(self.tags)


def session_tags(
    tags: Iterable[dict[str, str]] | None,
    transitive_keys: Iterable[str] | None,
    inherited: Iterable[tuple[str, str]] = (),
    inherited_transitive: Iterable[str] = (),
) -> SessionTags:
    """Check passed tags (keys unique regardless of case; transitive keys among them) and add the
    transitive tags of the calling session, which a chained session may not override."""
    passed: dict[str, tuple[str, str]] = {}
    for tag in tags or ():
        key, value = tag.get("Key", ""), tag.get("Value", "")
        if key.lower() in passed:
            raise errors.validation("Duplicate tag keys found. Please note that Tag keys are case insensitive.")
        if key.lower().startswith("aws:"):
            raise errors.validation("Tag keys may not begin with aws: (reserved for AWS use).")
        passed[key.lower()] = (key, value)
    transitive = list(transitive_keys or ())
    for key in transitive:
        if key.lower() not in passed:
            raise errors.validation(f"TransitiveTagKeys {key} is not a session tag key.")
    carried = {key.lower() for key in inherited_transitive}
    result = dict(passed)
    for key, value in inherited:
        if key.lower() in carried:
            if key.lower() in passed and passed[key.lower()][1] != value:
                raise errors.validation(
                    f"Session tag {key} is transitive from the calling session and cannot be overridden."
                )
            result[key.lower()] = (key, value)
    packed = _packed_percent("".join(f"{k}={v};" for k, v in passed.values()))
    if packed > 100:
        raise errors.packed_too_large(f"Packed size of session tags consumes {packed}% of allotted space.")
    keys = {k.lower(): k for k in transitive}
    for key in inherited_transitive:
        keys.setdefault(key.lower(), key)
    return SessionTags(tuple(result.values()), tuple(keys.values()), packed)


def tag_context(tags: SessionTags, passed: Iterable[dict[str, str]] | None) -> dict[str, Any]:
    """``aws:RequestTag/<key>``, ``aws:TagKeys`` and ``sts:TransitiveTagKeys`` of the passed tags."""
    keys: dict[str, Any] = {}
    names = []
    for tag in passed or ():
        keys[f"aws:RequestTag/{tag['Key']}"] = tag.get("Value", "")
        names.append(tag["Key"])
    if names:
        keys["aws:TagKeys"] = names
    if tags.transitive:
        keys["sts:TransitiveTagKeys"] = list(tags.transitive)
    return keys
