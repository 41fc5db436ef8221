"""Shared pieces of the S3 integration tests: per-module accounts, error helpers, bucket names."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

BUCKET_TESTS_ACCOUNT = ("444455556666", "AKIAS3BUCKETTESTS001", "s3-bucket-tests-secret", "s3-tests")
"""The account the bucket test modules share (id, access key, secret, name)."""


def account_client_fixture(account: str, key: str, secret: str, name: str) -> Any:
    """A module-scoped ``client`` fixture: a factory of S3 clients acting as their own account.

    Tests act as a dedicated account (declared through the admin API) so the default account's
    bucket list stays as other test modules expect.
    """

    @pytest.fixture(scope="module")
    def client(pycloud) -> Callable[..., Any]:
        pycloud.admin("POST", "/_pycloud/accounts", {"id": account, "access_key": key, "secret_key": secret,
                                                     "name": name})

        def make(**kwargs: Any) -> Any:
            return pycloud.client("s3", access_key=key, secret_key=secret, **kwargs)

        return make

    return client


def unique(prefix: str = "bkt") -> str:
    """A bucket name no other test uses."""
    return f"{prefix}-{uuid.uuid4().hex[:16]}"


def error_of(call: Callable[..., Any], *args: Any, **kwargs: Any) -> ClientError:
    """The ClientError a call raises (fails the test if it raises none)."""
    with pytest.raises(ClientError) as info:
        call(*args, **kwargs)
    return info.value


def code_status(err: ClientError) -> tuple[str, int]:
    """(error code, HTTP status) of a ClientError."""
    return err.response["Error"]["Code"], err.response["ResponseMetadata"]["HTTPStatusCode"]
