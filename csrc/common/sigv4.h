// SigV4 signature computation: canonical headers, canonical request, string to sign and the
// HMAC-SHA256 signature, in one pass without intermediate Python strings. Every signed request to
// pycloud is verified, so this sits on the hottest path of every service.
#ifndef PYCLOUD_COMMON_SIGV4_H_
#define PYCLOUD_COMMON_SIGV4_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pycloud {

// HMAC-SHA256 (RFC 2104) of `message` under `key`; 32 raw bytes written to `out`.
void HmacSha256(std::string_view key, std::string_view message, uint8_t out[32]);

// Appends the SigV4 "Trimall" form of a header value to `out`: when the value has a double space,
// a tab, or a leading or trailing space, runs of spaces and tabs become one space and the ends are
// trimmed; otherwise the value is kept as is. Returns false (nothing appended) when the value holds
// a byte outside printable ASCII and tab: the caller then canonicalises it the slow way, which
// knows every whitespace character.
bool AppendTrimmedHeaderValue(std::string_view value, std::string* out);

// The parts of a canonical request that the caller has already normalised.
struct Sigv4Request {
  std::string_view method;         // upper case
  std::string_view canonical_uri;  // already normalised and encoded
  std::string_view canonical_query;
  std::vector<std::string_view> signed_names;   // lower case, in signed order
  std::vector<std::string_view> header_values;  // raw values, same order ("" when absent)
  std::string_view signed_headers;              // "a;b;c" as sent
  std::string_view payload_hash;
};

// The lower-case hex signature of `request` for `amz_date` and `scope`, signed with the derived
// `signing_key`. Returns false when a header value needs the slow canonicalisation (see above).
bool Sigv4Signature(std::string_view signing_key, std::string_view amz_date, std::string_view scope,
                    const Sigv4Request& request, std::string* hex_signature);

}  // namespace pycloud

#endif  // PYCLOUD_COMMON_SIGV4_H_
