"""pycloud._core's schedulers through the bindings, on a virtual clock (times are passed in, nothing
sleeps): EBS volume throttling (gp2 burst credits, gp3/io1/io2 provisioned limits, st1/sc1
throughput credits, AWS's I/O counting and merging, time_scale), CreateVolume validation with AWS's
errors, and the CPU credits of burstable instances.

Build first: ``python3 setup.py build_ext --inplace``.
"""

from __future__ import annotations

import threading

import pytest

from pycloud import _core
from pycloud._core import CpuCreditScheduler, VolumeConfigError, VolumeScheduler

T0 = 1_700_000_000.0  # a plausible virtual "now": epoch-sized times must not cost precision
KIB = 1024
MIB = 1024 * KIB
HOUR = 3600.0


def drive(
    vol: VolumeScheduler, t: float, until: float, length: int, *, sequential: bool = False, is_write: bool = False
) -> tuple[int, float]:
    """A closed-loop client at queue depth 1: each I/O waits what admit says, then the next is issued.

    Returns how many I/Os were issued and the time reached. Random I/Os are 1 GiB apart, so none merge.
    """
    admit = vol.admit
    n = 0
    while t < until - 1e-7:
        offset = n * length if sequential else n * (1 << 30)
        t += admit(t, offset, length, is_write)
        n += 1
    return n, t


# ---------------------------------------------------------------------------------------------- gp2


def test_gp2_bursts_3000_iops_for_2000_seconds_then_runs_at_baseline() -> None:
    vol = VolumeScheduler("gp2", 100)
    assert vol.limits["iops"] == 300  # what DescribeVolumes reports: the baseline
    n, t = drive(vol, T0, T0 + 10, 16 * KIB)
    assert n == pytest.approx(30_000, abs=2)
    n, t = drive(vol, t, T0 + 2000, 16 * KIB)
    assert n == pytest.approx(3000 * 1990, abs=2)  # 5.4 M / (3,000 - 300) s at 3,000 IOPS
    metrics = vol.metrics(t)
    assert metrics["burst_balance"] == pytest.approx(0, abs=1e-3)
    assert metrics["iops_limit"] == 300
    n, t = drive(vol, t, T0 + 2100, 16 * KIB)
    assert n == pytest.approx(300 * 100, abs=2)
    assert vol.metrics(t)["read_ops"] == pytest.approx(6_030_000, abs=4)


def test_gp2_refills_at_baseline_and_bursts_again() -> None:
    vol = VolumeScheduler("gp2", 100, time_scale=100)  # drained in 20 s instead of 2,000
    _, t = drive(vol, T0, T0 + 25, 4 * KIB)
    assert vol.metrics(t)["burst_balance"] == pytest.approx(0, abs=1e-3)
    # Idle: 300 credits/s (x100 with time_scale) come back; a 10% bucket after 18 s.
    assert vol.metrics(t + 18)["burst_credits"] == pytest.approx(540_000, rel=1e-3)
    assert vol.metrics(t + 18)["burst_balance"] == pytest.approx(10, rel=1e-3)
    assert vol.metrics(t + 1000)["burst_balance"] == 100  # never above capacity
    # What was earned is spent at 3,000 IOPS: 540,000 / 100 / 2,700 = 2 s of burst.
    n, _ = drive(vol, t + 18, t + 18 + 2, 4 * KIB)
    assert n == pytest.approx(6000, abs=3)


def test_gp2_of_a_tebibyte_never_bursts_nor_throttles_below_its_baseline() -> None:
    vol = VolumeScheduler("gp2", 1024)
    assert vol.limits["baseline_iops"] == vol.limits["burst_iops"] == 3072
    n, t = drive(vol, T0, T0 + 10, 4 * KIB)
    assert n == pytest.approx(30_720, abs=2)
    n, _ = drive(vol, t + 7200, t + 7210, 4 * KIB)  # hours later, same rate
    assert n == pytest.approx(30_720, abs=2)
    assert vol.metrics(t)["burst_balance"] is None


@pytest.mark.parametrize(("size", "mibps"), [(100, 128), (170, 128), (200, 250), (500, 250)])
def test_gp2_throughput_limit(size: int, mibps: int) -> None:
    vol = VolumeScheduler("gp2", size)
    n, _ = drive(vol, T0, T0 + 10, 1 * MIB, sequential=True)
    assert n == pytest.approx(10 * mibps, abs=2)


# ------------------------------------------------------------------------------ gp3, io1, io2


