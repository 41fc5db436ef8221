// CreditBucket: the closed-form bucket math, checked against hand-computed schedules.
#include "sched/credit_bucket.h"

#include <cmath>

#include "common/testharness.h"

using pycloud::sched::CreditBucket;

namespace {

bool Near(double a, double b, double tol = 1e-6) { return std::fabs(a - b) <= tol * (1 + std::fabs(b)); }

// Serves `n` unit pieces back to back from time `t`; returns when the last one is done.
double Saturate(CreditBucket& b, double t, long n) {
  for (long i = 0; i < n; ++i) t = b.Serve(t, 1);
  return t;
}

}  // namespace

TEST(CreditBucket, PlainRateLimiterSpacesWork) {
  CreditBucket b(100, 100, 0, 0);
  CHECK(!b.has_bucket());
  CHECK_EQ(b.Serve(0, 1), 0.01);
  CHECK(Near(b.Serve(0, 1), 0.02));      // asked for earlier: starts when the first is done
  CHECK(Near(b.Serve(5, 50), 5.5));      // idle gap: starts on time, 50 units take 0.5 s
  CHECK(Near(b.Serve(5.5, 0), 5.5));     // free work takes no time
}

TEST(CreditBucket, Gp2HundredGiBBurstsTwoThousandSeconds) {
  // 300 IOPS baseline, 3,000 burst, 5.4 M credits: 5.4e6 / 2,700 = 2,000 s at 3,000 IOPS.
  CreditBucket b(300, 3000, 5.4e6, 5.4e6);
  const double t = Saturate(b, 0, 6000000);
  CHECK(Near(t, 2000.0, 1e-6));
  CHECK(b.BalanceAt(t) < 1e-3);
  // Then 300 IOPS: 3,000 more operations take 10 s.
  CHECK(Near(Saturate(b, t, 3000), 2010.0, 1e-6));
  CHECK_EQ(b.RateAt(2010.0), 300.0);
}

TEST(CreditBucket, OneLargePieceCrossesIntoBaseline) {
  // Balance 2,700 at burst 3,000 / baseline 300: 3,000 units at burst take 1 s (and empty it);
  // the other 1,000 run at baseline: 1,000 / 300 s.
  CreditBucket b(300, 3000, 5.4e6, 2700);
  CHECK(Near(b.Serve(0, 4000), 1.0 + 1000.0 / 300.0));
  CHECK_EQ(b.BalanceAt(b.ready()), 0.0);
}

TEST(CreditBucket, RefillsAtBaselineUpToCapacity) {
  CreditBucket b(300, 3000, 5.4e6, 0);
  CHECK(Near(b.BalanceAt(100), 30000));
  CHECK(Near(b.BalanceAt(18000), 5.4e6));
  CHECK(Near(b.BalanceAt(1e9), 5.4e6));  // capped
  // Earned credits are spent: after 10 idle seconds, 3,000 credits allow a 3,000-IOPS burst of
  // 3,000 x 3,000 / 2,700 operations.
  b.Serve(10, 0);
  CHECK(Near(b.Serve(10, 3000.0 * 3000.0 / 2700.0), 10 + 3000.0 / 2700.0));
  CHECK(b.BalanceAt(b.ready()) < 1e-6);
}

TEST(CreditBucket, DemandBelowBurstDrainsAtDemandMinusBaseline) {
  // 1,000 IOPS on a 300-IOPS-baseline bucket: net drain 700 credits/s.
  CreditBucket b(300, 3000, 5.4e6, 5.4e6);
  double t = 0;
  for (int i = 0; i < 100000; ++i, t += 0.001) b.Serve(t, 1);  // 100 s
  CHECK(Near(b.BalanceAt(100.0), 5.4e6 - 700.0 * 100, 1e-6));
}

TEST(CreditBucket, DemandAtBaselineNeverDrains) {
  CreditBucket b(300, 3000, 5.4e6, 5.4e6);
  double t = 0;
  for (int i = 0; i < 30000; ++i, t += 1.0 / 300) b.Serve(t, 1);
  CHECK(Near(b.BalanceAt(t), 5.4e6, 1e-9));
}

int main() { return pycloud::test::RunAllTests(); }
