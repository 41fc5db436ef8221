"""pycloud.ebs.open_volume and the throttled I/O path under it (pycloud/ebs/blockio.py, api.py):
scheduler waits and first-touch penalties on a hand-driven clock, the file-like API over both
backends (in-process and NBD, which must behave the same), target parsing, the NBD settings."""

from __future__ import annotations

import errno
import io
import time

import pytest
from ebs_nbd_helpers import GiB, ManualClock, nbd_runtime

from pycloud._core import BLOCK_SIZE
from pycloud.config import ConfigError, load_settings
from pycloud.ebs import Volume, open_volume
from pycloud.ebs.blockio import ThrottledVolume
from pycloud.ebs.runtime import EbsRuntime, VolumeConfig
from pycloud.services.base import ServiceRuntime

KiB = 1024


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def runtime(tmp_path, clock):
    found = EbsRuntime(tmp_path, "never", clock)
    yield found
    found.close()


def errno_of(call, *args) -> int:
    with pytest.raises(OSError) as info:
        call(*args)
    return info.value.errno


# -- throttling (ThrottledVolume on a manual clock) ----------------------------------------------


def test_each_io_waits_what_the_scheduler_says(runtime, clock):
    runtime.store.create_volume("vol-io1", 10 * GiB)
    runtime.configure("vol-io1", VolumeConfig("io1", 10, iops=100))
    volume = ThrottledVolume(runtime, "vol-io1", sleep=clock.sleep)
    for n in range(5):  # scattered 4 KiB reads: one operation each at 100 IOPS
        volume.read(n * 64 * KiB * 10, 4 * KiB)
    assert clock.slept == pytest.approx([0.01] * 4)  # a lone I/O on an idle volume never waits
    volume.write(5 * GiB, b"x" * 4096)
    assert clock.slept[-1] == pytest.approx(0.01)
    metrics = runtime.scheduler("vol-io1").metrics(clock.time())
    assert (metrics["read_requests"], metrics["write_requests"], metrics["throttled_ios"]) == (5, 1, 5)


def test_unconfigured_volume_and_flush_trim_are_not_throttled(runtime, clock):
    runtime.store.create_volume("vol-free", GiB)
    volume = ThrottledVolume(runtime, "vol-free", sleep=clock.sleep)
    for n in range(50):
        volume.write(n * 8192, b"y" * 4096)
    assert clock.slept == []
    runtime.configure("vol-free", VolumeConfig("io1", 10, iops=100))
    for _ in range(20):
        volume.trim(0, 8192)
        volume.flush()
    assert clock.slept == []
    assert runtime.scheduler("vol-free").metrics(clock.time())["write_requests"] == 0


def test_first_touch_penalty_per_hydrated_block(runtime, clock):
    store = runtime.store
    store.create_volume("vol-src", GiB)
    store.write("vol-src", 0, b"a" * (2 * BLOCK_SIZE))
    store.create_snapshot("vol-src", "snap-1")
    store.create_volume("vol-lazy", GiB, "snap-1")
    store.set_first_touch_penalty("vol-lazy", 5000)
    volume = ThrottledVolume(runtime, "vol-lazy", sleep=clock.sleep)
    assert volume.read(BLOCK_SIZE - 10, 20) == b"a" * 20  # spans blocks 0 and 1: two first touches
    assert clock.slept == [pytest.approx(0.010)]
    volume.read(0, 2 * BLOCK_SIZE)  # hydrated now: nothing more to pay
    assert clock.slept == [pytest.approx(0.010)]
    store.set_first_touch_penalty("vol-lazy", 0)  # fast snapshot restore
    assert volume.read(5 * BLOCK_SIZE, 10) == bytes(10)
    assert len(clock.slept) == 1