def test_gp3_included_iops_and_throughput() -> None:
    vol = VolumeScheduler("gp3", 50)
    assert (vol.limits["iops"], vol.limits["throughput_mibps"]) == (3000, 125)
    n, t = drive(vol, T0, T0 + 10, 16 * KIB)
    assert n == pytest.approx(30_000, abs=2)
    # Large sequential I/O: throughput bound at 125 MiB/s long before 3,000 IOPS.
    n, t = drive(vol, t, t + 10, 1 * MIB, sequential=True)
    assert n == pytest.approx(1250, abs=2)
    assert vol.metrics(t)["burst_balance"] is None  # no credits: no BurstBalance


def test_gp3_provisioned_limits_apply_both() -> None:
    vol = VolumeScheduler("gp3", 100, iops=6000, throughput_mibps=500)
    n, t = drive(vol, T0, T0 + 5, 8 * KIB)
    assert n == pytest.approx(30_000, abs=2)
    n, t = drive(vol, t, t + 5, 4 * MIB, sequential=True)
    assert n == pytest.approx(625, abs=2)  # 500 MiB/s
    # 64 KiB random: 6,000 IOPS x 64 KiB = 375 MiB/s, under the throughput limit, so IOPS bound.
    # (A second later: the last 4 MiB read's transfer would delay the first of these.)
    n, _ = drive(vol, t + 1, t + 6, 64 * KIB)
    assert n == pytest.approx(30_000, abs=2)


@pytest.mark.parametrize(
    ("volume_type", "size", "iops", "mibps"),
    [("io1", 100, 1000, 250), ("io1", 1000, 20_000, 500), ("io1", 1000, 48_000, 750), ("io2", 100, 10_000, 2560)],
)
def test_provisioned_iops_throughput_rule(volume_type: str, size: int, iops: int, mibps: float) -> None:
    vol = VolumeScheduler(volume_type, size, iops=iops)
    assert vol.limits["burst_mibps"] == pytest.approx(mibps)
    n, t = drive(vol, T0, T0 + 2, 16 * KIB)
    assert n == pytest.approx(2 * iops, abs=2)
    # Large I/O gets the throughput limit, or the IOPS limit in 256 KiB operations if that is lower
    # (io2's 0.256 MiB/s per IOPS is more than 256 KiB operations can carry).
    n, _ = drive(vol, t + 1, t + 5, 16 * MIB, sequential=True)
    assert n * 16 == pytest.approx(4 * min(mibps, iops / 4), abs=32)


# ------------------------------------------------------------------------------ I/O accounting


def test_ssd_counts_256_kib_operations_and_merges_contiguous_ios() -> None:
    vol = VolumeScheduler("gp3", 100)
    t = T0
    for i in range(8):  # 8 contiguous 32 KiB reads: one operation
        vol.admit(t, i * 32 * KIB, 32 * KIB, False)
    assert vol.metrics(t)["read_ops"] == 1
    for i in range(8):  # 8 random ones: eight
        vol.admit(t, (i + 1) << 30, 32 * KIB, False)
    assert vol.metrics(t)["read_ops"] == 9
    vol.admit(t, 5 << 40, 1 * MIB, True)  # one 1 MiB write: four operations
    vol.admit(t, 6 << 40, 256 * KIB + 1, True)  # just over a unit: two
    metrics = vol.metrics(t)
    assert (metrics["write_ops"], metrics["write_requests"]) == (6, 2)
    assert (metrics["read_requests"], metrics["read_bytes"]) == (16, 16 * 32 * KIB)


def test_sequential_small_ios_are_throttled_by_their_merged_operations() -> None:
    # gp2 100 GiB past its burst: 300 IOPS. Sequential 32 KiB reads merge 8 to an operation, so
    # 2,400 of them fit in a second where random ones get 300.
    vol = VolumeScheduler("gp2", 100, time_scale=1e4)
    _, t = drive(vol, T0, T0 + 1, 4 * KIB)
    assert vol.metrics(t)["iops_limit"] == 300
    n, t = drive(vol, t, t + 10, 32 * KIB, sequential=True)
    assert n == pytest.approx(24_000, abs=24)  # (the previous read's slot delays the first by 1/300 s)
    n, _ = drive(vol, t, t + 10, 32 * KIB)
    assert n == pytest.approx(3000, abs=2)


# ---------------------------------------------------------------------------------- st1 / sc1


