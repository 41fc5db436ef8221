#include "common/sha1.h"

#include <cstdlib>

#include "common/cpu_features.h"
#include "common/md_internal.h"

#if defined(PYCLOUD_X86_ACCEL)
#include <immintrin.h>
#define PYCLOUD_SHANI_TARGET __attribute__((target("sha,sse4.1,ssse3")))
#endif

namespace pycloud {

using md_internal::LoadBE32;
using md_internal::Rotl;

// Portable path: fully unrolled 80 steps with the message schedule kept in a 16-word ring, so the
// schedule costs no memory beyond the block and every index is a compile-time constant.
#define SHA1_W(i) (w[(i) & 15] = Rotl(w[((i) + 13) & 15] ^ w[((i) + 8) & 15] ^ w[((i) + 2) & 15] ^ w[(i) & 15], 1))
#define SHA1_STEP(a, b, c, d, e, f, k, wi) \
  e += Rotl(a, 5) + (f) + (k) + (wi);      \
  b = Rotl(b, 30)
#define SHA1_F0(b, c, d) ((d) ^ ((b) & ((c) ^ (d))))
#define SHA1_F1(b, c, d) ((b) ^ (c) ^ (d))
#define SHA1_F2(b, c, d) (((b) & (c)) | ((d) & ((b) | (c))))
// Five steps rotate the variable roles back to the start, so steps are emitted in groups of five.
#define SHA1_FIVE(F, k, i, W)                 \
  SHA1_STEP(a, b, c, d, e, F(b, c, d), k, W(i)); \
  SHA1_STEP(e, a, b, c, d, F(a, b, c), k, W((i) + 1)); \
  SHA1_STEP(d, e, a, b, c, F(e, a, b), k, W((i) + 2)); \
  SHA1_STEP(c, d, e, a, b, F(d, e, a), k, W((i) + 3)); \
  SHA1_STEP(b, c, d, e, a, F(c, d, e), k, W((i) + 4))
#define SHA1_W0(i) (w[i])

void Sha1CompressPortable(uint32_t state[5], const uint8_t* p, size_t count) {
  uint32_t a = state[0], b = state[1], c = state[2], d = state[3], e = state[4];
  while (count--) {
    uint32_t w[16];
    for (int i = 0; i < 16; ++i) w[i] = LoadBE32(p + 4 * i);
    const uint32_t a0 = a, b0 = b, c0 = c, d0 = d, e0 = e;
    SHA1_FIVE(SHA1_F0, 0x5a827999, 0, SHA1_W0);
    SHA1_FIVE(SHA1_F0, 0x5a827999, 5, SHA1_W0);
    SHA1_FIVE(SHA1_F0, 0x5a827999, 10, SHA1_W0);
    SHA1_STEP(a, b, c, d, e, SHA1_F0(b, c, d), 0x5a827999, w[15]);
    SHA1_STEP(e, a, b, c, d, SHA1_F0(a, b, c), 0x5a827999, SHA1_W(16));
    SHA1_STEP(d, e, a, b, c, SHA1_F0(e, a, b), 0x5a827999, SHA1_W(17));
    SHA1_STEP(c, d, e, a, b, SHA1_F0(d, e, a), 0x5a827999, SHA1_W(18));
    SHA1_STEP(b, c, d, e, a, SHA1_F0(c, d, e), 0x5a827999, SHA1_W(19));
    SHA1_FIVE(SHA1_F1, 0x6ed9eba1, 20, SHA1_W);
    SHA1_FIVE(SHA1_F1, 0x6ed9eba1, 25, SHA1_W);
    SHA1_FIVE(SHA1_F1, 0x6ed9eba1, 30, SHA1_W);
    SHA1_FIVE(SHA1_F1, 0x6ed9eba1, 35, SHA1_W);
    SHA1_FIVE(SHA1_F2, 0x8f1bbcdc, 40, SHA1_W);
    SHA1_FIVE(SHA1_F2, 0x8f1bbcdc, 45, SHA1_W);
    SHA1_FIVE(SHA1_F2, 0x8f1bbcdc, 50, SHA1_W);
    SHA1_FIVE(SHA1_F2, 0x8f1bbcdc, 55, SHA1_W);
    SHA1_FIVE(SHA1_F1, 0xca62c1d6, 60, SHA1_W);
    SHA1_FIVE(SHA1_F1, 0xca62c1d6, 65, SHA1_W);
    SHA1_FIVE(SHA1_F1, 0xca62c1d6, 70, SHA1_W);
    SHA1_FIVE(SHA1_F1, 0xca62c1d6, 75, SHA1_W);
    a += a0;
    b += b0;
    c += c0;
    d += d0;
    e += e0;
    p += 64;
  }
  state[0] = a;
  state[1] = b;
  state[2] = c;
  state[3] = d;
  state[4] = e;
}

#undef SHA1_W
#undef SHA1_W0
#undef SHA1_STEP
#undef SHA1_F0
#undef SHA1_F1
#undef SHA1_F2
#undef SHA1_FIVE

#if defined(PYCLOUD_SHANI_TARGET)

// SHA-NI path. sha1rnds4 does four rounds; sha1nexte derives E for the next four from the old A;
// sha1msg1/sha1msg2 plus an XOR compute the message schedule four words at a time. Group g
// (rounds 4g..4g+3) consumes m[g % 4] and prepares the schedule words needed a few groups later.
#define SHA1NI_GROUP(g)                                                   \
  do {                                                                    \
    if ((g) == 0) {                                                       \
      e0 = _mm_add_epi32(e0, m[0]);                                       \
    } else if ((g) % 2 == 0) {                                            \
      e0 = _mm_sha1nexte_epu32(e0, m[(g) % 4]);                           \
    } else {                                                              \
      e1 = _mm_sha1nexte_epu32(e1, m[(g) % 4]);                           \
    }                                                                     \
    if ((g) % 2 == 0) e1 = abcd; else e0 = abcd;                          \
    if ((g) >= 3 && (g) <= 18) m[((g) + 1) % 4] = _mm_sha1msg2_epu32(m[((g) + 1) % 4], m[(g) % 4]); \
    abcd = _mm_sha1rnds4_epu32(abcd, (g) % 2 == 0 ? e0 : e1, (g) / 5);   \
    if ((g) >= 1 && (g) <= 16) m[((g) + 3) % 4] = _mm_sha1msg1_epu32(m[((g) + 3) % 4], m[(g) % 4]); \
    if ((g) >= 2 && (g) <= 17) m[((g) + 2) % 4] = _mm_xor_si128(m[((g) + 2) % 4], m[(g) % 4]); \
  } while (0)

PYCLOUD_SHANI_TARGET void Sha1CompressShaNi(uint32_t state[5], const uint8_t* p, size_t count) {
  const __m128i kByteSwap = _mm_set_epi64x(0x0001020304050607LL, 0x08090a0b0c0d0e0fLL);
  __m128i abcd = _mm_shuffle_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(state)), 0x1b);
  __m128i e0 = _mm_set_epi32(static_cast<int>(state[4]), 0, 0, 0);
  while (count--) {
    const __m128i abcd_save = abcd, e_save = e0;
    __m128i e1 = _mm_setzero_si128();
    __m128i m[4];
    for (int i = 0; i < 4; ++i) {
      m[i] = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * i)), kByteSwap);
    }
    SHA1NI_GROUP(0); SHA1NI_GROUP(1); SHA1NI_GROUP(2); SHA1NI_GROUP(3); SHA1NI_GROUP(4);
    SHA1NI_GROUP(5); SHA1NI_GROUP(6); SHA1NI_GROUP(7); SHA1NI_GROUP(8); SHA1NI_GROUP(9);
    SHA1NI_GROUP(10); SHA1NI_GROUP(11); SHA1NI_GROUP(12); SHA1NI_GROUP(13); SHA1NI_GROUP(14);
    SHA1NI_GROUP(15); SHA1NI_GROUP(16); SHA1NI_GROUP(17); SHA1NI_GROUP(18); SHA1NI_GROUP(19);
    e0 = _mm_sha1nexte_epu32(e0, e_save);
    abcd = _mm_add_epi32(abcd, abcd_save);
    p += 64;
  }
  _mm_storeu_si128(reinterpret_cast<__m128i*>(state), _mm_shuffle_epi32(abcd, 0x1b));
  state[4] = static_cast<uint32_t>(_mm_extract_epi32(e0, 3));
}

