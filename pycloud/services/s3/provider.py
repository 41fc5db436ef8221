"""S3 operations: ListBuckets so far (buckets themselves come with the S3 data plane)."""

from __future__ import annotations

from typing import Any

from pycloud.context import RequestContext
from pycloud.protocol.errors import ServiceError
from pycloud.services.base import Provider, ServiceRuntime
from pycloud.services.pagination import decode_token, next_token, paginate
from pycloud.services.s3.models import Bucket, canonical_user_id
from pycloud.state.table import RecordTable

MAX_BUCKETS = 10_000
"""The largest page S3 returns, and its page size when paginating without ``max-buckets``."""

_TOKEN_SCOPE = "s3:ListBuckets"


def _bad_token() -> ServiceError:
    return ServiceError(
        "InvalidArgument",
        "The continuation token provided is incorrect",
        400,
        fields={"ArgumentName": "continuation-token"},
    )


class S3Provider(Provider):
    """Amazon Simple Storage Service."""

    service = "s3"

    def __init__(self, runtime: ServiceRuntime) -> None:
        super().__init__(runtime)
        self.buckets: RecordTable[Bucket] = RecordTable(runtime.state, self.service, "bucket", Bucket)

    def reset(self) -> None:
        self.buckets.clear()

    def owner(self, account_id: str) -> dict[str, str]:
        """The ``Owner`` element for an account's resources."""
        account = self.runtime.credentials.accounts.get(account_id)
        return {
            "DisplayName": (account.name if account and account.name else account_id),
            "ID": canonical_user_id(account_id),
        }

    def list_buckets(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """The caller's buckets in name order, optionally by prefix/region and paginated."""
        max_buckets = params.get("MaxBuckets")
        if max_buckets is not None and not 1 <= max_buckets <= MAX_BUCKETS:
            raise ServiceError(
                "InvalidArgument",
                f"Argument max-buckets must be an integer between 1 and {MAX_BUCKETS}",
                400,
                fields={"ArgumentName": "max-buckets", "ArgumentValue": str(max_buckets)},
            )
        token = params.get("ContinuationToken")
        prefix = params.get("Prefix")
        region = params.get("BucketRegion")
        after = decode_token(token, _TOKEN_SCOPE, _bad_token) if token else None

        buckets = [
            b
            for b in self.buckets.values(ctx.account_id)
            if (not prefix or b.name.startswith(prefix)) and (not region or b.region == region)
        ]
        # Without any pagination parameter S3 answers every bucket at once (the legacy form).
        paginated = any(p is not None for p in (max_buckets, token, prefix, region))
        limit = (max_buckets or MAX_BUCKETS) if paginated else max(len(buckets), 1)
        page = paginate(buckets, lambda b: b.name, after, limit)

        result: dict[str, Any] = {
            "Buckets": [
                {"Name": b.name, "CreationDate": b.created, "BucketRegion": b.region, "BucketArn": b.arn}
                for b in page.items
            ],
            "Owner": self.owner(ctx.account_id),
        }
        token_out = next_token(page, _TOKEN_SCOPE)
        if token_out:
            result["ContinuationToken"] = token_out
        if prefix is not None:
            result["Prefix"] = prefix
        return result