def test_st1_burst_curve() -> None:
    vol = VolumeScheduler("st1", 1024)  # 1 TiB: 40 MiB/s baseline, 250 burst, 1 TiB of credits
    limits = vol.limits
    assert (limits["baseline_mibps"], limits["burst_mibps"]) == (40, 250)
    assert limits["throughput_credit_capacity_mib"] == 1024 * 1024
    burst_seconds = 1024 * 1024 / (250 - 40)  # 4,993 s
    n, t = drive(vol, T0, T0 + 1000, 8 * MIB, sequential=True)
    assert n * 8 == pytest.approx(250 * 1000, abs=8)
    assert vol.metrics(t)["burst_balance"] == pytest.approx(100 * (1 - 1000 / burst_seconds), rel=1e-4)
    n, t = drive(vol, t, T0 + burst_seconds - 1, 8 * MIB, sequential=True)
    assert vol.metrics(t)["throughput_limit_mibps"] == 250
    n, t = drive(vol, t, t + 1000, 8 * MIB, sequential=True)
    assert n * 8 == pytest.approx(250 + 40 * 999, abs=16)  # the last second of burst, then baseline
    assert vol.metrics(t)["throughput_limit_mibps"] == 40
    # Refill at the baseline: 1 TiB of credits takes 1 TiB / 40 MiB/s.
    assert vol.metrics(t + 1024 * 1024 / 40 / 2)["burst_balance"] == pytest.approx(50, rel=1e-3)


def test_hdd_small_random_ios_cost_a_mebibyte_of_credits_each() -> None:
    vol = VolumeScheduler("sc1", 1024)  # 80 MiB/s burst, 250 IOPS at most
    n, t = drive(vol, T0, T0 + 10, 4 * KIB)
    assert n == pytest.approx(800, abs=2)  # 80 "MiB" a second of 4 KiB random reads
    assert vol.metrics(t)["read_ops"] == n
    # Sequential 128 KiB reads merge 8 to a 1 MiB operation: 640 a second.
    n, _ = drive(vol, t, t + 10, 128 * KIB, sequential=True)
    assert n == pytest.approx(6400, abs=16)


# ------------------------------------------------------------------------------ time, metrics


@pytest.mark.parametrize("scale", [1.0, 60.0])
def test_time_scale_compresses_credit_drain_and_refill_only(scale: float) -> None:
    vol = VolumeScheduler("gp2", 100, time_scale=scale)
    assert vol.time_scale == scale
    drain = 2000 / scale
    n, t = drive(vol, T0, T0 + min(drain, 40) - 1, 16 * KIB)
    assert n == pytest.approx(3000 * (min(drain, 40) - 1), abs=2)  # rates are not scaled
    expected = 100 * (1 - (min(drain, 40) - 1) / drain)
    assert vol.metrics(t)["burst_balance"] == pytest.approx(expected, abs=2e-3)
    assert vol.metrics(t)["burst_capacity"] == 5.4e6  # balances in AWS units


def test_waits_queue_length_and_throttled_time() -> None:
    vol = VolumeScheduler("io1", 100, iops=1000)
    waits = [vol.admit(T0, i << 30, 4 * KIB, True) for i in range(5)]  # five at once: queue depth 5
    assert waits == pytest.approx([0, 0.001, 0.002, 0.003, 0.004])
    metrics = vol.metrics(T0)
    assert (metrics["queue_length"], metrics["throttled_ios"]) == (4, 4)
    assert metrics["wait_seconds"] == pytest.approx(0.01)
    assert metrics["backlog_seconds"] == pytest.approx(0.005)
    assert vol.metrics(T0 + 0.0025)["queue_length"] == 2
    later = vol.metrics(T0 + 1)
    assert later["queue_length"] == 0
    assert later["throttled_seconds"] == pytest.approx(0.004)
    assert later["write_bytes"] == 5 * 4 * KIB


def test_an_io_on_an_idle_volume_never_waits() -> None:
    vol = VolumeScheduler("gp3", 10)
    assert vol.admit(T0, 0, 64 * MIB, False) == 0  # its own transfer delays the next I/O...
    assert vol.admit(T0, 1 << 30, 4 * KIB, False) == pytest.approx(64 / 125)  # ...by 64 MiB at 125 MiB/s
    assert vol.admit(T0 + 100, 2 << 30, 4 * KIB, False) == 0