#undef SHA1NI_GROUP

bool Sha1ShaNiAvailable() { return DetectedCpuFeatures().sha; }

#else

void Sha1CompressShaNi(uint32_t*, const uint8_t*, size_t) {
  std::abort();  // never reached: Sha1ShaNiAvailable() is false on this build
}

bool Sha1ShaNiAvailable() { return false; }

#endif

namespace {

void Compress(uint32_t state[5], const uint8_t* p, size_t count) {
  if (Sha1ShaNiAvailable()) {
    Sha1CompressShaNi(state, p, count);
  } else {
    Sha1CompressPortable(state, p, count);
  }
}

}  // namespace

void Sha1::Reset() {
  state_[0] = 0x67452301;
  state_[1] = 0xefcdab89;
  state_[2] = 0x98badcfe;
  state_[3] = 0x10325476;
  state_[4] = 0xc3d2e1f0;
  length_ = 0;
}

void Sha1::Update(const void* data, size_t n) {
  md_internal::Update(buffer_, &length_, data, n,
                      [this](const uint8_t* p, size_t blocks) { Compress(state_, p, blocks); });
}

void Sha1::Final(uint8_t* out) const {
  uint32_t state[5] = {state_[0], state_[1], state_[2], state_[3], state_[4]};
  uint8_t tail[2 * kBlockSize];
  Compress(state, tail, md_internal::Pad(buffer_, length_, /*big_endian_length=*/true, tail));
  for (int i = 0; i < 5; ++i) md_internal::StoreBE32(out + 4 * i, state[i]);
}

}  // namespace pycloud
