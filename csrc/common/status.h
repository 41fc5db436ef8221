// Status: the result of an operation that can fail, used instead of exceptions.
//
// A Status is a small value type: OK carries no allocation, an error carries a code and a message.
// The core never throws; the pybind11 layer maps codes onto Python exceptions. Thread-safety: a
// Status is an immutable value once built, so it may be shared read-only between threads.
#ifndef PYCLOUD_COMMON_STATUS_H_
#define PYCLOUD_COMMON_STATUS_H_

#include <string>
#include <string_view>
#include <utility>

namespace pycloud {

class Status {
 public:
  // Codes are deliberately few and transport-neutral; callers map them to AWS errors.
  enum class Code : unsigned char {
    kOk = 0,
    kNotFound,
    kCorruption,
    kNotSupported,
    kInvalidArgument,
    kIOError,
    kAlreadyExists,
    kResourceExhausted,
  };

  Status() noexcept = default;

  static Status OK() { return Status(); }
  static Status NotFound(std::string_view msg) { return Status(Code::kNotFound, msg); }
  static Status Corruption(std::string_view msg) { return Status(Code::kCorruption, msg); }
  static Status NotSupported(std::string_view msg) { return Status(Code::kNotSupported, msg); }
  static Status InvalidArgument(std::string_view msg) { return Status(Code::kInvalidArgument, msg); }
  static Status IOError(std::string_view msg) { return Status(Code::kIOError, msg); }
  static Status AlreadyExists(std::string_view msg) { return Status(Code::kAlreadyExists, msg); }
  static Status ResourceExhausted(std::string_view msg) { return Status(Code::kResourceExhausted, msg); }

  bool ok() const { return code_ == Code::kOk; }
  bool IsNotFound() const { return code_ == Code::kNotFound; }
  bool IsCorruption() const { return code_ == Code::kCorruption; }
  bool IsNotSupported() const { return code_ == Code::kNotSupported; }
  bool IsInvalidArgument() const { return code_ == Code::kInvalidArgument; }
  bool IsIOError() const { return code_ == Code::kIOError; }
  bool IsAlreadyExists() const { return code_ == Code::kAlreadyExists; }
  bool IsResourceExhausted() const { return code_ == Code::kResourceExhausted; }

  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  // "OK" or "<CodeName>: <message>", for logs and test failures.
  std::string ToString() const {
    if (ok()) return "OK";
    std::string out(CodeName(code_));
    if (!message_.empty()) {
      out += ": ";
      out += message_;
    }
    return out;
  }

  static const char* CodeName(Code code) {
    switch (code) {
      case Code::kOk: return "OK";
      case Code::kNotFound: return "NotFound";
      case Code::kCorruption: return "Corruption";
      case Code::kNotSupported: return "NotSupported";
      case Code::kInvalidArgument: return "InvalidArgument";
      case Code::kIOError: return "IOError";
      case Code::kAlreadyExists: return "AlreadyExists";
      case Code::kResourceExhausted: return "ResourceExhausted";
    }
    return "Unknown";
  }

 private:
  Status(Code code, std::string_view msg) : code_(code), message_(msg) {}

  Code code_ = Code::kOk;
  std::string message_;
};

}  // namespace pycloud

#endif  // PYCLOUD_COMMON_STATUS_H_
