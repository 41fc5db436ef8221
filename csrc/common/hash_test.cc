// Unit tests for the streaming hashers: published vectors, streaming == one-shot, and agreement of
// every hardware path with its portable fallback.
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "common/cpu_features.h"
#include "common/crc32.h"
#include "common/crc32c.h"
#include "common/crc_combine.h"
#include "common/crc64nvme.h"
#include "common/hasher.h"
#include "common/md5.h"
#include "common/sha1.h"
#include "common/sha256.h"
#include "common/status.h"
#include "common/testharness.h"

namespace pycloud {
namespace {

std::string Hex(const std::string& bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

std::string HashHex(const char* algo, const std::string& data) {
  std::string digest;
  Status s = HashBytes(algo, data.data(), data.size(), &digest);
  CHECK(s.ok());
  return Hex(digest);
}

// Deterministic pseudo-random bytes (xorshift64*), so failures reproduce.
std::string RandomBytes(size_t n, uint64_t seed) {
  std::string out(n, '\0');
  uint64_t x = seed * 0x9E3779B97F4A7C15ULL + 1;
  for (size_t i = 0; i < n; ++i) {
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    out[i] = static_cast<char>((x * 0x2545F4914F6CDD1DULL) >> 56);
  }
  return out;
}

struct Vector {
  const char* input;
  const char* hex;
};

TEST(Md5, Rfc1321Suite) {
  const Vector kVectors[] = {
      {"", "d41d8cd98f00b204e9800998ecf8427e"},
      {"a", "0cc175b9c0f1b6a831c399e269772661"},
      {"abc", "900150983cd24fb0d6963f7d28e17f72"},
      {"message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
      {"abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"},
      {"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f"},
      {"12345678901234567890123456789012345678901234567890123456789012345678901234567890",
       "57edf4a22be3c955ac49da2e2107b67a"},
  };
  for (const Vector& v : kVectors) CHECK_EQ(HashHex("md5", v.input), std::string(v.hex));
}

TEST(Sha1, Fips180Vectors) {
  CHECK_EQ(HashHex("sha1", ""), std::string("da39a3ee5e6b4b0d3255bfef95601890afd80709"));
  CHECK_EQ(HashHex("sha1", "abc"), std::string("a9993e364706816aba3e25717850c26c9cd0d89d"));
  CHECK_EQ(HashHex("sha1", "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
           std::string("84983e441c3bd26ebaae4aa1f95129e5e54670f1"));
  CHECK_EQ(HashHex("sha1", "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"),
           std::string("a49b2446a02c645bf419f995b67091253a04a259"));
  CHECK_EQ(HashHex("sha1", std::string(1000000, 'a')), std::string("34aa973cd4c4daa4f61eeb2bdbad27316534016f"));
}

TEST(Sha256, Fips180Vectors) {
  CHECK_EQ(HashHex("sha256", ""), std::string("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
  CHECK_EQ(HashHex("sha256", "abc"), std::string("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
  CHECK_EQ(HashHex("sha256", "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
           std::string("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
  CHECK_EQ(HashHex("sha256", "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"),
           std::string("cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"));
  CHECK_EQ(HashHex("sha256", std::string(1000000, 'a')),
           std::string("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"));
}

TEST(Crc, CheckValues) {
  const std::string check = "123456789";
  CHECK_EQ(Crc32Extend(0, check.data(), check.size()), 0xCBF43926u);
  CHECK_EQ(Crc32cExtend(0, check.data(), check.size()), 0xE3069283u);
  CHECK_EQ(Crc64NvmeExtend(0, check.data(), check.size()), 0xAE8B14860A799888ULL);
  CHECK_EQ(Crc32ExtendPortable(0, check.data(), check.size()), 0xCBF43926u);
  CHECK_EQ(Crc32cExtendPortable(0, check.data(), check.size()), 0xE3069283u);
  CHECK_EQ(Crc64NvmeExtendPortable(0, check.data(), check.size()), 0xAE8B14860A799888ULL);
  // Digests are the big-endian bytes of the value.
  CHECK_EQ(HashHex("crc32", check), std::string("cbf43926"));
  CHECK_EQ(HashHex("crc32c", check), std::string("e3069283"));
  CHECK_EQ(HashHex("crc64nvme", check), std::string("ae8b14860a799888"));
  CHECK_EQ(HashHex("crc32", ""), std::string("00000000"));
}

TEST(Crc32c, Rfc3720Vectors) {
  std::string zeros(32, '\0'), ones(32, '\xff'), inc(32, '\0'), dec(32, '\0');
  for (int i = 0; i < 32; ++i) {
    inc[i] = static_cast<char>(i);
    dec[i] = static_cast<char>(31 - i);
  }
  CHECK_EQ(Crc32cExtend(0, zeros.data(), 32), 0x8A9136AAu);
  CHECK_EQ(Crc32cExtend(0, ones.data(), 32), 0x62A8AB43u);
  CHECK_EQ(Crc32cExtend(0, inc.data(), 32), 0x46DD794Eu);
  CHECK_EQ(Crc32cExtend(0, dec.data(), 32), 0x113FDB5Cu);
}

// Every hardware path must agree with its portable twin for every length around the block and
// stripe boundaries, and at unaligned start addresses.
TEST(Crc, HardwareMatchesPortable) {
  const std::string data = RandomBytes(8192 + 64, 7);
  std::vector<size_t> lengths;
  for (size_t n = 0; n <= 300; ++n) lengths.push_back(n);
  for (size_t n : {511, 512, 513, 1535, 1536, 1537, 3072, 3079, 4096, 4097, 8191, 8192}) lengths.push_back(n);
  int compared = 0;
  for (size_t offset = 0; offset < 8; ++offset) {
    for (size_t n : lengths) {
      const char* p = data.data() + offset;
      uint32_t seed32 = static_cast<uint32_t>(n * 2654435761u);
      if (Crc32cHardwareAvailable()) {
        CHECK_EQ(Crc32cExtendHardware(seed32, p, n), Crc32cExtendPortable(seed32, p, n));
        ++compared;
      }
      if (Crc32ClmulAvailable()) {
        CHECK_EQ(Crc32ExtendClmul(seed32, p, n), Crc32ExtendPortable(seed32, p, n));
        CHECK_EQ(Crc64NvmeExtendClmul(n, p, n), Crc64NvmeExtendPortable(n, p, n));
        ++compared;
      }
    }
  }
  if (compared == 0) std::printf("  (no CRC hardware paths on this CPU: only portable paths tested)\n");
}

TEST(Sha, ShaNiMatchesPortable) {
  if (!Sha1ShaNiAvailable() || !Sha256ShaNiAvailable()) {
    std::printf("  (no SHA-NI on this CPU: only portable paths tested)\n");
    return;
  }
  const std::string data = RandomBytes(64 * 37, 11);
  const auto* p = reinterpret_cast<const uint8_t*>(data.data());
  for (size_t blocks : {1, 2, 5, 37}) {
    uint32_t a1[5] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0};
    uint32_t b1[5] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0};
    Sha1CompressPortable(a1, p, blocks);
    Sha1CompressShaNi(b1, p, blocks);
    for (int i = 0; i < 5; ++i) CHECK_EQ(a1[i], b1[i]);
    uint32_t a2[8], b2[8];
    for (int i = 0; i < 8; ++i) a2[i] = b2[i] = 0x01234567u * (i + 1);
    Sha256CompressPortable(a2, p, blocks);
    Sha256CompressShaNi(b2, p, blocks);
    for (int i = 0; i < 8; ++i) CHECK_EQ(a2[i], b2[i]);
  }
}

TEST(Hasher, StreamingInOddSplitsEqualsOneShot) {
  const std::string data = RandomBytes(20000, 3);
  const size_t kSplits[] = {1, 3, 7, 13, 63, 64, 65, 127, 129, 1000, 4099};
  for (const std::string& name : HasherNames()) {
    std::string expected;
    CHECK(HashBytes(name, data.data(), data.size(), &expected).ok());
    for (size_t split : kSplits) {
      std::unique_ptr<Hasher> h;
      CHECK(NewHasher(name, &h).ok());
      // Vary chunk sizes around the nominal split so chunk edges land everywhere.
      size_t pos = 0, k = 0;
      while (pos < data.size()) {
        size_t take = split + (k++ % 3);
        if (take > data.size() - pos) take = data.size() - pos;
        h->Update(data.data() + pos, take);
        pos += take;
      }
      CHECK_EQ(Hex(h->Digest()), Hex(expected));
    }
  }
}

TEST(Hasher, FinalIsNonDestructiveAndCloneIsIndependent) {
  for (const std::string& name : HasherNames()) {
    std::unique_ptr<Hasher> h;
    CHECK(NewHasher(name, &h).ok());
    h->Update("hello ", 6);
    std::unique_ptr<Hasher> fork = h->Clone();
    std::string mid = h->Digest();
    CHECK_EQ(Hex(h->Digest()), Hex(mid));  // reading twice gives the same answer
    h->Update("world", 5);
    std::string full;
    CHECK(HashBytes(name, "hello world", 11, &full).ok());
    CHECK_EQ(Hex(h->Digest()), Hex(full));
    CHECK_EQ(Hex(fork->Digest()), Hex(mid));  // the clone did not see "world"
    h->Reset();
    std::string empty;
    CHECK(HashBytes(name, "", 0, &empty).ok());
    CHECK_EQ(Hex(h->Digest()), Hex(empty));
    CHECK_EQ(h->digest_size(), empty.size());
    CHECK_EQ(std::string(h->name()), name);
    CHECK_EQ(h->HexDigest(), Hex(empty));
  }
}

TEST(Hasher, FactoryNamesAndErrors) {
  std::unique_ptr<Hasher> h;
  CHECK(NewHasher("SHA-256", &h).ok());
  CHECK_EQ(std::string(h->name()), std::string("sha256"));
  CHECK(NewHasher("CRC64NVME", &h).ok());
  CHECK_EQ(std::string(h->name()), std::string("crc64nvme"));
  std::unique_ptr<Hasher> untouched;
  Status s = NewHasher("whirlpool", &untouched);
  CHECK(s.IsInvalidArgument());
  CHECK(untouched == nullptr);
  CHECK(s.ToString().find("whirlpool") != std::string::npos);
  CHECK_EQ(HasherNames().size(), size_t{6});
}

TEST(Status, NamedConstructors) {
  CHECK(Status::OK().ok());
  CHECK_EQ(Status::OK().ToString(), std::string("OK"));
  Status nf = Status::NotFound("key");
  CHECK(!nf.ok());
  CHECK(nf.IsNotFound());
  CHECK(!nf.IsCorruption());
  CHECK_EQ(nf.ToString(), std::string("NotFound: key"));
  CHECK(Status::Corruption("torn").IsCorruption());
  CHECK(Status::IOError("disk").IsIOError());
  Status copy = nf;
  CHECK_EQ(copy.message(), std::string("key"));
}

// CRC(A||B) from CRC(A), CRC(B) and |B| equals the CRC of the concatenation, at every split.
TEST(CrcCombine, EqualsCrcOfConcatenation) {
  const std::string data = RandomBytes(5000, 11);
  for (size_t total : {0, 1, 2, 7, 63, 64, 65, 1000, 4999}) {
    for (size_t split : {size_t{0}, total / 3, total / 2, total > 0 ? total - 1 : 0, total}) {
      const char* a = data.data();
      const char* b = data.data() + split;
      const size_t nb = total - split;
      CHECK_EQ(Crc32Combine(Crc32Extend(0, a, split), Crc32Extend(0, b, nb), nb), Crc32Extend(0, a, total));
      CHECK_EQ(Crc32cCombine(Crc32cExtend(0, a, split), Crc32cExtend(0, b, nb), nb), Crc32cExtend(0, a, total));
      CHECK_EQ(Crc64NvmeCombine(Crc64NvmeExtend(0, a, split), Crc64NvmeExtend(0, b, nb), nb),
               Crc64NvmeExtend(0, a, total));
    }
  }
  // A long B (bits of |B| far above the data above): 3 MiB + 5 of zero bytes.
  const std::string zeros((3u << 20) + 5, '\0');
  const std::string head = "123456789";
  std::string all = head + zeros;
  uint64_t out = 0;
  CHECK(CrcCombine("CRC64NVME", Crc64NvmeExtend(0, head.data(), head.size()),
                   Crc64NvmeExtend(0, zeros.data(), zeros.size()), zeros.size(), &out).ok());
  CHECK_EQ(out, Crc64NvmeExtend(0, all.data(), all.size()));
  CHECK(CrcCombine("crc32", 0xCBF43926u, 0, 0, &out).ok());
  CHECK_EQ(out, uint64_t{0xCBF43926u});
  CHECK(CrcCombine("sha256", 1, 2, 3, &out).IsInvalidArgument());
  CHECK(CrcCombine("crc32c", uint64_t{1} << 32, 0, 1, &out).IsInvalidArgument());
  CHECK(CrcCombinable("CRC32C") && !CrcCombinable("sha1"));
}

}  // namespace
}  // namespace pycloud

int main() { return pycloud::test::RunAllTests(); }
