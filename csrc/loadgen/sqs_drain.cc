#include "loadgen/sqs_drain.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstring>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "common/hex_digest.h"
#include "common/sha256.h"
#include "common/sigv4.h"
#include "front/json_reader.h"
#include "front/json_writer.h"

namespace pycloud {
namespace loadgen {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::string_view kSignedHeaders = "content-type;host;x-amz-date;x-amz-target";
constexpr std::string_view kContentType = "application/x-amz-json-1.0";
constexpr size_t kMaxHeadBytes = 64 * 1024;
constexpr size_t kMaxBodyBytes = 64 * 1024 * 1024;  // a receive of 10 x 256 KiB is far below
constexpr size_t kReadChunk = 64 * 1024;

class UniqueFd {
 public:
  UniqueFd() = default;
  ~UniqueFd() { reset(); }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

// A header token that may not hold separators or whitespace (it is pasted into headers/scope).
bool IsHeaderToken(std::string_view s) {
  if (s.empty()) return false;
  for (const char ch : s) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7f || ch == '/' || ch == ',' || ch == '=') return false;
  }
  return true;
}

bool ParseIpv4(const std::string& host, int port, sockaddr_in* addr) {
  const std::string h = host == "localhost" ? "127.0.0.1" : host;
  std::memset(addr, 0, sizeof(*addr));
  if (inet_pton(AF_INET, h.c_str(), &addr->sin_addr) != 1) return false;
  addr->sin_family = AF_INET;
  addr->sin_port = htons(static_cast<uint16_t>(port));
  return true;
}

// SigV4 for one thread: the signing key is derived once per UTC date (it changes at midnight).
class Signer {
 public:
  Signer(const SqsDrainConfig& c, std::string host_header)
      : access_key_(c.access_key), secret_(c.secret_key), region_(c.region), host_(std::move(host_header)) {}

  // The complete HTTP request for AmazonSQS.<operation> with `body`, signed at the current time.
  std::string Build(std::string_view operation, std::string_view body) {
    char amz_date[17];
    const time_t now = time(nullptr);
    tm utc;
    gmtime_r(&now, &utc);
    strftime(amz_date, sizeof(amz_date), "%Y%m%dT%H%M%SZ", &utc);
    const std::string_view date(amz_date, 8);
    if (date != key_date_) Derive(date);
    const std::string target = "AmazonSQS." + std::string(operation);
    const std::string payload_hash = HexDigest<Sha256>(body);

    Sigv4Request r;
    r.method = "POST";
    r.canonical_uri = "/";
    r.canonical_query = "";
    r.signed_names = {"content-type", "host", "x-amz-date", "x-amz-target"};
    r.header_values = {kContentType, host_, std::string_view(amz_date, 16), target};
    r.signed_headers = kSignedHeaders;
    r.payload_hash = payload_hash;
    std::string signature;
    Sigv4Signature(key_, std::string_view(amz_date, 16), scope_, r, &signature);  // values are plain ASCII

    std::string req;
    req.reserve(512 + body.size());
    req.append("POST / HTTP/1.1\r\nHost: ").append(host_);
    req.append("\r\nContent-Type: ").append(kContentType);
    req.append("\r\nX-Amz-Target: ").append(target);
    req.append("\r\nX-Amz-Date: ").append(amz_date, 16);
    req.append("\r\nContent-Length: ").append(std::to_string(body.size()));
    req.append("\r\nAuthorization: AWS4-HMAC-SHA256 Credential=").append(access_key_).push_back('/');
    req.append(scope_).append(", SignedHeaders=").append(kSignedHeaders);
    req.append(", Signature=").append(signature).append("\r\n\r\n");
    req.append(body);
    return req;
  }

 private:
  void Derive(std::string_view date) {
    key_date_.assign(date);
    scope_ = key_date_ + "/" + region_ + "/sqs/aws4_request";
    uint8_t k[32];
    HmacSha256("AWS4" + secret_, date, k);
    for (const std::string_view part : {std::string_view(region_), std::string_view("sqs"),
                                        std::string_view("aws4_request")}) {
      HmacSha256(std::string_view(reinterpret_cast<const char*>(k), sizeof(k)), part, k);
    }
    key_.assign(reinterpret_cast<const char*>(k), sizeof(k));
  }

