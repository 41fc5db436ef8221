// CpuCreditScheduler: the CPU credits of one burstable (T2, T3, T3a, T4g) EC2 instance.
//
// One CPU credit is one vCPU at 100% for one minute. An instance earns its type's credits per hour
// continuously (whatever it does) and spends utilisation x vCPUs / 60 credits per second; earned
// credits accrue up to 24 hours' worth. T2 instances in standard mode start with 30 launch credits
// per vCPU, spent before earned credits and not counted against the maximum.
//  - standard mode: once the balance is empty the instance runs at its baseline (throttled);
//  - unlimited mode: it keeps running at the demanded utilisation, spending surplus credits; later
//    earnings pay the surplus back first. Surplus beyond 24 hours' earnings is charged at the end of
//    the hour (hours counted from launch); switching to standard, or Settle() (stop/terminate),
//    charges all outstanding surplus.
//
// Time is the caller's (seconds, virtual or real); between calls the instance is taken to be idle
// (utilisation 0). Thread-safe (one mutex, a few hundred nanoseconds per call).
#ifndef PYCLOUD_SCHED_CPU_CREDITS_H_
#define PYCLOUD_SCHED_CPU_CREDITS_H_

#include <mutex>
#include <string>
#include <vector>

namespace pycloud {
namespace sched {

struct BurstableType {
  std::string name;          // "t3.micro"
  int vcpus = 0;
  double credits_per_hour = 0;
  double baseline = 0;       // per-vCPU utilisation fraction (0.10 = 10%)
  bool launch_credits = false;  // T2: 30 per vCPU in standard mode
  bool unlimited_default = false;  // T3/T3a/T4g launch unlimited, T2 standard
  double max_balance() const { return credits_per_hour * 24; }
};

// The T2, T3, T3a and T4g sizes; false when name is none of them.
bool FindBurstableType(const std::string& name, BurstableType* out);
const std::vector<BurstableType>& BurstableTypes();

constexpr double kLaunchCreditsPerVcpu = 30;

struct CpuCreditMetrics {
  double cpu_credit_usage = 0;           // credits spent since launch (CPUCreditUsage, cumulative)
  double cpu_credit_balance = 0;         // earned + launch credits (CPUCreditBalance)
  double earned_credits = 0;
  double launch_credits = 0;
  double cpu_surplus_credit_balance = 0; // CPUSurplusCreditBalance
  double cpu_surplus_credits_charged = 0;  // CPUSurplusCreditsCharged, cumulative
  double throttled_seconds = 0;          // standard mode: time held to baseline below demand
  bool unlimited = false;
};

class CpuCreditScheduler {
 public:
  // An instance launched at `launch_time`, in unlimited or standard mode.
  CpuCreditScheduler(const BurstableType& type, double launch_time, bool unlimited);
  CpuCreditScheduler(const CpuCreditScheduler&) = delete;
  CpuCreditScheduler& operator=(const CpuCreditScheduler&) = delete;

  // The instance demands `utilisation` (per vCPU, 0..1) for `seconds` from `now` (from the end of
  // the previous interval if that is later). Returns the utilisation it gets: the demand, or less
  // in standard mode once credits run out (the baseline from then on), averaged over the interval.
  double Consume(double now, double utilisation, double seconds);

  // Credits (earned + launch) at `now`, without changing anything.
  double Balance(double now);
  CpuCreditMetrics Metrics(double now);

  // Switches mode at `now`. To standard: outstanding surplus is charged. T2 to unlimited: launch
  // credits are removed, as AWS does.
  void SetUnlimited(double now, bool unlimited);
  // Charges all outstanding surplus (the instance stops or terminates); returns what was charged.
  double Settle(double now);

  const BurstableType& type() const { return type_; }

 private:
  struct State {
    double t = 0;            // accounted up to here
    double earned = 0;
    double launch = 0;
    double surplus = 0;
    double pending = 0;      // surplus beyond the maximum, charged at the next hour boundary
    double charged = 0;
    double usage = 0;
    double throttled = 0;
    double granted_work = 0; // utilisation x seconds actually run (scratch for Consume)
  };
  // Runs `seconds` at `utilisation` from s.t, splitting at hour boundaries.
  void Run(State& s, double utilisation, double seconds) const;
  void RunWithinHour(State& s, double utilisation, double seconds) const;
  void Earn(State& s, double credits) const;
  void AddSurplus(State& s, double credits) const;
  double NextHour(double t) const;

  const BurstableType type_;
  const double launch_time_;
  std::mutex mu_;
  bool unlimited_;
  State state_;
};

}  // namespace sched
}  // namespace pycloud

#endif  // PYCLOUD_SCHED_CPU_CREDITS_H_
