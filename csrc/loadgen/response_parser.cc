#include "loadgen/response_parser.h"

#include <strings.h>

#include <algorithm>
#include <cstring>

namespace pycloud {
namespace loadgen {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool NameIs(const char* p, size_t n, const char* name) {
  return std::strlen(name) == n && strncasecmp(p, name, n) == 0;
}

// True when the comma-separated header value holds token (case-insensitive).
bool HasToken(const char* p, size_t n, const char* token) {
  const size_t tn = std::strlen(token);
  size_t i = 0;
  while (i < n) {
    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == ',')) ++i;
    size_t start = i;
    while (i < n && p[i] != ',') ++i;
    size_t end = i;
    while (end > start && (p[end - 1] == ' ' || p[end - 1] == '\t')) --end;
    if (end - start == tn && strncasecmp(p + start, token, tn) == 0) return true;
  }
  return false;
}

}  // namespace

void ResponseParser::Reset(bool head_request) {
  state_ = State::kHead;
  head_request_ = head_request;
  close_ = false;
  chunked_ = false;
  has_length_ = false;
  status_ = 0;
  remaining_ = 0;
  line_.clear();
}

ResponseParser::Result ResponseParser::ParseHead(const char* p, size_t n) {
  // Status line: HTTP/1.x SSS[ reason]
  if (n < 12 || std::memcmp(p, "HTTP/1.", 7) != 0 || !IsDigit(p[7]) || p[8] != ' ' || !IsDigit(p[9]) ||
      !IsDigit(p[10]) || !IsDigit(p[11]) || (n > 12 && p[12] != ' ' && p[12] != '\r')) {
    return Result::kError;
  }
  const bool http10 = p[7] == '0';
  status_ = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
  bool close = false, keep_alive = false;
  chunked_ = false;
  has_length_ = false;
  remaining_ = 0;

  const char* end = p + n;
  const char* line = static_cast<const char*>(std::memchr(p, '\n', n));
  if (line == nullptr) return Result::kError;
  ++line;
  while (line < end) {
    const char* eol = static_cast<const char*>(std::memchr(line, '\n', end - line));
    if (eol == nullptr) return Result::kError;
    const char* stop = eol;
    if (stop > line && stop[-1] == '\r') --stop;
    if (stop == line) break;  // the blank line ending the head
    const char* colon = static_cast<const char*>(std::memchr(line, ':', stop - line));
    if (colon == nullptr) return Result::kError;
    const char* v = colon + 1;
    while (v < stop && (*v == ' ' || *v == '\t')) ++v;
    const char* ve = stop;
    while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t')) --ve;
    const size_t name_len = colon - line;
    // Cheap first-letter filter: most headers are none of the three we read.
    const char c0 = static_cast<char>(*line | 0x20);
    if (c0 == 'c' && NameIs(line, name_len, "content-length")) {
      if (v == ve) return Result::kError;
      uint64_t len = 0;
      for (const char* q = v; q < ve; ++q) {
        if (!IsDigit(*q) || len > (uint64_t{1} << 58)) return Result::kError;
        len = len * 10 + static_cast<uint64_t>(*q - '0');
      }
      if (has_length_ && len != remaining_) return Result::kError;  // conflicting lengths
      has_length_ = true;
      remaining_ = len;
    } else if (c0 == 'c' && NameIs(line, name_len, "connection")) {
      if (HasToken(v, ve - v, "close")) close = true;
      if (HasToken(v, ve - v, "keep-alive")) keep_alive = true;
    } else if (c0 == 't' && NameIs(line, name_len, "transfer-encoding")) {
      if (HasToken(v, ve - v, "chunked")) chunked_ = true;
    }
    line = eol + 1;
  }
  close_ = close || (http10 && !keep_alive);

  if (status_ < 200) {
    if (status_ == 101) return Result::kError;  // a protocol switch: nothing more to parse
    // Interim answer (100 Continue, 103 Early Hints...): the final one follows.
    state_ = State::kHead;
    close_ = false;
    return Result::kNeedMore;
  }
  return StartBody();
}

ResponseParser::Result ResponseParser::StartBody() {
  if (head_request_ || status_ == 204 || status_ == 304) {
    state_ = State::kDone;
    return Result::kComplete;
  }
  if (chunked_) {
    state_ = State::kChunkSize;
    return Result::kNeedMore;
  }
  if (has_length_) {
    if (remaining_ == 0) {
      state_ = State::kDone;
      return Result::kComplete;
    }
    state_ = State::kBody;
    return Result::kNeedMore;
  }
  // No length and not chunked: the body runs until the server closes.
  close_ = true;
  state_ = State::kUntilClose;
  return Result::kNeedMore;
}

