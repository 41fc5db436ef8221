#include "common/sigv4.h"

#include <cstring>

#include "common/sha256.h"

namespace pycloud {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void AppendHex(const uint8_t* data, size_t n, std::string* out) {
  for (size_t i = 0; i < n; ++i) {
    out->push_back(kHex[data[i] >> 4]);
    out->push_back(kHex[data[i] & 0x0f]);
  }
}

bool IsPlain(unsigned char c) { return (c >= 0x20 && c <= 0x7e) || c == '\t'; }

}  // namespace

void HmacSha256(std::string_view key, std::string_view message, uint8_t out[32]) {
  uint8_t block[Sha256::kBlockSize] = {};
  if (key.size() > Sha256::kBlockSize) {
    Sha256 h;
    h.Update(key.data(), key.size());
    h.Final(block);
  } else {
    std::memcpy(block, key.data(), key.size());
  }
  uint8_t pad[Sha256::kBlockSize];
  for (size_t i = 0; i < sizeof(pad); ++i) pad[i] = block[i] ^ 0x36;
  Sha256 inner;
  inner.Update(pad, sizeof(pad));
  inner.Update(message.data(), message.size());
  uint8_t inner_digest[Sha256::kDigestSize];
  inner.Final(inner_digest);
  for (size_t i = 0; i < sizeof(pad); ++i) pad[i] = block[i] ^ 0x5c;
  Sha256 outer;
  outer.Update(pad, sizeof(pad));
  outer.Update(inner_digest, sizeof(inner_digest));
  outer.Final(out);
}

bool AppendTrimmedHeaderValue(std::string_view value, std::string* out) {
  bool needs_trim = !value.empty() && (value.front() == ' ' || value.back() == ' ');
  for (size_t i = 0; i < value.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(value[i]);
    if (!IsPlain(c)) return false;
    if (c == '\t' || (c == ' ' && i + 1 < value.size() && value[i + 1] == ' ')) needs_trim = true;
  }
  if (!needs_trim) {
    out->append(value);
    return true;
  }
  // Collapse runs of spaces and tabs (the only whitespace a plain value can hold) to one space.
  bool pending_space = false;
  bool wrote = false;
  for (const char ch : value) {
    if (ch == ' ' || ch == '\t') {
      pending_space = wrote;
      continue;
    }
    if (pending_space) out->push_back(' ');
    pending_space = false;
    out->push_back(ch);
    wrote = true;
  }
  return true;
}

bool Sigv4Signature(std::string_view signing_key, std::string_view amz_date, std::string_view scope,
                    const Sigv4Request& request, std::string* hex_signature) {
  if (request.signed_names.size() != request.header_values.size()) return false;
  std::string canonical;
  canonical.reserve(256 + request.canonical_query.size());
  canonical.append(request.method).push_back('\n');
  canonical.append(request.canonical_uri).push_back('\n');
  canonical.append(request.canonical_query).push_back('\n');
  for (size_t i = 0; i < request.signed_names.size(); ++i) {
    canonical.append(request.signed_names[i]).push_back(':');
    if (!AppendTrimmedHeaderValue(request.header_values[i], &canonical)) return false;
    canonical.push_back('\n');
  }
  canonical.push_back('\n');
  canonical.append(request.signed_headers).push_back('\n');
  canonical.append(request.payload_hash);

  uint8_t digest[Sha256::kDigestSize];
  Sha256 h;
  h.Update(canonical.data(), canonical.size());
  h.Final(digest);

  std::string to_sign;
  to_sign.reserve(64 + amz_date.size() + scope.size() + 2 * Sha256::kDigestSize);
  to_sign.append("AWS4-HMAC-SHA256\n").append(amz_date).push_back('\n');
  to_sign.append(scope).push_back('\n');
  AppendHex(digest, sizeof(digest), &to_sign);

  uint8_t mac[Sha256::kDigestSize];
  HmacSha256(signing_key, to_sign, mac);
  hex_signature->clear();
  AppendHex(mac, sizeof(mac), hex_signature);
  return true;
}

}  // namespace pycloud
