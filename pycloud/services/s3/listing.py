"""S3 listing operations (ListObjects, ListObjectsV2, ListObjectVersions) over the native index."""

from __future__ import annotations


class ListingOperations:
    """Mixin of S3Provider: object listings."""
