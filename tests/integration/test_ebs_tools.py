"""Real block tools against an emulated volume over NBD: qemu-img writes and compares an image,
fio's nbd engine measures the volume's throttled IOPS (a gp3 volume: its 3,000 IOPS baseline).
Each test skips when its tool is not installed (Debian: qemu-utils, fio)."""

from __future__ import annotations

import json
import shutil
import subprocess
import time

import pytest

from pycloud.testing import PycloudServer


@pytest.fixture(scope="module")
def served():
    with PycloudServer(["--nbd-port", "0"]) as server:
        yield server


def _volume(server: PycloudServer, **kwargs) -> str:
    ec2 = server.client("ec2")
    volume = ec2.create_volume(AvailabilityZone="us-east-1a", **kwargs)["VolumeId"]
    for _ in range(50):
        if ec2.describe_volumes(VolumeIds=[volume])["Volumes"][0]["State"] == "available":
            return volume
        time.sleep(0.05)
    raise AssertionError(f"{volume} never became available")


def _uri(server: PycloudServer, volume: str) -> str:
    return f"nbd://127.0.0.1:{server.admin('GET', '/_pycloud/ebs/nbd')['port']}/{volume}"


@pytest.mark.skipif(shutil.which("qemu-img") is None, reason="qemu-img is not installed (Debian: qemu-utils)")
def test_qemu_img_writes_an_image_into_a_volume_and_compares_it(served, tmp_path):
    volume = _volume(served, Size=1, VolumeType="gp3")
    image = tmp_path / "disk.raw"
    image.write_bytes(bytes(range(256)) * 8192)  # 2 MiB of a pattern
    uri = _uri(served, volume)
    info = subprocess.run(["qemu-img", "info", "--output=json", uri], capture_output=True, text=True, check=True)
    assert json.loads(info.stdout)["virtual-size"] == 1 << 30
    subprocess.run(["qemu-img", "convert", "-n", "-f", "raw", "-O", "raw", str(image), uri], check=True,
                   capture_output=True)
    compare = subprocess.run(["qemu-img", "compare", "-f", "raw", "-F", "raw", str(image), uri],
                             capture_output=True, text=True)
    assert compare.returncode == 0, compare.stdout + compare.stderr  # identical (the rest reads as zeros)


@pytest.mark.skipif(shutil.which("fio") is None, reason="fio is not installed")
def test_fio_nbd_engine_sees_the_gp3_baseline(served):
    volume = _volume(served, Size=8, VolumeType="gp3")  # 3,000 IOPS included
    done = subprocess.run(
        ["fio", "--name=randread", "--ioengine=nbd", f"--uri={_uri(served, volume)}", "--rw=randread",
         "--bs=4k", "--size=64m", "--runtime=2", "--time_based", "--output-format=json"],
        capture_output=True, text=True, timeout=60,
    )
    if "nbd" in done.stderr and "engine" in done.stderr.lower() and done.returncode != 0:
        pytest.skip(f"this fio has no nbd engine: {done.stderr.strip()[:200]}")
    assert done.returncode == 0, done.stderr
    job = json.loads(done.stdout[done.stdout.index("{"):])["jobs"][0]
    assert job["error"] == 0
    assert 2_000 <= job["read"]["iops"] <= 3_300  # throttled to the volume's 3,000 IOPS, not the disk's
