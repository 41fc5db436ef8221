"""Static website configuration: index/error documents, redirect-all, routing rules."""

from __future__ import annotations

from typing import Any

from pycloud.services.s3 import errors

MAX_ROUTING_RULES = 50
PROTOCOLS = frozenset({"http", "https"})


def _check_protocol(protocol: str | None, where: str) -> None:
    if protocol is not None and protocol not in PROTOCOLS:
        raise errors.invalid_argument(
            f"Invalid protocol, protocol can be http or https. Given: {protocol}", where, protocol
        )


def _routing_rule(rule: dict[str, Any]) -> dict[str, Any]:
    redirect = rule.get("Redirect")
    if not redirect:
        raise errors.malformed_xml()
    if redirect.get("ReplaceKeyPrefixWith") is not None and redirect.get("ReplaceKeyWith") is not None:
        raise errors.invalid_request("You can only define ReplaceKeyPrefix or ReplaceKey but not both.")
    _check_protocol(redirect.get("Protocol"), "Protocol")
    code = redirect.get("HttpRedirectCode")
    if code is not None and not (code.isdigit() and 300 <= int(code) <= 399):
        raise errors.invalid_argument(
            "The provided HTTP redirect code is not valid. It should be a 3XX value.", "HttpRedirectCode", code
        )
    if not any(
        redirect.get(k) is not None
        for k in ("HostName", "HttpRedirectCode", "Protocol", "ReplaceKeyPrefixWith", "ReplaceKeyWith")
    ):
        raise errors.invalid_request("Invalid Redirect: at least one redirect element must be specified.")
    condition = rule.get("Condition")
    if condition is not None:
        error_code = condition.get("HttpErrorCodeReturnedEquals")
        if error_code is None and condition.get("KeyPrefixEquals") is None:
            raise errors.invalid_request(
                "Condition cannot be empty. To redirect all requests without a condition, the condition element shouldn't be present."
            )
        if error_code is not None and not (error_code.isdigit() and 400 <= int(error_code) <= 599):
            raise errors.invalid_argument(
                "The provided HTTP error code is not valid. Valid codes are 4XX or 5XX.",
                "HttpErrorCodeReturnedEquals",
                error_code,
            )
    return {k: v for k, v in rule.items() if v is not None}


def validate_website(config: dict[str, Any] | None) -> dict[str, Any]:
    """The WebsiteConfiguration to store.

    Either ``RedirectAllRequestsTo`` alone, or an ``IndexDocument`` (suffix non-empty, no slash) with
    optional ``ErrorDocument`` and ``RoutingRules``.
    """
    config = config or {}
    redirect_all = config.get("RedirectAllRequestsTo")
    index = config.get("IndexDocument")
    if redirect_all is not None:
        if index is not None or config.get("ErrorDocument") is not None or config.get("RoutingRules"):
            raise errors.invalid_request(
                "RedirectAllRequestsTo cannot be provided in conjunction with other Routing Rules."
            )
        if not redirect_all.get("HostName"):
            raise errors.malformed_xml()
        _check_protocol(redirect_all.get("Protocol"), "Protocol")
        return {"RedirectAllRequestsTo": redirect_all}
    if index is None:
        raise errors.invalid_argument(
            "A value for IndexDocument Suffix must be provided if RedirectAllRequestsTo is empty", "IndexDocument"
        )
    suffix = index.get("Suffix") or ""
    if not suffix or "/" in suffix:
        raise errors.invalid_argument("The IndexDocument Suffix is not well formed", "IndexDocument", suffix)
    out: dict[str, Any] = {"IndexDocument": {"Suffix": suffix}}
    error_doc = config.get("ErrorDocument")
    if error_doc is not None:
        if not error_doc.get("Key"):
            raise errors.invalid_argument("The ErrorDocument Key is not well formed", "ErrorDocument")
        out["ErrorDocument"] = {"Key": error_doc["Key"]}
    rules = config.get("RoutingRules")
    if rules:
        if len(rules) > MAX_ROUTING_RULES:
            raise errors.invalid_request(f"The number of routing rules must not exceed {MAX_ROUTING_RULES}")
        out["RoutingRules"] = [_routing_rule(rule) for rule in rules]
    return out