  std::string access_key_, secret_, region_, host_;
  std::string key_date_, scope_, key_;
};

struct Response {
  int status = 0;
  std::string body;
};

// One blocking keep-alive connection; reconnects lazily after any failure.
class Connection {
 public:
  Connection(const sockaddr_in& addr, double timeout_s) : addr_(addr), timeout_s_(timeout_s) {}

  // Sends `request` and reads its answer (Content-Length framing). False on a transport or framing
  // error, after which the socket is closed.
  bool RoundTrip(const std::string& request, Response* out) {
    if (!fd_.valid() && !Connect()) return false;
    if (!SendAll(request) || !ReadResponse(out)) {
      Close();
      return false;
    }
    return true;
  }

 private:
  bool Connect() {
    in_.clear();
    fd_.reset(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd_.valid()) return false;
    int one = 1;
    setsockopt(fd_.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    timeval tv;
    tv.tv_sec = static_cast<time_t>(timeout_s_);
    tv.tv_usec = static_cast<suseconds_t>((timeout_s_ - static_cast<double>(tv.tv_sec)) * 1e6);
    setsockopt(fd_.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd_.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    while (connect(fd_.get(), reinterpret_cast<const sockaddr*>(&addr_), sizeof(addr_)) != 0) {
      if (errno != EINTR) {
        Close();
        return false;
      }
    }
    return true;
  }

  void Close() {
    fd_.reset();
    in_.clear();
  }

  bool SendAll(const std::string& data) {
    size_t sent = 0;
    while (sent < data.size()) {
      const ssize_t n = send(fd_.get(), data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n > 0) {
        sent += static_cast<size_t>(n);
      } else if (!(n < 0 && errno == EINTR)) {
        return false;
      }
    }
    return true;
  }

  // Appends what the socket has to in_; false at end of stream, timeout or error.
  bool Fill() {
    char buf[kReadChunk];
    for (;;) {
      const ssize_t n = recv(fd_.get(), buf, sizeof(buf), 0);
      if (n > 0) {
        in_.append(buf, static_cast<size_t>(n));
        return true;
      }
      if (!(n < 0 && errno == EINTR)) return false;
    }
  }

  bool ReadResponse(Response* out) {
    for (;;) {  // interim 1xx answers are skipped
      size_t head_end;
      while ((head_end = in_.find("\r\n\r\n")) == std::string::npos) {
        if (in_.size() > kMaxHeadBytes || !Fill()) return false;
      }
      const std::string_view head(in_.data(), head_end);
      int status = 0;
      size_t length = 0;
      bool has_length = false;
      bool close = false;
      if (!ParseHead(head, &status, &length, &has_length, &close)) return false;
      const size_t body_start = head_end + 4;
      if (status >= 100 && status < 200) {
        in_.erase(0, body_start);
        continue;
      }
      if (!has_length || length > kMaxBodyBytes) return false;  // the server always frames by length
      while (in_.size() < body_start + length) {
        if (!Fill()) return false;
      }
      out->status = status;
      out->body.assign(in_, body_start, length);
      // Requests are not pipelined, so extra bytes cannot belong to anything: start afresh.
      if (close || in_.size() != body_start + length) {
        Close();
      } else {
        in_.clear();
      }
      return true;
    }
  }

  static bool ParseHead(std::string_view head, int* status, size_t* length, bool* has_length, bool* close) {
    const size_t line_end = std::min(head.find("\r\n"), head.size());
    const std::string_view line = head.substr(0, line_end);
    // "HTTP/1.x DDD reason"
    if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || line[8] != ' ') return false;
    *status = 0;
    for (size_t i = 9; i < 12; ++i) {
      if (line[i] < '0' || line[i] > '9') return false;
      *status = *status * 10 + (line[i] - '0');
    }
    *close = line[7] == '0';  // HTTP/1.0 closes unless told otherwise; our server speaks 1.1
    size_t pos = line_end;
    while (pos < head.size()) {
      pos += 2;
      const size_t end = std::min(head.find("\r\n", pos), head.size());
      const std::string_view h = head.substr(pos, end - pos);
      pos = end;
      const size_t colon = h.find(':');
      if (colon == std::string_view::npos) continue;
      std::string name(h.substr(0, colon));
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
      std::string_view value = h.substr(colon + 1);
      while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
      while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
      if (name == "content-length") {
        if (value.empty() || value.size() > 18) return false;
        size_t n = 0;
        for (const char c : value) {
          if (c < '0' || c > '9') return false;
          n = n * 10 + static_cast<size_t>(c - '0');
        }
        *length = n;
        *has_length = true;
      } else if (name == "connection") {
        std::string v(value);
        std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::tolower(c); });
        if (v == "close") *close = true;
        if (v == "keep-alive") *close = false;
      } else if (name == "transfer-encoding") {
        return false;  // never sent by the server: refuse rather than mis-frame
      }
    }
    return true;
  }

