#include "front/http_request.h"

#include <algorithm>
#include <array>
#include <cstdint>

namespace pycloud {
namespace front {
namespace {

// RFC 9110 tchar: the bytes allowed in a header name.
constexpr std::array<bool, 256> MakeTcharTable() {
  std::array<bool, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
  for (char c : {'!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~'}) {
    t[static_cast<unsigned char>(c)] = true;
  }
  return t;
}
constexpr std::array<bool, 256> kTchar = MakeTcharTable();

bool IsTchar(char c) { return kTchar[static_cast<unsigned char>(c)]; }
bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool IsBlank(char c) { return c == ' ' || c == '\t'; }

// Target bytes: visible ASCII only. Raw bytes >= 0x80 are not valid in a request-target either,
// and whoever sends them is better served by the Python server.
bool IsTargetByte(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u > 0x20 && u < 0x7f;
}

// Header value bytes other than CR that end the parse: controls except tab, and DEL. obs-text
// (>= 0x80) is allowed as RFC 9110 allows it.
bool IsBadValueByte(char c) {
  const auto u = static_cast<unsigned char>(c);
  return (u < 0x20 && c != '\t') || u == 0x7f;
}

char Lower(char c) { return IsUpper(c) ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

// True when the comma-separated list `value` holds `token` (compared case-insensitively).
bool HasToken(std::string_view value, std::string_view token) {
  size_t i = 0;
  while (i < value.size()) {
    while (i < value.size() && (IsBlank(value[i]) || value[i] == ',')) ++i;
    const size_t start = i;
    while (i < value.size() && value[i] != ',') ++i;
    size_t end = i;
    while (end > start && IsBlank(value[end - 1])) --end;
    if (EqualsIgnoreCase(value.substr(start, end - start), token)) return true;
  }
  return false;
}

// Plain decimal digits up to kMaxContentLength; anything else (sign, blank, empty) is refused.
bool ParseContentLength(std::string_view value, size_t* out) {
  if (value.empty()) return false;
  uint64_t v = 0;
  for (char c : value) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
    if (v > kMaxContentLength) return false;  // also keeps v far from overflow
  }
  *out = static_cast<size_t>(v);
  return true;
}

// What a header means for framing. False: the request is one to leave to the Python server.
bool ApplyHeader(const HttpHeader& h, HttpRequestView* out, size_t* length) {
  const std::string_view n = h.name;
  // Chunked bodies, 100-continue and protocol switches all need more than this front does.
  if (EqualsIgnoreCase(n, "transfer-encoding") || EqualsIgnoreCase(n, "expect") ||
      EqualsIgnoreCase(n, "upgrade")) {
    return false;
  }
  if (EqualsIgnoreCase(n, "content-length")) return ParseContentLength(h.value, length);
  if (EqualsIgnoreCase(n, "connection") && HasToken(h.value, "close")) out->keep_alive = false;
  return true;
}

}  // namespace

const HttpHeader* HttpRequestView::Find(std::string_view lower_name) const {
  for (const HttpHeader& h : headers) {
    if (EqualsIgnoreCase(h.name, lower_name)) return &h;
  }
  return nullptr;
}

HttpParse ParseHttpRequest(std::string_view data, HttpRequestView* out) {
  out->method = {};
  out->target = {};
  out->headers.clear();
  out->headers.reserve(16);
  out->body = {};
  out->consumed = 0;
  out->keep_alive = true;

  const char* p = data.data();
  const size_t n = data.size();
  // The head must end within kMaxHeadBytes: running out of bytes before `limit` means "wait for
  // more", reaching `limit` with more data behind it means the head is too large.
  const size_t limit = std::min(n, kMaxHeadBytes);
  const HttpParse starved = limit < n ? HttpParse::kUnsupported : HttpParse::kIncomplete;
  size_t i = 0;

  // Request line: METHOD SP target SP HTTP/1.1 CRLF.
  while (i < limit && IsUpper(p[i])) ++i;
  if (i == limit) return starved;
  if (i == 0 || p[i] != ' ') return HttpParse::kUnsupported;
  out->method = std::string_view(p, i);
  ++i;

  const size_t target_start = i;
  if (i == limit) return starved;
  if (p[i] != '/') return HttpParse::kUnsupported;
  while (i < limit && IsTargetByte(p[i])) ++i;
  if (i == limit) return starved;
  if (p[i] != ' ') return HttpParse::kUnsupported;
  out->target = std::string_view(p + target_start, i - target_start);
  ++i;

  // Compared byte by byte so that a prefix of it still counts as incomplete.
  static constexpr std::string_view kVersion = "HTTP/1.1\r\n";
  for (char expected : kVersion) {
    if (i == limit) return starved;
    if (p[i] != expected) return HttpParse::kUnsupported;
    ++i;
  }

  size_t length = 0;  // Content-Length, 0 when absent
  for (;;) {
    if (i == limit) return starved;
    if (p[i] == '\r') {  // the blank line ending the head
      ++i;
      if (i == limit) return starved;
      if (p[i] != '\n') return HttpParse::kUnsupported;
      ++i;
      break;
    }
    // A line starting with a blank is obs-fold (or junk); either way, not ours.
    const size_t name_start = i;
    while (i < limit && IsTchar(p[i])) ++i;
    if (i == limit) return starved;
    if (i == name_start || p[i] != ':') return HttpParse::kUnsupported;
    const std::string_view name(p + name_start, i - name_start);
    ++i;

    while (i < limit && IsBlank(p[i])) ++i;
    const size_t value_start = i;
    size_t value_end = i;  // one past the last non-blank byte
    while (i < limit && p[i] != '\r') {
      if (IsBadValueByte(p[i])) return HttpParse::kUnsupported;  // NUL, bare LF, other controls
      if (!IsBlank(p[i])) value_end = i + 1;
      ++i;
    }
    if (i == limit) return starved;
    ++i;  // CR
    if (i == limit) return starved;
    if (p[i] != '\n') return HttpParse::kUnsupported;
    ++i;

    if (out->headers.size() == kMaxHeaders) return HttpParse::kUnsupported;
    // Repeats are refused so that Find is unambiguous (and smuggling by duplicates impossible).
    if (out->Find(name) != nullptr) return HttpParse::kUnsupported;
    out->headers.push_back(HttpHeader{name, std::string_view(p + value_start, value_end - value_start)});
    if (!ApplyHeader(out->headers.back(), out, &length)) return HttpParse::kUnsupported;
  }

  const size_t head = i;
  if (n - head < length) return HttpParse::kIncomplete;
  out->body = std::string_view(p + head, length);
  out->consumed = head + length;
  return HttpParse::kComplete;
}

}  // namespace front
}  // namespace pycloud
