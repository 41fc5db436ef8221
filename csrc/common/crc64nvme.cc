#include "common/crc64nvme.h"

#include "common/cpu_features.h"
#include "common/crc_internal.h"

namespace pycloud {
namespace {

constexpr uint64_t kPolyNormal = 0xAD93D23594C93659ULL;
constexpr uint64_t kPolyReflected = 0x9A6C9329AC4BC9B5ULL;
constexpr crc_internal::SlicingTables<uint64_t> kTables = crc_internal::MakeSlicingTables<uint64_t>(kPolyReflected);
constexpr crc_internal::FoldConstants kFold = crc_internal::MakeFoldConstants(kPolyNormal, 64);
constexpr size_t kClmulMin = 64;

}  // namespace

uint64_t Crc64NvmeExtendPortable(uint64_t crc, const void* data, size_t n) {
  return ~crc_internal::UpdateSlicing8(kTables, ~crc, static_cast<const uint8_t*>(data), n);
}

uint64_t Crc64NvmeExtendClmul(uint64_t crc, const void* data, size_t n) {
  const auto* p = static_cast<const uint8_t*>(data);
  uint64_t reg = ~crc;
  if (n >= kClmulMin) {
    size_t bulk = n & ~size_t{15};
    uint8_t folded[16];
    crc_internal::FoldClmul(kFold, reg, p, bulk, folded);
    reg = crc_internal::UpdateSlicing8<uint64_t>(kTables, 0, folded, sizeof folded);
    p += bulk;
    n -= bulk;
  }
  return ~crc_internal::UpdateSlicing8(kTables, reg, p, n);
}

bool Crc64NvmeClmulAvailable() { return DetectedCpuFeatures().pclmul; }

uint64_t Crc64NvmeExtend(uint64_t crc, const void* data, size_t n) {
  if (n >= kClmulMin && Crc64NvmeClmulAvailable()) return Crc64NvmeExtendClmul(crc, data, n);
  return Crc64NvmeExtendPortable(crc, data, n);
}

void Crc64Nvme::Final(uint8_t* out) const {
  for (int i = 0; i < 8; ++i) out[i] = static_cast<uint8_t>(crc_ >> (56 - 8 * i));
}

}  // namespace pycloud
