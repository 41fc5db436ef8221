// A tiny self-contained unit-test harness for the native tests (no external framework).
//
// Usage in a foo_test.cc:
//   TEST(Foo, DoesBar) { CHECK(x); CHECK_EQ(a, b); }
//   int main() { return pycloud::test::RunAllTests(); }
// Each test runs in registration order; a failed CHECK reports and continues (so one run shows
// every failure). RunAllTests prints one line per test and a closing "N passed, M failed" line,
// and returns non-zero when anything failed. Not thread-safe: CHECK from the main thread only.
#ifndef PYCLOUD_COMMON_TESTHARNESS_H_
#define PYCLOUD_COMMON_TESTHARNESS_H_

#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

namespace pycloud {
namespace test {

struct TestCase {
  const char* name;
  void (*fn)();
};

inline std::vector<TestCase>& Registry() {
  static std::vector<TestCase> tests;
  return tests;
}

inline int& CurrentFailures() {
  static int failures = 0;
  return failures;
}

struct Registrar {
  Registrar(const char* name, void (*fn)()) { Registry().push_back({name, fn}); }
};

inline void ReportFailure(const char* file, int line, const std::string& what) {
  std::fprintf(stderr, "  %s:%d: CHECK failed: %s\n", file, line, what.c_str());
  ++CurrentFailures();
}

template <typename A, typename B>
inline void CheckEq(const A& a, const B& b, const char* expr_a, const char* expr_b, const char* file, int line) {
  if (a == b) return;
  std::ostringstream msg;
  msg << expr_a << " == " << expr_b << " (" << a << " vs " << b << ")";
  ReportFailure(file, line, msg.str());
}

inline int RunAllTests() {
  int passed = 0, failed = 0;
  for (const TestCase& t : Registry()) {
    CurrentFailures() = 0;
    t.fn();
    bool ok = CurrentFailures() == 0;
    std::printf("[%s] %s\n", ok ? "  OK  " : " FAIL ", t.name);
    std::fflush(stdout);
    (ok ? passed : failed)++;
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}

}  // namespace test
}  // namespace pycloud

#define TEST(suite, name)                                                                     \
  static void suite##_##name##_Test();                                                        \
  static const ::pycloud::test::Registrar suite##_##name##_registrar(#suite "." #name,        \
                                                                     &suite##_##name##_Test); \
  static void suite##_##name##_Test()

#define CHECK(cond) \
  ((cond) ? (void)0 : ::pycloud::test::ReportFailure(__FILE__, __LINE__, #cond))

#define CHECK_EQ(a, b) ::pycloud::test::CheckEq((a), (b), #a, #b, __FILE__, __LINE__)

#endif  // PYCLOUD_COMMON_TESTHARNESS_H_
