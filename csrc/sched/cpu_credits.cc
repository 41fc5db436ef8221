#include "sched/cpu_credits.h"

#include <algorithm>
#include <cmath>

namespace pycloud {
namespace sched {
namespace {

constexpr double kHour = 3600;

// Sizes of one family: vCPUs, credits earned per hour, baseline per vCPU.
struct Size {
  const char* size;
  int vcpus;
  double credits_per_hour;
  double baseline;
};

constexpr Size kT2[] = {{"nano", 1, 3, 0.05},    {"micro", 1, 6, 0.10},  {"small", 1, 12, 0.20},
                        {"medium", 2, 24, 0.20}, {"large", 2, 36, 0.30}, {"xlarge", 4, 54, 0.225},
                        {"2xlarge", 8, 81.6, 0.17}};
// T3, T3a and T4g share their figures.
constexpr Size kT3[] = {{"nano", 2, 6, 0.05},    {"micro", 2, 12, 0.10}, {"small", 2, 24, 0.20},
                        {"medium", 2, 24, 0.20}, {"large", 2, 36, 0.30}, {"xlarge", 4, 96, 0.40},
                        {"2xlarge", 8, 192, 0.40}};

std::vector<BurstableType> BuildTypes() {
  std::vector<BurstableType> out;
  for (const Size& s : kT2) out.push_back({std::string("t2.") + s.size, s.vcpus, s.credits_per_hour, s.baseline, true, false});
  for (const char* family : {"t3", "t3a", "t4g"}) {
    for (const Size& s : kT3) {
      out.push_back({std::string(family) + "." + s.size, s.vcpus, s.credits_per_hour, s.baseline, false, true});
    }
  }
  return out;
}

}  // namespace

const std::vector<BurstableType>& BurstableTypes() {
  static const std::vector<BurstableType> types = BuildTypes();
  return types;
}

bool FindBurstableType(const std::string& name, BurstableType* out) {
  for (const BurstableType& t : BurstableTypes()) {
    if (t.name == name) {
      *out = t;
      return true;
    }
  }
  return false;
}

CpuCreditScheduler::CpuCreditScheduler(const BurstableType& type, double launch_time, bool unlimited)
    : type_(type), launch_time_(launch_time), unlimited_(unlimited) {
  state_.t = launch_time;
  if (type.launch_credits && !unlimited) state_.launch = kLaunchCreditsPerVcpu * type.vcpus;
}

void CpuCreditScheduler::Earn(State& s, double credits) const {
  // Earnings pay back surplus before they accrue.
  const double pay = std::min(s.surplus, credits);
  s.surplus -= pay;
  s.earned = std::min(type_.max_balance(), s.earned + credits - pay);
}

void CpuCreditScheduler::AddSurplus(State& s, double credits) const {
  const double room = std::max(0.0, type_.max_balance() - s.surplus);
  const double add = std::min(room, credits);
  s.surplus += add;
  s.pending += credits - add;
}

double CpuCreditScheduler::NextHour(double t) const {
  double b = launch_time_ + (std::floor((t - launch_time_) / kHour) + 1) * kHour;
  if (b <= t) b += kHour;  // rounding put t on a boundary the division did not see
  return b;
}

void CpuCreditScheduler::RunWithinHour(State& s, double u, double seconds) const {
  const double earn = type_.credits_per_hour / kHour;  // credits per second
  const double spend = u * type_.vcpus / 60.0;
  double left = seconds;
  auto run = [&](double dt, double spend_rate, double util) {
    s.usage += spend_rate * dt;
    s.granted_work += util * dt;
    left -= dt;
  };
  // Launch credits go first; earnings accrue meanwhile.
  if (s.launch > 0 && spend > 0 && left > 0) {
    const double dt = std::min(left, s.launch / spend);
    s.launch = dt < left ? 0 : std::max(0.0, s.launch - spend * dt);
    Earn(s, earn * dt);
    run(dt, spend, u);
  }
  if (left <= 0) return;
  const double net = earn - spend;
  if (net >= 0) {
    Earn(s, net * left);
    run(left, spend, u);
    return;
  }
  const double drain = -net;
  const double dt = std::min(left, s.earned / drain);
  s.earned = dt < left ? 0 : std::max(0.0, s.earned - drain * dt);
  run(dt, spend, u);
  if (left <= 0) return;
  if (unlimited_) {
    AddSurplus(s, drain * left);
    run(left, spend, u);
  } else {
    // Held to baseline: it spends exactly what it earns.
    s.throttled += left;
    run(left, earn, type_.baseline);
  }
}

void CpuCreditScheduler::Run(State& s, double u, double seconds) const {
  while (seconds > 0) {
    const double boundary = NextHour(s.t);
    const double step = std::min(seconds, boundary - s.t);
    RunWithinHour(s, u, step);
    seconds -= step;
    if (step == boundary - s.t) {
      s.t = boundary;  // exact, so hours never drift
      s.charged += s.pending;
      s.pending = 0;
    } else {
      s.t += step;
    }
  }
}

double CpuCreditScheduler::Consume(double now, double utilisation, double seconds) {
  utilisation = std::clamp(utilisation, 0.0, 1.0);
  seconds = std::max(0.0, seconds);
  std::lock_guard<std::mutex> lock(mu_);
  if (now > state_.t) Run(state_, 0, now - state_.t);
  state_.granted_work = 0;
  Run(state_, utilisation, seconds);
  return seconds > 0 ? state_.granted_work / seconds : utilisation;
}

double CpuCreditScheduler::Balance(double now) {
  std::lock_guard<std::mutex> lock(mu_);
  State s = state_;
  if (now > s.t) Run(s, 0, now - s.t);
  return s.earned + s.launch;
}

CpuCreditMetrics CpuCreditScheduler::Metrics(double now) {
  std::lock_guard<std::mutex> lock(mu_);
  State s = state_;
  if (now > s.t) Run(s, 0, now - s.t);
  CpuCreditMetrics m;
  m.cpu_credit_usage = s.usage;
  m.earned_credits = s.earned;
  m.launch_credits = s.launch;
  m.cpu_credit_balance = s.earned + s.launch;
  m.cpu_surplus_credit_balance = s.surplus + s.pending;
  m.cpu_surplus_credits_charged = s.charged;
  m.throttled_seconds = s.throttled;
  m.unlimited = unlimited_;
  return m;
}

void CpuCreditScheduler::SetUnlimited(double now, bool unlimited) {
  std::lock_guard<std::mutex> lock(mu_);
  if (now > state_.t) Run(state_, 0, now - state_.t);
  if (unlimited_ && !unlimited) {
    state_.charged += state_.surplus + state_.pending;
    state_.surplus = state_.pending = 0;
  }
  if (!unlimited_ && unlimited) state_.launch = 0;
  unlimited_ = unlimited;
}

double CpuCreditScheduler::Settle(double now) {
  std::lock_guard<std::mutex> lock(mu_);
  if (now > state_.t) Run(state_, 0, now - state_.t);
  const double owed = state_.surplus + state_.pending;
  state_.charged += owed;
  state_.surplus = state_.pending = 0;
  return owed;
}

}  // namespace sched
}  // namespace pycloud
