// ParseJson: a strict RFC 8259 reader into a small tree, for the bodies of the SQS JSON requests
// the native front answers itself.
//
// Strict on purpose: anything doubtful (a lone surrogate, invalid UTF-8, raw control bytes,
// nesting deeper than kMaxJsonDepth, trailing bytes) makes it return false, and the request then
// takes the Python road, which reports the exact AWS error. Never throws.
//
// Thread-safety: none needed (a pure function of its input).
#ifndef PYCLOUD_FRONT_JSON_READER_H_
#define PYCLOUD_FRONT_JSON_READER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pycloud {
namespace front {

// Containers nested deeper than this are refused (SQS bodies nest three or four levels).
inline constexpr int kMaxJsonDepth = 64;

enum class JsonType { kNull, kBool, kNumber, kString, kArray, kObject };

struct JsonValue {
  JsonType type = JsonType::kNull;
  bool boolean = false;                                    // kBool
  std::string_view number;                                 // kNumber: its text, a view into the input
  std::string text;                                        // kString: decoded UTF-8
  std::vector<JsonValue> items;                            // kArray
  std::vector<std::pair<std::string, JsonValue>> members;  // kObject, in input order

  // The member named `key` (the last one when repeated, as Python's json does), or nullptr;
  // nullptr as well when this is not an object.
  const JsonValue* Find(std::string_view key) const;

  // True (and *out set) for a number written as an integer — no fraction, no exponent, so "1.0"
  // and "1e3" are false — whose value fits int64.
  bool AsInt64(int64_t* out) const;
};

// Parses `input`, which must be exactly one JSON value with optional whitespace around it, into
// *out. False on anything invalid (*out is then unspecified). Number views point into `input`,
// which must outlive *out.
bool ParseJson(std::string_view input, JsonValue* out);

}  // namespace front
}  // namespace pycloud

#endif  // PYCLOUD_FRONT_JSON_READER_H_
