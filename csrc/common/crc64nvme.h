// CRC-64/NVME: the 64-bit CRC S3 offers as x-amz-checksum-crc64nvme.
//
// Polynomial 0xAD93D23594C93659 (reflected form 0x9A6C9329AC4BC9B5), init and xorout all-ones;
// the check value of "123456789" is 0xAE8B14860A799888. Stateless functions are thread-safe; a
// Crc64Nvme object is single-owner.
#ifndef PYCLOUD_COMMON_CRC64NVME_H_
#define PYCLOUD_COMMON_CRC64NVME_H_

#include <cstddef>
#include <cstdint>

namespace pycloud {

// Extends a finished CRC (0 for empty input) with n more bytes; picks the fastest path.
uint64_t Crc64NvmeExtend(uint64_t crc, const void* data, size_t n);
// Slicing-by-8 table path, available everywhere.
uint64_t Crc64NvmeExtendPortable(uint64_t crc, const void* data, size_t n);
// PCLMULQDQ folding path. Only call when Crc64NvmeClmulAvailable().
uint64_t Crc64NvmeExtendClmul(uint64_t crc, const void* data, size_t n);
bool Crc64NvmeClmulAvailable();

class Crc64Nvme {
 public:
  static constexpr const char* kName = "crc64nvme";
  static constexpr size_t kDigestSize = 8;

  void Reset() { crc_ = 0; }
  void Update(const void* data, size_t n) { crc_ = Crc64NvmeExtend(crc_, data, n); }
  uint64_t value() const { return crc_; }
  // Big-endian, as S3 encodes it.
  void Final(uint8_t* out) const;

 private:
  uint64_t crc_ = 0;
};

}  // namespace pycloud

#endif  // PYCLOUD_COMMON_CRC64NVME_H_
