#include "front/json_reader.h"

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "common/testharness.h"

using namespace pycloud::front;  // NOLINT

namespace {

bool Valid(std::string_view text) {
  JsonValue v;
  return ParseJson(text, &v);
}

// The decoded text of a JSON string literal, or "<invalid>".
std::string Decode(std::string_view literal) {
  JsonValue v;
  if (!ParseJson(literal, &v) || v.type != JsonType::kString) return "<invalid>";
  return v.text;
}

// AsInt64 of a number literal; `ok` says whether it succeeded.
int64_t Int(std::string_view literal, bool* ok) {
  JsonValue v;
  int64_t out = 0;
  *ok = ParseJson(literal, &v) && v.AsInt64(&out);
  return out;
}

bool IsInt(std::string_view literal) {
  bool ok;
  Int(literal, &ok);
  return ok;
}

std::string Nested(int depth, char open, char close) {
  return std::string(static_cast<size_t>(depth), open) + std::string(static_cast<size_t>(depth), close);
}

}  // namespace

TEST(Json, ParsesSqsRequestBody) {
  const std::string body =
      " {\"QueueUrl\": \"http://localhost:4566/000000000000/q\", \"MessageBody\": \"hi\",\n"
      "  \"DelaySeconds\": 5, \"MessageAttributes\": {\"a\": {\"DataType\": \"String\", \"StringValue\": \"x\"}},\n"
      "  \"Entries\": [{\"Id\": \"1\", \"ReceiptHandle\": \"r\"}, {\"Id\": \"2\"}], \"Flag\": true, \"None\": null} \r\n";
  JsonValue v;
  CHECK(ParseJson(body, &v));
  CHECK(v.type == JsonType::kObject);
  CHECK_EQ(v.members.size(), size_t{7});
  CHECK_EQ(v.members[0].first, std::string("QueueUrl"));
  const JsonValue* url = v.Find("QueueUrl");
  CHECK(url != nullptr && url->type == JsonType::kString);
  if (url != nullptr) CHECK_EQ(url->text, std::string("http://localhost:4566/000000000000/q"));
  const JsonValue* delay = v.Find("DelaySeconds");
  int64_t n = 0;
  CHECK(delay != nullptr && delay->AsInt64(&n));
  CHECK_EQ(n, int64_t{5});
  const JsonValue* attrs = v.Find("MessageAttributes");
  CHECK(attrs != nullptr && attrs->type == JsonType::kObject);
  if (attrs != nullptr) {
    const JsonValue* a = attrs->Find("a");
    CHECK(a != nullptr && a->Find("StringValue") != nullptr);
    if (a != nullptr && a->Find("StringValue") != nullptr) CHECK_EQ(a->Find("StringValue")->text, std::string("x"));
  }
  const JsonValue* entries = v.Find("Entries");
  CHECK(entries != nullptr && entries->type == JsonType::kArray);
  if (entries != nullptr) {
    CHECK_EQ(entries->items.size(), size_t{2});
    CHECK(entries->items[1].Find("Id") != nullptr);
    CHECK(entries->items[1].Find("ReceiptHandle") == nullptr);
  }
  const JsonValue* flag = v.Find("Flag");
  CHECK(flag != nullptr && flag->type == JsonType::kBool && flag->boolean);
  const JsonValue* none = v.Find("None");
  CHECK(none != nullptr && none->type == JsonType::kNull);
  CHECK(v.Find("Missing") == nullptr);
  CHECK(v.Find("queueurl") == nullptr);  // keys are case-sensitive
}

