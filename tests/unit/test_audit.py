"""The dispatcher's audit hook: one record per call on the event bus, errors included."""

from __future__ import annotations

import asyncio
import threading

import boto3
import pytest
import uvloop
from botocore.config import Config
from botocore.exceptions import ClientError

from pycloud.config import load_settings
from pycloud.events import AUDIT_TOPIC, AuditRecord
from pycloud.gateway.app import build_app
from pycloud.gateway.server import HttpServer


@pytest.fixture
def live_app():
    """The real app (dispatcher, providers, state) served in a background loop of this process,
    so the test can subscribe to its event bus."""
    app = build_app(load_settings(None, {"ephemeral": True}, environ={}))
    loop = uvloop.new_event_loop()
    server = HttpServer(app.dispatcher.handle)
    ready = threading.Event()
    port: list[int] = []

    def run() -> None:
        asyncio.set_event_loop(loop)
        port.append(loop.run_until_complete(server.start("127.0.0.1", 0)))
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    ready.wait(10)
    yield app, f"http://127.0.0.1:{port[0]}"
    asyncio.run_coroutine_threadsafe(server.shutdown(1), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)


def _client(endpoint: str, service: str, secret: str = "test"):
    return boto3.client(
        service, endpoint_url=endpoint, region_name="eu-west-1", aws_access_key_id="test",
        aws_secret_access_key=secret, config=Config(retries={"max_attempts": 1}),
    )


def test_every_call_is_audited(live_app):
    app, endpoint = live_app
    records: list[AuditRecord] = []
    app.runtime.events.subscribe(AUDIT_TOPIC, records.append)

    _client(endpoint, "sts").get_caller_identity()
    with pytest.raises(ClientError):
        _client(endpoint, "dynamodb", secret="wrong").list_tables()
    with pytest.raises(ClientError):
        _client(endpoint, "sts").get_session_token()

    assert [(r.service, r.operation, r.status, r.error_code) for r in records] == [
        ("sts", "GetCallerIdentity", 200, None),
        ("dynamodb", "ListTables", 400, "InvalidSignatureException"),
        ("sts", "GetSessionToken", 501, "NotImplemented"),
    ]
    first = records[0]
    assert first.account_id == "000000000000"
    assert first.principal_arn == "arn:aws:iam::000000000000:root"
    assert first.access_key == "test"
    assert first.region == "eu-west-1"
    assert first.source_ip == "127.0.0.1"
    assert first.request_id and first.duration_ms >= 0
    assert first.time.tzinfo is not None


def test_a_failing_subscriber_does_not_fail_the_request(live_app):
    app, endpoint = live_app

    def broken(_record: AuditRecord) -> None:
        raise RuntimeError("subscriber bug")

    app.runtime.events.subscribe(AUDIT_TOPIC, broken)
    assert _client(endpoint, "sts").get_caller_identity()["Account"] == "000000000000"
