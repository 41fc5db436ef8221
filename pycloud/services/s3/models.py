"""S3 control-plane records: buckets and their configurations (object data lives in the native store)."""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pycloud.state.store import StateStore
from pycloud.state.table import RecordModel, RecordTable


def canonical_user_id(account_id: str) -> str:
    """The account's S3 canonical user id: 64 lowercase hex digits, stable for the account."""
    return hashlib.sha256(f"pycloud-canonical-user:{account_id}".encode()).hexdigest()


@dataclass
class Bucket(RecordModel):
    """One bucket and every configuration set on it.

    Stored under (account=owner, region=bucket region, key=name). ``configs`` maps a configuration
    name (``cors``, ``lifecycle``, ``policy``...) to its validated, stored form; an absent key means
    "not configured". Records are treated as immutable: change one with :meth:`with_config` or
    ``dataclasses.replace`` and ``put`` the copy, so memory never runs ahead of disk.
    """

    name: str
    account_id: str
    region: str
    created: datetime
    object_lock_enabled: bool = False
    versioning: str = ""
    """"" (never versioned), "Enabled" or "Suspended"."""
    mfa_delete: str = ""
    """"" (never set), "Enabled" or "Disabled"."""
    acl: list[dict[str, Any]] = field(default_factory=list)
    """Grants in the model's ``Grant`` form (``Grantee`` + ``Permission``)."""
    configs: dict[str, Any] = field(default_factory=dict)

    @property
    def arn(self) -> str:
        return f"arn:aws:s3:::{self.name}"

    def with_config(self, key: str, value: Any) -> Bucket:
        """A copy with configuration ``key`` set to ``value`` (removed when ``value`` is None)."""
        configs = dict(self.configs)
        if value is None:
            configs.pop(key, None)
        else:
            configs[key] = value
        return dataclasses.replace(self, configs=configs)


class BucketTable(RecordTable[Bucket]):
    """The bucket records plus a global name index: bucket names are unique across accounts and regions."""

    def __init__(self, store: StateStore, service: str) -> None:
        super().__init__(store, service, "bucket", Bucket)
        self._by_name: dict[str, tuple[str, str]] = {key: (account, region) for account, region, key, _ in self}

    def locate(self, name: str) -> Bucket | None:
        """The bucket called ``name`` whoever owns it, or None."""
        where = self._by_name.get(name)
        return self.get(where[0], where[1], name) if where else None

    def put(self, account: str, region: str, key: str, item: Bucket) -> None:
        super().put(account, region, key, item)
        self._by_name[key] = (account, region)

    def delete(self, account: str, region: str, key: str) -> Bucket | None:
        removed = super().delete(account, region, key)
        if self._by_name.get(key) == (account, region):
            del self._by_name[key]
        return removed

    def clear(self) -> None:
        super().clear()
        self._by_name.clear()
