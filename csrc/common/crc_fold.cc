// Carry-less-multiply folding shared by CRC32 and CRC64NVME (see crc_internal.h for the math).
#include "common/crc_internal.h"

#include <cstdlib>

#include "common/cpu_features.h"

#if defined(PYCLOUD_X86_ACCEL)
#include <immintrin.h>
#define PYCLOUD_CLMUL_TARGET __attribute__((target("pclmul,sse4.1,ssse3")))
#endif

namespace pycloud {
namespace crc_internal {

#if defined(PYCLOUD_CLMUL_TARGET)

namespace {

// x * x^D folded onto the block D bits later: low lane times k.lo, high lane times k.hi.
PYCLOUD_CLMUL_TARGET inline __m128i Fold(__m128i x, __m128i k, __m128i next) {
  __m128i lo = _mm_clmulepi64_si128(x, k, 0x00);
  __m128i hi = _mm_clmulepi64_si128(x, k, 0x11);
  return _mm_xor_si128(_mm_xor_si128(lo, hi), next);
}

PYCLOUD_CLMUL_TARGET inline __m128i Load(const uint8_t* p) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}

}  // namespace

PYCLOUD_CLMUL_TARGET void FoldClmul(const FoldConstants& k, uint64_t reg, const uint8_t* p, size_t n,
                                    uint8_t out[16]) {
  const __m128i k512 = _mm_set_epi64x(static_cast<long long>(k.k512_hi), static_cast<long long>(k.k512_lo));
  const __m128i k128 = _mm_set_epi64x(static_cast<long long>(k.k128_hi), static_cast<long long>(k.k128_lo));
  // Four independent lanes hide the multiplier latency (~5-7 cycles) behind its throughput.
  __m128i x0 = _mm_xor_si128(Load(p), _mm_cvtsi64_si128(static_cast<long long>(reg)));
  __m128i x1 = Load(p + 16);
  __m128i x2 = Load(p + 32);
  __m128i x3 = Load(p + 48);
  p += 64;
  n -= 64;
  while (n >= 64) {
    x0 = Fold(x0, k512, Load(p));
    x1 = Fold(x1, k512, Load(p + 16));
    x2 = Fold(x2, k512, Load(p + 32));
    x3 = Fold(x3, k512, Load(p + 48));
    p += 64;
    n -= 64;
  }
  x1 = Fold(x0, k128, x1);
  x2 = Fold(x1, k128, x2);
  __m128i x = Fold(x2, k128, x3);
  while (n >= 16) {
    x = Fold(x, k128, Load(p));
    p += 16;
    n -= 16;
  }
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out), x);
}

#else

void FoldClmul(const FoldConstants&, uint64_t, const uint8_t*, size_t, uint8_t*) {
  // Never reached: callers check DetectedCpuFeatures().pclmul, which is false on this build.
  std::abort();
}

#endif

}  // namespace crc_internal
}  // namespace pycloud
