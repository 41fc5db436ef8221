// CRC-32C (Castagnoli polynomial 0x1EDC6F41, reflected, init and xorout all-ones).
//
// S3's x-amz-checksum-crc32c; check value of "123456789" is 0xE3069283. On x86_64 with SSE4.2 the
// crc32 instruction computes exactly this CRC; a slicing-by-8 table path covers everything else.
// Stateless functions are thread-safe; a Crc32c object is single-owner.
#ifndef PYCLOUD_COMMON_CRC32C_H_
#define PYCLOUD_COMMON_CRC32C_H_

#include <cstddef>
#include <cstdint>

namespace pycloud {

// Extends a finished CRC (0 for empty input) with n more bytes; picks the fastest path.
uint32_t Crc32cExtend(uint32_t crc, const void* data, size_t n);
// Slicing-by-8 table path, available everywhere.
uint32_t Crc32cExtendPortable(uint32_t crc, const void* data, size_t n);
// SSE4.2 crc32-instruction path. Only call when Crc32cHardwareAvailable().
uint32_t Crc32cExtendHardware(uint32_t crc, const void* data, size_t n);
bool Crc32cHardwareAvailable();

class Crc32c {
 public:
  static constexpr const char* kName = "crc32c";
  static constexpr size_t kDigestSize = 4;

  void Reset() { crc_ = 0; }
  void Update(const void* data, size_t n) { crc_ = Crc32cExtend(crc_, data, n); }
  uint32_t value() const { return crc_; }
  // Big-endian, as S3 encodes it.
  void Final(uint8_t* out) const;

 private:
  uint32_t crc_ = 0;
};

}  // namespace pycloud

#endif  // PYCLOUD_COMMON_CRC32C_H_
