// Shared machinery for the reflected CRCs (CRC32, CRC32C, CRC64NVME). Internal to csrc/common.
//
// All three CRCs are "reflected" (LSB-first), so one table generator and one slicing-by-8 loop,
// templated on the register width, serve them all. The functions here work on the raw register:
// callers apply the init/xorout inversion.
#ifndef PYCLOUD_COMMON_CRC_INTERNAL_H_
#define PYCLOUD_COMMON_CRC_INTERNAL_H_

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace pycloud {
namespace crc_internal {

inline uint64_t LoadLE64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);  // memcpy: unaligned-safe, compiles to one load
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = __builtin_bswap64(v);
#endif
  return v;
}

// Eight 256-entry tables: t[k][b] is the CRC of byte b followed by k zero bytes, so eight bytes can
// be folded with eight independent lookups instead of a serial chain of eight (slicing-by-8).
template <typename T>
struct SlicingTables {
  T t[8][256];
};

// Built at compile time so there is no init-order or thread-safety question at runtime.
template <typename T>
constexpr SlicingTables<T> MakeSlicingTables(T reflected_poly) {
  SlicingTables<T> tab{};
  for (unsigned b = 0; b < 256; ++b) {
    T c = static_cast<T>(b);
    for (int i = 0; i < 8; ++i) c = (c & 1) ? static_cast<T>((c >> 1) ^ reflected_poly) : static_cast<T>(c >> 1);
    tab.t[0][b] = c;
  }
  for (int k = 1; k < 8; ++k) {
    for (unsigned b = 0; b < 256; ++b) {
      T prev = tab.t[k - 1][b];
      tab.t[k][b] = static_cast<T>((prev >> 8) ^ tab.t[0][prev & 0xff]);
    }
  }
  return tab;
}

// Raw-register update, slicing-by-8 over the aligned middle and byte-at-a-time at the edges.
// Works for 32- and 64-bit registers alike: the register is XORed into the next eight message bytes
// and each of those bytes is pushed through the table for its distance from the end.
template <typename T>
inline T UpdateSlicing8(const SlicingTables<T>& tab, T crc, const uint8_t* p, size_t n) {
  const auto& t = tab.t;
  while (n >= 8) {
    uint64_t v = LoadLE64(p) ^ static_cast<uint64_t>(crc);
    crc = static_cast<T>(t[7][v & 0xff] ^ t[6][(v >> 8) & 0xff] ^ t[5][(v >> 16) & 0xff] ^
                         t[4][(v >> 24) & 0xff] ^ t[3][(v >> 32) & 0xff] ^ t[2][(v >> 40) & 0xff] ^
                         t[1][(v >> 48) & 0xff] ^ t[0][v >> 56]);
    p += 8;
    n -= 8;
  }
  while (n--) crc = static_cast<T>((crc >> 8) ^ t[0][(crc ^ *p++) & 0xff]);
  return crc;
}

// x^e mod P for a CRC of the given width; poly_normal is the MSB-first polynomial without the x^w
// term. Returns the remainder MSB-first (bit i = coefficient of x^i).
constexpr uint64_t XPowModP(unsigned e, uint64_t poly_normal, int width) {
  const uint64_t top = uint64_t{1} << (width - 1);
  const uint64_t mask = width == 64 ? ~uint64_t{0} : (uint64_t{1} << width) - 1;
  uint64_t v = 1;
  for (unsigned i = 0; i < e; ++i) {
    bool carry = (v & top) != 0;
    v = (v << 1) & mask;
    if (carry) v ^= poly_normal;
  }
  return v;
}

// The 64-bit bit-reflection of a remainder: coefficient of x^i goes to bit 63 - i. This is how a
// polynomial looks inside a little-endian 64-bit lane of a reflected CRC.
constexpr uint64_t Reflect64(uint64_t v) {
  uint64_t r = 0;
  for (int i = 0; i < 64; ++i) {
    if (v & (uint64_t{1} << i)) r |= uint64_t{1} << (63 - i);
  }
  return r;
}

// Constants for carry-less-multiply folding. Folding a 128-bit block forward by D bits multiplies
// its high-degree half (low lane) by x^(D+64) and its low-degree half (high lane) by x^D. The
// exponent is one less because a carry-less product of two reflected 64-bit values comes out one
// bit short of a reflected 128-bit value.
struct FoldConstants {
  uint64_t k512_lo, k512_hi;  // fold by 4 x 128 bits (the four-lane main loop)
  uint64_t k128_lo, k128_hi;  // fold by 128 bits (merging lanes, tail blocks)
};

constexpr FoldConstants MakeFoldConstants(uint64_t poly_normal, int width) {
  return FoldConstants{
      Reflect64(XPowModP(512 + 64 - 1, poly_normal, width)),
      Reflect64(XPowModP(512 - 1, poly_normal, width)),
      Reflect64(XPowModP(128 + 64 - 1, poly_normal, width)),
      Reflect64(XPowModP(128 - 1, poly_normal, width)),
  };
}

// Folds n bytes (n >= 64 and a multiple of 16) with PCLMULQDQ, starting from raw register `reg`
// (XORed into the first bytes, exactly as the table loop does). Writes 16 bytes to out whose raw
// CRC (register 0) equals the raw CRC of the input: the caller finishes with its table loop.
// Only call when DetectedCpuFeatures().pclmul is true.
void FoldClmul(const FoldConstants& k, uint64_t reg, const uint8_t* p, size_t n, uint8_t out[16]);

}  // namespace crc_internal
}  // namespace pycloud

#endif  // PYCLOUD_COMMON_CRC_INTERNAL_H_
