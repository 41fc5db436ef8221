#include "front/json_writer.h"

#include <cstdint>

namespace pycloud {
namespace front {

namespace {

const char kHex[] = "0123456789abcdef";

void AppendUnicodeEscape(uint32_t unit, std::string* out) {
  out->append("\\u");
  out->push_back(kHex[(unit >> 12) & 15]);
  out->push_back(kHex[(unit >> 8) & 15]);
  out->push_back(kHex[(unit >> 4) & 15]);
  out->push_back(kHex[unit & 15]);
}

// Decodes one UTF-8 sequence at s[i]; returns its length (0: invalid, *cp untouched).
size_t DecodeUtf8(const unsigned char* s, size_t n, size_t i, uint32_t* cp) {
  const unsigned char c = s[i];
  size_t len;
  uint32_t v;
  if (c >= 0xc2 && c <= 0xdf) {
    len = 2;
    v = c & 0x1f;
  } else if (c >= 0xe0 && c <= 0xef) {
    len = 3;
    v = c & 0x0f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    len = 4;
    v = c & 0x07;
  } else {
    return 0;
  }
  if (i + len > n) return 0;
  for (size_t k = 1; k < len; ++k) {
    if ((s[i + k] & 0xc0) != 0x80) return 0;
    v = (v << 6) | (s[i + k] & 0x3f);
  }
  // Overlong forms, UTF-16 surrogates and code points past U+10FFFF are not UTF-8.
  if ((len == 3 && v < 0x800) || (len == 4 && (v < 0x10000 || v > 0x10ffff)) || (v >= 0xd800 && v <= 0xdfff)) {
    return 0;
  }
  *cp = v;
  return len;
}

}  // namespace

void AppendJsonString(std::string_view utf8, std::string* out) {
  const auto* s = reinterpret_cast<const unsigned char*>(utf8.data());
  const size_t n = utf8.size();
  out->push_back('"');
  size_t plain = 0;  // start of the run of bytes copied as they are
  for (size_t i = 0; i < n;) {
    const unsigned char c = s[i];
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    out->append(utf8.data() + plain, i - plain);
    if (c < 0x80) {
      switch (c) {
        case '"': out->append("\\\""); break;
        case '\\': out->append("\\\\"); break;
        case '\n': out->append("\\n"); break;
        case '\r': out->append("\\r"); break;
        case '\t': out->append("\\t"); break;
        case '\b': out->append("\\b"); break;
        case '\f': out->append("\\f"); break;
        default: AppendUnicodeEscape(c, out);
      }
      ++i;
    } else {
      uint32_t cp = 0xfffd;
      size_t len = DecodeUtf8(s, n, i, &cp);
      if (len == 0) len = 1;  // a stray byte: written as U+FFFD
      if (cp >= 0x10000) {
        const uint32_t v = cp - 0x10000;
        AppendUnicodeEscape(0xd800 + (v >> 10), out);
        AppendUnicodeEscape(0xdc00 + (v & 0x3ff), out);
      } else {
        AppendUnicodeEscape(cp, out);
      }
      i += len;
    }
    plain = i;
  }
  out->append(utf8.data() + plain, n - plain);
  out->push_back('"');
}

void JsonWriter::Separate() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!first_.empty()) {
    if (!first_.back()) out_.push_back(',');
    first_.back() = false;
  }
}

void JsonWriter::Open(char c) {
  Separate();
  out_.push_back(c);
  first_.push_back(true);
}

void JsonWriter::Close(char c) {
  out_.push_back(c);
  first_.pop_back();
}

void JsonWriter::Key(std::string_view name) {
  Separate();
  AppendJsonString(name, &out_);
  out_.push_back(':');
  after_key_ = true;
}

void JsonWriter::String(std::string_view utf8) {
  Separate();
  AppendJsonString(utf8, &out_);
}

void JsonWriter::Bool(bool value) {
  Separate();
  out_.append(value ? "true" : "false");
}

}  // namespace front
}  // namespace pycloud
