// VolumeScheduler: throttles one EBS volume's I/O like AWS does.
//
// Before each I/O the caller asks Admit(now, offset, length, is_write) how long the I/O must wait
// before it may proceed; the caller sleeps that long on its clock (real or virtual) and then does
// the I/O. Requests wait, they never fail. The wait comes from two CreditBuckets in series:
//  - operations: the I/O counted in AWS operations (IoCounter), at the volume's IOPS (gp2 bursts
//    to 3,000 on its I/O credits);
//  - throughput: its bytes (st1/sc1: 1 MiB per counted operation, as AWS charges HDD credits), at
//    the volume's MiB/s (st1/sc1 burst on their throughput credits).
// An I/O starts when both buckets have finished the I/Os admitted before it (first come, first
// served) and then occupies each for its cost / rate. Its own transfer time therefore delays the
// I/Os after it, not itself: a lone I/O on an idle volume never waits.
//
// Time: `now` is seconds on the caller's clock (clock.time(), virtual or real); the scheduler never
// reads a clock. Internally times are relative to the first call's `now`, so microsecond waits
// survive epoch-sized timestamps. A `now` earlier than one already seen is treated as the latest.
//
// time_scale (> 0, default 1) compresses credit dynamics only: credits earned per second and
// credits spent per operation (or per MiB) are both multiplied by time_scale, so a bucket drains and
// refills time_scale times faster (gp2 100 GiB at time_scale 60: 2,000 s of burst become 33.3 s).
// Rate limits, I/O counting and waits at a given credit state are unchanged, and balances are
// reported in AWS units (BurstBalance % is the same fraction).
//
// Thread-safe: one mutex, held for a few hundred nanoseconds per call.
#ifndef PYCLOUD_SCHED_VOLUME_SCHEDULER_H_
#define PYCLOUD_SCHED_VOLUME_SCHEDULER_H_

#include <cstdint>
#include <deque>
#include <mutex>

#include "sched/credit_bucket.h"
#include "sched/io_counter.h"
#include "sched/volume_spec.h"

namespace pycloud {
namespace sched {

struct VolumeMetrics {
  uint64_t read_requests = 0, write_requests = 0;  // Admit calls
  uint64_t read_ops = 0, write_ops = 0;            // operations as AWS counts them (VolumeReadOps...)
  uint64_t read_bytes = 0, write_bytes = 0;
  uint64_t queue_length = 0;    // admitted I/Os still waiting to start at `now`
  uint64_t throttled_ios = 0;   // I/Os that had to wait at all
  double wait_seconds = 0;      // sum of all waits
  double throttled_seconds = 0; // time during which at least one I/O was waiting (to `now`)
  double backlog_seconds = 0;   // how long after `now` until the admitted work is done
  bool has_burst_bucket = false;
  double burst_credits = 0;     // AWS units: I/O credits (gp2) or MiB (st1/sc1)
  double burst_capacity = 0;
  double burst_balance = 100;   // BurstBalance: credits / capacity, in percent
  double iops_limit = 0;        // rates a new I/O would get now
  double throughput_limit_mibps = 0;
};

class VolumeScheduler {
 public:
  // limits from ResolveVolume(); time_scale > 0 (a non-positive value is taken as 1).
  explicit VolumeScheduler(const VolumeLimits& limits, double time_scale = 1.0);
  VolumeScheduler(const VolumeScheduler&) = delete;
  VolumeScheduler& operator=(const VolumeScheduler&) = delete;

  // Seconds the I/O must wait before it proceeds (0 within limits).
  double Admit(double now, uint64_t offset, uint64_t length, bool is_write);

  // The counters, queue and credits as they are at `now` (changes nothing: asking about a later
  // time does not advance the scheduler's clock).
  VolumeMetrics Metrics(double now);

  const VolumeLimits& limits() const { return limits_; }
  double time_scale() const { return scale_; }

 private:
  double Relative(double now);  // caller holds mu_
  void Expire(double t);        // drops waiting I/Os that have started by t

  const VolumeLimits limits_;
  const double scale_;
  std::mutex mu_;
  bool has_origin_ = false;
  double origin_ = 0;
  double latest_ = 0;  // latest relative time seen
  IoCounter counter_;
  CreditBucket ops_;   // operations; credits in operations / time_scale
  CreditBucket mib_;   // MiB; credits in MiB / time_scale
  std::deque<double> waiting_;  // start times (relative, non-decreasing) of I/Os still waiting
  double throttled_until_ = 0;
  VolumeMetrics totals_;
};

}  // namespace sched
}  // namespace pycloud

#endif  // PYCLOUD_SCHED_VOLUME_SCHEDULER_H_