bool ResponseParser::TakeLine(const char* data, size_t n, size_t* pos) {
  const char* start = data + *pos;
  const size_t avail = n - *pos;
  const char* nl = static_cast<const char*>(std::memchr(start, '\n', avail));
  if (nl == nullptr) {
    line_.append(start, avail);
    *pos = n;
    return false;
  }
  line_.append(start, nl + 1 - start);
  *pos += nl + 1 - start;
  return true;
}

ResponseParser::Result ResponseParser::OnChunkSizeLine() {
  uint64_t size = 0;
  size_t i = 0;
  for (; i < line_.size(); ++i) {
    int h = HexValue(line_[i]);
    if (h < 0) break;
    if (size > (uint64_t{1} << 56)) return Result::kError;
    size = size * 16 + static_cast<uint64_t>(h);
  }
  // At least one digit, then an extension (';'), optional whitespace or the line end.
  if (i == 0 || (line_[i] != ';' && line_[i] != '\r' && line_[i] != '\n' && line_[i] != ' ' && line_[i] != '\t')) {
    return Result::kError;
  }
  line_.clear();
  if (size == 0) {
    state_ = State::kTrailers;
  } else {
    remaining_ = size;
    state_ = State::kChunkData;
  }
  return Result::kNeedMore;
}

ResponseParser::Result ResponseParser::Feed(const char* data, size_t n, size_t* used) {
  size_t pos = 0;
  Result r = Result::kNeedMore;
  while (pos < n && r == Result::kNeedMore) {
    switch (state_) {
      case State::kHead: {
        if (line_.empty()) {
          // Fast path: the whole head is in this buffer, parse it in place.
          const void* hit = memmem(data + pos, n - pos, "\r\n\r\n", 4);
          if (hit != nullptr) {
            const size_t head_end = static_cast<const char*>(hit) + 4 - data;
            r = ParseHead(data + pos, head_end - pos);
            pos = head_end;
            break;
          }
          line_.assign(data + pos, n - pos);
          pos = n;
        } else {
          // The head straddles reads: search the carried bytes plus the new ones.
          const size_t old = line_.size();
          const size_t take = std::min(n - pos, kMaxHeadBytes + 4 - std::min(old, kMaxHeadBytes));
          line_.append(data + pos, take);
          const size_t from = old >= 3 ? old - 3 : 0;
          const void* hit = memmem(line_.data() + from, line_.size() - from, "\r\n\r\n", 4);
          if (hit != nullptr) {
            const size_t head_end = static_cast<const char*>(hit) + 4 - line_.data();
            pos += head_end - old;
            line_.resize(head_end);
            r = ParseHead(line_.data(), line_.size());
            line_.clear();
            break;
          }
          pos += take;
        }
        if (line_.size() > kMaxHeadBytes) r = Result::kError;
        break;
      }
      case State::kBody: {
        const uint64_t take = std::min<uint64_t>(remaining_, n - pos);
        pos += take;
        remaining_ -= take;
        if (remaining_ == 0) {
          state_ = State::kDone;
          r = Result::kComplete;
        }
        break;
      }
      case State::kChunkSize:
        if (TakeLine(data, n, &pos)) {
          r = OnChunkSizeLine();
        } else if (line_.size() > 1024) {
          r = Result::kError;
        }
        break;
      case State::kChunkData: {
        const uint64_t take = std::min<uint64_t>(remaining_, n - pos);
        pos += take;
        remaining_ -= take;
        if (remaining_ == 0) state_ = State::kChunkEnd;
        break;
      }
      case State::kChunkEnd:
        // The CRLF after a chunk's data.
        if (TakeLine(data, n, &pos)) {
          if (line_ != "\r\n" && line_ != "\n") {
            r = Result::kError;
          } else {
            line_.clear();
            state_ = State::kChunkSize;
          }
        } else if (line_.size() > 2) {
          r = Result::kError;
        }
        break;
      case State::kTrailers:
        if (TakeLine(data, n, &pos)) {
          if (line_ == "\r\n" || line_ == "\n") {
            line_.clear();
            state_ = State::kDone;
            r = Result::kComplete;
          } else {
            line_.clear();  // a trailer field: not needed
          }
        } else if (line_.size() > kMaxHeadBytes) {
          r = Result::kError;
        }
        break;
      case State::kUntilClose:
        pos = n;
        break;
      case State::kDone:
        *used = pos;
        return Result::kComplete;
      case State::kError:
        *used = pos;
        return Result::kError;
    }
  }
  if (r == Result::kError) state_ = State::kError;
  *used = pos;
  return r;
}

}  // namespace loadgen
}  // namespace pycloud
