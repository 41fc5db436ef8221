"""The copy source of CopyObject / UploadPartCopy: ``x-amz-copy-source``, its conditions and range."""

from __future__ import annotations

import re
from typing import Any, NamedTuple
from urllib.parse import parse_qs, unquote

from pycloud.services.s3 import conditions, errors

_RANGE = re.compile(r"^bytes=(\d+)-(\d+)$")


class CopySource(NamedTuple):
    """A parsed ``x-amz-copy-source``; ``version_id`` is "" for the latest version."""

    bucket: str
    key: str
    version_id: str


def parse_copy_source(header: str | None) -> CopySource:
    """``[/]bucket/key[?versionId=id]`` (URL-encoded) → CopySource.

    ``InvalidArgument`` when the bucket or key is missing, or the query is not one version id.
    """
    header = header or ""
    path, _, query = header.partition("?")
    version_id = ""
    if query:
        found = parse_qs(query, keep_blank_values=True)
        if set(found) != {"versionId"} or len(found["versionId"]) != 1 or not found["versionId"][0]:
            raise _invalid(header)
        version_id = found["versionId"][0]
    bucket, _, key = unquote(path).lstrip("/").partition("/")
    if not bucket or not key:
        raise _invalid(header)
    return CopySource(bucket, key, version_id)


parse = parse_copy_source


def check_copy_conditions(params: dict[str, Any], etag: str, last_modified_ns: int) -> None:
    """``x-amz-copy-source-if-*``: any failing condition is a 412 PreconditionFailed."""
    conditions.check(params, etag, last_modified_ns / 1e9, None, prefix="CopySource", copy=True)


def parse_copy_range(header: str | None, size: int) -> tuple[int, int]:
    """``x-amz-copy-source-range`` (``bytes=first-last``) → (offset, length); whole object when absent."""
    if header is None:
        return 0, size
    match = _RANGE.match(header.strip())
    if not match:
        raise errors.invalid_argument(
            "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the "
            "zero-based offsets of the first and last bytes to copy", "x-amz-copy-source-range", header)
    first, last = int(match.group(1)), int(match.group(2))
    if last < first or last >= size:
        raise errors.invalid_argument(f"Range specified is not valid for source object of size: {size}",
                                      "x-amz-copy-source-range", header)
    return first, last + 1 - first


def _invalid(header: str) -> Exception:
    return errors.invalid_argument("Invalid copy source object key", "x-amz-copy-source", header)
