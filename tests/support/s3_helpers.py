"""Shared pieces of the S3 integration tests: per-module accounts, error helpers, bucket names."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import botocore
import pytest
from botocore.config import Config
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


def client_as(server: Any, account: dict[str, str] | None) -> Any:
    """An S3 client of ``server`` signing as ``account`` (its ``access_key`` / ``secret_key``), or an
    unsigned (anonymous) one when ``account`` is None."""
    if account is None:
        return server.client("s3", config=Config(signature_version=botocore.UNSIGNED, retries={"max_attempts": 1}))
    return server.client("s3", access_key=account["access_key"], secret_key=account["secret_key"])


def declare_accounts(server: Any, *accounts: dict[str, str]) -> None:
    """Declare accounts (dicts of ``id``, ``access_key``, ``secret_key``, ``name``) through the admin API."""
    for account in accounts:
        server.admin("POST", "/_pycloud/accounts", account)


def owner_other_anon_fixtures(owner: dict[str, str], other: dict[str, str]) -> tuple[Any, Any, Any, Any]:
    """Fixtures for cross-account tests: a module-scoped ``clients`` (declares both accounts on ``pycloud``)
    and the ``owner``, ``other`` and ``anon`` (unsigned) S3 clients drawn from it.

    Use: ``clients, owner, other, anon = owner_other_anon_fixtures(OWNER, OTHER)``.
    """

    @pytest.fixture(scope="module", name="clients")
    def clients_fixture(pycloud) -> dict[str, Any]:
        declare_accounts(pycloud, owner, other)
        return {"owner": client_as(pycloud, owner), "other": client_as(pycloud, other), "anon": client_as(pycloud, None)}

    @pytest.fixture(name="owner")
    def owner_fixture(clients):
        return clients["owner"]

    @pytest.fixture(name="other")
    def other_fixture(clients):
        return clients["other"]

    @pytest.fixture(name="anon")
    def anon_fixture(clients):
        return clients["anon"]

    return clients_fixture, owner_fixture, other_fixture, anon_fixture
