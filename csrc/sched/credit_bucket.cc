#include "sched/credit_bucket.h"

#include <algorithm>

namespace pycloud {
namespace sched {

CreditBucket::CreditBucket(double baseline, double burst, double capacity, double initial)
    : baseline_(baseline > 0 ? baseline : 1e-9),
      burst_(std::max(burst, baseline_)),
      capacity_(std::max(capacity, 0.0)),
      balance_(std::clamp(initial, 0.0, std::max(capacity, 0.0))) {}

double CreditBucket::Serve(double start, double cost) {
  if (start > ready_) {
    balance_ = std::min(capacity_, balance_ + baseline_ * (start - ready_));
  } else {
    start = ready_;
  }
  if (cost <= 0) {
    ready_ = start;
    return ready_;
  }
  double duration;
  if (!has_bucket()) {
    duration = cost / baseline_;
  } else {
    // While bursting, the balance falls by what is spent minus what is earned meanwhile.
    const double drain = burst_ - baseline_;
    const double burst_work = balance_ * burst_ / drain;  // units servable before the bucket is empty
    if (cost <= burst_work) {
      duration = cost / burst_;
      balance_ = std::max(0.0, balance_ - cost * drain / burst_);
    } else {
      // Empty from then on: the rest runs at baseline, every earned credit spent at once.
      duration = balance_ / drain + (cost - burst_work) / baseline_;
      balance_ = 0;
    }
  }
  ready_ = start + duration;
  return ready_;
}

double CreditBucket::BalanceAt(double t) const {
  if (t <= ready_) return balance_;
  return std::min(capacity_, balance_ + baseline_ * (t - ready_));
}

double CreditBucket::RateAt(double t) const {
  return has_bucket() && BalanceAt(t) > 0 ? burst_ : baseline_;
}

}  // namespace sched
}  // namespace pycloud
