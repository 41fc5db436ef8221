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
