"""The dispatcher's audit hook: one record per call on the event bus, errors included."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from in_process import app_client, ephemeral_app, serving

from pycloud.events import AUDIT_TOPIC, AuditRecord


@pytest.fixture
def live_app():
    """The real app (dispatcher, providers, state) served in a background loop of this process,
    so the test can subscribe to its event bus."""
    app = ephemeral_app()
    with serving(app) as endpoint:
        yield app, endpoint


def test_every_call_is_audited(live_app):
    app, endpoint = live_app
    records: list[AuditRecord] = []
    app.runtime.events.subscribe(AUDIT_TOPIC, records.append)

    app_client(endpoint, "sts").get_caller_identity()
    with pytest.raises(ClientError):
        app_client(endpoint, "dynamodb", secret="wrong").list_tables()
    with pytest.raises(ClientError):
        app_client(endpoint, "sts").assume_root(
            TargetPrincipal="111122223333",
            TaskPolicyArn={"arn": "arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials"},
        )

    assert [(r.service, r.operation, r.status, r.error_code) for r in records] == [
        ("sts", "GetCallerIdentity", 200, None),
        ("dynamodb", "ListTables", 400, "InvalidSignatureException"),
        ("sts", "AssumeRoot", 501, "NotImplemented"),
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
    assert app_client(endpoint, "sts").get_caller_identity()["Account"] == "000000000000"
