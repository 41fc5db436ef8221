// SHA-256 (FIPS 180-4). S3 offers it as x-amz-checksum-sha256; SigV4 hashes payloads with it.
//
// Single-owner value type: copy it to fork a running hash. Final() leaves the state untouched.
// On x86_64 CPUs with SHA-NI the compression function uses the sha256rnds2 family of instructions.
#ifndef PYCLOUD_COMMON_SHA256_H_
#define PYCLOUD_COMMON_SHA256_H_

#include <cstddef>
#include <cstdint>

namespace pycloud {

class Sha256 {
 public:
  static constexpr const char* kName = "sha256";
  static constexpr size_t kDigestSize = 32;
  static constexpr size_t kBlockSize = 64;

  Sha256() { Reset(); }
  void Reset();
  void Update(const void* data, size_t n);
  void Final(uint8_t* out) const;

 private:
  uint32_t state_[8];
  uint64_t length_;  // bytes hashed so far
  uint8_t buffer_[kBlockSize];
};

// Compression functions, exposed so tests can check the two paths agree.
void Sha256CompressPortable(uint32_t state[8], const uint8_t* blocks, size_t count);
// Only call when Sha256ShaNiAvailable().
void Sha256CompressShaNi(uint32_t state[8], const uint8_t* blocks, size_t count);
bool Sha256ShaNiAvailable();

}  // namespace pycloud

#endif  // PYCLOUD_COMMON_SHA256_H_
