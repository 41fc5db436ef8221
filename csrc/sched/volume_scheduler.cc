#include "sched/volume_scheduler.h"

#include <algorithm>

namespace pycloud {
namespace sched {
namespace {

double ValidScale(double s) { return s > 0 ? s : 1.0; }

}  // namespace

VolumeScheduler::VolumeScheduler(const VolumeLimits& limits, double time_scale)
    : limits_(limits),
      scale_(ValidScale(time_scale)),
      counter_(limits.io_unit),
      // Buckets start full (a new gp2 volume gets its 5.4 M credits; HDD buckets hold a volume scan).
      ops_(limits.baseline_iops, limits.burst_iops, limits.iops_credit_capacity / scale_,
           limits.iops_credit_capacity / scale_),
      mib_(limits.baseline_mibps, limits.burst_mibps, limits.throughput_credit_capacity / scale_,
           limits.throughput_credit_capacity / scale_) {}

double VolumeScheduler::Relative(double now) {
  if (!has_origin_) {
    has_origin_ = true;
    origin_ = now;
  }
  latest_ = std::max(latest_, now - origin_);
  return latest_;
}

void VolumeScheduler::Expire(double t) {
  while (!waiting_.empty() && waiting_.front() <= t) waiting_.pop_front();
}

double VolumeScheduler::Admit(double now, uint64_t offset, uint64_t length, bool is_write) {
  std::lock_guard<std::mutex> lock(mu_);
  const double t = Relative(now);
  const uint64_t ops = counter_.Count(offset, length, is_write);
  const double mib = limits_.charge_per_operation ? static_cast<double>(ops) * (limits_.io_unit / double(kMiB))
                                                  : static_cast<double>(length) / double(kMiB);
  const double start = std::max({t, ops_.ready(), mib_.ready()});
  ops_.Serve(start, static_cast<double>(ops));
  mib_.Serve(start, mib);

  if (is_write) {
    ++totals_.write_requests;
    totals_.write_ops += ops;
    totals_.write_bytes += length;
  } else {
    ++totals_.read_requests;
    totals_.read_ops += ops;
    totals_.read_bytes += length;
  }
  Expire(t);
  const double wait = start - t;
  if (wait > 0) {
    ++totals_.throttled_ios;
    totals_.wait_seconds += wait;
    totals_.throttled_seconds += start - std::max(t, throttled_until_);
    throttled_until_ = start;  // start times never decrease
    waiting_.push_back(start);
  }
  return wait;
}

VolumeMetrics VolumeScheduler::Metrics(double now) {
  std::lock_guard<std::mutex> lock(mu_);
  // A read: a query about a later time must not move the clock the next Admit is measured on.
  if (!has_origin_) Relative(now);
  const double t = std::max(latest_, now - origin_);
  VolumeMetrics m = totals_;
  m.queue_length = static_cast<uint64_t>(waiting_.end() - std::upper_bound(waiting_.begin(), waiting_.end(), t));
  m.throttled_seconds -= std::max(0.0, throttled_until_ - t);  // the part still ahead of `now`
  m.backlog_seconds = std::max({0.0, ops_.ready() - t, mib_.ready() - t});
  // A volume has at most one credit bucket: I/O credits (gp2) or throughput credits (st1/sc1).
  const CreditBucket* bucket = ops_.has_bucket() ? &ops_ : (mib_.has_bucket() ? &mib_ : nullptr);
  if (bucket != nullptr) {
    m.has_burst_bucket = true;
    m.burst_capacity = bucket->capacity() * scale_;
    m.burst_credits = bucket->BalanceAt(t) * scale_;
    m.burst_balance = 100.0 * bucket->BalanceAt(t) / bucket->capacity();
  }
  const double at = std::max(t, std::max(ops_.ready(), mib_.ready()));
  m.iops_limit = ops_.RateAt(at);
  m.throughput_limit_mibps = mib_.RateAt(at);
  return m;
}

}  // namespace sched
}  // namespace pycloud