def test_bad_ranges_fail_before_being_charged(runtime, clock):
    runtime.store.create_volume("vol-edge", GiB)
    runtime.configure("vol-edge", VolumeConfig("io1", 10, iops=100))
    volume = ThrottledVolume(runtime, "vol-edge", sleep=clock.sleep)
    assert errno_of(volume.read, GiB - 10, 11) == errno.EINVAL
    assert errno_of(volume.write, GiB - 1, b"zz") == errno.ENOSPC
    assert errno_of(volume.write_zeroes, GiB, 1) == errno.ENOSPC
    assert errno_of(volume.trim, GiB, 4096) == errno.EINVAL
    assert errno_of(volume.read, -1, 1) == errno.EINVAL
    assert runtime.scheduler("vol-edge").metrics(clock.time())["read_requests"] == 0


def test_grown_volume_shows_its_new_size(runtime, clock):
    runtime.store.create_volume("vol-grow", GiB)
    volume = ThrottledVolume(runtime, "vol-grow", sleep=clock.sleep)
    runtime.store.resize_volume("vol-grow", 2 * GiB)
    volume.write(GiB + 5, b"grown")
    assert (volume.size, volume.read(GiB + 5, 5)) == (2 * GiB, b"grown")


def test_deleted_volume_reads_fail_with_eio(runtime, clock):
    runtime.store.create_volume("vol-gone", GiB)
    volume = ThrottledVolume(runtime, "vol-gone", sleep=clock.sleep)
    runtime.store.delete_volume("vol-gone")
    assert errno_of(volume.read, 0, 10) == errno.EIO


def test_write_zeroes_with_and_without_holes(runtime, clock):
    store = runtime.store
    store.create_volume("vol-z", GiB)
    volume = ThrottledVolume(runtime, "vol-z", sleep=clock.sleep)
    volume.write(0, b"\xff" * (4 * BLOCK_SIZE))
    volume.write_zeroes(0, 2 * BLOCK_SIZE)  # whole blocks: discarded
    volume.write_zeroes(2 * BLOCK_SIZE, 2 * BLOCK_SIZE, no_hole=True)  # written as zeros
    assert volume.read(0, 4 * BLOCK_SIZE) == bytes(4 * BLOCK_SIZE)
    assert store.volume_info("vol-z")["allocated_bytes"] == 2 * BLOCK_SIZE


# -- the file-like API, the same over both backends ----------------------------------------------


@pytest.fixture(params=["in-process", "nbd"])
def opened(request, tmp_path):
    """(runtime, opener): ``opener(volume_id)`` opens through the parametrised backend."""
    with nbd_runtime(tmp_path) as (runtime, port):
        target = runtime if request.param == "in-process" else port
        yield runtime, lambda volume_id: open_volume(target, volume_id)


def test_file_semantics(opened):
    runtime, opener = opened
    runtime.store.create_volume("vol-file", 8 * BLOCK_SIZE)
    with opener("vol-file") as vol:
        assert isinstance(vol, Volume) and isinstance(vol, io.RawIOBase)
        assert (vol.size, vol.tell()) == (8 * BLOCK_SIZE, 0)
        assert vol.write(b"hello ") == 6 and vol.write(b"world") == 5
        assert vol.tell() == 11
        assert vol.seek(0) == 0 and vol.read(11) == b"hello world"
        assert vol.seek(-5, io.SEEK_CUR) == 6 and vol.read(5) == b"world"
        assert vol.pwrite(BLOCK_SIZE - 2, b"span") == 4
        assert vol.pread(BLOCK_SIZE - 2, 4) == b"span" and vol.tell() == 11  # pread leaves the position
        assert vol.seek(-3, io.SEEK_END) == vol.size - 3
        assert vol.read(10) == bytes(3) and vol.read(10) == b""  # short at the end, then EOF
        assert vol.pread(vol.size - 1, 100) == b"\x00" and vol.pread(vol.size + 5, 1) == b""
        vol.trim(0, BLOCK_SIZE)
        assert vol.pread(0, 11) == bytes(11)
        vol.flush()
        buffer = bytearray(4)
        vol.seek(BLOCK_SIZE)
        assert vol.readinto(buffer) == 4 and bytes(buffer) == b"an\x00\x00"
    assert vol.closed
    with pytest.raises(ValueError):
        vol.read(1)
    assert runtime.store.read("vol-file", BLOCK_SIZE, 2) == b"an"  # in the store itself (the trim took "sp")


