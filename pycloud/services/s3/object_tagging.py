"""Object tags: the ``x-amz-tagging`` header, Put/Get/DeleteObjectTagging rules and their storage.

Tags are mutable per version, so they live in the control-plane state (RecordTable kind
``object-tags``) keyed by bucket, version id and key, not in the store's immutable metadata.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from pycloud.services.s3 import errors
from pycloud.services.s3.tagging import checked_tags
from pycloud.state.table import RecordModel, RecordTable

MAX_TAGS = 10


@dataclass
class ObjectTags(RecordModel):
    """The tag set of one object version."""

    tags: list[dict[str, str]] = field(default_factory=list)


def version_key(bucket: str, key: str, version_id: str) -> str:
    """Record key for one version (bucket names and version ids hold no ``/``, keys may)."""
    return f"{bucket}/{version_id or 'null'}/{key}"


def validate(tags: list[dict[str, str]]) -> list[dict[str, str]]:
    """An object tag set checked like S3 (``InvalidTag``): count, lengths, duplicates, ``aws:``."""
    if len(tags) > MAX_TAGS:
        raise errors.invalid_tag("Object tags cannot be greater than 10")
    return checked_tags(tags, "Your TagKey cannot be prefixed with aws:")


def parse_header(header: str | None) -> list[dict[str, str]]:
    """The URL-encoded ``x-amz-tagging`` header (``k1=v1&k2=v2``) as a validated tag set."""
    if not header:
        return []
    try:
        pairs = parse_qsl(header, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise errors.invalid_argument("The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL "
                                      "query parameters without tag name duplicates.", "x-amz-tagging", header) from None
    return validate([{"Key": k, "Value": v} for k, v in pairs])


class TagStore:
    """Per-version tag sets in a RecordTable scoped by the bucket's (account, region)."""

    def __init__(self, table: RecordTable[ObjectTags]) -> None:
        self.table = table

    def get(self, scope: tuple[str, str], bucket: str, key: str, version_id: str) -> list[dict[str, str]]:
        found = self.table.get(*scope, version_key(bucket, key, version_id))
        return list(found.tags) if found else []

    def set(self, scope: tuple[str, str], bucket: str, key: str, version_id: str, tags: list[dict[str, str]]) -> None:
        """Replace the version's tags (an empty set removes the record)."""
        name = version_key(bucket, key, version_id)
        if tags:
            self.table.put(*scope, name, ObjectTags(tags))
        elif self.table.get(*scope, name) is not None:
            self.table.delete(*scope, name)

