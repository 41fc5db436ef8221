// ParseHttpRequest: a strict, one-pass reader of one HTTP/1.1 request held in a buffer.
//
// The native front answers a few hot requests itself and hands everything else to the Python
// server, which speaks full HTTP. So this reader accepts only the plain shape those hot requests
// take (HTTP/1.1, Content-Length body or none) and says kUnsupported at the first thing outside
// it — chunked bodies, 100-continue, upgrades, folded or repeated headers, odd bytes — rather
// than guessing. It never throws and never copies: every view points into the caller's buffer.
//
// Thread-safety: none needed (a pure function of its input).
#ifndef PYCLOUD_FRONT_HTTP_REQUEST_H_
#define PYCLOUD_FRONT_HTTP_REQUEST_H_

#include <cstddef>
#include <string_view>
#include <vector>

namespace pycloud {
namespace front {

// Limits beyond which a request is left to the Python server.
inline constexpr size_t kMaxHeadBytes = 64 * 1024;          // request line + headers + blank line
inline constexpr size_t kMaxHeaders = 64;
inline constexpr size_t kMaxContentLength = 16 * 1024 * 1024;

struct HttpHeader {
  std::string_view name;   // as sent
  std::string_view value;  // without leading/trailing spaces and tabs
};

struct HttpRequestView {
  std::string_view method;          // e.g. "POST"
  std::string_view target;          // request-target as sent, e.g. "/" or "/a?b=c"
  std::vector<HttpHeader> headers;  // in the order received
  std::string_view body;            // the Content-Length bytes (empty without Content-Length or 0)
  size_t consumed = 0;              // bytes of the input this request occupies (head + body)
  bool keep_alive = true;           // false when a Connection header lists "close"

  // The header named `lower_name` compared case-insensitively, or nullptr. The parser rejects
  // repeated names, so at most one can match.
  const HttpHeader* Find(std::string_view lower_name) const;
};

enum class HttpParse { kComplete, kIncomplete, kUnsupported };

// Reads the request at the start of `data` into *out (views into `data`). kIncomplete: the head
// or body is not all there yet and nothing seen so far is unsupported. Bytes past `consumed`
// (a pipelined next request) are left alone. *out is meaningful only after kComplete.
HttpParse ParseHttpRequest(std::string_view data, HttpRequestView* out);

}  // namespace front
}  // namespace pycloud

#endif  // PYCLOUD_FRONT_HTTP_REQUEST_H_
