"""Short real ``pycloud bench`` runs against a spawned pycloud: the table, --json and --plot."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pycloud.bench.driver import native_engine


def _bench(*argv: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, "-P", "-m", "pycloud", "bench", *argv, "--workers", "2"],
                            capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, result.stderr
    return result


def _runs(path: Path) -> list[dict[str, Any]]:
    data = json.loads(path.read_text())
    assert data["tool"] == "pycloud bench" and data["summary"]
    return data["runs"]


def _sane(run: dict[str, Any], requests: int | None = None) -> None:
    assert run["completed"] > 0 and run["errors"] == 0 and run["error_codes"] == {}, run["error_codes"]
    if requests is not None:
        assert run["completed"] == requests
    latency = run["latency_ms"]
    assert 0 < latency["p50"] <= latency["p90"] <= latency["p99"] <= latency["p99.9"] <= latency["max"]
    assert run["ops_per_s"] > 0 and run["mb_per_s"] > 0 and run["elapsed_s"] > 0
    assert run["histogram"]["count"] == run["completed"]
    assert sum(c for c, _ in run["timeline"]) == run["completed"]
    assert run["server_rss_bytes"] is None or run["server_rss_bytes"] > 1 << 20


@pytest.mark.skipif(native_engine() is None, reason="pycloud._core has no LoadGenerator in this build")
def test_replay_workloads_on_the_native_engine(tmp_path: Path) -> None:
    out, png = tmp_path / "run.json", tmp_path / "run.png"
    result = _bench("s3-put", "s3-get", "s3-head", "--spawn", "pycloud", "--requests", "400", "--concurrency", "8",
                    "--json", str(out), "--plot", str(png))
    for name in ("s3-put", "s3-get", "s3-head"):
        assert any(line.split()[:2] == [name, "pycloud"] for line in result.stdout.splitlines()), result.stdout
    runs = _runs(out)
    assert [r["workload"] for r in runs] == ["s3-put", "s3-get", "s3-head"]
    for run in runs:
        assert run["engine"] == "native"
        _sane(run, 400)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_sqs_send_for_a_duration(tmp_path: Path) -> None:
    out = tmp_path / "send.json"
    result = _bench("sqs-send", "--spawn", "pycloud", "--duration", "2", "--concurrency", "8", "--json", str(out))
    assert "sqs-send" in result.stdout and "ops/s" in result.stdout
    (run,) = _runs(out)
    _sane(run)
    assert 1.5 < run["elapsed_s"] < 4


def test_python_replay_and_dynamic_workloads(tmp_path: Path) -> None:
    out, png = tmp_path / "py.json", tmp_path / "py.png"
    result = _bench("s3-put", "s3-get", "sqs-receive", "--engine", "python", "--spawn", "pycloud",
                    "--requests", "150", "--concurrency", "6", "--json", str(out), "--plot", str(png))
    assert "sqs-receive" in result.stdout
    runs = _runs(out)
    assert [(r["workload"], r["engine"]) for r in runs] == [("s3-put", "python"), ("s3-get", "python"),
                                                           ("sqs-receive", "python")]
    for run in runs:
        _sane(run, 150)
        assert run["client_cpu_pct"] is not None and run["client_cpu_pct"] > 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_dynamic_s3_and_e2e_workloads(tmp_path: Path) -> None:
    out, more = tmp_path / "mpu.json", tmp_path / "dyn.json"
    _bench("s3-multipart", "--spawn", "pycloud", "--requests", "6", "--concurrency", "3", "--size", "12MiB",
           "--part-size", "5MiB", "--json", str(out))
    (upload,) = _runs(out)
    _sane(upload, 6)
    assert upload["bytes"] > 6 * 12 * 2**20  # every upload sent its 12 MiB in three parts
    _bench("s3-list", "sqs-e2e", "--spawn", "pycloud", "--requests", "12", "--concurrency", "4", "--objects", "1500",
           "--json", str(more))
    runs = {r["workload"]: r for r in _runs(more)}
    _sane(runs["s3-list"], 12)
    _sane(runs["sqs-e2e"], 12)  # every message sent was received, its latency measured end to end


def test_two_endpoints_interleaved_with_ratios(tmp_path: Path) -> None:
    out = tmp_path / "two.json"
    _bench("sqs-send", "--spawn", "pycloud", "--spawn", "pycloud", "--rounds", "2", "--requests", "100",
           "--concurrency", "4", "--json", str(out))
    data = json.loads(out.read_text())
    assert [(r["endpoint"], r["round"]) for r in data["runs"]] == [("pycloud", 0), ("pycloud#2", 0),
                                                                   ("pycloud", 1), ("pycloud#2", 1)]
    first, second = data["summary"]
    assert first["ops_ratio_to_first"] == 1.0 and second["ops_ratio_to_first"] > 0
    assert first["completed"] == 200


@pytest.mark.skipif(native_engine() is None, reason="pycloud._core has no LoadGenerator in this build")
def test_http_get_ceiling_workload(tmp_path: Path) -> None:
    out = tmp_path / "get.json"
    _bench("http-get", "--path", "/_pycloud/health", "--spawn", "pycloud", "--requests", "300", "--concurrency", "4",
           "--json", str(out))
    (run,) = _runs(out)
    _sane(run, 300)
    assert run["workload"] == "http-get"