  sockaddr_in addr_;
  double timeout_s_;
  UniqueFd fd_;
  std::string in_;  // bytes received and not yet consumed
};

// The receipt handles of a ReceiveMessage answer ({"Messages":[{"ReceiptHandle":...}]}); false
// when the body is not such an answer. An answer without Messages (or with none) yields nothing.
bool ReceiptHandles(const std::string& body, std::vector<std::string>* handles) {
  handles->clear();
  front::JsonValue root;
  if (!front::ParseJson(body, &root) || root.type != front::JsonType::kObject) return false;
  const front::JsonValue* messages = root.Find("Messages");
  if (messages == nullptr) return true;
  if (messages->type != front::JsonType::kArray) return false;
  for (const front::JsonValue& m : messages->items) {
    const front::JsonValue* handle = m.Find("ReceiptHandle");
    if (handle == nullptr || handle->type != front::JsonType::kString) return false;
    handles->push_back(handle->text);
  }
  return true;
}

// How many entries of a DeleteMessageBatch answer's "Successful" list carry an Id; -1 when the
// body is not such an answer.
int64_t SuccessfulCount(const std::string& body) {
  front::JsonValue root;
  if (!front::ParseJson(body, &root) || root.type != front::JsonType::kObject) return -1;
  const front::JsonValue* ok = root.Find("Successful");
  if (ok == nullptr) return 0;
  if (ok->type != front::JsonType::kArray) return -1;
  int64_t n = 0;
  for (const front::JsonValue& entry : ok->items) {
    const front::JsonValue* id = entry.Find("Id");
    if (id != nullptr && id->type == front::JsonType::kString) ++n;
  }
  return n;
}

struct Tally {
  uint64_t messages = 0;
  uint64_t requests = 0;
  uint64_t errors = 0;
  Clock::time_point last_delete{};  // default: no delete answered
  bool drained = false;
};

