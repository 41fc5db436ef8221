// ResponseParser: an incremental HTTP/1.1 response parser for the load generator.
//
// It only extracts what a benchmark needs — the status, where the response ends (Content-Length,
// chunked, no body for HEAD/204/304, or read-until-close) and whether the connection must be
// closed — and never copies body bytes. Interim 1xx responses are skipped. Bytes are fed as they
// arrive, split anywhere; a partial status line, header block or chunk-size line is buffered.
//
// Thread-safety: none (one parser per connection, used by its worker thread).
#ifndef PYCLOUD_LOADGEN_RESPONSE_PARSER_H_
#define PYCLOUD_LOADGEN_RESPONSE_PARSER_H_

#include <cstddef>
#include <cstdint>
#include <string>

namespace pycloud {
namespace loadgen {

class ResponseParser {
 public:
  enum class Result { kNeedMore, kComplete, kError };

  // A header block larger than this is treated as a parse error (a runaway or non-HTTP peer).
  static constexpr size_t kMaxHeadBytes = 64 * 1024;

  // Prepares for the response to a new request; HEAD responses carry no body.
  void Reset(bool head_request);

  // Consumes bytes of data[0, n) and sets *used to how many; stops right after a complete final
  // response (kComplete), so bytes past it are left unconsumed. kError is final until Reset.
  Result Feed(const char* data, size_t n, size_t* used);

  // The peer closed the connection: true when that ends the response (a body delimited by the
  // close, already started); false when the response is truncated.
  bool CompleteAtEof() const { return state_ == State::kUntilClose; }

  int status() const { return status_; }
  // The connection must not be reused after this response (Connection: close, HTTP/1.0 without
  // keep-alive, or a body delimited by the close).
  bool must_close() const { return close_; }

 private:
  enum class State { kHead, kBody, kChunkSize, kChunkData, kChunkEnd, kTrailers, kUntilClose, kDone, kError };

  // Parses a complete header block [p, p+n) ending with its blank line.
  Result ParseHead(const char* p, size_t n);
  // Finishes the header block of a final response: decides how the body is delimited.
  Result StartBody();
  // Appends to line_ up to and including '\n'; true when the line is complete.
  bool TakeLine(const char* data, size_t n, size_t* pos);
  Result OnChunkSizeLine();

  State state_ = State::kHead;
  bool head_request_ = false;
  bool close_ = false;
  bool chunked_ = false;
  bool has_length_ = false;
  int status_ = 0;
  uint64_t remaining_ = 0;  // body or chunk bytes still to skip
  std::string line_;        // partial head or line carried over between Feed calls
};

}  // namespace loadgen
}  // namespace pycloud

#endif  // PYCLOUD_LOADGEN_RESPONSE_PARSER_H_
