"""S3 multipart uploads over the native store (parts streamed to disk, completion without copying)."""

from __future__ import annotations


class MultipartOperations:
    """Mixin of S3Provider: multipart upload operations."""