// One thread's loop: receive, delete what came, until the deadline, an empty queue or too many
// failures in a row.
void Drain(const SqsDrainConfig& c, const sockaddr_in& addr, Clock::time_point deadline, bool bounded,
           Tally* t) {
  Signer signer(c, c.host + ":" + std::to_string(c.port));  // as sent in Host, so as signed
  Connection conn(addr, c.timeout_s);
  std::string receive_body = "{\"QueueUrl\":";
  front::AppendJsonString(c.queue_url, &receive_body);
  receive_body.append(",\"MaxNumberOfMessages\":").append(std::to_string(c.max_messages)).push_back('}');
  std::string delete_prefix = "{\"QueueUrl\":";
  front::AppendJsonString(c.queue_url, &delete_prefix);
  delete_prefix.append(",\"Entries\":[");

  Response resp;
  std::vector<std::string> handles;
  std::string delete_body;
  int failures = 0;  // in a row
  // Counts one failed step; true when the connection should give up.
  auto fail = [&] {
    ++t->errors;
    return ++failures >= kMaxConsecutiveErrors;
  };

  while (!bounded || Clock::now() < deadline) {
    if (!conn.RoundTrip(signer.Build("ReceiveMessage", receive_body), &resp)) {
      if (fail()) return;
      continue;
    }
    ++t->requests;
    if (resp.status != 200 || !ReceiptHandles(resp.body, &handles)) {
      if (fail()) return;
      continue;
    }
    if (handles.empty()) {
      t->drained = true;  // the rate is measured up to the last delete
      return;
    }
    delete_body = delete_prefix;
    for (size_t i = 0; i < handles.size(); ++i) {
      if (i != 0) delete_body.push_back(',');
      delete_body.append("{\"Id\":\"").append(std::to_string(i)).append("\",\"ReceiptHandle\":");
      front::AppendJsonString(handles[i], &delete_body);
      delete_body.push_back('}');
    }
    delete_body.append("]}");
    if (!conn.RoundTrip(signer.Build("DeleteMessageBatch", delete_body), &resp)) {
      if (fail()) return;
      continue;
    }
    ++t->requests;
    const int64_t deleted = resp.status == 200 ? SuccessfulCount(resp.body) : -1;
    if (deleted < 0) {
      if (fail()) return;
      continue;
    }
    t->messages += static_cast<uint64_t>(deleted);
    t->last_delete = Clock::now();
    failures = 0;
  }
}

Status Validate(const SqsDrainConfig& c, sockaddr_in* addr) {
  if (c.port < 1 || c.port > 65535) return Status::InvalidArgument("port must be between 1 and 65535");
  if (!ParseIpv4(c.host, c.port, addr)) return Status::InvalidArgument("host must be an IPv4 literal or \"localhost\"");
  if (c.queue_url.empty()) return Status::InvalidArgument("queue_url must not be empty");
  if (!IsHeaderToken(c.access_key)) return Status::InvalidArgument("access_key must be a non-empty token");
  if (!IsHeaderToken(c.region)) return Status::InvalidArgument("region must be a non-empty token");
  if (c.connections < 1 || c.connections > 1024) return Status::InvalidArgument("connections must be 1-1024");
  if (!std::isfinite(c.duration_s) || c.duration_s < 0) return Status::InvalidArgument("duration_s must be >= 0");
  if (c.max_messages < 1 || c.max_messages > 10) return Status::InvalidArgument("max_messages must be 1-10");
  if (!std::isfinite(c.timeout_s) || c.timeout_s <= 0 || c.timeout_s > 3600) {
    return Status::InvalidArgument("timeout_s must be in (0, 3600]");
  }
  return Status::OK();
}

}  // namespace

Status RunSqsDrain(const SqsDrainConfig& config, SqsDrainResult* out) {
  sockaddr_in addr;
  Status s = Validate(config, &addr);
  if (!s.ok()) return s;

  const bool bounded = config.duration_s > 0;
  const Clock::time_point start = Clock::now();
  const Clock::time_point deadline =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(config.duration_s));
  std::vector<Tally> tallies(static_cast<size_t>(config.connections));
  std::vector<std::thread> threads;
  threads.reserve(tallies.size());
  for (Tally& t : tallies) {
    try {
      threads.emplace_back(Drain, std::cref(config), std::cref(addr), deadline, bounded, &t);
    } catch (const std::system_error&) {
      break;  // out of threads: run with those that did start
    }
  }
  for (std::thread& th : threads) th.join();
  const Clock::time_point end = Clock::now();
  if (threads.empty()) return Status::IOError("could not start any thread");

  *out = SqsDrainResult();
  Clock::time_point last{};
  for (const Tally& t : tallies) {
    out->messages += t.messages;
    out->requests += t.requests;
    out->errors += t.errors;
    out->drained = out->drained || t.drained;
    last = std::max(last, t.last_delete);
  }
  const Clock::time_point stop = last == Clock::time_point{} ? end : last;
  out->elapsed_s = std::chrono::duration<double>(stop - start).count();
  return Status::OK();
}

}  // namespace loadgen
}  // namespace pycloud