def test_concurrent_admits_schedule_every_io_once() -> None:
    vol = VolumeScheduler("gp3", 100)  # 3,000 IOPS
    per_thread, threads = 5000, 4
    waits: list[list[float]] = [[] for _ in range(threads)]

    def worker(k: int) -> None:
        for i in range(per_thread):
            waits[k].append(vol.admit(T0, (k << 40) + (i << 30), 4 * KIB, False))

    pool = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
    for th in pool:
        th.start()
    for th in pool:
        th.join()
    every = sorted(w for ws in waits for w in ws)
    # All issued at T0: their starts are exactly the slots 0, 1/3000, 2/3000, ... with none shared.
    assert every == pytest.approx([i / 3000 for i in range(per_thread * threads)], abs=1e-6)
    assert vol.metrics(T0)["read_ops"] == per_thread * threads


# ---------------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("gp4", 10), "UnknownVolumeType", None),
        (("io1", 100), "InvalidParameterCombination", "The parameter iops must be specified for io1 volumes."),
        (("gp2", 100, 300), "InvalidParameterCombination", "The parameter iops is not supported for gp2 volumes."),
        (
            ("st1", 500, None, 200),
            "InvalidParameterCombination",
            "throughput can only be specified for volumeType gp3.",
        ),
        (
            ("gp3", 20, 15_000),
            "InvalidParameterValue",
            "Iops to volume size ratio of 750.000000 is too high; maximum is 500",
        ),
        (
            ("io1", 100, 8000),
            "InvalidParameterValue",
            "Iops to volume size ratio of 80.000000 is too high; maximum is 50",
        ),
        (
            ("gp3", 100, 3000, 1000),
            "InvalidParameterValue",
            "Throughput (MiBps) to iops ratio of 0.333333 is too high; maximum is 0.250000 MiBps per iops",
        ),
        (("gp3", 100, 2999), "InvalidParameterValue", "Volume iops of 2999 is too low; minimum is 3000."),
        (("io2", 1000, 256_001), "InvalidParameterValue", "Volume iops of 256001 is too high; maximum is 256000."),
        (("gp3", 1000, 8000, 2001), "InvalidParameterValue", "Volume throughput of 2001 is too high; maximum is 2000."),
        (("st1", 124), "InvalidParameterValue", "Volume of 124GiB is too small; minimum is 125GiB."),
        (("gp2", 16_385), "InvalidParameterValue", "Volume of 16385GiB is too large; maximum is 16384GiB."),
        (("gp2", 0), "InvalidParameterValue", "Volume of 0GiB is too small; minimum is 1GiB."),
    ],
)
def test_validation_reports_awss_errors(args: tuple, code: str, message: str | None) -> None:
    result = _core.validate_volume(*args)
    assert result is not None
    assert result[0] == code
    if message is not None:
        assert result[1] == message
    with pytest.raises(VolumeConfigError) as info:
        VolumeScheduler(*args)
    assert info.value.code == code
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    "args",
    [
        ("gp3", 1, 3000),  # the included 3,000 IOPS come with any size
        ("gp3", 160, 80_000, 2000),  # AWS's current gp3 maxima
        ("gp3", 65_536),
        ("io2", 256, 256_000),
        ("io1", 4, 200),
        ("sc1", 16_384),
        ("standard", 1024),
    ],
)
def test_validation_accepts_awss_limits(args: tuple) -> None:
    assert _core.validate_volume(*args) is None
    assert _core.volume_limits(*args)["volume_type"] == args[0]


def test_bad_arguments_are_value_errors() -> None:
    with pytest.raises(ValueError, match="time_scale"):
        VolumeScheduler("gp2", 10, time_scale=0)
    vol = VolumeScheduler("gp2", 10)
    with pytest.raises(ValueError, match="finite"):
        vol.admit(float("nan"), 0, 4096, False)
    with pytest.raises(TypeError):
        vol.admit(T0, -1, 4096, False)


# --------------------------------------------------------------------------------- CPU credits


def test_burstable_table() -> None:
    types = _core.burstable_instance_types()
    micro = types["t3.micro"]
    assert (micro["vcpus"], micro["credits_per_hour"], micro["baseline"], micro["max_balance"]) == (2, 12, 0.1, 288)
    assert types["t2.micro"]["launch_credits"] == 30
    assert types["t2.2xlarge"]["launch_credits"] == 240
    assert types["t4g.xlarge"]["credits_per_hour"] == 96
    assert types["t3a.nano"]["unlimited_default"] is True
    assert len(types) == 28
    for spec in types.values():  # earnings are the baseline of every vCPU, for 24 h at most
        assert spec["credits_per_hour"] == pytest.approx(spec["baseline"] * spec["vcpus"] * 60)
        assert spec["max_balance"] == pytest.approx(24 * spec["credits_per_hour"])


