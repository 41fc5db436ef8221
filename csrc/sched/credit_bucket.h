// CreditBucket: a rate limiter with an optional burst-credit bucket, solved in closed form.
//
// Work (I/O operations, or MiB of throughput) is served one piece after another, first come first
// served, at `burst` units/s while the bucket holds credits and at `baseline` units/s once it is
// empty. Credits are earned at `baseline` units/s (up to `capacity`) whether or not work is being
// served, and every unit served spends one credit. So a saturating workload drains the bucket at
// burst - baseline per second (gp2 100 GiB: 5.4 M / (3,000 - 300) = 2,000 s), an idle volume refills
// at baseline per second, and a workload at or below baseline never drains it.
//
// Nothing is polled: Serve() computes when a piece of work can finish from the bucket's state at
// its start, and the state is only ever brought forward to the start of the next piece. With
// burst == baseline (or capacity 0) it is a plain rate limiter (a GCRA with no burst tolerance).
//
// Times are seconds on the caller's clock, relative to any origin that keeps them small (see
// VolumeScheduler: doubles near the epoch would round away microseconds). Not thread-safe; the
// owner serialises calls.
#ifndef PYCLOUD_SCHED_CREDIT_BUCKET_H_
#define PYCLOUD_SCHED_CREDIT_BUCKET_H_

namespace pycloud {
namespace sched {

class CreditBucket {
 public:
  // baseline > 0 and burst >= baseline (units/s); capacity >= 0 and 0 <= initial <= capacity
  // (credits, in the same units). The bucket's accounting starts at time 0.
  CreditBucket(double baseline, double burst, double capacity, double initial);

  // When the work admitted so far is done: the earliest start of the next piece.
  double ready() const { return ready_; }

  // Serves `cost` units starting at `start` (raised to ready() if earlier) and returns the time
  // they are done. Credits earned while idle before `start` are added first.
  double Serve(double start, double cost);

  // Credits at time t: the balance once the admitted work is done, plus what an idle bucket earns
  // after that (a t before ready() reports the balance at ready()).
  double BalanceAt(double t) const;

  // The rate a piece of work starting at t would be served at (burst while credits last).
  double RateAt(double t) const;

  bool has_bucket() const { return burst_ > baseline_ && capacity_ > 0; }
  double baseline() const { return baseline_; }
  double burst() const { return burst_; }
  double capacity() const { return capacity_; }

 private:
  double baseline_;
  double burst_;
  double capacity_;
  double balance_;      // credits at ready_
  double ready_ = 0.0;  // end of the admitted work; earnings are accounted up to here
};

}  // namespace sched
}  // namespace pycloud

#endif  // PYCLOUD_SCHED_CREDIT_BUCKET_H_
