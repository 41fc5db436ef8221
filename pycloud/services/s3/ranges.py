"""Byte ranges of GetObject/HeadObject: the ``Range`` header and ``partNumber``.

S3 serves a single ``bytes=`` range (first-last, first-, -suffix) as 206 with Content-Range; a
header it cannot parse, or one naming several ranges, is ignored and the whole object is served.
"""

from __future__ import annotations

import re

from pycloud.services.s3 import errors

_SINGLE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$")


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """Inclusive ``(first, last)`` bytes to serve, or None for the whole object.

    Raises ``InvalidRange`` (416) when the range is well formed but no byte satisfies it.
    """
    if not header:
        return None
    match = _SINGLE.match(header)
    if not match:
        return None  # malformed or multiple ranges: S3 serves the whole object
    first_text, last_text = match.groups()
    if not first_text and not last_text:
        return None
    if not first_text:
        suffix = int(last_text)
        if suffix == 0 or size == 0:
            raise errors.invalid_range(header, size)
        return max(0, size - suffix), size - 1
    first = int(first_text)
    last = int(last_text) if last_text else size - 1
    if last_text and last < first:
        return None  # syntactically invalid (last before first): ignored like a bad header
    if first >= size:
        raise errors.invalid_range(header, size)
    return first, min(last, size - 1)


def part_range(part_number: int, part_sizes: list[int], size: int) -> tuple[int, int] | None:
    """Inclusive bytes of part ``part_number``; None when the whole object is the one part.

    Raises ``InvalidPartNumber`` (416) past the last part.
    """
    count = len(part_sizes) or 1
    if part_number < 1 or part_number > count:
        raise errors.invalid_part_number_requested(part_number, count)
    if not part_sizes:
        return None
    first = sum(part_sizes[: part_number - 1])
    return first, first + part_sizes[part_number - 1] - 1


def content_range(first: int, last: int, size: int) -> str:
    """The Content-Range header of a partial answer."""
    return f"bytes {first}-{last}/{size}"
