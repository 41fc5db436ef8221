// SHA-1 (FIPS 180-4). S3 offers it as x-amz-checksum-sha1.
//
// Single-owner value type: copy it to fork a running hash. Final() leaves the state untouched.
// On x86_64 CPUs with SHA-NI the compression function uses the sha1rnds4 family of instructions.
#ifndef PYCLOUD_COMMON_SHA1_H_
#define PYCLOUD_COMMON_SHA1_H_

#include <cstddef>
#include <cstdint>

namespace pycloud {

class Sha1 {
 public:
  static constexpr const char* kName = "sha1";
  static constexpr size_t kDigestSize = 20;
  static constexpr size_t kBlockSize = 64;

  Sha1() { Reset(); }
  void Reset();
  void Update(const void* data, size_t n);
  void Final(uint8_t* out) const;

 private:
  uint32_t state_[5];
  uint64_t length_;  // bytes hashed so far
  uint8_t buffer_[kBlockSize];
};

// Compression functions, exposed so tests can check the two paths agree.
void Sha1CompressPortable(uint32_t state[5], const uint8_t* blocks, size_t count);
// Only call when Sha1ShaNiAvailable().
void Sha1CompressShaNi(uint32_t state[5], const uint8_t* blocks, size_t count);
bool Sha1ShaNiAvailable();

}  // namespace pycloud

#endif  // PYCLOUD_COMMON_SHA1_H_
