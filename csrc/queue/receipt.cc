#include "queue/receipt.h"

#include <cstdio>

#include "common/crc32c.h"
#include "objstore/coding.h"

namespace pycloud {
namespace queue {
namespace {

using objstore::DecodeFixed32;
using objstore::DecodeFixed64;
using objstore::EncodeFixed32;
using objstore::EncodeFixed64;

constexpr size_t kRawSize = 30;
constexpr size_t kEncodedSize = 40;
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

uint32_t Checksum(const char* p, size_t n) {
  uint32_t crc = Crc32cExtend(0, p, n);
  return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}

int DecodeChar(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

}  // namespace

std::string EncodeReceipt(const Receipt& r) {
  char raw[kRawSize] = {};
  raw[0] = 1;
  EncodeFixed64(raw + 1, r.queue_uid);
  EncodeFixed64(raw + 9, r.message_seq);
  EncodeFixed64(raw + 17, r.nonce);
  EncodeFixed32(raw + 26, Checksum(raw, 26));
  std::string out;
  out.reserve(kEncodedSize);
  for (size_t i = 0; i < kRawSize; i += 3) {
    uint32_t v = (uint32_t{static_cast<uint8_t>(raw[i])} << 16) | (uint32_t{static_cast<uint8_t>(raw[i + 1])} << 8) |
                 static_cast<uint8_t>(raw[i + 2]);
    for (int shift = 18; shift >= 0; shift -= 6) out.push_back(kAlphabet[(v >> shift) & 63]);
  }
  return out;
}

bool DecodeReceipt(std::string_view handle, Receipt* r) {
  if (handle.size() != kEncodedSize) return false;
  char raw[kRawSize];
  for (size_t i = 0, o = 0; i < kEncodedSize; i += 4, o += 3) {
    uint32_t v = 0;
    for (size_t k = 0; k < 4; ++k) {
      int d = DecodeChar(handle[i + k]);
      if (d < 0) return false;
      v = (v << 6) | static_cast<uint32_t>(d);
    }
    raw[o] = static_cast<char>(v >> 16);
    raw[o + 1] = static_cast<char>(v >> 8);
    raw[o + 2] = static_cast<char>(v);
  }
  if (raw[0] != 1 || raw[25] != 0 || DecodeFixed32(raw + 26) != Checksum(raw, 26)) return false;
  r->queue_uid = DecodeFixed64(raw + 1);
  r->message_seq = DecodeFixed64(raw + 9);
  r->nonce = DecodeFixed64(raw + 17);
  return true;
}

std::string FormatMessageId(const MessageId& id) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (size_t i = 0; i < id.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[id[i] >> 4]);
    out.push_back(kHex[id[i] & 15]);
  }
  return out;
}

std::string FormatSequenceNumber(uint64_t n) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%020llu", static_cast<unsigned long long>(n));
  return buf;
}

}  // namespace queue
}  // namespace pycloud
