// MD5 (RFC 1321). Broken for security, but S3 still uses it for Content-MD5 and ETags.
//
// Single-owner value type: copy it to fork a running hash. Final() leaves the state untouched.
#ifndef PYCLOUD_COMMON_MD5_H_
#define PYCLOUD_COMMON_MD5_H_

#include <cstddef>
#include <cstdint>

namespace pycloud {

class Md5 {
 public:
  static constexpr const char* kName = "md5";
  static constexpr size_t kDigestSize = 16;
  static constexpr size_t kBlockSize = 64;

  Md5() { Reset(); }
  void Reset();
  void Update(const void* data, size_t n);
  void Final(uint8_t* out) const;

 private:
  uint32_t state_[4];
  uint64_t length_;  // bytes hashed so far
  uint8_t buffer_[kBlockSize];
};

}  // namespace pycloud

#endif  // PYCLOUD_COMMON_MD5_H_
