#include "loadgen/loadgen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <system_error>

#include "loadgen/response_parser.h"

namespace pycloud {
namespace loadgen {
namespace {

constexpr int64_t kNsPerS = 1000000000;
constexpr uint64_t kWakeTag = ~uint64_t{0};
constexpr uint64_t kTimerTag = ~uint64_t{0} - 1;
// Longest epoll sleep: bounds how late a Stop is noticed should the wake eventfd be missing.
constexpr int kMaxSleepMs = 100;
constexpr size_t kReadBuffer = 256 * 1024;
constexpr int kMaxEvents = 512;

int64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);  // the clock timerfd uses for pacing
  return static_cast<int64_t>(ts.tv_sec) * kNsPerS + ts.tv_nsec;
}

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);  // closing also drops the fd from any epoll set
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

struct Request {
  std::string bytes;
  bool head = false;  // HEAD: the answer carries no body whatever its headers say
};

bool ParseHost(const std::string& host, int port, sockaddr_storage* addr, socklen_t* len) {
  std::string h = host;
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  if (h == "localhost") h = "127.0.0.1";
  std::memset(addr, 0, sizeof(*addr));
  auto* v4 = reinterpret_cast<sockaddr_in*>(addr);
  if (inet_pton(AF_INET, h.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    *len = sizeof(sockaddr_in);
    return true;
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(addr);
  if (inet_pton(AF_INET6, h.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    *len = sizeof(sockaddr_in6);
    return true;
  }
  return false;
}

bool FiniteIn(double v, double lo, double hi) { return std::isfinite(v) && v >= lo && v <= hi; }

}  // namespace

const char* ErrorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kConnect: return "connect";
    case ErrorKind::kReset: return "reset";
    case ErrorKind::kTimeout: return "timeout";
    case ErrorKind::kParse: return "parse";
  }
  return "unknown";
}

// State every worker reads; only the atomics change during a run.
struct Shared {
  Config config;
  std::vector<Request> requests;
  sockaddr_storage addr{};
  socklen_t addr_len = 0;
  int64_t timeout_ns = 0;
  int64_t window_ns = 0;
  int64_t check_ns = 0;  // how often in-flight requests are checked against the timeout
  uint64_t max_requests = 0;
  bool open_loop = false;
  double ns_per_request = 0;  // open loop: spacing of intended send times
  int64_t start_ns = 0;
  int64_t deadline_ns = 0;  // 0: no time bound
  // Closed loop: index of the next request to send. Open loop: the next intended slot k.
  alignas(64) std::atomic<uint64_t> cursor{0};
  alignas(64) std::atomic<bool> stop{false};
  // Written once by Stop and never read: level-triggered, it wakes every worker's epoll for good.
  UniqueFd wake;
};

// One worker thread: its connections, its epoll loop and its own statistics.
class Worker {
 public:
  Worker(Shared* shared, int connections) : s_(shared), conns_(static_cast<size_t>(connections)) {}

  void Run();

  // Published for progress(): written by the worker only, read by anyone.
  alignas(64) std::atomic<uint64_t> completed_pub{0};
  std::atomic<uint64_t> errors_pub{0};

  // Read after the thread has been joined.
  Histogram hist;
  std::array<uint64_t, 1000> status{};  // a status is three digits
  std::array<uint64_t, kErrorKinds> error_counts{};
  uint64_t completed = 0;
  uint64_t errors = 0;
  uint64_t bytes_sent = 0;
  uint64_t bytes_received = 0;
  int64_t first_send_ns = 0;  // 0: nothing sent
  int64_t end_ns = 0;
  std::vector<std::pair<uint64_t, uint64_t>> timeline;

 private:
  enum class State : uint8_t { kClosed, kConnecting, kIdle, kBusy, kDone, kDead };

