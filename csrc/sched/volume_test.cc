// Volume types, I/O counting and the volume scheduler (no Python).
#include <cmath>
#include <string>

#include "common/testharness.h"
#include "sched/io_counter.h"
#include "sched/volume_scheduler.h"
#include "sched/volume_spec.h"

using namespace pycloud::sched;  // NOLINT

namespace {

bool Near(double a, double b, double tol = 1e-6) { return std::fabs(a - b) <= tol * (1 + std::fabs(b)); }

VolumeConfig Config(const std::string& type, int64_t size, std::optional<int64_t> iops = std::nullopt,
                    std::optional<int64_t> throughput = std::nullopt) {
  VolumeConfig c;
  c.type = type;
  c.size_gib = size;
  c.iops = iops;
  c.throughput_mibps = throughput;
  return c;
}

VolumeLimits Limits(const VolumeConfig& c) {
  VolumeLimits v;
  VolumeError e;
  CHECK(ResolveVolume(c, &v, &e));
  return v;
}

constexpr uint64_t KiB = 1024;

}  // namespace

TEST(IoCounter, SplitsLargeIos) {
  IoCounter c(256 * KiB);
  CHECK_EQ(c.Count(0, 1024 * KiB, false), uint64_t{4});
  CHECK_EQ(c.Count(10 * 1024 * KiB, 256 * KiB + 1, false), uint64_t{2});
  CHECK_EQ(c.Count(50 * 1024 * KiB, 4 * KiB, false), uint64_t{1});
}

TEST(IoCounter, MergesContiguousPerDirection) {
  IoCounter c(256 * KiB);
  uint64_t ops = 0;
  for (int i = 0; i < 8; ++i) ops += c.Count(i * 32 * KiB, 32 * KiB, false);
  CHECK_EQ(ops, uint64_t{1});          // 8 x 32 KiB contiguous: one operation
  CHECK_EQ(c.Count(256 * KiB, 32 * KiB, false), uint64_t{1});  // the unit is full: a new one
  CHECK_EQ(c.Count(288 * KiB, 32 * KiB, true), uint64_t{1});   // writes are their own stream
  ops = 0;
  for (int i = 0; i < 8; ++i) ops += c.Count(i * 1024 * KiB + 7, 32 * KiB, false);
  CHECK_EQ(ops, uint64_t{8});          // random: eight
  // A contiguous I/O larger than the room fills it, then counts whole units.
  IoCounter d(256 * KiB);
  CHECK_EQ(d.Count(0, 100 * KiB, false), uint64_t{1});
  CHECK_EQ(d.Count(100 * KiB, 400 * KiB, false), uint64_t{1});  // 156 KiB room + 244 KiB
  CHECK_EQ(d.Count(500 * KiB, 12 * KiB, false), uint64_t{0});   // still 12 KiB of room
  CHECK_EQ(d.Count(UINT64_MAX - 10, 10, false), uint64_t{1});   // end of the address space
  CHECK_EQ(d.Count(0, 0, false), uint64_t{1});
}

TEST(VolumeSpec, Gp2Limits) {
  VolumeLimits v = Limits(Config("gp2", 100));
  CHECK_EQ(v.baseline_iops, 300.0);
  CHECK_EQ(v.burst_iops, 3000.0);
  CHECK_EQ(v.iops_credit_capacity, 5.4e6);
  CHECK_EQ(v.burst_mibps, 128.0);
  CHECK_EQ(Limits(Config("gp2", 1)).baseline_iops, 100.0);
  CHECK_EQ(Limits(Config("gp2", 200)).burst_mibps, 250.0);
  VolumeLimits big = Limits(Config("gp2", 1000));
  CHECK_EQ(big.baseline_iops, 3000.0);
  CHECK_EQ(big.iops_credit_capacity, 0.0);  // never bursts
  CHECK_EQ(Limits(Config("gp2", 16384)).baseline_iops, 16000.0);
}

TEST(VolumeSpec, ProvisionedThroughputRules) {
  CHECK_EQ(Limits(Config("io1", 100, 1000)).burst_mibps, 250.0);    // 256 KiB per IOPS
  CHECK_EQ(Limits(Config("io1", 1000, 32000)).burst_mibps, 500.0);
  CHECK_EQ(Limits(Config("io1", 1000, 48000)).burst_mibps, 750.0);  // 16 KiB per IOPS
  CHECK_EQ(Limits(Config("io1", 2000, 64000)).burst_mibps, 1000.0);
  CHECK(Near(Limits(Config("io2", 100, 10000)).burst_mibps, 2560.0));
  CHECK_EQ(Limits(Config("io2", 1000, 256000)).burst_mibps, 4000.0);
  VolumeLimits gp3 = Limits(Config("gp3", 10));
  CHECK_EQ(gp3.iops, int64_t{3000});
  CHECK_EQ(gp3.throughput_mibps, int64_t{125});
}

TEST(VolumeSpec, HddLimits) {
  VolumeLimits st1 = Limits(Config("st1", 1024));
  CHECK_EQ(st1.baseline_mibps, 40.0);
  CHECK_EQ(st1.burst_mibps, 250.0);
  CHECK_EQ(st1.throughput_credit_capacity, 1024.0 * 1024.0);  // 1 TiB of credits, in MiB
  CHECK_EQ(Limits(Config("st1", 16384)).baseline_mibps, 500.0);
  CHECK_EQ(Limits(Config("st1", 16384)).burst_mibps, 500.0);
  CHECK_EQ(Limits(Config("sc1", 16384)).baseline_mibps, 192.0);
  CHECK_EQ(Limits(Config("sc1", 16384)).burst_mibps, 250.0);
  CHECK_EQ(st1.io_unit, uint64_t{1024 * 1024});
}

