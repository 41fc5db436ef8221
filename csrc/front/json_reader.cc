#include "front/json_reader.h"

namespace pycloud {
namespace front {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Length of the well-formed UTF-8 sequence starting with a byte >= 0x80 at p (RFC 3629 table:
// no overlongs, no UTF-16 surrogates, nothing above U+10FFFF), or 0 when it is not one.
size_t Utf8SequenceLength(const unsigned char* p, const unsigned char* end) {
  const size_t avail = static_cast<size_t>(end - p);
  const unsigned char b0 = p[0];
  auto cont = [&](size_t k, unsigned char lo, unsigned char hi) { return k < avail && p[k] >= lo && p[k] <= hi; };
  if (b0 >= 0xC2 && b0 <= 0xDF) return cont(1, 0x80, 0xBF) ? 2 : 0;
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    // E0 needs A0.. to avoid overlongs; ED stops at 9F to exclude surrogates.
    const unsigned char lo = b0 == 0xE0 ? 0xA0 : 0x80;
    const unsigned char hi = b0 == 0xED ? 0x9F : 0xBF;
    return cont(1, lo, hi) && cont(2, 0x80, 0xBF) ? 3 : 0;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    // F0 needs 90.. to avoid overlongs; F4 stops at 8F to stay within U+10FFFF.
    const unsigned char lo = b0 == 0xF0 ? 0x90 : 0x80;
    const unsigned char hi = b0 == 0xF4 ? 0x8F : 0xBF;
    return cont(1, lo, hi) && cont(2, 0x80, 0xBF) && cont(3, 0x80, 0xBF) ? 4 : 0;
  }
  return 0;  // continuation byte, C0/C1 overlong lead, or F5..FF
}

void AppendUtf8(uint32_t cp, std::string* s) {
  if (cp < 0x80) {
    s->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    s->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    s->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    s->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    s->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    s->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    s->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    s->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    s->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    s->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// A recursive-descent reader over [p_, end_). Recursion is bounded by kMaxJsonDepth.
class Reader {
 public:
  explicit Reader(std::string_view input) : p_(input.data()), end_(input.data() + input.size()) {}

  bool ReadDocument(JsonValue* out) {
    SkipSpace();
    if (!ReadValue(out)) return false;
    SkipSpace();
    return p_ == end_;  // trailing bytes are an error
  }

 private:
  void SkipSpace() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) ++p_;
  }

  // Consumes `c` when it is next.
  bool Eat(char c) {
    if (p_ < end_ && *p_ == c) {
      ++p_;
      return true;
    }
    return false;
  }

  bool ReadValue(JsonValue* out) {
    if (p_ == end_) return false;
    switch (*p_) {
      case '{': return ReadObject(out);
      case '[': return ReadArray(out);
      case '"':
        out->type = JsonType::kString;
        return ReadString(&out->text);
      case 't': return ReadLiteral("true", out, JsonType::kBool, true);
      case 'f': return ReadLiteral("false", out, JsonType::kBool, false);
      case 'n': return ReadLiteral("null", out, JsonType::kNull, false);
      default: return ReadNumber(out);
    }
  }

  bool ReadLiteral(std::string_view word, JsonValue* out, JsonType type, bool value) {
    if (static_cast<size_t>(end_ - p_) < word.size() || std::string_view(p_, word.size()) != word) return false;
    p_ += word.size();
    out->type = type;
    out->boolean = value;
    return true;
  }

  // -?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)? ; what follows is the caller's to judge.
  bool ReadNumber(JsonValue* out) {
    const char* start = p_;
    Eat('-');
    if (p_ == end_ || !IsDigit(*p_)) return false;
    if (*p_ == '0') {
      ++p_;
    } else {
      while (p_ < end_ && IsDigit(*p_)) ++p_;
    }
    if (Eat('.')) {
      if (!SkipDigits()) return false;
    }
    if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
      ++p_;
      if (!Eat('+')) Eat('-');
      if (!SkipDigits()) return false;
    }
    out->type = JsonType::kNumber;
    out->number = std::string_view(start, static_cast<size_t>(p_ - start));
    return true;
  }

  // One or more digits.
  bool SkipDigits() {
    const char* start = p_;
    while (p_ < end_ && IsDigit(*p_)) ++p_;
    return p_ != start;
  }

