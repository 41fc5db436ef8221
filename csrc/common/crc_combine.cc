#include "common/crc_combine.h"

#include <cctype>
#include <string>

namespace pycloud {
namespace {

// Polynomial arithmetic mod P in the reflected representation: the top bit is x^0, bit 0 is
// x^(W-1), so "multiply by x" is a right shift with P folded in when x^(W-1) falls off.
template <typename T>
struct CrcField {
  static constexpr T kTop = static_cast<T>(T{1} << (sizeof(T) * 8 - 1));

  static constexpr T MulMod(T a, T b, T poly) {
    T product = 0;
    for (int i = 0; i < static_cast<int>(sizeof(T) * 8); ++i) {
      if (a & static_cast<T>(kTop >> i)) product ^= b;
      b = (b & 1) ? static_cast<T>((b >> 1) ^ poly) : static_cast<T>(b >> 1);
    }
    return product;
  }

  // pow[k] = x^(8 * 2^k) mod P: a byte count's bits select which ones to multiply.
  struct PowTable {
    T pow[64];
  };

  static constexpr PowTable MakePowTable(T poly) {
    PowTable t{};
    T v = kTop >> 8;  // x^8: one zero byte
    for (int k = 0; k < 64; ++k) {
      t.pow[k] = v;
      v = MulMod(v, v, poly);
    }
    return t;
  }

  static T Combine(const PowTable& t, T poly, T crc_a, T crc_b, uint64_t length_b) {
    T shift = kTop;  // x^0
    for (int k = 0; length_b != 0; ++k, length_b >>= 1) {
      if (length_b & 1) shift = MulMod(shift, t.pow[k], poly);
    }
    return static_cast<T>(MulMod(crc_a, shift, poly) ^ crc_b);
  }
};

constexpr uint32_t kCrc32Poly = 0xEDB88320u;
constexpr uint32_t kCrc32cPoly = 0x82F63B78u;
constexpr uint64_t kCrc64NvmePoly = 0x9A6C9329AC4BC9B5ull;

constexpr CrcField<uint32_t>::PowTable kCrc32Pow = CrcField<uint32_t>::MakePowTable(kCrc32Poly);
constexpr CrcField<uint32_t>::PowTable kCrc32cPow = CrcField<uint32_t>::MakePowTable(kCrc32cPoly);
constexpr CrcField<uint64_t>::PowTable kCrc64NvmePow = CrcField<uint64_t>::MakePowTable(kCrc64NvmePoly);

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

uint32_t Crc32Combine(uint32_t crc_a, uint32_t crc_b, uint64_t length_b) {
  return CrcField<uint32_t>::Combine(kCrc32Pow, kCrc32Poly, crc_a, crc_b, length_b);
}

uint32_t Crc32cCombine(uint32_t crc_a, uint32_t crc_b, uint64_t length_b) {
  return CrcField<uint32_t>::Combine(kCrc32cPow, kCrc32cPoly, crc_a, crc_b, length_b);
}

uint64_t Crc64NvmeCombine(uint64_t crc_a, uint64_t crc_b, uint64_t length_b) {
  return CrcField<uint64_t>::Combine(kCrc64NvmePow, kCrc64NvmePoly, crc_a, crc_b, length_b);
}

bool CrcCombinable(std::string_view algorithm) {
  const std::string a = Lower(algorithm);
  return a == "crc32" || a == "crc32c" || a == "crc64nvme";
}

Status CrcCombine(std::string_view algorithm, uint64_t crc_a, uint64_t crc_b, uint64_t length_b, uint64_t* out) {
  const std::string a = Lower(algorithm);
  if (a == "crc64nvme") {
    *out = Crc64NvmeCombine(crc_a, crc_b, length_b);
    return Status::OK();
  }
  if (a != "crc32" && a != "crc32c") {
    return Status::InvalidArgument("CRC combination supports crc32, crc32c and crc64nvme, not " + std::string(algorithm));
  }
  if (crc_a > UINT32_MAX || crc_b > UINT32_MAX) return Status::InvalidArgument("a 32-bit CRC value is out of range");
  const auto x = static_cast<uint32_t>(crc_a), y = static_cast<uint32_t>(crc_b);
  *out = a == "crc32" ? Crc32Combine(x, y, length_b) : Crc32cCombine(x, y, length_b);
  return Status::OK();
}

}  // namespace pycloud
