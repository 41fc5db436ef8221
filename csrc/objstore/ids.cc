#include "objstore/ids.h"

namespace pycloud {
namespace objstore {
namespace {

constexpr char kAlphabet[] = "-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";

int AlphabetIndex(char c) {
  if (c == '-') return 0;
  if (c >= '0' && c <= '9') return 1 + (c - '0');
  if (c >= 'A' && c <= 'Z') return 11 + (c - 'A');
  if (c == '_') return 37;
  if (c >= 'a' && c <= 'z') return 38 + (c - 'a');
  return -1;
}

uint64_t HeadOf(const RawId& raw) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | raw[i];
  return v;
}

}  // namespace

std::string EncodeId(const RawId& raw) {
  std::string out;
  out.reserve(kIdChars);
  for (size_t i = 0; i < kRawIdSize; i += 3) {
    uint32_t v = (uint32_t{raw[i]} << 16) | (uint32_t{raw[i + 1]} << 8) | raw[i + 2];
    for (int shift = 18; shift >= 0; shift -= 6) out.push_back(kAlphabet[(v >> shift) & 63]);
  }
  return out;
}

bool DecodeId(std::string_view s, RawId* raw) {
  if (s.size() != kIdChars) return false;
  for (size_t i = 0, o = 0; i < kIdChars; i += 4, o += 3) {
    uint32_t v = 0;
    for (size_t j = 0; j < 4; ++j) {
      int d = AlphabetIndex(s[i + j]);
      if (d < 0) return false;
      v = (v << 6) | static_cast<uint32_t>(d);
    }
    (*raw)[o] = static_cast<uint8_t>(v >> 16);
    (*raw)[o + 1] = static_cast<uint8_t>(v >> 8);
    (*raw)[o + 2] = static_cast<uint8_t>(v);
  }
  return true;
}

IdGenerator::IdGenerator() : rng_(std::random_device{}()) {}

uint64_t IdGenerator::NextTick(uint64_t* last, int64_t now_ns) {
  uint64_t t = now_ns > 0 ? static_cast<uint64_t>(now_ns) : 0;
  if (t <= *last) t = *last + 1;
  *last = t;
  return t;
}

RawId IdGenerator::Make(uint64_t head) {
  RawId raw;
  for (int i = 7; i >= 0; --i, head >>= 8) raw[i] = static_cast<uint8_t>(head);
  for (size_t i = 8; i < kRawIdSize; i += 8) {
    uint64_t r = rng_();
    for (size_t j = 0; j < 8; ++j, r >>= 8) raw[i + j] = static_cast<uint8_t>(r);
  }
  return raw;
}

RawId IdGenerator::NewVersionId(int64_t now_ns) {
  std::lock_guard<std::mutex> lock(mu_);
  return Make(~NextTick(&last_version_tick_, now_ns));
}

RawId IdGenerator::NewUploadId(int64_t now_ns) {
  std::lock_guard<std::mutex> lock(mu_);
  return Make(NextTick(&last_upload_tick_, now_ns));
}

void IdGenerator::ObserveVersionId(const RawId& raw) {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t tick = ~HeadOf(raw);
  if (tick > last_version_tick_) last_version_tick_ = tick;
}

void IdGenerator::ObserveUploadId(const RawId& raw) {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t tick = HeadOf(raw);
  if (tick > last_upload_tick_) last_upload_tick_ = tick;
}

}  // namespace objstore
}  // namespace pycloud
