"""``pycloud bench`` argument validation, --list, endpoint parsing and the loopback rule."""

from __future__ import annotations

import sys

import pytest

from pycloud.bench import endpoints as eps
from pycloud.bench.procstat import cpu_seconds, rss_bytes, supported
from pycloud.bench.report import format_table
from pycloud.cli import main


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["bench", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_list(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "--list")
    assert code == 0
    for name in ("s3-put", "s3-get", "s3-multipart", "sqs-send", "sqs-receive", "sqs-e2e"):
        assert name in out
    assert "dynamic" in out and "replay" in out


@pytest.mark.parametrize(("argv", "message"), [
    ([], "give a workload"),
    (["nope", "--requests", "1", "--spawn", "pycloud"], "unknown workload nope"),
    (["s3-put", "--spawn", "pycloud"], "every run must be bounded"),
    (["s3-put", "--duration", "0", "--spawn", "pycloud"], "--duration must be positive"),
    (["s3-put", "--requests", "0", "--spawn", "pycloud"], "--requests must be at least 1"),
    (["s3-put", "--requests", "5", "--concurrency", "0", "--spawn", "pycloud"], "--concurrency must be at least 1"),
    (["s3-put", "--requests", "5", "--rate", "-1", "--spawn", "pycloud"], "--rate must not be negative"),
    (["sqs-receive", "--requests", "5", "--rate", "100", "--spawn", "pycloud"], "--rate applies to replayable"),
    (["s3-put", "--requests", "5", "--size", "4XB", "--spawn", "pycloud"], "bad size '4XB'"),
    (["s3-put", "--requests", "5", "--size", "4KiB:x", "--spawn", "pycloud"], "bad size distribution"),
    (["s3-mixed", "--requests", "5", "--mix", "get=80,list=20", "--spawn", "pycloud"], "bad mix"),
    (["s3-put", "--requests", "5", "--mix", "get=1", "--spawn", "pycloud"], "--mix does not apply to s3-put"),
    (["s3-multipart", "--requests", "5", "--part-size", "1MiB", "--spawn", "pycloud"], "at least 5MiB"),
    (["s3-put", "--requests", "5"], "give --endpoint"),
    (["s3-put", "--requests", "5", "--endpoint", "ftp://x"], "expected http://host"),
    (["s3-put", "--requests", "5", "--endpoint", "http://127.0.0.1:1/path"], "without a path"),
    (["s3-put", "--requests", "5", "--endpoint", "http://10.1.2.3:9000"], "refusing non-loopback"),
    (["s3-put", "--requests", "5", "--endpoint", "aws=https://s3.amazonaws.com"], "--allow-remote"),
    (["s3-put", "--requests", "5", "--spawn", "pycloud", "--json", "/no/such/dir/x.json"], "does not exist"),
])
def test_validation_errors(capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    code, out, err = _run(capsys, *argv)
    assert code == 2
    assert message in err
    assert out == ""  # nothing ran


def test_both_bounds_are_accepted(capsys: pytest.CaptureFixture[str]) -> None:
    # a bounded run against a closed port gets as far as setup and fails cleanly (exit 1, a message)
    port = eps.free_port()
    code, _, err = _run(capsys, "s3-put", "--requests", "5", "--duration", "1", "--endpoint", f"http://127.0.0.1:{port}")
    assert code == 1 and "connect" in err


def test_remote_notice_lists_what_is_created(capsys: pytest.CaptureFixture[str]) -> None:
    # --allow-remote lets the run go on after listing resources; the address is unroutable (TEST-NET-1)
    code, _, err = _run(capsys, "sqs-send", "--requests", "1", "--timeout", "0.5", "--allow-remote",
                        "--endpoint", "http://192.0.2.1:9")
    assert "creates and then deletes" in err and "SQS queue pycloud-bench-sqs-send-" in err
    assert code == 1


def test_parse_endpoint_labels_and_loopback() -> None:
    e = eps.parse_endpoint("moto=http://127.0.0.1:5000/")
    assert (e.label, e.url, e.port, e.loopback) == ("moto", "http://127.0.0.1:5000", 5000, True)
    e = eps.parse_endpoint("http://localhost:4566?x=1".split("?")[0])
    assert e.label == "localhost:4566" and e.loopback
    assert eps.parse_endpoint("https://example.com").port == 443
    with pytest.raises(eps.EndpointError):
        eps.parse_endpoint("=http://127.0.0.1")
    for host in ("127.0.0.1", "127.8.9.10", "::1", "[::1]", "localhost", "LOCALHOST", "::ffff:127.0.0.1"):
        assert eps.is_loopback(host), host
    for host in ("10.0.0.1", "192.168.1.1", "example.com", "0.0.0.0", "::", "128.0.0.1"):
        assert not eps.is_loopback(host), host
    remote = eps.parse_endpoint("http://10.0.0.1")
    assert eps.check_remote([remote], allow_remote=True) == [remote]
    with pytest.raises(eps.EndpointError):
        eps.check_remote([remote], allow_remote=False)


def test_spawn_commands() -> None:
    command = eps.spawn_command("pycloud", 4567)
    assert command[:4] == [sys.executable, "-P", "-m", "pycloud"]
    assert "--ephemeral" in command and "4567" in command
    with pytest.raises(eps.EndpointError):
        eps.spawn_command("minio", 1)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_procstat_reads_this_process() -> None:
    import os

    assert supported(os.getpid()) and not supported(None)
    assert (cpu_seconds(os.getpid()) or 0) > 0
    assert (rss_bytes(os.getpid()) or 0) > 1 << 20
    assert cpu_seconds(2**30) is None


def test_table_shows_ratios_to_the_first_endpoint() -> None:
    from pycloud.bench.driver import RunResult

    a = RunResult("s3-get", "pycloud", "u", completed=1000, elapsed_s=1.0)
    b = RunResult("s3-get", "moto", "u", completed=250, elapsed_s=1.0, errors=2, error_codes={"SlowDown": 2})
    for r in (a, b):
        r.histogram.record(2_000_000)
    table = format_table([a, b])
    lines = table.splitlines()
    assert lines[0].split()[:4] == ["workload", "endpoint", "ops/s", "vs"]
    assert "1.00x" in lines[2] and "0.25x" in lines[3] and "SlowDown×2" in lines[3]
    assert "2.000" in lines[2]  # p50 in ms
