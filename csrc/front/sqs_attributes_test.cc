#include "front/sqs_attributes.h"

#include <string>

#include "common/testharness.h"
#include "front/json_reader.h"

using namespace pycloud::front;  // NOLINT

namespace {

JsonValue Parse(const std::string& text) {
  JsonValue v;
  CHECK(ParseJson(text, &v));
  return v;
}

}  // namespace

TEST(SqsAttributes, Base64IsStrictAndCanonical) {
  std::string out;
  CHECK(DecodeBase64("AP8Q", &out));
  CHECK_EQ(out, std::string("\x00\xff\x10", 3));
  CHECK(DecodeBase64("AP8=", &out));
  CHECK_EQ(out, std::string("\x00\xff", 2));
  CHECK(DecodeBase64("", &out));
  CHECK(out.empty());
  CHECK(!DecodeBase64("AP9=", &out));   // unused bits set
  CHECK(!DecodeBase64("AP8", &out));    // not padded
  CHECK(!DecodeBase64("A=P8", &out));   // padding inside
  CHECK(!DecodeBase64("AP8\n", &out));  // whitespace
}

// The digest and blob of messages.py (md5_of_attributes, encode_extras), known answers from it.
TEST(SqsAttributes, SendAttributesDigestAndBlob) {
  const JsonValue message = Parse(
      "{\"MessageAttributes\":{\"color\":{\"DataType\":\"String\",\"StringValue\":\"blue \\u00e9\"},"
      "\"count\":{\"DataType\":\"Number\",\"StringValue\":\"42\"},"
      "\"blob\":{\"DataType\":\"Binary\",\"BinaryValue\":\"AP8Q\"}}}");
  SendAttributes out;
  CHECK(ParseSendAttributes(message, "000000000000", &out));
  CHECK_EQ(out.attributes_md5, std::string("1e18c6632637c6cdbe1bd11ec86ab66a"));
  CHECK(out.system_md5.empty());
  CHECK_EQ(out.size, int64_t{5 + 6 + 7 + 5 + 6 + 2 + 4 + 6 + 3});
  CHECK_EQ(out.blob, std::string("{\"s\":\"000000000000\",\"a\":{\"color\":[\"String\",\"s\",\"blue \\u00e9\"],"
                                 "\"count\":[\"Number\",\"s\",\"42\"],\"blob\":[\"Binary\",\"b\",\"AP8Q\"]}}"));
}

TEST(SqsAttributes, DoubtfulAttributesAreLeftToTheRoad) {
  const char* odd[] = {
      "{\"MessageAttributes\":{\"AWS.x\":{\"DataType\":\"String\",\"StringValue\":\"v\"}}}",
      "{\"MessageAttributes\":{\".x\":{\"DataType\":\"String\",\"StringValue\":\"v\"}}}",
      "{\"MessageAttributes\":{\"a..b\":{\"DataType\":\"String\",\"StringValue\":\"v\"}}}",
      "{\"MessageAttributes\":{\"n\":{\"DataType\":\"Number\",\"StringValue\":\"1e5\"}}}",
      "{\"MessageAttributes\":{\"n\":{\"DataType\":\"Number\",\"StringValue\":\" 1\"}}}",
      "{\"MessageAttributes\":{\"s\":{\"DataType\":\"String\",\"StringValue\":\"\"}}}",
      "{\"MessageAttributes\":{\"s\":{\"DataType\":\"String\",\"StringValue\":\"a\\u0001\"}}}",
      "{\"MessageAttributes\":{\"s\":{\"DataType\":\"Strings\",\"StringValue\":\"v\"}}}",
      "{\"MessageAttributes\":{\"s\":{\"DataType\":\"String\",\"StringValue\":\"v\",\"BinaryValue\":\"AA==\"}}}",
      "{\"MessageSystemAttributes\":{\"Other\":{\"DataType\":\"String\",\"StringValue\":\"v\"}}}",
      "{\"MessageSystemAttributes\":{\"AWSTraceHeader\":{\"DataType\":\"String.x\",\"StringValue\":\"v\"}}}",
  };
  for (const char* text : odd) {
    SendAttributes out;
    CHECK(!ParseSendAttributes(Parse(text), "s", &out));
  }
}

TEST(SqsAttributes, AttributeNamesTheFrontRenders) {
  AttributeRequest all;
  CHECK(ParseAttributeRequest(Parse("{\"AttributeNames\":[\"All\"],\"MessageAttributeNames\":[\"a.*\"]}"), &all));
  CHECK(all.system != 0 && all.names.size() == 1);
  AttributeRequest legacy;
  CHECK(!ParseAttributeRequest(Parse("{\"AttributeNames\":[\"QueueArn\"]}"), &legacy));
  AttributeRequest none;
  CHECK(ParseAttributeRequest(Parse("{\"AttributeNames\":[]}"), &none));
  CHECK(none.empty());
}

int main() { return pycloud::test::RunAllTests(); }
