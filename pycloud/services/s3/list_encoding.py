"""``encoding-type=url`` for S3 listings.

S3 form-encodes key-valued response members: UTF-8 percent-escapes, a space as ``+`` (so a literal
``+`` becomes ``%2B``) and ``/`` left as is. Clients (botocore) decode with ``unquote_plus``.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote_plus


def url_encode(value: str) -> str:
    """One key-valued member as S3 writes it under ``encoding-type=url``."""
    return quote_plus(value, safe="/")


def _identity(value: str) -> str:
    return value


def encoder(encoding: str | None) -> Callable[[str], str]:
    """The function applied to keys, prefixes, markers and delimiters in the response."""
    return url_encode if encoding == "url" else _identity
