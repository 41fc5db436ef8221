"""Conditional requests: If-Match / If-None-Match / If-Modified-Since / If-Unmodified-Since.

Evaluated in RFC 9110 order, as S3 does: If-Match (else If-Unmodified-Since) can fail with 412;
then If-None-Match (else If-Modified-Since) answers 304 for reads. A true If-Match makes S3 ignore
a false If-Unmodified-Since, and a false If-None-Match makes it ignore If-Modified-Since. For copy
sources (``x-amz-copy-source-if-*``) every failure is a 412.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

from pycloud.services.s3 import errors


def etag_matches(header: str, etag: str) -> bool:
    """Whether an If-Match/If-None-Match list names ``etag`` (unquoted) or is ``*``."""
    for item in header.split(","):
        item = item.strip()
        if item.startswith("W/"):
            item = item[2:]
        if item == "*" or item.strip('"') == etag:
            return True
    return False


def _seconds(value: Any) -> int:
    """A timestamp (datetime or epoch seconds) as whole seconds."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return int(value.timestamp())
    return int(float(value))


def http_date(seconds: float) -> str:
    """An RFC 7231 date (``Last-Modified``)."""
    return format_datetime(datetime.fromtimestamp(int(seconds), UTC), usegmt=True)


def check(
    params: dict[str, Any], etag: str, last_modified: float, now: datetime | None, *, prefix: str = "", copy: bool = False
) -> None:
    """Raise 412 PreconditionFailed or 304 NotModified when the request's conditions say so.

    ``params`` members are ``{prefix}IfMatch``... (``CopySource`` for copies); ``etag`` unquoted,
    ``last_modified`` in epoch seconds; ``now`` (None: unknown) makes a future If-Modified-Since ignored.
    """
    names = ("If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since")
    label = (lambda n: f"x-amz-copy-source-{n}") if copy else (lambda n: n)
    if_match = params.get(f"{prefix}IfMatch")
    if_none_match = params.get(f"{prefix}IfNoneMatch")
    modified_since = params.get(f"{prefix}IfModifiedSince")
    unmodified_since = params.get(f"{prefix}IfUnmodifiedSince")
    modified = int(last_modified)
    if if_match is not None:
        if not etag_matches(if_match, etag):
            raise errors.precondition_failed(label(names[0]))
    elif unmodified_since is not None and modified > _seconds(unmodified_since):
        raise errors.precondition_failed(label(names[3]))
    not_modified = False
    if if_none_match is not None:
        not_modified = etag_matches(if_none_match, etag)
        failed = names[1]
    elif modified_since is not None and (now is None or _seconds(modified_since) <= _seconds(now)):
        not_modified = modified <= _seconds(modified_since)
        failed = names[2]
    if not_modified:
        if copy:
            raise errors.precondition_failed(label(failed))
        raise errors.not_modified(f'"{etag}"', http_date(last_modified))
