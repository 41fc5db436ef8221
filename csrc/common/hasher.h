// Hasher: the common streaming interface over every checksum the core computes.
//
// S3 verifies MD5 (Content-MD5, ETags), SHA-1/SHA-256 and CRC32/CRC32C/CRC64NVME (flexible
// checksums), so object and multipart code hashes bodies while streaming them. A Hasher is a plain
// single-owner object: it is not thread-safe, but Clone() gives an independent copy that may be used
// on another thread. Final() does not disturb the state, so a caller can read a digest and keep
// feeding data (the Python bindings rely on this for hashlib-style digest()).
#ifndef PYCLOUD_COMMON_HASHER_H_
#define PYCLOUD_COMMON_HASHER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace pycloud {

class Hasher {
 public:
  // The largest digest_size() of any algorithm (SHA-256), for stack buffers.
  static constexpr size_t kMaxDigestSize = 32;

  virtual ~Hasher() = default;

  // Canonical lower-case name: "md5", "sha1", "sha256", "crc32", "crc32c", "crc64nvme".
  virtual const char* name() const = 0;
  // Digest length in bytes (4 for CRC32/CRC32C, 8 for CRC64NVME).
  virtual size_t digest_size() const = 0;

  virtual void Update(const void* data, size_t n) = 0;
  // Writes digest_size() bytes to out. CRCs are written big-endian, the byte order S3
  // base64-encodes in x-amz-checksum-* headers.
  virtual void Final(uint8_t* out) const = 0;
  // Back to the freshly constructed state.
  virtual void Reset() = 0;
  virtual std::unique_ptr<Hasher> Clone() const = 0;

  // Convenience: the digest as a byte string.
  std::string Digest() const;
  // Convenience: the digest as lower-case hex.
  std::string HexDigest() const;
};

// Creates a hasher by name (case-insensitive; "sha-256" style hyphens are accepted too).
// Unknown names give Status::InvalidArgument and leave *out untouched.
Status NewHasher(std::string_view name, std::unique_ptr<Hasher>* out);

// Canonical names of every supported algorithm, in a stable order.
const std::vector<std::string>& HasherNames();

// One-shot helper: hashes data with the named algorithm into *digest.
Status HashBytes(std::string_view name, const void* data, size_t n, std::string* digest);

}  // namespace pycloud

#endif  // PYCLOUD_COMMON_HASHER_H_