TEST(Json, Scalars) {
  JsonValue v;
  CHECK(ParseJson("true", &v) && v.type == JsonType::kBool && v.boolean);
  CHECK(ParseJson("false", &v) && v.type == JsonType::kBool && !v.boolean);
  CHECK(ParseJson(" null ", &v) && v.type == JsonType::kNull);
  CHECK(ParseJson("\"s\"", &v) && v.type == JsonType::kString && v.text == "s");
  CHECK(ParseJson("-12.5e+3", &v) && v.type == JsonType::kNumber);
  CHECK_EQ(v.number, std::string_view("-12.5e+3"));
  CHECK(v.Find("x") == nullptr);  // not an object
  CHECK(!Valid("tru"));
  CHECK(!Valid("True"));
  CHECK(!Valid("nul"));
  CHECK(!Valid("nulll"));
  CHECK(!Valid("falsey"));
  CHECK(!Valid("undefined"));
  CHECK(!Valid("NaN"));
  CHECK(!Valid("Infinity"));
  CHECK(!Valid("'s'"));
}

TEST(Json, EmptyContainersAndStrings) {
  JsonValue v;
  CHECK(ParseJson("{}", &v) && v.type == JsonType::kObject && v.members.empty());
  CHECK(ParseJson("[]", &v) && v.type == JsonType::kArray && v.items.empty());
  CHECK(ParseJson("{ \t\r\n }", &v) && v.type == JsonType::kObject && v.members.empty());
  CHECK(ParseJson("[ ]", &v) && v.type == JsonType::kArray && v.items.empty());
  CHECK(ParseJson("\"\"", &v) && v.type == JsonType::kString && v.text.empty());
  CHECK(ParseJson("{\"\":\"\"}", &v) && v.members.size() == 1 && v.members[0].first.empty());
  CHECK(!Valid(""));
  CHECK(!Valid("   "));
}

TEST(Json, ArraysAndNesting) {
  JsonValue v;
  CHECK(ParseJson("[1, \"a\", [true, [null]], {\"k\": []}]", &v));
  CHECK(v.type == JsonType::kArray);
  CHECK_EQ(v.items.size(), size_t{4});
  CHECK(v.items[0].type == JsonType::kNumber);
  CHECK_EQ(v.items[1].text, std::string("a"));
  CHECK(v.items[2].type == JsonType::kArray && v.items[2].items.size() == 2);
  CHECK(v.items[2].items[1].items[0].type == JsonType::kNull);
  const JsonValue* k = v.items[3].Find("k");
  CHECK(k != nullptr && k->type == JsonType::kArray);
  CHECK(!Valid("[1,]"));
  CHECK(!Valid("[,1]"));
  CHECK(!Valid("[1 2]"));
  CHECK(!Valid("[1"));
  CHECK(!Valid("]"));
  CHECK(!Valid("{\"a\":1,}"));
  CHECK(!Valid("{\"a\" 1}"));
  CHECK(!Valid("{\"a\":}"));
  CHECK(!Valid("{a:1}"));
  CHECK(!Valid("{1:1}"));
  CHECK(!Valid("{\"a\":1"));
  CHECK(!Valid("{\"a\":1]"));
  CHECK(!Valid("[1}"));
}

TEST(Json, DuplicateKeysFindTheLast) {
  JsonValue v;
  CHECK(ParseJson("{\"a\": 1, \"b\": 2, \"a\": 3}", &v));
  CHECK_EQ(v.members.size(), size_t{3});  // all kept, in order
  const JsonValue* a = v.Find("a");
  CHECK(a != nullptr);
  if (a != nullptr) CHECK_EQ(a->number, std::string_view("3"));
}

