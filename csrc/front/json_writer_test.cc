#include "front/json_writer.h"

#include <string>

#include "common/testharness.h"

using namespace pycloud::front;  // NOLINT

namespace {

std::string Quoted(const std::string& utf8) {
  std::string out;
  AppendJsonString(utf8, &out);
  return out;
}

}  // namespace

// Known answers from Python's json.encoder.encode_basestring_ascii, the road's encoder.
TEST(JsonWriter, EscapesAsThePythonEncoder) {
  CHECK_EQ(Quoted("plain"), std::string("\"plain\""));
  CHECK_EQ(Quoted(""), std::string("\"\""));
  CHECK_EQ(Quoted("tab\there \"q\" back\\slash\nline\r"),
           std::string("\"tab\\there \\\"q\\\" back\\\\slash\\nline\\r\""));
  CHECK_EQ(Quoted(std::string("\xc3\xa9 \xc3\xbc \xe6\xbc\xa2\xe5\xad\x97 \xf0\x9f\x98\x80 \x7f", 19) +
                  std::string("\x00\x1f end", 6)),
           std::string("\"\\u00e9 \\u00fc \\u6f22\\u5b57 \\ud83d\\ude00 \\u007f\\u0000\\u001f end\""));
  CHECK_EQ(Quoted("\b\f"), std::string("\"\\b\\f\""));
}

TEST(JsonWriter, StrayBytesBecomeReplacementCharacters) {
  CHECK_EQ(Quoted("a\xff" "b"), std::string("\"a\\ufffdb\""));
  CHECK_EQ(Quoted("\xe6\xbc"), std::string("\"\\ufffd\\ufffd\""));          // truncated sequence
  CHECK_EQ(Quoted("\xed\xa0\x80"), std::string("\"\\ufffd\\ufffd\\ufffd\""));  // an encoded surrogate
}

TEST(JsonWriter, SeparatesMembersAndItems) {
  JsonWriter w;
  w.BeginObject();
  w.Key("a");
  w.BeginArray();
  w.String("x");
  w.BeginObject();
  w.EndObject();
  w.Bool(true);
  w.EndArray();
  w.Key("b");
  w.Bool(false);
  w.EndObject();
  CHECK_EQ(w.text(), std::string("{\"a\":[\"x\",{},true],\"b\":false}"));
}

int main() { return pycloud::test::RunAllTests(); }