def test_t3_micro_standard_earns_to_288_and_is_throttled_to_baseline() -> None:
    cpu = CpuCreditScheduler("t3.micro", T0, unlimited=False)
    assert (cpu.vcpus, cpu.credits_per_hour, cpu.baseline, cpu.max_balance) == (2, 12, 0.1, 288)
    assert cpu.balance(T0) == 0  # no launch credits for T3
    assert cpu.balance(T0 + HOUR) == pytest.approx(12)
    assert cpu.balance(T0 + 48 * HOUR) == pytest.approx(288)
    # 288 credits at 100% on 2 vCPUs (2 credits/min spent, 0.2 earned): 160 minutes, then 10%.
    granted = cpu.consume(T0 + 48 * HOUR, 1.0, 4 * HOUR)
    assert granted == pytest.approx((160 * 60 * 1.0 + (240 - 160) * 60 * 0.1) / (4 * HOUR))
    metrics = cpu.metrics(T0 + 52 * HOUR)
    assert metrics["cpu_credit_balance"] == pytest.approx(0, abs=1e-9)
    assert metrics["throttled_seconds"] == pytest.approx(80 * 60)
    assert metrics["cpu_credit_usage"] == pytest.approx(160 * 2 + 80 * 0.2)
    assert metrics["cpu_surplus_credit_balance"] == 0


def test_t2_standard_spends_launch_credits_first() -> None:
    cpu = CpuCreditScheduler("t2.micro", T0)  # T2 launches in standard mode
    assert cpu.balance(T0) == 30
    assert cpu.consume(T0, 0.5, 20 * 60) == 0.5  # 10 launch credits; 2 credits earned meanwhile
    metrics = cpu.metrics(T0 + 20 * 60)
    assert (metrics["launch_credits"], metrics["earned_credits"]) == pytest.approx((20, 2))
    assert metrics["cpu_credit_balance"] == pytest.approx(22)
    assert metrics["unlimited"] is False
    # Launch credits do not count against the maximum (144 for a t2.micro).
    assert cpu.balance(T0 + 30 * HOUR) == pytest.approx(20 + 144)


def test_t3_unlimited_surplus_is_paid_back_then_charged() -> None:
    cpu = CpuCreditScheduler("t3.micro", T0)  # T3 launches unlimited
    assert cpu.consume(T0, 1.0, HOUR) == 1.0  # never throttled
    assert cpu.metrics(T0 + HOUR)["cpu_surplus_credit_balance"] == pytest.approx(120 - 12)
    # Two idle hours: 24 credits earned, all paying the surplus back.
    metrics = cpu.metrics(T0 + 3 * HOUR)
    assert metrics["cpu_surplus_credit_balance"] == pytest.approx(84)
    assert metrics["cpu_credit_balance"] == 0
    # Surplus beyond 24 h of earnings (288) is charged at the end of the hour.
    cpu.consume(T0 + 3 * HOUR, 1.0, 2 * HOUR)
    metrics = cpu.metrics(T0 + 5 * HOUR)
    assert metrics["cpu_surplus_credit_balance"] == pytest.approx(288)
    assert metrics["cpu_surplus_credits_charged"] == pytest.approx(84 + 216 - 288)
    assert cpu.settle(T0 + 5 * HOUR) == pytest.approx(288)  # stop/terminate charges the rest
    assert cpu.metrics(T0 + 5 * HOUR)["cpu_surplus_credits_charged"] == pytest.approx(84 + 216)


def test_switching_modes() -> None:
    t2 = CpuCreditScheduler("t2.small", T0)
    t2.set_unlimited(T0, True)  # launch credits are removed
    assert t2.balance(T0) == 0
    t3 = CpuCreditScheduler("t3.small", T0)
    t3.consume(T0, 1.0, HOUR)  # 120 - 24 = 96 surplus
    t3.set_unlimited(T0 + HOUR, False)
    metrics = t3.metrics(T0 + HOUR)
    assert metrics["cpu_surplus_credits_charged"] == pytest.approx(96)
    assert metrics["unlimited"] is False
    assert t3.consume(T0 + HOUR, 1.0, 60) == pytest.approx(0.2)  # standard now, with no credits


def test_cpu_bad_arguments() -> None:
    with pytest.raises(ValueError, match="burstable"):
        CpuCreditScheduler("m5.large", T0)
    cpu = CpuCreditScheduler("t3.nano", T0)
    with pytest.raises(ValueError, match="utilisation"):
        cpu.consume(T0, 1.5, 10)
    with pytest.raises(ValueError, match="seconds"):
        cpu.consume(T0, 0.5, -1)
