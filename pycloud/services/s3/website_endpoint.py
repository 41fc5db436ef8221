"""Serving a bucket as a static website (the ``s3-website`` endpoint): index and error documents,
redirect-all and routing rules, answered as HTML the way S3 website endpoints do.

Requests arrive unsigned, as from a browser: objects are served only when an anonymous caller may
read them (bucket policy / ACL / Block Public Access decide, as for the REST API).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from typing import Any
from urllib.parse import quote

Headers = list[tuple[str, str]]


@dataclass
class WebsiteAnswer:
    """What the website endpoint answers: status, headers and a body (bytes or an async iterator)."""

    status: int
    headers: Headers = field(default_factory=list)
    body: Any = b""


def error_page(status: int, code: str, message: str, extra: dict[str, str] | None = None) -> WebsiteAnswer:
    """S3's HTML error page for the website endpoint."""
    title = {403: "403 Forbidden", 404: "404 Not Found", 405: "405 Method Not Allowed"}.get(status, f"{status} Error")
    items = "".join(f"<li>{escape(k)}: {escape(v)}</li>\n" for k, v in {"Code": code, "Message": message, **(extra or {})}.items())
    html = f"<html>\n<head><title>{title}</title></head>\n<body>\n<h1>{title}</h1>\n<ul>\n{items}</ul>\n<hr/>\n</body>\n</html>\n"
    return WebsiteAnswer(status, [("Content-Type", "text/html; charset=utf-8")], html.encode())


def redirect(location: str, status: int = 301) -> WebsiteAnswer:
    return WebsiteAnswer(status, [("Location", location)], b"")


def index_key(key: str, suffix: str) -> str:
    """``""`` and ``dir/`` name their index document."""
    return key + suffix if key == "" or key.endswith("/") else key


def rule_redirect(rule: dict[str, Any], key: str, host: str) -> WebsiteAnswer:
    """The redirect a matching routing rule answers."""
    target = rule["Redirect"]
    condition = rule.get("Condition") or {}
    new_key = key
    if target.get("ReplaceKeyWith") is not None:
        new_key = target["ReplaceKeyWith"]
    elif target.get("ReplaceKeyPrefixWith") is not None:
        prefix = condition.get("KeyPrefixEquals") or ""
        new_key = target["ReplaceKeyPrefixWith"] + key[len(prefix):]
    protocol = target.get("Protocol") or "http"
    location = f"{protocol}://{target.get('HostName') or host}/{quote(new_key, safe='/')}"
    return redirect(location, int(target.get("HttpRedirectCode") or 301))


def matching_rule(rules: list[dict[str, Any]], key: str, error_status: int | None) -> dict[str, Any] | None:
    """The first routing rule whose condition holds (before a fetch: error_status is None)."""
    for rule in rules:
        condition = rule.get("Condition") or {}
        prefix = condition.get("KeyPrefixEquals")
        code = condition.get("HttpErrorCodeReturnedEquals")
        if prefix is not None and not key.startswith(prefix):
            continue
        if code is not None and (error_status is None or int(code) != error_status):
            continue
        if code is None and error_status is not None:
            continue  # prefix-only rules apply before the fetch
        return rule
    return None
