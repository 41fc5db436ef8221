"""Shared pieces of the SQS integration tests: per-module accounts, protocol-forced clients, the CLI."""

from __future__ import annotations

import copy
import json
import tempfile
import uuid
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from aws_cli import aws_json
from botocore.config import Config


def unique(prefix: str = "q") -> str:
    """A queue name no other test uses."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@cache
def _query_model_dir() -> str:
    """A botocore data directory whose SQS model speaks only the query protocol (older SDKs)."""
    loader = botocore.session.get_session().get_component("data_loader")
    model = copy.deepcopy(loader.load_service_model("sqs", "service-2"))
    model["metadata"]["protocol"] = "query"
    model["metadata"]["protocols"] = ["query"]
    root = Path(tempfile.mkdtemp(prefix="pycloud-sqs-query-"))
    target = root / "sqs" / model["metadata"]["apiVersion"]
    target.mkdir(parents=True)
    (target / "service-2.json").write_text(json.dumps(model))
    return str(root)


class SqsAccount:
    """One test account: boto3 (json) clients, query-forced clients and the AWS CLI, all as that account."""

    def __init__(self, server: Any, account: str, key: str, secret: str) -> None:
        self.server = server
        self.account = account
        self.key = key
        self.secret = secret

    def client(self, region: str = "us-east-1", **kwargs: Any) -> Any:
        """A boto3 SQS client (awsJson 1.0, what current SDKs speak)."""
        return self.server.client("sqs", region=region, access_key=self.key, secret_key=self.secret, **kwargs)

    def query_client(self, region: str = "us-east-1") -> Any:
        """A botocore SQS client pinned to the query protocol."""
        session = botocore.session.get_session()
        session.get_component("data_loader").search_paths.insert(0, _query_model_dir())
        client = session.create_client(
            "sqs", endpoint_url=self.server.endpoint, region_name=region, aws_access_key_id=self.key,
            aws_secret_access_key=self.secret, config=Config(retries={"total_max_attempts": 1}),
        )
        assert client.meta.service_model.protocol == "query"
        return client

    def cli(self, *args: str, region: str = "us-east-1") -> Any:
        """Run ``aws sqs ...`` against the server; the parsed JSON output (None when empty)."""
        return aws_json(self.server.endpoint, "sqs", *args, region=region, access_key=self.key, secret_key=self.secret)


def account_fixture(account: str, key: str, secret: str, name: str) -> Callable[..., SqsAccount]:
    """A module-scoped fixture declaring an account through the admin API and returning its SqsAccount."""

    @pytest.fixture(scope="module")
    def fixture(pycloud) -> SqsAccount:
        pycloud.admin("POST", "/_pycloud/accounts", {"id": account, "access_key": key, "secret_key": secret,
                                                     "name": name})
        return SqsAccount(pycloud, account, key, secret)

    return fixture


def query_code(err: Any) -> str:
    """The error code a client saw (``Error.Code``)."""
    return err.response["Error"]["Code"]


def status(err: Any) -> int:
    return err.response["ResponseMetadata"]["HTTPStatusCode"]


def signed_json_request(host: str, operation: str, payload: Any, *, key: str = "test", secret: str = "test",
                        region: str = "us-east-1", extra: dict[str, str] | None = None) -> bytes:
    """The raw bytes of a SigV4-signed SQS JSON request to ``host``, as an SDK sends it (``payload``:
    a document to encode, or the body's bytes; ``extra``: more headers, signed too)."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    request = AWSRequest(method="POST", url=f"http://{host}/", data=body, headers={
        "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": f"AmazonSQS.{operation}", **(extra or {})})
    SigV4Auth(Credentials(key, secret), "sqs", region).add_auth(request)
    head = f"POST / HTTP/1.1\r\nHost: {host}\r\nContent-Length: {len(body)}\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in request.headers.items())
    return head.encode() + b"\r\n" + body
