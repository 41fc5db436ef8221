"""Pure AWS Signature Version 4 primitives: canonical request, string to sign, signing key.

Nothing here knows about services, credentials or errors; ``auth.py`` builds on it. Everything is
written for the hot path (every request is verified): no regular expressions, signing keys cached,
``urllib.parse.quote`` only where a value actually needs (re-)encoding.

The rules follow AWS's "Create a canonical request for Signature Version 4":

* canonical URI: S3 signs the path as sent (each segment URI-encoded once); every other service
  normalises the path (dot segments and repeated slashes removed) and encodes it a second time;
* canonical query string: every parameter name and value URI-encoded (RFC 3986 unreserved
  characters kept), sorted by encoded name then encoded value;
* canonical headers: lower-case names, values trimmed with inner runs of spaces collapsed.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache
from urllib.parse import quote, unquote

ALGORITHM = "AWS4-HMAC-SHA256"
CHUNK_ALGORITHM = "AWS4-HMAC-SHA256-PAYLOAD"
TRAILER_ALGORITHM = "AWS4-HMAC-SHA256-TRAILER"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
UNRESERVED = "-_.~"
"""Characters (besides ASCII letters and digits) that SigV4 never percent-encodes."""

_sha256 = hashlib.sha256
_hmac_new = hmac.new
_hmac_digest = hmac.digest  # one-shot C implementation: no HMAC object per signature
_compare = hmac.compare_digest


def sha256_hex(data: bytes) -> str:
    """Lower-case hex SHA-256 of ``data``."""
    return _sha256(data).hexdigest()


# --- canonical URI ---------------------------------------------------------------------------


def remove_dot_segments(path: str) -> str:
    """RFC 3986 dot-segment removal that also drops empty segments (AWS merges repeated slashes)."""
    if not path:
        return "/"
    out: list[str] = []
    for segment in path.split("/"):
        if not segment or segment == ".":
            continue
        if segment == "..":
            if out:
                out.pop()
        else:
            out.append(segment)
    lead = "/" if path[0] == "/" else ""
    trail = "/" if path[-1] == "/" and out else ""
    return lead + "/".join(out) + trail


def canonical_uri(raw_path: str, *, s3: bool) -> str:
    """The canonical URI of ``raw_path`` (still percent-encoded, as received on the wire).

    S3 signs the path exactly as sent; the other services normalise it and encode it again
    (so ``%20`` becomes ``%2520``), which is what every AWS SDK does when signing.
    """
    if not raw_path:
        return "/"
    if s3:
        return raw_path
    return _normalised_uri(raw_path)


@lru_cache(maxsize=1024)
def _normalised_uri(raw_path: str) -> str:
    # JSON and query services post to a handful of paths ("/", a queue URL's path): remembered.
    return quote(remove_dot_segments(raw_path), safe="/~")


def normalize_s3_path(raw_path: str) -> str:
    """Re-encode each segment of an S3 path in canonical form (upper-case hex, reserved characters
    encoded, ``%2F`` inside a segment kept). Used as a second chance for clients that send a path
    whose encoding differs from the one they signed (e.g. ``!`` raw on the wire, ``%21`` signed)."""
    if not raw_path:
        return "/"
    return "/".join(quote(unquote(segment), safe="~") for segment in raw_path.split("/"))


# --- canonical query string ------------------------------------------------------------------


def canonical_query_from_raw(raw_query: str, exclude: str | None = None) -> str:
    """Canonical query string from the raw (encoded) query, skipping parameter ``exclude``.

    Each name and value is decoded and re-encoded, so clients that encode differently (lower-case
    hex, unencoded ``*``) still canonicalise to what they signed. ``+`` is a literal plus.
    """
    if not raw_query:
        return ""
    pairs: list[tuple[str, str]] = []
    for piece in raw_query.split("&"):
        if not piece:
            continue
        name, _, value = piece.partition("=")
        name = quote(unquote(name), safe=UNRESERVED) if "%" in name or not _is_unreserved(name) else name
        if exclude is not None and name == exclude:
            continue
        if value and ("%" in value or not _is_unreserved(value)):
            value = quote(unquote(value), safe=UNRESERVED)
        pairs.append((name, value))
    pairs.sort()
    return "&".join([f"{k}={v}" for k, v in pairs])


def canonical_query_from_params(query: dict[str, list[str]], exclude: str | None = None) -> str:
    """Canonical query string from already-decoded parameters (name → values in order)."""
    pairs: list[tuple[str, str]] = []
    for name, values in query.items():
        if name == exclude:
            continue
        ename = quote(name, safe=UNRESERVED)
        for value in values or ("",):
            pairs.append((ename, quote(value, safe=UNRESERVED)))
    pairs.sort()
    return "&".join([f"{k}={v}" for k, v in pairs])


_UNRESERVED_SET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")


def _is_unreserved(text: str) -> bool:
    # set comparison in C: far cheaper than quote() for the common already-canonical parameter
    return _UNRESERVED_SET.issuperset(text)


# --- canonical headers -----------------------------------------------------------------------


def trim_header_value(value: str) -> str:
    """Trim a header value and collapse inner runs of whitespace to one space (SigV4 ``Trimall``)."""
    if "  " in value or "\t" in value or value[:1] == " " or value[-1:] == " ":
        return " ".join(value.split())
    return value


def canonical_headers(headers: dict[str, str], signed_headers: list[str]) -> str:
    """The canonical headers block (each ``name:value\\n``) for the given signed header names.

    ``headers`` must have lower-case names. A signed header that is absent canonicalises to an
    empty value, so the signature simply fails to match.
    """
    get = headers.get
    return "".join([f"{name}:{trim_header_value(get(name, ''))}\n" for name in signed_headers])


def canonical_request(
    method: str,
    uri: str,
    query: str,
    headers_block: str,
    signed_headers: str,
    payload_hash: str,
) -> str:
    """Join the six canonical request parts (``headers_block`` already ends with a newline)."""
    return f"{method}\n{uri}\n{query}\n{headers_block}\n{signed_headers}\n{payload_hash}"


# --- string to sign and signatures -----------------------------------------------------------


def credential_scope(date: str, region: str, service: str) -> str:
    """``YYYYMMDD/region/service/aws4_request``."""
    return f"{date}/{region}/{service}/aws4_request"


def string_to_sign(amz_date: str, scope: str, canonical_request_text: str) -> str:
    """The SigV4 string to sign for a canonical request."""
    digest = _sha256(canonical_request_text.encode("utf-8")).hexdigest()
    return f"{ALGORITHM}\n{amz_date}\n{scope}\n{digest}"


@lru_cache(maxsize=512)
def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    """The derived signing key ``HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service),
    "aws4_request")``, cached (bounded LRU) because it only changes daily per key/region/service."""
    k = _hmac_new(("AWS4" + secret).encode("utf-8"), date.encode("utf-8"), _sha256).digest()
    k = _hmac_new(k, region.encode("utf-8"), _sha256).digest()
    k = _hmac_new(k, service.encode("utf-8"), _sha256).digest()
    return _hmac_new(k, b"aws4_request", _sha256).digest()


def sign(key: bytes, text: str) -> str:
    """Hex HMAC-SHA256 of ``text`` with the derived signing key."""
    return _hmac_digest(key, text.encode("utf-8"), "sha256").hex()


def signatures_equal(expected: str, provided: str) -> bool:
    """Constant-time comparison of two hex signatures."""
    return _compare(expected.encode("ascii", "replace"), provided.encode("ascii", "replace"))


def canonical_trailers(trailers: dict[str, str]) -> str:
    """Trailing headers in the canonical form their signature covers: sorted ``name:value\\n``."""
    return "".join(f"{name}:{trim_header_value(trailers[name])}\n" for name in sorted(trailers))


def trailer_string_to_sign(amz_date: str, scope: str, previous_signature: str, trailers: dict[str, str]) -> str:
    """String to sign for the trailing headers of a signed aws-chunked payload."""
    digest = sha256_hex(canonical_trailers(trailers).encode("utf-8"))
    return f"{TRAILER_ALGORITHM}\n{amz_date}\n{scope}\n{previous_signature}\n{digest}"
