#include "common/cpu_features.h"

#if defined(PYCLOUD_X86_ACCEL)
#include <cpuid.h>
#endif

namespace pycloud {
namespace {

CpuFeatures Detect() {
  CpuFeatures f;
#if defined(PYCLOUD_X86_ACCEL)
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (__get_cpuid(1, &eax, &ebx, &ecx, &edx)) {
    f.sse42 = (ecx & bit_SSE4_2) != 0;
    f.pclmul = (ecx & bit_PCLMUL) != 0;
    // The SHA-NI and PCLMUL paths also use SSE4.1/SSSE3 shuffles and blends.
    bool sse41 = (ecx & bit_SSE4_1) != 0;
    bool ssse3 = (ecx & bit_SSSE3) != 0;
    f.pclmul = f.pclmul && sse41 && ssse3;
    if (__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) {
      f.sha = (ebx & bit_SHA) != 0 && sse41 && ssse3;
    }
  }
#endif
  return f;
}

}  // namespace

const CpuFeatures& DetectedCpuFeatures() {
  // A function-local static is initialised once, thread-safely (C++11 "magic statics").
  static const CpuFeatures features = Detect();
  return features;
}

}  // namespace pycloud
