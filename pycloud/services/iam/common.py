"""Helpers every IAM family shares: ids, policy documents, paths, tags and Marker pagination."""

from __future__ import annotations

import re
import secrets
import string
import urllib.parse
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from pycloud.iam.policy import PolicyDocument, PolicyError, parse_policy
from pycloud.services.iam import errors
from pycloud.services.pagination import decode_token, encode_token, paginate

T = TypeVar("T")

MAX_TAGS = 50
DEFAULT_MAX_ITEMS = 100
MANAGED_POLICY_SIZE = 6144
TRUST_POLICY_SIZE = 2048
INLINE_AGGREGATE = {"user": 2048, "role": 10240, "group": 5120}
"""Aggregate size of every inline policy of one identity (whitespace not counted)."""

_ID_ALPHABET = string.ascii_uppercase + "234567"
_KEY_ALPHABET = string.ascii_uppercase + string.digits
_SECRET_ALPHABET = string.ascii_letters + string.digits + "+/"
_WHITESPACE = re.compile(r"\s+")


def new_id(prefix: str) -> str:
    """A unique id as IAM makes them: ``AIDA``/``AROA``/``AGPA``/``ANPA``/``AIPA`` + 17 characters."""
    return prefix + "".join(secrets.choice(_ID_ALPHABET) for _ in range(17))


def new_access_key() -> tuple[str, str]:
    """(``AKIA`` + 16 upper-case alphanumerics, a 40-character secret)."""
    key = "AKIA" + "".join(secrets.choice(_KEY_ALPHABET) for _ in range(16))
    return key, "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(40))


def iam_arn(account: str, kind: str, path: str, name: str) -> str:
    """``arn:aws:iam::<account>:<kind><path><name>`` (IAM ARNs carry no region)."""
    return f"arn:aws:iam::{account}:{kind}{path}{name}"


def url_encoded(document: str) -> str:
    """A policy document the way IAM returns it: percent-encoded (boto3 decodes it)."""
    return urllib.parse.quote(document, safe="")


def policy_size(document: str) -> int:
    """A document's size as IAM counts it against quotas (whitespace excluded)."""
    return len(_WHITESPACE.sub("", document))


def check_policy(document: str, kind: str = "identity") -> PolicyDocument:
    """Compile ``document`` as a policy of ``kind``; MalformedPolicyDocument when IAM would refuse it."""
    try:
        return parse_policy(document, kind=kind)
    except PolicyError as exc:
        raise errors.malformed(exc.message) from None


def check_managed_size(document: str) -> None:
    if policy_size(document) > MANAGED_POLICY_SIZE:
        raise errors.limit_exceeded(f"Cannot exceed quota for PolicySize: {MANAGED_POLICY_SIZE}")


def check_path(path: str | None, what: str = "path") -> str:
    """The path, '/' by default; it must begin and end with '/'."""
    if path is None:
        return "/"
    if not path.startswith("/") or not path.endswith("/") or "//" in path:
        raise errors.validation(f"The specified value for {what} is invalid. It must begin and end with / "
                                "and contain only alphanumeric characters and/or / characters.")
    return path


def tag_dict(tags: Iterable[dict[str, str]] | None, existing: dict[str, str] | None = None) -> dict[str, str]:
    """``existing`` updated with ``Tags`` ([{Key, Value}]), at most 50 in all."""
    merged = dict(existing or {})
    seen: set[str] = set()
    for tag in tags or ():
        key = tag["Key"]
        if key.lower() in seen:
            raise errors.invalid_input("Duplicate tag keys found. Please note that Tag keys are case insensitive.")
        seen.add(key.lower())
        if key.lower().startswith("aws:"):
            raise errors.invalid_input("User-defined tag keys can't start with 'aws:'.")
        for old in [k for k in merged if k.lower() == key.lower()]:
            del merged[old]
        merged[key] = tag.get("Value", "")
    if len(merged) > MAX_TAGS:
        raise errors.limit_exceeded(f"Cannot exceed quota for TagsPerEntity: {MAX_TAGS}.")
    return merged


def untag(existing: dict[str, str], keys: Iterable[str]) -> dict[str, str]:
    """``existing`` without ``keys`` (case-insensitive)."""
    drop = {k.lower() for k in keys}
    return {k: v for k, v in existing.items() if k.lower() not in drop}


def tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def _bad_marker() -> Any:
    return errors.invalid_input("Invalid Marker.")


def page(
    items: Iterable[T], key: Callable[[T], str], params: dict[str, Any], scope: str, default: int = DEFAULT_MAX_ITEMS
) -> tuple[list[T], dict[str, Any]]:
    """One page of ``items`` by ``Marker``/``MaxItems``: (items, {IsTruncated[, Marker]})."""
    marker = params.get("Marker")
    after = decode_token(marker, scope, _bad_marker) if marker else None
    result = paginate(items, key, after, params.get("MaxItems") or default)
    extra: dict[str, Any] = {"IsTruncated": result.truncated}
    if result.last_key is not None:
        extra["Marker"] = encode_token(result.last_key, scope)
    return result.items, extra