  struct Conn {
    UniqueFd fd;
    State state = State::kClosed;
    bool out_armed = false;  // EPOLLOUT registered (connecting, or a request only partly written)
    bool answered = false;   // an answer arrived since this socket connected
    bool queued = false;     // in free_ (open loop)
    const Request* req = nullptr;
    size_t sent = 0;
    int64_t origin_ns = 0;  // latency origin: send start (closed loop) or intended time (open loop)
    int64_t since_ns = 0;   // timeout origin: send start, or connect start while connecting
    int64_t connected_ns = 0;
    ResponseParser parser;
  };

  size_t IndexOf(const Conn& c) const { return static_cast<size_t>(&c - conns_.data()); }
  // Past the deadline nothing more is counted: the loop ends at its next turn, and an answer that
  // arrives in the same epoll batch belongs to the abandoned tail.
  bool Expired(int64_t now) const { return s_->deadline_ns != 0 && now >= s_->deadline_ns; }
  bool Register(Conn& c, int op, uint32_t events);
  void Connect(Conn& c, int64_t now);
  void OnConnected(Conn& c, int64_t now);
  void ConnectFailed(Conn& c, int64_t now);
  void Reopen(Conn& c, int64_t now);
  void Retire(Conn& c);
  void MakeIdle(Conn& c, int64_t now);
  void Send(Conn& c, uint64_t index, int64_t origin, int64_t now);
  bool Write(Conn& c);
  void Read(Conn& c);
  void Complete(Conn& c, int64_t now, bool must_close);
  void Fail(Conn& c, ErrorKind kind, int64_t now);
  void CountError(ErrorKind kind, int64_t now);
  void HandleEvent(Conn& c, uint32_t events);
  void CheckTimeouts(int64_t now);
  void Dispatch(int64_t now);
  void ArmTimer(int64_t at);
  void AddToTimeline(int64_t now, uint64_t completed, uint64_t errors);

  Shared* s_;
  std::vector<Conn> conns_;  // never resized after construction: epoll data holds indices
  UniqueFd ep_;
  UniqueFd timer_;
  std::vector<char> buf_;
  std::vector<uint32_t> free_;  // open loop: idle connections (entries may be stale)
  int busy_ = 0;
  int live_ = 0;  // connections neither dead nor retired
  bool exhausted_ = false;  // max_requests reached: no more requests to claim
  int64_t timer_at_ = -1;   // when the pacing timerfd is armed for
  int64_t pace_at_ = -1;    // pacing by epoll timeout when there is no timerfd
  int64_t last_event_ns_ = 0;
};

bool Worker::Register(Conn& c, int op, uint32_t events) {
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = IndexOf(c);
  return epoll_ctl(ep_.get(), op, c.fd.get(), &ev) == 0;
}

