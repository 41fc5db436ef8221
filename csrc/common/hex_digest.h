// Lower-case hex text of digests: what SigV4 (payload hashes) and SQS (MD5OfMessageBody...) put on
// the wire. HexDigest<Hash> works with any of the project's hash classes (Md5, Sha1, Sha256).
#ifndef PYCLOUD_COMMON_HEX_DIGEST_H_
#define PYCLOUD_COMMON_HEX_DIGEST_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace pycloud {

// Appends two lower-case hex digits per byte.
inline void AppendHex(const uint8_t* data, size_t n, std::string* out) {
  static constexpr char kDigits[] = "0123456789abcdef";
  for (size_t i = 0; i < n; ++i) {
    out->push_back(kDigits[data[i] >> 4]);
    out->push_back(kDigits[data[i] & 15]);
  }
}

// The hex digest of `data` under Hash.
template <typename Hash>
std::string HexDigest(std::string_view data) {
  Hash hash;
  hash.Update(data.data(), data.size());
  uint8_t digest[Hash::kDigestSize];
  hash.Final(digest);
  std::string out;
  out.reserve(2 * Hash::kDigestSize);
  AppendHex(digest, sizeof(digest), &out);
  return out;
}

}  // namespace pycloud

#endif  // PYCLOUD_COMMON_HEX_DIGEST_H_
