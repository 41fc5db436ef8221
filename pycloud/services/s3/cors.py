"""CORS configuration: at most 100 rules, each with supported methods and at most one wildcard per origin/header."""

from __future__ import annotations

from typing import Any

from pycloud.services.s3 import errors

MAX_RULES = 100
METHODS = frozenset({"GET", "PUT", "HEAD", "POST", "DELETE"})


def validate_cors(config: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The CORSRules to store."""
    rules = (config or {}).get("CORSRules")
    if not rules or len(rules) > MAX_RULES:
        raise errors.malformed_xml()
    out = []
    for rule in rules:
        methods = rule.get("AllowedMethods") or []
        origins = rule.get("AllowedOrigins") or []
        if not methods or not origins:
            raise errors.malformed_xml()
        for method in methods:
            if method not in METHODS:
                raise errors.invalid_request(
                    f"Found unsupported HTTP method in CORS config. Unsupported method is {method}"
                )
        for origin in origins:
            if origin.count("*") > 1:
                raise errors.invalid_request(f'AllowedOrigin "{origin}" can not have more than one wildcard.')
        for header in rule.get("AllowedHeaders") or []:
            if header.count("*") > 1:
                raise errors.invalid_request(f'AllowedHeader "{header}" can not have more than one wildcard.')
        max_age = rule.get("MaxAgeSeconds")
        if max_age is not None and max_age < 0:
            raise errors.malformed_xml()
        out.append({k: v for k, v in rule.items() if v is not None})
    return out


# -- evaluation (preflight OPTIONS and actual cross-origin requests) -----------------------------


def _wildcard_match(pattern: str, value: str, *, fold: bool = False) -> bool:
    """``*`` matches any run of characters (at most one per pattern, as the rules allow)."""
    if fold:
        pattern, value = pattern.lower(), value.lower()
    if "*" not in pattern:
        return pattern == value
    head, _, tail = pattern.partition("*")
    return len(value) >= len(head) + len(tail) and value.startswith(head) and value.endswith(tail)


def match_rule(
    rules: list[dict[str, Any]], origin: str, method: str, requested_headers: list[str]
) -> dict[str, Any] | None:
    """The first rule allowing ``origin``, ``method`` and every requested header, as S3 evaluates them."""
    for rule in rules:
        if method not in rule.get("AllowedMethods", ()):
            continue
        if not any(_wildcard_match(o, origin) for o in rule.get("AllowedOrigins", ())):
            continue
        allowed = rule.get("AllowedHeaders") or []
        if all(any(_wildcard_match(a, h, fold=True) for a in allowed) for h in requested_headers):
            return rule
    return None


def response_headers(rule: dict[str, Any], origin: str, requested_headers: list[str]) -> list[tuple[str, str]]:
    """The Access-Control-* headers S3 answers for a matching rule."""
    wildcard = "*" in rule.get("AllowedOrigins", ())
    headers = [
        ("Access-Control-Allow-Origin", "*" if wildcard else origin),
        ("Access-Control-Allow-Methods", ", ".join(rule["AllowedMethods"])),
        ("Vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"),
    ]
    if not wildcard:
        headers.append(("Access-Control-Allow-Credentials", "true"))
    if requested_headers:
        headers.append(("Access-Control-Allow-Headers", ", ".join(requested_headers)))
    if rule.get("ExposeHeaders"):
        headers.append(("Access-Control-Expose-Headers", ", ".join(rule["ExposeHeaders"])))
    if rule.get("MaxAgeSeconds") is not None:
        headers.append(("Access-Control-Max-Age", str(rule["MaxAgeSeconds"])))
    return headers