void Worker::Connect(Conn& c, int64_t now) {
  c.fd.reset(socket(s_->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  c.answered = false;
  c.since_ns = now;
  if (!c.fd.valid()) return ConnectFailed(c, now);
  int one = 1;
  setsockopt(c.fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (connect(c.fd.get(), reinterpret_cast<const sockaddr*>(&s_->addr), s_->addr_len) != 0 && errno != EINPROGRESS) {
    return ConnectFailed(c, now);
  }
  // Even an immediate connect is completed from the loop (the socket is writable at once): sending
  // from here could recurse through Fail -> Reopen -> Connect.
  c.state = State::kConnecting;
  c.out_armed = true;
  if (!Register(c, EPOLL_CTL_ADD, EPOLLIN | EPOLLOUT)) ConnectFailed(c, now);
}

void Worker::OnConnected(Conn& c, int64_t now) {
  if (!Register(c, EPOLL_CTL_MOD, EPOLLIN)) return ConnectFailed(c, now);
  c.out_armed = false;
  c.state = State::kIdle;
  c.connected_ns = now;
  MakeIdle(c, now);
}

void Worker::ConnectFailed(Conn& c, int64_t now) {
  // Not retried: a refused or unreachable endpoint ends the run once every connection failed.
  c.fd.reset();
  c.state = State::kDead;
  --live_;
  if (!Expired(now)) CountError(ErrorKind::kConnect, now);
}

void Worker::Reopen(Conn& c, int64_t now) {
  c.fd.reset();
  c.out_armed = false;
  c.state = State::kClosed;
  Connect(c, now);
}

void Worker::Retire(Conn& c) {
  c.fd.reset();
  c.state = State::kDone;
  --live_;
}

void Worker::MakeIdle(Conn& c, int64_t now) {
  if (!s_->open_loop) {
    uint64_t i = s_->cursor.fetch_add(1, std::memory_order_relaxed);
    if (s_->max_requests != 0 && i >= s_->max_requests) {
      exhausted_ = true;
      return Retire(c);
    }
    return Send(c, i, now, now);
  }
  if (!c.queued) {
    c.queued = true;
    free_.push_back(static_cast<uint32_t>(IndexOf(c)));
  }
}

void Worker::Send(Conn& c, uint64_t index, int64_t origin, int64_t now) {
  c.req = &s_->requests[index % s_->requests.size()];
  c.sent = 0;
  c.origin_ns = origin;
  c.since_ns = now;
  c.state = State::kBusy;
  c.parser.Reset(c.req->head);
  ++busy_;
  if (first_send_ns == 0) first_send_ns = now;
  Write(c);
}

bool Worker::Write(Conn& c) {
  const std::string& b = c.req->bytes;
  while (c.sent < b.size()) {
    ssize_t n = send(c.fd.get(), b.data() + c.sent, b.size() - c.sent, MSG_NOSIGNAL);
    if (n > 0) {
      c.sent += static_cast<size_t>(n);
      bytes_sent += static_cast<uint64_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!c.out_armed) {
        if (!Register(c, EPOLL_CTL_MOD, EPOLLIN | EPOLLOUT)) {
          Fail(c, ErrorKind::kReset, NowNs());
          return false;
        }
        c.out_armed = true;
      }
      return true;
    }
    Fail(c, ErrorKind::kReset, NowNs());
    return false;
  }
  if (c.out_armed) {
    if (!Register(c, EPOLL_CTL_MOD, EPOLLIN)) {
      Fail(c, ErrorKind::kReset, NowNs());
      return false;
    }
    c.out_armed = false;
  }
  return true;
}

void Worker::Read(Conn& c) {
  for (;;) {
    ssize_t n = recv(c.fd.get(), buf_.data(), buf_.size(), 0);
    if (n > 0) {
      bytes_received += static_cast<uint64_t>(n);
      if (c.state != State::kBusy) {
        // Bytes nobody asked for (say, a 408 before an idle close): this socket is done.
        return Reopen(c, NowNs());
      }
      size_t used = 0;
      ResponseParser::Result r = c.parser.Feed(buf_.data(), static_cast<size_t>(n), &used);
      if (r == ResponseParser::Result::kError) return Fail(c, ErrorKind::kParse, NowNs());
      // Bytes past the answer cannot belong to anything (requests are not pipelined): close.
      if (r == ResponseParser::Result::kComplete) return Complete(c, NowNs(), used < static_cast<size_t>(n));
      if (static_cast<size_t>(n) < buf_.size()) return;  // drained for now; level-triggered
      continue;
    }
    const int64_t now = NowNs();
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    // End of stream or a reset.
    if (c.state == State::kBusy) {
      if (n == 0 && c.parser.CompleteAtEof()) return Complete(c, now, true);
      return Fail(c, ErrorKind::kReset, now);
    }
    if (!c.answered && now - c.connected_ns < kNsPerS / 10) {
      // Closed right after accepting, before any use: the endpoint refuses service. Counting it as
      // a connect failure keeps a reconnect loop from spinning (an idle timeout takes far longer).
      c.fd.reset();
      c.state = State::kClosed;
      return ConnectFailed(c, now);
    }
    return Reopen(c, now);  // the server closed an idle keep-alive connection: not an error
  }
}

void Worker::Complete(Conn& c, int64_t now, bool must_close) {
  if (Expired(now)) return;
  const int code = c.parser.status();
  hist.Record(now > c.origin_ns ? static_cast<uint64_t>(now - c.origin_ns) : 0);
  ++status[static_cast<size_t>(code)];
  ++completed;
  const bool bad = code < 200 || code >= 400;
  if (bad) {
    ++errors;
    errors_pub.store(errors, std::memory_order_relaxed);
  }
  completed_pub.store(completed, std::memory_order_relaxed);
  AddToTimeline(now, 1, bad ? 1 : 0);
  last_event_ns_ = now;
  --busy_;
  c.answered = true;
  // An answer before the whole request went out (an early error) leaves the server mid-request.
  if (must_close || c.parser.must_close() || c.sent < c.req->bytes.size()) return Reopen(c, now);
  c.state = State::kIdle;
  MakeIdle(c, now);
}

void Worker::CountError(ErrorKind kind, int64_t now) {
  ++error_counts[static_cast<size_t>(kind)];
  ++errors;
  errors_pub.store(errors, std::memory_order_relaxed);
  AddToTimeline(now, 0, 1);
  last_event_ns_ = now;
}

void Worker::Fail(Conn& c, ErrorKind kind, int64_t now) {
  if (Expired(now)) return;
  if (c.state == State::kBusy) --busy_;
  CountError(kind, now);
  Reopen(c, now);
}

void Worker::AddToTimeline(int64_t now, uint64_t done, uint64_t errs) {
  const int64_t offset = now > s_->start_ns ? now - s_->start_ns : 0;
  const size_t w = static_cast<size_t>(offset / s_->window_ns);
  if (w >= timeline.size()) timeline.resize(w + 1);
  timeline[w].first += done;
  timeline[w].second += errs;
}

void Worker::HandleEvent(Conn& c, uint32_t events) {
  switch (c.state) {
    case State::kConnecting: {
      int err = 0;
      socklen_t len = sizeof(err);
      if (getsockopt(c.fd.get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
      if (err != 0) return ConnectFailed(c, NowNs());
      if (events & (EPOLLOUT | EPOLLIN)) return OnConnected(c, NowNs());
      return ConnectFailed(c, NowNs());
    }
    case State::kIdle:
    case State::kBusy:
      if ((events & EPOLLOUT) && c.state == State::kBusy && c.sent < c.req->bytes.size()) {
        if (!Write(c)) return;
      }
      if (events & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP)) Read(c);
      return;
    default:
      return;  // closed, dead or retired: nothing registered any more
  }
}

void Worker::CheckTimeouts(int64_t now) {
  for (Conn& c : conns_) {
    if (now - c.since_ns < s_->timeout_ns) continue;
    if (c.state == State::kBusy) {
      Fail(c, ErrorKind::kTimeout, now);
    } else if (c.state == State::kConnecting) {
      ConnectFailed(c, now);
    }
  }
}

void Worker::Dispatch(int64_t now) {
  while (!exhausted_ && !free_.empty()) {
    Conn& c = conns_[free_.back()];
    if (c.state != State::kIdle) {  // reconnecting since it was queued
      c.queued = false;
      free_.pop_back();
      continue;
    }
    uint64_t k = s_->cursor.load(std::memory_order_relaxed);
    if (s_->max_requests != 0 && k >= s_->max_requests) {
      exhausted_ = true;
      return;
    }
    const int64_t due = s_->start_ns + static_cast<int64_t>(static_cast<double>(k) * s_->ns_per_request);
    if (due > now) return ArmTimer(due);
    // Any worker with a free connection may take slot k; the CAS hands it to exactly one.
    if (!s_->cursor.compare_exchange_weak(k, k + 1, std::memory_order_relaxed)) continue;
    c.queued = false;
    free_.pop_back();
    Send(c, k, due, now);
  }
}

void Worker::ArmTimer(int64_t at) {
  if (!timer_.valid()) {
    pace_at_ = at;
    return;
  }
  if (timer_at_ == at) return;
  itimerspec its{};
  its.it_value.tv_sec = at / kNsPerS;
  its.it_value.tv_nsec = at % kNsPerS;
  if (timerfd_settime(timer_.get(), TFD_TIMER_ABSTIME, &its, nullptr) == 0) {
    timer_at_ = at;
  } else {
    pace_at_ = at;
  }
}

void Worker::Run() {
  int64_t now = NowNs();
  live_ = static_cast<int>(conns_.size());
  ep_.reset(epoll_create1(EPOLL_CLOEXEC));
  if (!ep_.valid()) {
    for (Conn& c : conns_) ConnectFailed(c, now);
    end_ns = now;
    return;
  }
  buf_.resize(kReadBuffer);
  if (s_->wake.valid()) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kWakeTag;
    epoll_ctl(ep_.get(), EPOLL_CTL_ADD, s_->wake.get(), &ev);
  }
  if (s_->open_loop) {
    // A timerfd paces sends with microsecond precision; epoll's own timeout only has milliseconds.
    timer_.reset(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
    if (timer_.valid()) {
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u64 = kTimerTag;
      if (epoll_ctl(ep_.get(), EPOLL_CTL_ADD, timer_.get(), &ev) != 0) timer_.reset();
    }
    free_.reserve(conns_.size());
  }
  for (Conn& c : conns_) Connect(c, now);

  std::vector<epoll_event> events(kMaxEvents);
  int64_t next_check = now + s_->check_ns;
  for (;;) {
    now = NowNs();
    if (s_->stop.load(std::memory_order_relaxed)) {
      end_ns = now;
      break;
    }
    if (s_->deadline_ns != 0 && now >= s_->deadline_ns) {
      end_ns = s_->deadline_ns;
      break;
    }
    if (now >= next_check) {
      CheckTimeouts(now);
      next_check = now + s_->check_ns;
    }
    if (s_->open_loop) {
      pace_at_ = -1;
      Dispatch(now);
    }
    if (live_ == 0 || (exhausted_ && busy_ == 0)) {
      end_ns = last_event_ns_ != 0 ? last_event_ns_ : now;
      break;
    }
    int64_t wake_at = next_check;
    if (s_->deadline_ns != 0) wake_at = std::min(wake_at, s_->deadline_ns);
    if (pace_at_ >= 0) wake_at = std::min(wake_at, pace_at_);
    const int64_t wait_ns = std::max<int64_t>(0, wake_at - now);
    const int timeout_ms = static_cast<int>(std::min<int64_t>(kMaxSleepMs, (wait_ns + 999999) / 1000000));
    const int n = epoll_wait(ep_.get(), events.data(), kMaxEvents, timeout_ms);
    for (int i = 0; i < n; ++i) {
      const uint64_t tag = events[i].data.u64;
      if (tag == kWakeTag) continue;  // Stop: seen at the top of the loop
      if (tag == kTimerTag) {
        uint64_t expirations = 0;
        ssize_t ignored = read(timer_.get(), &expirations, sizeof(expirations));
        (void)ignored;
        timer_at_ = -1;
        continue;
      }
      HandleEvent(conns_[tag], events[i].events);
    }
  }
  // Release sockets now rather than when the generator is destroyed; in-flight requests are dropped.
  for (Conn& c : conns_) c.fd.reset();
  timer_.reset();
  ep_.reset();
  buf_ = std::vector<char>();
}

LoadGenerator::LoadGenerator(std::unique_ptr<Shared> shared) : shared_(std::move(shared)) {}

Status LoadGenerator::Create(Config config, std::unique_ptr<LoadGenerator>* out) {
  if (config.requests.empty()) return Status::InvalidArgument("requests must not be empty");
  for (size_t i = 0; i < config.requests.size(); ++i) {
    if (config.requests[i].empty()) return Status::InvalidArgument("requests[" + std::to_string(i) + "] is empty");
  }
  if (config.port < 1 || config.port > 65535) return Status::InvalidArgument("port must be in 1..65535");
  if (config.connections < 1) return Status::InvalidArgument("connections must be at least 1");
  if (config.threads < 1 || config.threads > 1024) return Status::InvalidArgument("threads must be in 1..1024");
  constexpr double kLongest = 1e8;  // seconds; keeps nanosecond arithmetic far from overflow
  if (!FiniteIn(config.duration_s, 0, kLongest)) return Status::InvalidArgument("duration_s must be >= 0");
  if (config.max_requests < 0) return Status::InvalidArgument("max_requests must be >= 0");
  if (config.duration_s == 0 && config.max_requests == 0) {
    return Status::InvalidArgument("duration_s or max_requests must bound the run");
  }
  if (!FiniteIn(config.rate, 0, 1e9)) return Status::InvalidArgument("rate must be >= 0 (0: closed loop)");
  if (!FiniteIn(config.timeout_s, 0, kLongest) || config.timeout_s == 0) {
    return Status::InvalidArgument("timeout_s must be > 0");
  }
  if (!FiniteIn(config.window_s, 0.001, kLongest)) return Status::InvalidArgument("window_s must be >= 0.001");

  auto shared = std::make_unique<Shared>();
  if (!ParseHost(config.host, config.port, &shared->addr, &shared->addr_len)) {
    return Status::InvalidArgument("host must be an IPv4 or IPv6 literal or 'localhost', got '" + config.host + "'");
  }
  config.threads = std::min(config.threads, config.connections);
  shared->requests.reserve(config.requests.size());
  for (std::string& bytes : config.requests) {
    Request r;
    r.head = bytes.compare(0, 5, "HEAD ") == 0;
    r.bytes = std::move(bytes);
    shared->requests.push_back(std::move(r));
  }
  config.requests.clear();
  shared->timeout_ns = static_cast<int64_t>(config.timeout_s * kNsPerS);
  shared->window_ns = static_cast<int64_t>(config.window_s * kNsPerS);
  // Check often enough for a timeout to fire within ~10 % of its value, but not needlessly often.
  shared->check_ns = std::clamp<int64_t>(shared->timeout_ns / 10, 1000000, 50000000);
  shared->max_requests = static_cast<uint64_t>(config.max_requests);
  shared->open_loop = config.rate > 0;
  shared->ns_per_request = shared->open_loop ? kNsPerS / config.rate : 0;
  shared->wake.reset(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));  // best effort: workers also poll
  shared->config = std::move(config);
  out->reset(new LoadGenerator(std::move(shared)));  // private constructor: make_unique cannot reach it
  return Status::OK();
}

LoadGenerator::~LoadGenerator() {
  Stop();
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
}

void LoadGenerator::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (started_.load(std::memory_order_relaxed)) return;
  Shared& s = *shared_;
  s.start_ns = NowNs();
  s.deadline_ns = s.config.duration_s > 0 ? s.start_ns + static_cast<int64_t>(s.config.duration_s * kNsPerS) : 0;
  const int threads = s.config.threads;
  for (int t = 0; t < threads; ++t) {
    const int conns = s.config.connections / threads + (t < s.config.connections % threads ? 1 : 0);
    workers_.push_back(std::make_unique<Worker>(&s, conns));
  }
  started_.store(true, std::memory_order_release);  // workers_ is complete: progress() may read it
  threads_.reserve(workers_.size());
  for (auto& w : workers_) {
    Worker* worker = w.get();
    try {
      threads_.emplace_back([this, worker] {
        worker->Run();
        OnWorkerExit();
      });
    } catch (const std::system_error&) {
      break;  // out of threads: run with the workers that did start
    }
    ++running_;  // mu_ is held: an early exit's OnWorkerExit waits for this
  }
  if (running_ == 0) {
    finish_ns_.store(NowNs(), std::memory_order_relaxed);
    finished_.store(true, std::memory_order_release);
  }
}

void LoadGenerator::OnWorkerExit() {
  std::lock_guard<std::mutex> lock(mu_);
  if (--running_ == 0) {
    finish_ns_.store(NowNs(), std::memory_order_relaxed);
    finished_.store(true, std::memory_order_release);
    done_cv_.notify_all();
  }
}

void LoadGenerator::Stop() {
  shared_->stop.store(true, std::memory_order_relaxed);
  if (shared_->wake.valid()) {
    uint64_t one = 1;
    ssize_t ignored = write(shared_->wake.get(), &one, sizeof(one));
    (void)ignored;
  }
}

bool LoadGenerator::Wait(double timeout_s) {
  if (!started()) return false;
  std::unique_lock<std::mutex> lock(mu_);
  auto done = [this] { return running_ == 0; };
  if (timeout_s < 0 || !std::isfinite(timeout_s)) {
    done_cv_.wait(lock, done);
  } else if (!done_cv_.wait_for(lock, std::chrono::duration<double>(timeout_s), done)) {
    return false;
  }
  JoinLocked();
  return true;
}

void LoadGenerator::JoinLocked() {
  if (joined_) return;
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();  // each has already left OnWorkerExit: returns at once
  }
  Result& r = result_;
  const int64_t window = shared_->window_ns;
  int64_t first_send = 0, end = 0;
  size_t windows = 0;
  for (const auto& w : workers_) {
    r.histogram.Merge(w->hist);
    r.completed += w->completed;
    r.errors += w->errors;
    r.bytes_sent += w->bytes_sent;
    r.bytes_received += w->bytes_received;
    for (size_t code = 0; code < w->status.size(); ++code) {
      if (w->status[code] != 0) r.status_counts[static_cast<int>(code)] += w->status[code];
    }
    for (size_t k = 0; k < kErrorKinds; ++k) r.error_counts[k] += w->error_counts[k];
    if (w->first_send_ns != 0 && (first_send == 0 || w->first_send_ns < first_send)) first_send = w->first_send_ns;
    end = std::max(end, w->end_ns);
    windows = std::max(windows, w->timeline.size());
  }
  // Whole windows up to the end of the run are reported even when empty (a stalled tail shows).
  if (end > shared_->start_ns) windows = std::max(windows, static_cast<size_t>((end - shared_->start_ns) / window));
  r.timeline.assign(windows, {0, 0});
  for (const auto& w : workers_) {
    for (size_t i = 0; i < w->timeline.size(); ++i) {
      r.timeline[i].first += w->timeline[i].first;
      r.timeline[i].second += w->timeline[i].second;
    }
  }
  r.elapsed_s = first_send != 0 && end > first_send ? static_cast<double>(end - first_send) / kNsPerS : 0.0;
  joined_ = true;
}

Progress LoadGenerator::GetProgress() const {
  Progress p;
  if (!started()) return p;
  for (const auto& w : workers_) {
    p.completed += w->completed_pub.load(std::memory_order_relaxed);
    p.errors += w->errors_pub.load(std::memory_order_relaxed);
  }
  const int64_t until = finished_.load(std::memory_order_acquire) ? finish_ns_.load(std::memory_order_relaxed) : NowNs();
  p.elapsed_s = static_cast<double>(until - shared_->start_ns) / kNsPerS;
  return p;
}

const Result& LoadGenerator::GetResult() {
  if (started()) {
    Wait(-1);
    return result_;
  }
  std::lock_guard<std::mutex> lock(mu_);
  return result_;  // never started: empty
}

}  // namespace loadgen
}  // namespace pycloud
