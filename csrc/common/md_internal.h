// Merkle-Damgard plumbing shared by MD5, SHA-1 and SHA-256. Internal to csrc/common.
//
// All three hash 64-byte blocks, buffer partial blocks the same way and pad with 0x80, zeros and
// the bit length; only the length's byte order differs (little-endian for MD5).
#ifndef PYCLOUD_COMMON_MD_INTERNAL_H_
#define PYCLOUD_COMMON_MD_INTERNAL_H_

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace pycloud {
namespace md_internal {

constexpr size_t kBlockSize = 64;

// Feeds n bytes: tops up the partial block in `buffer`, then compresses whole blocks straight from
// the caller's memory (no copy), then keeps the remainder. `length` counts all bytes so far.
template <typename Compress>
inline void Update(uint8_t* buffer, uint64_t* length, const void* data, size_t n, Compress compress) {
  const auto* p = static_cast<const uint8_t*>(data);
  size_t used = static_cast<size_t>(*length % kBlockSize);
  *length += n;
  if (used != 0) {
    size_t take = kBlockSize - used < n ? kBlockSize - used : n;
    std::memcpy(buffer + used, p, take);
    p += take;
    n -= take;
    if (used + take < kBlockSize) return;
    compress(buffer, size_t{1});
  }
  if (n >= kBlockSize) {
    compress(p, n / kBlockSize);
    p += n - n % kBlockSize;
    n %= kBlockSize;
  }
  if (n != 0) std::memcpy(buffer, p, n);
}

// Builds the final padded block(s) into tail (room for two blocks); returns the block count.
inline size_t Pad(const uint8_t* buffer, uint64_t length, bool big_endian_length, uint8_t tail[2 * kBlockSize]) {
  size_t used = static_cast<size_t>(length % kBlockSize);
  std::memset(tail, 0, 2 * kBlockSize);
  std::memcpy(tail, buffer, used);
  tail[used] = 0x80;
  // The 0x80 marker and the 8-byte length need 9 free bytes, else one more block.
  size_t total = used + 9 <= kBlockSize ? kBlockSize : 2 * kBlockSize;
  uint64_t bits = length * 8;
  for (int i = 0; i < 8; ++i) {
    int shift = big_endian_length ? 56 - 8 * i : 8 * i;
    tail[total - 8 + i] = static_cast<uint8_t>(bits >> shift);
  }
  return total / kBlockSize;
}

inline uint32_t LoadBE32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  v = __builtin_bswap32(v);
#endif
  return v;
}

inline uint32_t LoadLE32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = __builtin_bswap32(v);
#endif
  return v;
}

inline void StoreBE32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (24 - 8 * i));
}

inline void StoreLE32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

inline uint32_t Rotl(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }
inline uint32_t Rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

}  // namespace md_internal
}  // namespace pycloud

#endif  // PYCLOUD_COMMON_MD_INTERNAL_H_
