#include "common/crc32c.h"

#include <cstdlib>

#include "common/cpu_features.h"
#include "common/crc_internal.h"

#if defined(PYCLOUD_X86_ACCEL)
#include <nmmintrin.h>
#define PYCLOUD_SSE42_TARGET __attribute__((target("sse4.2")))
#endif

namespace pycloud {
namespace {

constexpr uint32_t kPolyReflected = 0x82F63B78;
constexpr crc_internal::SlicingTables<uint32_t> kTables = crc_internal::MakeSlicingTables<uint32_t>(kPolyReflected);

// The crc32 instruction has a 3-cycle latency but issues every cycle, so one dependency chain
// leaves two thirds of the unit idle. Long inputs are cut into blocks of three equal stripes,
// each with its own chain, and the stripe CRCs are merged by shifting: CRC(A||B) equals
// shift(CRC(A), |B| zero bytes) XOR CRC(B), where the shift is a multiplication by x^(8|B|) mod P.
constexpr size_t kStripe = 512;

// a * b mod P, both reflected (bit 31 is x^0).
constexpr uint32_t MultModP(uint32_t a, uint32_t b) {
  uint32_t product = 0;
  for (int i = 0; i < 32; ++i) {
    if (a & (0x80000000u >> i)) product ^= b;
    b = (b & 1) ? (b >> 1) ^ kPolyReflected : b >> 1;  // b *= x
  }
  return product;
}

// x^e mod P, reflected.
constexpr uint32_t XPowReflected(unsigned e) {
  uint32_t v = 0x80000000u;  // x^0
  for (unsigned i = 0; i < e; ++i) v = (v & 1) ? (v >> 1) ^ kPolyReflected : v >> 1;
  return v;
}

// Per-byte tables for "multiply by x^(8 * kStripe)": the shift is linear, so four lookups do it.
struct ShiftTables {
  uint32_t t[4][256];
};

constexpr ShiftTables MakeShiftTables() {
  ShiftTables s{};
  constexpr uint32_t k = XPowReflected(8 * kStripe);
  for (int byte = 0; byte < 4; ++byte) {
    for (uint32_t b = 0; b < 256; ++b) s.t[byte][b] = MultModP(b << (8 * byte), k);
  }
  return s;
}

constexpr ShiftTables kShift = MakeShiftTables();

inline uint32_t ShiftStripe(uint32_t crc) {
  return kShift.t[0][crc & 0xff] ^ kShift.t[1][(crc >> 8) & 0xff] ^ kShift.t[2][(crc >> 16) & 0xff] ^
         kShift.t[3][crc >> 24];
}

}  // namespace

uint32_t Crc32cExtendPortable(uint32_t crc, const void* data, size_t n) {
  return ~crc_internal::UpdateSlicing8(kTables, ~crc, static_cast<const uint8_t*>(data), n);
}

#if defined(PYCLOUD_SSE42_TARGET)

PYCLOUD_SSE42_TARGET uint32_t Crc32cExtendHardware(uint32_t crc, const void* data, size_t n) {
  const auto* p = static_cast<const uint8_t*>(data);
  uint64_t c0 = static_cast<uint32_t>(~crc);
  while (n >= 3 * kStripe) {
    uint64_t c1 = 0, c2 = 0;
    for (size_t i = 0; i < kStripe; i += 8) {
      c0 = _mm_crc32_u64(c0, crc_internal::LoadLE64(p + i));
      c1 = _mm_crc32_u64(c1, crc_internal::LoadLE64(p + kStripe + i));
      c2 = _mm_crc32_u64(c2, crc_internal::LoadLE64(p + 2 * kStripe + i));
    }
    c0 = ShiftStripe(ShiftStripe(static_cast<uint32_t>(c0)) ^ static_cast<uint32_t>(c1)) ^ c2;
    p += 3 * kStripe;
    n -= 3 * kStripe;
  }
  while (n >= 8) {
    c0 = _mm_crc32_u64(c0, crc_internal::LoadLE64(p));
    p += 8;
    n -= 8;
  }
  uint32_t c = static_cast<uint32_t>(c0);
  while (n--) c = _mm_crc32_u8(c, *p++);
  return ~c;
}

bool Crc32cHardwareAvailable() { return DetectedCpuFeatures().sse42; }

#else

uint32_t Crc32cExtendHardware(uint32_t, const void*, size_t) {
  std::abort();  // never reached: Crc32cHardwareAvailable() is false on this build
}

bool Crc32cHardwareAvailable() { return false; }

#endif

uint32_t Crc32cExtend(uint32_t crc, const void* data, size_t n) {
  if (Crc32cHardwareAvailable()) return Crc32cExtendHardware(crc, data, n);
  return Crc32cExtendPortable(crc, data, n);
}

void Crc32c::Final(uint8_t* out) const {
  out[0] = static_cast<uint8_t>(crc_ >> 24);
  out[1] = static_cast<uint8_t>(crc_ >> 16);
  out[2] = static_cast<uint8_t>(crc_ >> 8);
  out[3] = static_cast<uint8_t>(crc_);
}

}  // namespace pycloud
