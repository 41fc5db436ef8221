"""The native object store behind S3: where it lives, and its failures as S3 errors.

Object bodies, versions, delete markers and multipart parts live in ``pycloud._core.ObjectStore``
under ``<data-dir>/s3``; an ephemeral server keeps it in a temporary directory removed at exit.
Bucket records and configurations stay in the control-plane state (``models.py``); a bucket exists
in the store from its creation on (created lazily if a crash came between the two).
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import threading
from pathlib import Path

from pycloud._core import ObjectStore, StoreError
from pycloud.protocol.errors import ServiceError
from pycloud.services.s3 import errors

STORE_DIR = "s3"


class S3DataStore:
    """Owns the ObjectStore: opening, lazy bucket creation, wiping on reset."""

    def __init__(self, data_path: Path | None, sync: str = "batch") -> None:
        self._sync = sync
        self._lock = threading.Lock()
        if data_path is None:
            self._tmp = tempfile.mkdtemp(prefix="pycloud-s3-")
            atexit.register(shutil.rmtree, self._tmp, True)
            self.path = Path(self._tmp)
        else:
            self._tmp = None
            self.path = Path(data_path) / STORE_DIR
        self.path.mkdir(parents=True, exist_ok=True)
        self.store = ObjectStore(str(self.path), sync=sync)
        self._known: set[str] = set(self.store.list_buckets())

    def ensure_bucket(self, name: str) -> None:
        """Make sure the bucket's namespace exists in the store (cheap after the first call)."""
        if name in self._known:
            return
        with self._lock:
            if name not in self._known:
                if not self.store.bucket_exists(name):
                    self.store.create_bucket(name)
                self._known.add(name)

    def is_empty(self, name: str) -> bool:
        """No versions, delete markers or multipart uploads left in the bucket."""
        if not self.store.bucket_exists(name):
            return True
        versions = self.store.list_versions(name, max_keys=1)
        uploads = self.store.list_uploads(name, max_uploads=1)
        return not versions.versions and not uploads.uploads

    def drop_bucket(self, name: str) -> None:
        """Remove an (empty) bucket's namespace."""
        with self._lock:
            if self.store.bucket_exists(name):
                self.store.delete_bucket(name)
            self._known.discard(name)

    def wipe(self) -> None:
        """Forget every object (admin reset): close, delete the directory, reopen empty."""
        with self._lock:
            self.store.close()
            shutil.rmtree(self.path, ignore_errors=True)
            self.path.mkdir(parents=True, exist_ok=True)
            self.store = ObjectStore(str(self.path), sync=self._sync)
            self._known.clear()


def store_error(exc: StoreError, bucket: str, key: str | None = None, version_id: str | None = None,
                upload_id: str | None = None) -> ServiceError:
    """The S3 error for a store failure (anything unexpected becomes a 500 InternalError)."""
    code = getattr(exc, "code", "")
    if code == "NoSuchKey":
        return errors.no_such_key(key or "")
    if code == "NoSuchVersion":
        return errors.no_such_version(key or "", version_id or "")
    if code == "NoSuchBucket":
        return errors.no_such_bucket(bucket)
    if code == "BucketNotEmpty":
        return errors.bucket_not_empty(bucket)
    if code == "NoSuchUpload":
        return errors.no_such_upload(upload_id or "")
    if code == "InvalidPart":
        return errors.invalid_part()
    if code == "InvalidPartOrder":
        return errors.invalid_part_order()
    if code == "EntityTooSmall":
        return errors.entity_too_small()
    if code == "InvalidPartNumber":
        return errors.invalid_part_number()
    if code == "KeyTooLong":
        return errors.key_too_long()
    return ServiceError("InternalError", "We encountered an internal error. Please try again.", 500,
                        sender_fault=False)
