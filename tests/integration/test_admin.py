"""The admin API: health, virtual clock, reset (ours and moto's), accounts."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import datetime

import pytest

from pycloud.testing import PycloudServer


def test_health(pycloud):
    health = pycloud.admin("GET", "/_pycloud/health")
    assert health["status"] == "running"
    assert health["version"]
    assert {"s3", "sts", "ec2", "dynamodb", "lambda", "cloudwatch"} <= set(health["services"])
    assert health["uptime_seconds"] >= 0
    assert health["persistent"] is False


def test_clock_advance_and_reset(pycloud):
    before = pycloud.admin("GET", "/_pycloud/clock")
    try:
        after = pycloud.advance_clock(3600)
        assert after["offset_seconds"] == before["offset_seconds"] + 3600
        elapsed = datetime.fromisoformat(after["now"]) - datetime.fromisoformat(before["now"])
        assert 3600 <= elapsed.total_seconds() < 3660
    finally:
        pycloud.reset()
    assert pycloud.admin("GET", "/_pycloud/clock")["offset_seconds"] == 0


@pytest.mark.parametrize("body", [b"{}", b'{"seconds": -5}', b'{"seconds": "ten"}', b"nope"])
def test_clock_advance_rejects_bad_input(pycloud, body):
    request = urllib.request.Request(pycloud.endpoint + "/_pycloud/clock/advance", data=body, method="POST")
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request)
    assert info.value.code == 400
    assert "error" in json.loads(info.value.read())


def test_unknown_admin_path(pycloud):
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(pycloud.endpoint + "/_pycloud/nothing-here")
    assert info.value.code == 404


def test_moto_reset_is_answered(pycloud):
    pycloud.advance_clock(10)
    result = pycloud.admin("POST", "/moto-api/reset")
    assert result == {"reset": True}
    assert pycloud.admin("GET", "/_pycloud/clock")["offset_seconds"] == 0


def test_declared_account_through_admin_api(pycloud):
    created = pycloud.admin(
        "POST", "/_pycloud/accounts",
        {"id": "222222222222", "access_key": "AKIATEAMB", "secret_key": "team-b-secret", "name": "team-b"},
    )
    assert created["id"] == "222222222222"
    sts = pycloud.client("sts", access_key="AKIATEAMB", secret_key="team-b-secret")
    assert sts.get_caller_identity()["Account"] == "222222222222"
    accounts = {a["id"] for a in pycloud.admin("GET", "/_pycloud/accounts")["accounts"]}
    assert {"000000000000", "222222222222"} <= accounts
    # A declared key is verified: the wrong secret is refused even in lenient mode.
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError):
        pycloud.client("sts", access_key="AKIATEAMB", secret_key="wrong").get_caller_identity()


def test_account_declaration_validation(pycloud):
    for body in ({"id": "12", "access_key": "a", "secret_key": "b"}, {"id": "333333333333"}):
        request = urllib.request.Request(
            pycloud.endpoint + "/_pycloud/accounts", data=json.dumps(body).encode(), method="POST"
        )
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(request)
        assert info.value.code == 400


def test_accounts_from_config_file_and_default_account(tmp_path):
    config = tmp_path / "pycloud.toml"
    config.write_text(
        'default_account = "123456789012"\n\n[[accounts]]\nid = "111111111111"\n'
        'access_key = "AKIAPROD"\nsecret_key = "prod-secret"\nname = "prod"\n'
    )
    with PycloudServer(["--config", str(config)]) as server:
        assert server.client("sts").get_caller_identity()["Account"] == "123456789012"
        prod = server.client("sts", access_key="AKIAPROD", secret_key="prod-secret").get_caller_identity()
        assert prod["Account"] == "111111111111"
        assert prod["Arn"] == "arn:aws:iam::111111111111:root"