  // At the opening quote. Runs of plain bytes are appended in one go; escapes one by one.
  bool ReadString(std::string* s) {
    ++p_;
    const char* run = p_;
    for (;;) {
      if (p_ == end_) return false;
      const auto c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        s->append(run, static_cast<size_t>(p_ - run));
        ++p_;
        return true;
      }
      if (c == '\\') {
        s->append(run, static_cast<size_t>(p_ - run));
        ++p_;
        if (!ReadEscape(s)) return false;
        run = p_;
      } else if (c < 0x20) {
        return false;  // raw control bytes must be escaped
      } else if (c < 0x80) {
        ++p_;
      } else {
        const auto* u = reinterpret_cast<const unsigned char*>(p_);
        const size_t len = Utf8SequenceLength(u, reinterpret_cast<const unsigned char*>(end_));
        if (len == 0) return false;
        p_ += len;
      }
    }
  }

  // After the backslash.
  bool ReadEscape(std::string* s) {
    if (p_ == end_) return false;
    const char c = *p_++;
    switch (c) {
      case '"': s->push_back('"'); return true;
      case '\\': s->push_back('\\'); return true;
      case '/': s->push_back('/'); return true;
      case 'b': s->push_back('\b'); return true;
      case 'f': s->push_back('\f'); return true;
      case 'n': s->push_back('\n'); return true;
      case 'r': s->push_back('\r'); return true;
      case 't': s->push_back('\t'); return true;
      case 'u': break;
      default: return false;
    }
    uint32_t cp;
    if (!ReadHex4(&cp)) return false;
    if (cp >= 0xDC00 && cp <= 0xDFFF) return false;  // a low surrogate with no high one before it
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      // A high surrogate must be followed at once by an escaped low one.
      uint32_t low;
      if (!Eat('\\') || !Eat('u') || !ReadHex4(&low) || low < 0xDC00 || low > 0xDFFF) return false;
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
    AppendUtf8(cp, s);
    return true;
  }

  bool ReadHex4(uint32_t* out) {
    if (end_ - p_ < 4) return false;
    uint32_t v = 0;
    for (int k = 0; k < 4; ++k) {
      const int h = HexValue(*p_++);
      if (h < 0) return false;
      v = (v << 4) | static_cast<uint32_t>(h);
    }
    *out = v;
    return true;
  }

  bool ReadArray(JsonValue* out) {
    if (++depth_ > kMaxJsonDepth) return false;
    ++p_;
    out->type = JsonType::kArray;
    SkipSpace();
    if (!Eat(']')) {
      for (;;) {
        out->items.emplace_back();
        SkipSpace();
        if (!ReadValue(&out->items.back())) return false;
        SkipSpace();
        if (Eat(']')) break;
        if (!Eat(',')) return false;
      }
    }
    --depth_;
    return true;
  }

  bool ReadObject(JsonValue* out) {
    if (++depth_ > kMaxJsonDepth) return false;
    ++p_;
    out->type = JsonType::kObject;
    SkipSpace();
    if (!Eat('}')) {
      for (;;) {
        SkipSpace();
        if (p_ == end_ || *p_ != '"') return false;
        out->members.emplace_back();
        auto& member = out->members.back();
        if (!ReadString(&member.first)) return false;
        SkipSpace();
        if (!Eat(':')) return false;
        SkipSpace();
        if (!ReadValue(&member.second)) return false;
        SkipSpace();
        if (Eat('}')) break;
        if (!Eat(',')) return false;
      }
    }
    --depth_;
    return true;
  }

  const char* p_;
  const char* end_;
  int depth_ = 0;
};

}  // namespace

const JsonValue* JsonValue::Find(std::string_view key) const {
  for (auto it = members.rbegin(); it != members.rend(); ++it) {
    if (it->first == key) return &it->second;
  }
  return nullptr;
}

bool JsonValue::AsInt64(int64_t* out) const {
  if (type != JsonType::kNumber || number.empty()) return false;
  const bool negative = number[0] == '-';
  const size_t first = negative ? 1 : 0;
  if (first == number.size()) return false;
  // |INT64_MIN| = 2^63 is representable as a magnitude; the positive side stops one below.
  const uint64_t max_magnitude = negative ? (uint64_t{1} << 63) : (uint64_t{1} << 63) - 1;
  uint64_t magnitude = 0;
  for (size_t i = first; i < number.size(); ++i) {
    const char c = number[i];
    if (!IsDigit(c)) return false;  // '.', 'e', 'E', signs of an exponent
    const auto d = static_cast<uint64_t>(c - '0');
    if (magnitude > (max_magnitude - d) / 10) return false;
    magnitude = magnitude * 10 + d;
  }
  if (negative) {
    // Negate in unsigned arithmetic so that 2^63 maps to INT64_MIN without overflow.
    *out = static_cast<int64_t>(~magnitude + 1);
  } else {
    *out = static_cast<int64_t>(magnitude);
  }
  return true;
}

bool ParseJson(std::string_view input, JsonValue* out) {
  *out = JsonValue();
  Reader reader(input);
  return reader.ReadDocument(out);
}

}  // namespace front
}  // namespace pycloud