TEST(VolumeSpec, ValidationErrors) {
  CHECK(ValidateVolume(Config("gp3", 100, 16000, 1000)).ok());
  CHECK(ValidateVolume(Config("gp3", 1, 3000)).ok());  // the included 3,000 IOPS need no size
  CHECK_EQ(ValidateVolume(Config("gp4", 10)).code, std::string("UnknownVolumeType"));
  CHECK_EQ(ValidateVolume(Config("io1", 10)).message, std::string("The parameter iops must be specified for io1 volumes."));
  CHECK_EQ(ValidateVolume(Config("gp2", 10, 300)).message, std::string("The parameter iops is not supported for gp2 volumes."));
  CHECK_EQ(ValidateVolume(Config("io2", 10, 1000, 200)).code, std::string("InvalidParameterCombination"));
  CHECK_EQ(ValidateVolume(Config("gp3", 20, 15000)).message,
           std::string("Iops to volume size ratio of 750.000000 is too high; maximum is 500"));
  CHECK_EQ(ValidateVolume(Config("gp3", 100, 3000, 1000)).message,
           std::string("Throughput (MiBps) to iops ratio of 0.333333 is too high; maximum is 0.250000 MiBps per iops"));
  CHECK_EQ(ValidateVolume(Config("st1", 100)).code, std::string("InvalidParameterValue"));
  CHECK_EQ(ValidateVolume(Config("gp2", 16385)).code, std::string("InvalidParameterValue"));
  CHECK_EQ(ValidateVolume(Config("gp3", 1000, 80001)).message, std::string("Volume iops of 80001 is too high; maximum is 80000."));
  CHECK_EQ(ValidateVolume(Config("gp3", 1000, 8000, 2001)).code, std::string("InvalidParameterValue"));
}

TEST(VolumeScheduler, Gp2DrainsThenRunsAtBaseline) {
  VolumeScheduler s(Limits(Config("gp2", 100)));
  const double t0 = 1.7e9;  // epoch-sized timestamps must not cost precision
  double t = t0;
  uint64_t n = 0;
  while (t - t0 < 2000.0 - 1e-6) t += s.Admit(t, (n++) * (1 << 20), 4096, false);
  CHECK(n >= 5999990 && n <= 6000010);  // 3,000 IOPS for 2,000 s
  VolumeMetrics m = s.Metrics(t);
  CHECK(m.burst_balance < 0.01);
  CHECK_EQ(m.iops_limit, 300.0);
  const uint64_t before = n;
  while (t - t0 < 2100.0 - 1e-6) t += s.Admit(t, (n++) * (1 << 20), 4096, false);
  CHECK(n - before >= 29990 && n - before <= 30010);  // then 300 IOPS
  // Idle for 1,000 s: 300,000 credits back.
  CHECK(Near(s.Metrics(t + 1000).burst_credits, 300000, 1e-3));
}

TEST(VolumeScheduler, TimeScaleCompressesCreditsOnly) {
  VolumeScheduler s(Limits(Config("gp2", 100)), 100.0);
  double t = 0;
  uint64_t n = 0;
  while (t < 20.0 - 1e-9) t += s.Admit(t, (n++) * (1 << 20), 4096, false);
  CHECK(n >= 59990 && n <= 60010);  // 2,000 s of burst in 20 s, still at 3,000 IOPS
  VolumeMetrics m = s.Metrics(t);
  CHECK(m.burst_balance < 0.01);
  CHECK_EQ(m.burst_capacity, 5.4e6);  // reported in AWS units
  CHECK(Near(s.Metrics(t + 90).burst_balance, 50.0, 1e-2));  // refills in 18,000 s / 100
  CHECK_EQ(s.Metrics(t + 181).burst_balance, 100.0);
}

TEST(VolumeScheduler, QueueAndThrottleMetrics) {
  VolumeScheduler s(Limits(Config("gp3", 100)));  // 3,000 IOPS, 125 MiB/s
  double waits[4];
  for (int i = 0; i < 4; ++i) waits[i] = s.Admit(10, uint64_t(i) << 30, 4096, true);
  CHECK_EQ(waits[0], 0.0);
  CHECK(Near(waits[3], 3.0 / 3000));
  VolumeMetrics m = s.Metrics(10);
  CHECK_EQ(m.queue_length, uint64_t{3});
  CHECK_EQ(m.throttled_ios, uint64_t{3});
  CHECK_EQ(m.write_ops, uint64_t{4});
  CHECK(Near(m.wait_seconds, 6.0 / 3000));
  CHECK_EQ(s.Metrics(11).queue_length, uint64_t{0});
  CHECK(Near(s.Metrics(11).throttled_seconds, 3.0 / 3000));
  CHECK_EQ(m.has_burst_bucket, false);
  // Throughput cap: 125 MiB in one I/O holds the next one back a second.
  CHECK_EQ(s.Admit(20, 0, 125 << 20, false), 0.0);
  CHECK(Near(s.Admit(20, 1ull << 40, 4096, false), 1.0));
}

int main() { return pycloud::test::RunAllTests(); }