def test_read_all_and_big_transfers(opened):
    runtime, opener = opened
    size = 4 * BLOCK_SIZE
    runtime.store.create_volume("vol-big", size)
    data = bytes(range(256)) * (size // 256)
    with opener("vol-big") as vol:
        vol.write(data)
        vol.seek(0)
        assert vol.read() == data
        assert vol.tell() == size


def test_errors_are_oserrors_with_nbd_errnos(opened):
    runtime, opener = opened
    runtime.store.create_volume("vol-err", BLOCK_SIZE)
    with opener("vol-err") as vol:
        assert errno_of(vol.pwrite, BLOCK_SIZE - 1, b"ab") == errno.ENOSPC
        assert errno_of(vol.trim, BLOCK_SIZE, 1) == errno.EINVAL
        assert errno_of(vol.pread, -1, 1) == errno.EINVAL
        assert errno_of(vol.seek, -1) == errno.EINVAL
        vol.pwrite(BLOCK_SIZE - 1, b"z")  # and the volume still works after errors
        assert vol.pread(BLOCK_SIZE - 1, 1) == b"z"
    with pytest.raises(FileNotFoundError):
        opener("vol-missing")


def test_nbd_backend_is_throttled_like_the_local_one(tmp_path):
    with nbd_runtime(tmp_path) as (runtime, port):
        timings = {}
        for name, target in (("in-process", runtime), ("nbd", port)):
            volume_id = f"vol-slow-{name}"
            runtime.store.create_volume(volume_id, 10 * GiB)
            runtime.configure(volume_id, VolumeConfig("io1", 10, iops=100))
            with open_volume(target, volume_id) as vol:
                start = time.monotonic()
                for n in range(11):
                    vol.pread(n * 10 * 1024 * KiB, 4 * KiB)
                timings[name] = time.monotonic() - start
        for name, took in timings.items():  # ten waits of 10 ms after the first I/O
            assert 0.095 <= took < 0.5, (name, took)


# -- targets and settings ---------------------------------------------------------------------------


def test_open_volume_targets(tmp_path):
    with nbd_runtime(tmp_path) as (runtime, port):
        runtime.store.create_volume("vol-t", BLOCK_SIZE)
        runtime.store.write("vol-t", 0, b"target")
        for target in (port, ("127.0.0.1", port), f"nbd://127.0.0.1:{port}", f"127.0.0.1:{port}"):
            with open_volume(target, "vol-t") as vol:
                assert vol.read(6) == b"target", target
    with pytest.raises(TypeError):
        open_volume(3.5, "vol-t")
    with pytest.raises(TypeError):
        open_volume("ftp://somewhere", "vol-t")


def test_nbd_settings():
    assert load_settings(None, {}, environ={}).nbd_port == -1  # off unless asked for
    assert load_settings(None, {}, environ={"PYCLOUD_NBD_PORT": "0"}).nbd_port == 0
    assert load_settings(None, {"ebs_time_scale": "60"}, environ={}).ebs_time_scale == 60.0
    for bad in ({"nbd_port": -2}, {"nbd_port": 70000}, {"ebs_time_scale": 0}, {"ebs_time_scale": "nan"},
                {"ebs_time_scale": "fast"}):
        with pytest.raises(ConfigError):
            load_settings(None, bad, environ={})


def test_runtime_takes_its_time_scale_from_the_settings(tmp_path):
    settings = load_settings(None, {"ebs_time_scale": 250, "data_dir": str(tmp_path)}, environ={})
    service_runtime = ServiceRuntime(clock=ManualClock(), state=None, events=None, credentials=None, settings=settings)
    ebs = EbsRuntime.of(service_runtime)
    try:
        ebs.store.create_volume("vol-s", GiB)
        ebs.configure("vol-s", VolumeConfig("gp2", 1))
        assert ebs.scheduler("vol-s").time_scale == 250
    finally:
        ebs.close()
