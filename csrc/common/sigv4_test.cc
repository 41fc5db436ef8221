// Unit tests for the SigV4 computation: HMAC-SHA256 against RFC 4231, header trimming, and AWS's
// published signature example.
#include <cstdint>
#include <string>

#include "common/sigv4.h"
#include "common/testharness.h"

namespace pycloud {
namespace {

std::string Hex(const uint8_t* data, size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out.push_back(kHex[data[i] >> 4]);
    out.push_back(kHex[data[i] & 15]);
  }
  return out;
}

std::string Mac(const std::string& key, const std::string& message) {
  uint8_t out[32];
  HmacSha256(key, message, out);
  return Hex(out, sizeof(out));
}

std::string Trim(const std::string& value) {
  std::string out;
  CHECK(AppendTrimmedHeaderValue(value, &out));
  return out;
}

TEST(HmacSha256, Rfc4231Vectors) {
  CHECK_EQ(Mac(std::string(20, '\x0b'), "Hi There"),
           "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  CHECK_EQ(Mac("Jefe", "what do ya want for nothing?"),
           "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // Test case 6: a key longer than the block size is hashed first.
  CHECK_EQ(Mac(std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First"),
           "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(Sigv4, TrimsOnlyWhenNeeded) {
  CHECK_EQ(Trim("plain value"), "plain value");
  CHECK_EQ(Trim("  a   b  "), "a b");
  CHECK_EQ(Trim("a\tb"), "a b");
  CHECK_EQ(Trim(" lead"), "lead");
  CHECK_EQ(Trim("trail "), "trail");
  CHECK_EQ(Trim(""), "");
  CHECK_EQ(Trim("   "), "");
  std::string out;
  CHECK(!AppendTrimmedHeaderValue("caf\xc3\xa9", &out));  // non-ASCII: the general rules decide
  CHECK(!AppendTrimmedHeaderValue("a\nb", &out));
  CHECK(out.empty());
}

// AWS's "GET /?Param2=value2&Param1=value1" example (IAM ListUsers style, service "service").
TEST(Sigv4, AwsDocumentationExample) {
  uint8_t k[32];
  std::string key = "AWS4wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
  HmacSha256(key, "20150830", k);
  std::string k1(reinterpret_cast<char*>(k), 32);
  HmacSha256(k1, "us-east-1", k);
  std::string k2(reinterpret_cast<char*>(k), 32);
  HmacSha256(k2, "service", k);
  std::string k3(reinterpret_cast<char*>(k), 32);
  HmacSha256(k3, "aws4_request", k);
  std::string signing_key(reinterpret_cast<char*>(k), 32);

  Sigv4Request request;
  request.method = "GET";
  request.canonical_uri = "/";
  request.canonical_query = "Param1=value1&Param2=value2";
  request.signed_names = {"host", "x-amz-date"};
  request.header_values = {"example.amazonaws.com", "20150830T123600Z"};
  request.signed_headers = "host;x-amz-date";
  request.payload_hash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  std::string signature;
  CHECK(Sigv4Signature(signing_key, "20150830T123600Z", "20150830/us-east-1/service/aws4_request", request,
                       &signature));
  CHECK_EQ(signature, "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
}

}  // namespace
}  // namespace pycloud

int main() { return pycloud::test::RunAllTests(); }
