"""The `pycloud` command and the AWS CLI against a live server."""

from __future__ import annotations

import json
import socket
import subprocess
import sys

import pytest
from aws_cli import aws_json, run_aws_cli


def _aws(pycloud, *args: str) -> dict:
    return aws_json(pycloud.endpoint, *args, timeout=120) or {}


def _pycloud(*args: str, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-P", "-m", "pycloud", *args], capture_output=True, text=True, timeout=timeout
    )


CLI_CALLS = [
    (("sts", "get-caller-identity"), lambda r: r["Account"] == "000000000000", "SignatureDoesNotMatch"),
    (("ec2", "describe-regions"), lambda r: any(x["RegionName"] == "us-east-1" for x in r["Regions"]), "AuthFailure"),
    (("ec2", "describe-availability-zones"), lambda r: r["AvailabilityZones"][0]["RegionName"] == "us-east-1", "AuthFailure"),
    (("s3api", "list-buckets"), lambda r: r["Buckets"] == [], "SignatureDoesNotMatch"),
    (("dynamodb", "list-tables"), lambda r: r["TableNames"] == [], "InvalidSignatureException"),
    (("lambda", "list-functions"), lambda r: r["Functions"] == [], "InvalidSignatureException"),
    (("cloudwatch", "list-metrics"), lambda r: r["Metrics"] == [], "Signature"),
]


@pytest.mark.parametrize("args,check,_code", CLI_CALLS, ids=[" ".join(c[0]) for c in CLI_CALLS])
def test_aws_cli(pycloud, args, check, _code):
    assert check(_aws(pycloud, *args))


@pytest.mark.parametrize("args,_check,code", CLI_CALLS, ids=[" ".join(c[0]) for c in CLI_CALLS])
def test_aws_cli_bad_secret(pycloud, args, _check, code):
    result = run_aws_cli(pycloud.endpoint, "--cli-read-timeout", "10", *args, secret_key="wrong", timeout=120)
    assert result.returncode != 0
    assert code in result.stderr, result.stderr


def test_status_and_reset_commands(pycloud):
    status = _pycloud("status", "--endpoint", pycloud.endpoint)
    assert status.returncode == 0
    assert json.loads(status.stdout)["status"] == "running"
    reset = _pycloud("reset", "--endpoint", pycloud.endpoint)
    assert reset.returncode == 0
    assert json.loads(reset.stdout) == {"reset": True}


def test_status_without_server():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = _pycloud("status", "--endpoint", f"http://127.0.0.1:{port}")
    assert result.returncode == 1
    assert "cannot reach" in result.stderr


def test_port_taken_is_a_clear_error():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        result = _pycloud("serve", "--port", str(port), "--ephemeral")
    assert result.returncode == 1
    assert f"port {port}" in result.stderr and "already in use" in result.stderr
    assert "Traceback" not in result.stderr


def test_unwritable_data_dir_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = _pycloud("serve", "--port", "0", "--data-dir", str(blocker / "data"))
    assert result.returncode == 1
    assert "data dir" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_config_is_a_clear_error(tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text("port = 'x'\n")
    result = _pycloud("serve", "--config", str(config))
    assert result.returncode == 2
    assert "port" in result.stderr
