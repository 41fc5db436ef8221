"""S3 control-plane records: the bucket registry (object data lives in the native objstore)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from pycloud.state.table import RecordModel


def canonical_user_id(account_id: str) -> str:
    """The account's S3 canonical user id: 64 lowercase hex digits, stable for the account."""
    return hashlib.sha256(f"pycloud-canonical-user:{account_id}".encode()).hexdigest()


@dataclass
class Bucket(RecordModel):
    """One bucket. Stored under (account=owner, region=bucket region, key=name)."""

    name: str
    account_id: str
    region: str
    created: datetime

    @property
    def arn(self) -> str:
        return f"arn:aws:s3:::{self.name}"
