// CpuCreditScheduler: credit arithmetic of burstable instances.
#include "sched/cpu_credits.h"

#include <cmath>

#include "common/testharness.h"

using namespace pycloud::sched;  // NOLINT

namespace {

bool Near(double a, double b, double tol = 1e-9) { return std::fabs(a - b) <= tol * (1 + std::fabs(b)); }

BurstableType Type(const char* name) {
  BurstableType t;
  CHECK(FindBurstableType(name, &t));
  return t;
}

}  // namespace

TEST(CpuCredits, Table) {
  BurstableType t = Type("t3.micro");
  CHECK_EQ(t.vcpus, 2);
  CHECK_EQ(t.credits_per_hour, 12.0);
  CHECK_EQ(t.baseline, 0.10);
  CHECK_EQ(t.max_balance(), 288.0);
  // Earnings are the baseline of every vCPU: baseline x vCPUs x 60 credits per hour.
  for (const BurstableType& b : BurstableTypes()) CHECK(Near(b.credits_per_hour, b.baseline * b.vcpus * 60));
  CHECK(!FindBurstableType("m5.large", &t));
}

TEST(CpuCredits, EarnsUpToTwentyFourHours) {
  CpuCreditScheduler s(Type("t3.micro"), 0, false);
  CHECK(Near(s.Balance(3600), 12));
  CHECK(Near(s.Balance(100 * 3600), 288));
}

TEST(CpuCredits, StandardThrottlesToBaseline) {
  CpuCreditScheduler s(Type("t3.micro"), 0, false);
  s.Consume(0, 0, 3600);  // 12 credits
  // 100% on 2 vCPUs spends 2 credits/min and earns 0.2: 12 / 1.8 min = 400 s at full speed.
  const double got = s.Consume(3600, 1.0, 1000);
  CHECK(Near(got, (400 * 1.0 + 600 * 0.10) / 1000));
  CpuCreditMetrics m = s.Metrics(4600);
  CHECK(Near(m.throttled_seconds, 600));
  CHECK(m.cpu_credit_balance < 1e-9);
  CHECK(Near(m.cpu_credit_usage, 400 * 2.0 / 60 + 600 * 0.2 / 60));
}

TEST(CpuCredits, T2LaunchCreditsFirst) {
  CpuCreditScheduler s(Type("t2.micro"), 0, false);
  CpuCreditMetrics m = s.Metrics(0);
  CHECK_EQ(m.launch_credits, 30.0);
  // 100% of 1 vCPU for 10 minutes spends 10 launch credits; meanwhile 1 credit is earned.
  CHECK_EQ(s.Consume(0, 1.0, 600), 1.0);
  m = s.Metrics(600);
  CHECK(Near(m.launch_credits, 20));
  CHECK(Near(m.earned_credits, 1));
  CHECK(Near(m.cpu_credit_balance, 21));
}

TEST(CpuCredits, UnlimitedSurplusPaidBackThenCharged) {
  CpuCreditScheduler s(Type("t3.micro"), 0, true);
  // Empty balance, 100% for 1 h: spends 120, earns 12: 108 surplus.
  CHECK_EQ(s.Consume(0, 1.0, 3600), 1.0);
  CHECK(Near(s.Metrics(3600).cpu_surplus_credit_balance, 108));
  // Idle 1 h earns 12, all paying the surplus back.
  CpuCreditMetrics m = s.Metrics(7200);
  CHECK(Near(m.cpu_surplus_credit_balance, 96));
  CHECK_EQ(m.cpu_credit_balance, 0.0);
  // Beyond 288 surplus the excess is charged at the end of the hour: 3 more hours at 100% add 324.
  s.Consume(7200, 1.0, 3 * 3600);
  m = s.Metrics(7200 + 3 * 3600);
  CHECK(Near(m.cpu_surplus_credit_balance, 288));
  CHECK(Near(m.cpu_surplus_credits_charged, 96 + 324 - 288));
  // Switching to standard charges the rest.
  s.SetUnlimited(7200 + 3 * 3600, false);
  CHECK(Near(s.Metrics(7200 + 3 * 3600).cpu_surplus_credits_charged, 96 + 324));
}

int main() { return pycloud::test::RunAllTests(); }
