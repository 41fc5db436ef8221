#include "common/crc32.h"

#include "common/cpu_features.h"
#include "common/crc_internal.h"

namespace pycloud {
namespace {

constexpr uint64_t kPolyNormal = 0x04C11DB7;
constexpr uint32_t kPolyReflected = 0xEDB88320;
constexpr crc_internal::SlicingTables<uint32_t> kTables = crc_internal::MakeSlicingTables<uint32_t>(kPolyReflected);
constexpr crc_internal::FoldConstants kFold = crc_internal::MakeFoldConstants(kPolyNormal, 32);
// Below this the fixed cost of setting up and collapsing four lanes outweighs the gain.
constexpr size_t kClmulMin = 64;

}  // namespace

uint32_t Crc32ExtendPortable(uint32_t crc, const void* data, size_t n) {
  return ~crc_internal::UpdateSlicing8(kTables, ~crc, static_cast<const uint8_t*>(data), n);
}

uint32_t Crc32ExtendClmul(uint32_t crc, const void* data, size_t n) {
  const auto* p = static_cast<const uint8_t*>(data);
  uint32_t reg = ~crc;
  if (n >= kClmulMin) {
    size_t bulk = n & ~size_t{15};
    uint8_t folded[16];
    crc_internal::FoldClmul(kFold, reg, p, bulk, folded);
    reg = crc_internal::UpdateSlicing8<uint32_t>(kTables, 0, folded, sizeof folded);
    p += bulk;
    n -= bulk;
  }
  return ~crc_internal::UpdateSlicing8(kTables, reg, p, n);
}

bool Crc32ClmulAvailable() { return DetectedCpuFeatures().pclmul; }

uint32_t Crc32Extend(uint32_t crc, const void* data, size_t n) {
  if (n >= kClmulMin && Crc32ClmulAvailable()) return Crc32ExtendClmul(crc, data, n);
  return Crc32ExtendPortable(crc, data, n);
}

void Crc32::Final(uint8_t* out) const {
  out[0] = static_cast<uint8_t>(crc_ >> 24);
  out[1] = static_cast<uint8_t>(crc_ >> 16);
  out[2] = static_cast<uint8_t>(crc_ >> 8);
  out[3] = static_cast<uint8_t>(crc_);
}

}  // namespace pycloud