TEST(Json, EveryEscape) {
  CHECK_EQ(Decode(R"("\" \\ \/ \b \f \n \r \t")"), std::string("\" \\ / \b \f \n \r \t"));
  CHECK_EQ(Decode(R"("a\u0041\u00e9\u20AC")"), std::string("aA\xc3\xa9\xe2\x82\xac"));
  CHECK_EQ(Decode(R"("\u0000")"), std::string(1, '\0'));
  CHECK_EQ(Decode(R"("\uFFFF")"), std::string("\xef\xbf\xbf"));
  CHECK_EQ(Decode(R"("plain then \n escaped then plain")"), std::string("plain then \n escaped then plain"));
  CHECK(!Valid(R"("\x41")"));
  CHECK(!Valid(R"("\a")"));
  CHECK(!Valid(R"("\')"));
  CHECK(!Valid(R"("\u12")"));
  CHECK(!Valid(R"("\u12G4")"));
  CHECK(!Valid(R"("\U0041")"));
  CHECK(!Valid(R"("\)"));
  CHECK(!Valid("\"unterminated"));
}

TEST(Json, SurrogatePairs) {
  CHECK_EQ(Decode(R"("\ud83d\ude00")"), std::string("\xf0\x9f\x98\x80"));
  CHECK_EQ(Decode(R"("x\uD83D\uDE00y")"), std::string("x\xf0\x9f\x98\x80y"));
  CHECK_EQ(Decode(R"("\ud800\udc00")"), std::string("\xf0\x90\x80\x80"));   // U+10000
  CHECK_EQ(Decode(R"("\udbff\udfff")"), std::string("\xf4\x8f\xbf\xbf"));   // U+10FFFF
  CHECK(!Valid(R"("\ud83d")"));          // lone high
  CHECK(!Valid(R"("\ud83dx")"));
  CHECK(!Valid(R"("\ud83d\n")"));
  CHECK(!Valid(R"("\ude00")"));          // lone low
  CHECK(!Valid(R"("\ude00\ud83d")"));    // reversed
  CHECK(!Valid(R"("\ud83d\ud83d")"));    // high then high
  CHECK(!Valid(R"("\ud83d\u0041")"));    // high then not a surrogate
}

TEST(Json, RawUtf8) {
  CHECK_EQ(Decode("\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf\""),
           std::string("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf"));
  CHECK(Valid("\"\xed\x9f\xbf\""));       // U+D7FF, just below the surrogates
  CHECK(Valid("\"\xee\x80\x80\""));       // U+E000, just above
  CHECK(!Valid("\"\xc0\x80\""));          // overlong NUL
  CHECK(!Valid("\"\xc1\xbf\""));          // overlong
  CHECK(!Valid("\"\xe0\x9f\xbf\""));      // overlong 3-byte
  CHECK(!Valid("\"\xf0\x8f\xbf\xbf\""));  // overlong 4-byte
  CHECK(!Valid("\"\xed\xa0\x80\""));      // an encoded surrogate
  CHECK(!Valid("\"\xed\xbf\xbf\""));
  CHECK(!Valid("\"\xf4\x90\x80\x80\""));  // above U+10FFFF
  CHECK(!Valid("\"\xf5\x80\x80\x80\""));
  CHECK(!Valid("\"\xff\""));
  CHECK(!Valid("\"\x80\""));              // stray continuation
  CHECK(!Valid("\"\xc3\""));              // truncated before the quote
  CHECK(!Valid("\"\xe2\x82\""));
  CHECK(!Valid("\"\xf0\x9f\x98\""));
  CHECK(!Valid("\"\xc3"));                // truncated at the end of input
  CHECK(!Valid("\"\xf0\x9f"));
  CHECK(!Valid("\"\xc3\x41\""));          // lead byte followed by ASCII
  CHECK(!Valid("{\"k\xc0\x80\":1}"));    // keys are checked too
}

TEST(Json, RejectsControlBytesInStrings) {
  for (int c = 0; c < 0x20; ++c) {
    std::string s = "\"a";
    s.push_back(static_cast<char>(c));
    s += "b\"";
    CHECK(!Valid(s));
  }
  CHECK(Valid("\"a\x7f b\""));  // DEL is not a JSON control character
}

TEST(Json, Numbers) {
  const char* valid[] = {"0", "-0", "1", "-1", "123", "0.5", "-0.5", "1.25", "1e3", "1E3", "1e+3",
                         "1e-3", "0e0", "-0.0e-0", "12.34E+56", "99999999999999999999999999"};
  for (const char* s : valid) {
    JsonValue v;
    CHECK(ParseJson(s, &v) && v.type == JsonType::kNumber && v.number == s);
  }
  const char* invalid[] = {"-", "+1", "01", "-01", "00", "1.", ".5", "-.5", "1.e3", "1e", "1e+", "1E-",
                           "0x10", "1_000", "1e3.5", "--1", "1-", "- 1", "0.5.5"};
  for (const char* s : invalid) CHECK(!Valid(s));
  CHECK(Valid("[0,-0,1e3]"));
  CHECK(!Valid("[01]"));
}

TEST(Json, AsInt64) {
  bool ok;
  CHECK_EQ(Int("0", &ok), int64_t{0});
  CHECK(ok);
  CHECK_EQ(Int("-0", &ok), int64_t{0});
  CHECK(ok);
  CHECK_EQ(Int("42", &ok), int64_t{42});
  CHECK(ok);
  CHECK_EQ(Int("-42", &ok), int64_t{-42});
  CHECK(ok);
  CHECK_EQ(Int("9223372036854775807", &ok), std::numeric_limits<int64_t>::max());
  CHECK(ok);
  CHECK_EQ(Int("-9223372036854775808", &ok), std::numeric_limits<int64_t>::min());
  CHECK(ok);
  CHECK(!IsInt("9223372036854775808"));   // 2^63
  CHECK(!IsInt("-9223372036854775809"));  // -2^63 - 1
  CHECK(!IsInt("18446744073709551616"));  // 2^64: must not wrap around to 0
  CHECK(!IsInt("99999999999999999999999"));
  CHECK(!IsInt("1.0"));
  CHECK(!IsInt("1e3"));
  CHECK(!IsInt("1E0"));
  CHECK(!IsInt("-0.0"));
  JsonValue v;
  int64_t out = 7;
  CHECK(ParseJson("\"5\"", &v) && !v.AsInt64(&out));  // strings are not numbers
  CHECK(ParseJson("true", &v) && !v.AsInt64(&out));
  CHECK_EQ(out, int64_t{7});  // untouched on failure
}

TEST(Json, DepthLimit) {
  CHECK(Valid(Nested(kMaxJsonDepth, '[', ']')));
  CHECK(!Valid(Nested(kMaxJsonDepth + 1, '[', ']')));
  std::string objects;
  for (int i = 0; i < kMaxJsonDepth; ++i) objects += "{\"a\":";
  objects += "1";
  for (int i = 0; i < kMaxJsonDepth; ++i) objects += "}";
  CHECK(Valid(objects));
  CHECK(!Valid("[" + objects + "]"));
  // Siblings do not add up: depth is nesting, not count.
  std::string wide = "[";
  for (int i = 0; i < 200; ++i) wide += Nested(kMaxJsonDepth - 1, '[', ']') + ",";
  wide += "0]";
  CHECK(Valid(wide));
  // Deep garbage is refused without exhausting the stack.
  CHECK(!Valid(std::string(100000, '[')));
}

TEST(Json, RejectsTrailingGarbage) {
  CHECK(!Valid("{} {}"));
  CHECK(!Valid("{}x"));
  CHECK(!Valid("[]]"));
  CHECK(!Valid("1 2"));
  CHECK(!Valid("\"a\"\"b\""));
  CHECK(!Valid("true false"));
  CHECK(!Valid("{}\v"));  // only the four JSON whitespace bytes are allowed
  CHECK(!Valid(std::string("{}\0", 3)));
  CHECK(!Valid("\xef\xbb\xbf{}"));  // a byte order mark
  CHECK(Valid(" \t\r\n{} \t\r\n"));
}

TEST(Json, ReusedValueStartsOver) {
  JsonValue v;
  CHECK(ParseJson("{\"a\": [1, 2]}", &v));
  CHECK(ParseJson("[3]", &v));
  CHECK(v.type == JsonType::kArray);
  CHECK(v.members.empty());
  CHECK_EQ(v.items.size(), size_t{1});
}

int main() { return pycloud::test::RunAllTests(); }
