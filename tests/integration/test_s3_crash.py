"""Crash safety of S3 writes: a client streams PUTs while the server is SIGKILLed at random moments.

After each restart every acknowledged object reads back byte-identical, and an object whose PUT
was in flight at the kill is either absent or complete: never partial.
"""

from __future__ import annotations

import hashlib
import random
import threading
import time

import pytest
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from pycloud.testing import PycloudServer

BUCKET = "crash-test"
SIZES = [0, 1, 1000, 64 * 1024, (1 << 20) - 1, (1 << 20) + 1, 3 * (1 << 20) + 7]


def body_for(key: str, size: int) -> bytes:
    """Deterministic content per key, so any stored object can be checked without remembering it."""
    seed = hashlib.sha256(key.encode()).digest()
    return (seed * (size // len(seed) + 1))[:size]


def key_for(round_no: int, n: int, size: int) -> str:
    return f"r{round_no}/obj-{n:05d}-{size}"


def _write_until_killed(s3, round_no: int, rng: random.Random, stop: threading.Event,
                        acknowledged: dict[str, int], in_flight: set[str]) -> None:
    """PUT objects until the server dies (or ``stop``), recording which were acknowledged."""
    n = 0
    while not stop.is_set():
        size = rng.choice(SIZES)
        key = key_for(round_no, n, size)
        n += 1
        in_flight.add(key)
        try:
            s3.put_object(Bucket=BUCKET, Key=key, Body=body_for(key, size))
        except (ClientError, BotoCoreError, OSError):
            return  # the server died mid-request
        acknowledged[key] = size


@pytest.mark.parametrize("fsync", ["batch", "always"])
def test_acknowledged_puts_survive_sigkill(tmp_path, fsync):
    data_dir = str(tmp_path / "data")
    args = ["--data-dir", data_dir, "--fsync", fsync]
    config = Config(retries={"max_attempts": 1}, connect_timeout=2, read_timeout=10)
    rng = random.Random(1234)
    acknowledged: dict[str, int] = {}
    in_flight: set[str] = set()

    with PycloudServer(args, ephemeral=False) as server:
        server.client("s3").create_bucket(Bucket=BUCKET)

    for round_no in range(3):
        server = PycloudServer(args, ephemeral=False).start()
        s3 = server.client("s3", config=config)
        stop = threading.Event()

        thread = threading.Thread(target=_write_until_killed, args=(s3, round_no, rng, stop, acknowledged, in_flight))
        thread.start()
        time.sleep(rng.uniform(0.4, 1.2))
        server.kill()
        stop.set()
        thread.join(30)

    assert len(acknowledged) > 20, "the writer should have completed many PUTs before the kills"
    with PycloudServer(args, ephemeral=False) as server:
        s3 = server.client("s3", config=config)
        for key, size in acknowledged.items():
            got = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
            assert got == body_for(key, size), key
        for key in in_flight - set(acknowledged):
            try:
                got = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
            except ClientError as err:
                assert err.response["Error"]["Code"] == "NoSuchKey"
                continue
            assert got == body_for(key, int(key.rsplit("-", 1)[1])), f"{key} is partial"
