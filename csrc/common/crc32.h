// CRC-32 (ISO-HDLC / zlib polynomial 0x04C11DB7, reflected, init and xorout all-ones).
//
// Values are zlib-compatible: Crc32Extend(0, data, n) == zlib.crc32(data). S3 calls this
// x-amz-checksum-crc32. Stateless functions are thread-safe; a Crc32 object is single-owner.
#ifndef PYCLOUD_COMMON_CRC32_H_
#define PYCLOUD_COMMON_CRC32_H_

#include <cstddef>
#include <cstdint>

namespace pycloud {

// Extends a finished CRC (0 for empty input) with n more bytes; picks the fastest path.
uint32_t Crc32Extend(uint32_t crc, const void* data, size_t n);
// Slicing-by-8 table path, available everywhere.
uint32_t Crc32ExtendPortable(uint32_t crc, const void* data, size_t n);
// PCLMULQDQ folding path. Only call when Crc32ClmulAvailable().
uint32_t Crc32ExtendClmul(uint32_t crc, const void* data, size_t n);
bool Crc32ClmulAvailable();

class Crc32 {
 public:
  static constexpr const char* kName = "crc32";
  static constexpr size_t kDigestSize = 4;

  void Reset() { crc_ = 0; }
  void Update(const void* data, size_t n) { crc_ = Crc32Extend(crc_, data, n); }
  uint32_t value() const { return crc_; }
  // Big-endian, as S3 encodes it.
  void Final(uint8_t* out) const;

 private:
  uint32_t crc_ = 0;
};

}  // namespace pycloud

#endif  // PYCLOUD_COMMON_CRC32_H_
