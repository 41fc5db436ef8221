#include "common/sha256.h"

#include <cstdlib>

#include "common/cpu_features.h"
#include "common/md_internal.h"

#if defined(PYCLOUD_X86_ACCEL)
#include <immintrin.h>
#define PYCLOUD_SHANI_TARGET __attribute__((target("sha,sse4.1,ssse3")))
#endif

namespace pycloud {
namespace {

using md_internal::LoadBE32;
using md_internal::Rotr;

alignas(16) constexpr uint32_t kK[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

}  // namespace

// Portable path: fully unrolled, schedule in a 16-word ring, and instead of shuffling eight
// variables every round the macro arguments rotate (eight rounds bring the roles back).
// Ch and Maj use the forms with the fewest operations: Ch = g ^ (e & (f ^ g)),
// Maj = (a & b) | (c & (a | b)).
#define SHA256_S0(x) (Rotr(x, 2) ^ Rotr(x, 13) ^ Rotr(x, 22))
#define SHA256_S1(x) (Rotr(x, 6) ^ Rotr(x, 11) ^ Rotr(x, 25))
#define SHA256_s0(x) (Rotr(x, 7) ^ Rotr(x, 18) ^ ((x) >> 3))
#define SHA256_s1(x) (Rotr(x, 17) ^ Rotr(x, 19) ^ ((x) >> 10))
#define SHA256_W(i) \
  (w[(i) & 15] += SHA256_s1(w[((i) + 14) & 15]) + w[((i) + 9) & 15] + SHA256_s0(w[((i) + 1) & 15]))
#define SHA256_STEP(a, b, c, d, e, f, g, h, i, wi)                              \
  do {                                                                         \
    uint32_t t1 = (h) + SHA256_S1(e) + ((g) ^ ((e) & ((f) ^ (g)))) + kK[i] + (wi); \
    uint32_t t2 = SHA256_S0(a) + (((a) & (b)) | ((c) & ((a) | (b))));           \
    d += t1;                                                                   \
    h = t1 + t2;                                                               \
  } while (0)
#define SHA256_EIGHT(i, W)                          \
  SHA256_STEP(a, b, c, d, e, f, g, h, (i), W(i));           \
  SHA256_STEP(h, a, b, c, d, e, f, g, (i) + 1, W((i) + 1)); \
  SHA256_STEP(g, h, a, b, c, d, e, f, (i) + 2, W((i) + 2)); \
  SHA256_STEP(f, g, h, a, b, c, d, e, (i) + 3, W((i) + 3)); \
  SHA256_STEP(e, f, g, h, a, b, c, d, (i) + 4, W((i) + 4)); \
  SHA256_STEP(d, e, f, g, h, a, b, c, (i) + 5, W((i) + 5)); \
  SHA256_STEP(c, d, e, f, g, h, a, b, (i) + 6, W((i) + 6)); \
  SHA256_STEP(b, c, d, e, f, g, h, a, (i) + 7, W((i) + 7))
#define SHA256_W0(i) (w[i])

void Sha256CompressPortable(uint32_t state[8], const uint8_t* p, size_t count) {
  uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
  uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
  while (count--) {
    uint32_t w[16];
    for (int i = 0; i < 16; ++i) w[i] = LoadBE32(p + 4 * i);
    SHA256_EIGHT(0, SHA256_W0);
    SHA256_EIGHT(8, SHA256_W0);
    SHA256_EIGHT(16, SHA256_W);
    SHA256_EIGHT(24, SHA256_W);
    SHA256_EIGHT(32, SHA256_W);
    SHA256_EIGHT(40, SHA256_W);
    SHA256_EIGHT(48, SHA256_W);
    SHA256_EIGHT(56, SHA256_W);
    a = state[0] += a;
    b = state[1] += b;
    c = state[2] += c;
    d = state[3] += d;
    e = state[4] += e;
    f = state[5] += f;
    g = state[6] += g;
    h = state[7] += h;
    p += 64;
  }
}

#undef SHA256_S0
#undef SHA256_S1
#undef SHA256_s0
#undef SHA256_s1
#undef SHA256_W
#undef SHA256_W0
#undef SHA256_STEP
#undef SHA256_EIGHT

#if defined(PYCLOUD_SHANI_TARGET)

// SHA-NI path. The instructions want the state split as ABEF/CDGH; sha256rnds2 does two rounds,
// so each group of four rounds issues it twice (the second on the high half of the W+K vector).
// Group g consumes m[g % 4]; sha256msg1/msg2 compute schedule words for group g + 1 ahead of time.
#define SHA256NI_GROUP(g)                                                              \
  do {                                                                                 \
    __m128i wk = _mm_add_epi32(m[(g) % 4], _mm_load_si128(reinterpret_cast<const __m128i*>(kK + 4 * (g)))); \
    cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk);                                      \
    if ((g) >= 3 && (g) <= 14) {                                                       \
      __m128i t = _mm_alignr_epi8(m[(g) % 4], m[((g) + 3) % 4], 4);                    \
      m[((g) + 1) % 4] = _mm_sha256msg2_epu32(_mm_add_epi32(m[((g) + 1) % 4], t), m[(g) % 4]); \
    }                                                                                  \
    abef = _mm_sha256rnds2_epu32(abef, cdgh, _mm_shuffle_epi32(wk, 0x0e));             \
    if ((g) >= 1 && (g) <= 12) m[((g) + 3) % 4] = _mm_sha256msg1_epu32(m[((g) + 3) % 4], m[(g) % 4]); \
  } while (0)

PYCLOUD_SHANI_TARGET void Sha256CompressShaNi(uint32_t state[8], const uint8_t* p, size_t count) {
  const __m128i kByteSwap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
  __m128i dcba = _mm_loadu_si128(reinterpret_cast<const __m128i*>(state));
  __m128i hgfe = _mm_loadu_si128(reinterpret_cast<const __m128i*>(state + 4));
  __m128i cdab = _mm_shuffle_epi32(dcba, 0xb1);
  __m128i efgh = _mm_shuffle_epi32(hgfe, 0x1b);
  __m128i abef = _mm_alignr_epi8(cdab, efgh, 8);
  __m128i cdgh = _mm_blend_epi16(efgh, cdab, 0xf0);
  while (count--) {
    const __m128i abef_save = abef, cdgh_save = cdgh;
    __m128i m[4];
    for (int i = 0; i < 4; ++i) {
      m[i] = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * i)), kByteSwap);
    }
    SHA256NI_GROUP(0); SHA256NI_GROUP(1); SHA256NI_GROUP(2); SHA256NI_GROUP(3);
    SHA256NI_GROUP(4); SHA256NI_GROUP(5); SHA256NI_GROUP(6); SHA256NI_GROUP(7);
    SHA256NI_GROUP(8); SHA256NI_GROUP(9); SHA256NI_GROUP(10); SHA256NI_GROUP(11);
    SHA256NI_GROUP(12); SHA256NI_GROUP(13); SHA256NI_GROUP(14); SHA256NI_GROUP(15);
    abef = _mm_add_epi32(abef, abef_save);
    cdgh = _mm_add_epi32(cdgh, cdgh_save);
    p += 64;
  }
  __m128i feba = _mm_shuffle_epi32(abef, 0x1b);
  __m128i dchg = _mm_shuffle_epi32(cdgh, 0xb1);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(state), _mm_blend_epi16(feba, dchg, 0xf0));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(state + 4), _mm_alignr_epi8(dchg, feba, 8));
}

