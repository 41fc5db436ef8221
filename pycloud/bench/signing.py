"""A lean SigV4 signer producing what botocore's SigV4Auth/S3SigV4Auth produce (the canonical parts and
the HMAC are the gateway's own primitives, ``pycloud.gateway.sigv4``).

Header form only. Canonical rules, as botocore applies them to a prepared URL:

* path: S3 signs the wire path as is (each key segment percent-encoded once, ``/`` and ``~`` kept);
  other services normalise the path and encode it again;
* query: the wire query's ``name=value`` pairs sorted as strings (``build_query`` encodes them);
* headers: every header except hop-by-hop ones and ``user-agent``, lower-cased, values trimmed,
  plus ``host`` (default port dropped) and ``x-amz-date``; S3 also signs ``x-amz-content-sha256``
  carrying the body's real SHA-256, other services sign the body hash without sending it.
"""

from __future__ import annotations

import hashlib
import time
from urllib.parse import quote, urlsplit

from pycloud.gateway import sigv4

ALGORITHM = sigv4.ALGORITHM
UNSIGNED_HEADERS = frozenset({
    "authorization", "baggage", "connection", "content-length", "expect", "keep-alive",
    "proxy-authenticate", "proxy-authorization", "te", "traceparent", "tracestate", "trailer",
    "transfer-encoding", "upgrade", "user-agent", "x-amzn-trace-id",
})
"""Headers never signed: botocore's list, plus Content-Length and Authorization, which the
HTTP layer adds after signing."""


def encode_key(key: str) -> str:
    """An S3 object key (or bucket/key path) as it goes on the wire: each byte outside the RFC 3986
    unreserved set percent-encoded, ``/`` kept (what botocore's serializer sends)."""
    return quote(key, safe="/~")


def build_query(params: dict[str, str | None] | list[tuple[str, str | None]]) -> str:
    """An encoded query string; a ``None`` value gives a bare name (``?uploads``)."""
    items = params.items() if isinstance(params, dict) else params
    parts = []
    for name, value in items:
        ename = quote(name, safe="-_.~")
        parts.append(ename if value is None else f"{ename}={quote(value, safe='-_.~')}")
    return "&".join(parts)


def _host_header(scheme: str, netloc: str) -> str:
    host = netloc.rsplit("@", 1)[-1].lower()
    default = {"http": ":80", "https": ":443"}.get(scheme)
    if default and host.endswith(default):
        host = host[: -len(default)]
    return host


class Signer:
    """Signs requests for one access key, region and service (``s3`` gets S3's rules)."""

    def __init__(self, access_key: str, secret_key: str, region: str, service: str,
                 session_token: str | None = None) -> None:
        self.access_key = access_key
        self.secret_key = secret_key
        self.region = region
        self.service = service
        self.session_token = session_token
        self.s3 = service == "s3"

    def signing_key(self, date: str) -> bytes:
        """The derived key for ``YYYYMMDD`` (cached: it changes once a day)."""
        return sigv4.signing_key(self.secret_key, date, self.region, self.service)

    def sign(self, method: str, url: str, headers: dict[str, str] | None = None, body: bytes = b"",
             amz_date: str | None = None, payload_hash: str | None = None) -> dict[str, str]:
        """The headers to send: ``headers`` plus Host, X-Amz-Date, (S3) X-Amz-Content-SHA256,
        (with a session token) X-Amz-Security-Token and Authorization.

        ``url``'s path and query must already be in wire form (see ``encode_key``/``build_query``);
        ``amz_date`` (``YYYYMMDDTHHMMSSZ``) defaults to now; ``payload_hash`` to the body's SHA-256.
        """
        parts = urlsplit(url)
        amz_date = amz_date or time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        out = {name: value for name, value in (headers or {}).items() if name.lower() != "authorization"}
        lower = {name.lower() for name in out}
        if "host" not in lower:
            out["Host"] = _host_header(parts.scheme, parts.netloc)
        out["X-Amz-Date"] = amz_date
        digest = payload_hash or hashlib.sha256(body).hexdigest()
        if self.s3:
            out["X-Amz-Content-SHA256"] = digest
        if self.session_token:
            out["X-Amz-Security-Token"] = self.session_token
        canonical: dict[str, list[str]] = {}
        for name, value in out.items():
            lname = name.lower()
            if lname not in UNSIGNED_HEADERS:
                canonical.setdefault(lname, []).append(" ".join(str(value).split()))
        signed = sorted(canonical)
        block = "".join(f"{name}:{','.join(canonical[name])}\n" for name in signed)
        signed_names = ";".join(signed)
        path = sigv4.canonical_uri(parts.path or "/", s3=self.s3)
        query = ""
        if parts.query:
            query = "&".join(f"{k}={v}" for k, v in sorted(p.partition("=")[::2] for p in parts.query.split("&")))
        request = sigv4.canonical_request(method.upper(), path, query, block, signed_names, digest)
        date = amz_date[:8]
        scope = sigv4.credential_scope(date, self.region, self.service)
        signature = sigv4.sign(self.signing_key(date), sigv4.string_to_sign(amz_date, scope, request))
        out["Authorization"] = (f"{ALGORITHM} Credential={self.access_key}/{scope}, "
                                f"SignedHeaders={signed_names}, Signature={signature}")
        return out

    def http_request(self, method: str, url: str, headers: dict[str, str] | None = None, body: bytes = b"",
                     amz_date: str | None = None) -> bytes:
        """The complete signed HTTP/1.1 request (head + body) for ``url``, keep-alive."""
        parts = urlsplit(url)
        signed = self.sign(method, url, headers, body, amz_date)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        lines = [f"{method.upper()} {target} HTTP/1.1"]
        lines += [f"{name}: {value}" for name, value in signed.items()]
        if body or method.upper() in ("PUT", "POST"):
            lines.append(f"Content-Length: {len(body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + body