#undef SHA256NI_GROUP

bool Sha256ShaNiAvailable() { return DetectedCpuFeatures().sha; }

#else

void Sha256CompressShaNi(uint32_t*, const uint8_t*, size_t) {
  std::abort();  // never reached: Sha256ShaNiAvailable() is false on this build
}

bool Sha256ShaNiAvailable() { return false; }

#endif

namespace {

void Compress(uint32_t state[8], const uint8_t* p, size_t count) {
  if (Sha256ShaNiAvailable()) {
    Sha256CompressShaNi(state, p, count);
  } else {
    Sha256CompressPortable(state, p, count);
  }
}

}  // namespace

void Sha256::Reset() {
  static constexpr uint32_t kInit[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                        0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  for (int i = 0; i < 8; ++i) state_[i] = kInit[i];
  length_ = 0;
}

void Sha256::Update(const void* data, size_t n) {
  md_internal::Update(buffer_, &length_, data, n,
                      [this](const uint8_t* p, size_t blocks) { Compress(state_, p, blocks); });
}

void Sha256::Final(uint8_t* out) const {
  uint32_t state[8];
  for (int i = 0; i < 8; ++i) state[i] = state_[i];
  uint8_t tail[2 * kBlockSize];
  Compress(state, tail, md_internal::Pad(buffer_, length_, /*big_endian_length=*/true, tail));
  for (int i = 0; i < 8; ++i) md_internal::StoreBE32(out + 4 * i, state[i]);
}

}  // namespace pycloud
