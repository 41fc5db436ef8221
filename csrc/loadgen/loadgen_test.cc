// Load generator: the histogram layout, the response parser (every split point) and the engine
// end to end against a small blocking server on loopback.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/testharness.h"
#include "loadgen/histogram.h"
#include "loadgen/loadgen.h"
#include "loadgen/response_parser.h"

using pycloud::Status;
using namespace pycloud::loadgen;  // NOLINT

namespace {

// --- a loopback server answering every request with a fixed response, a thread per connection ---

class TestServer {
 public:
  explicit TestServer(std::string response) : response_(std::move(response)) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    listen(listen_fd_, 128);
    socklen_t len = sizeof(addr);
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { AcceptLoop(); });
  }

  ~TestServer() {
    stopping_ = true;
    shutdown(listen_fd_, SHUT_RDWR);  // unblocks accept()
    acceptor_.join();
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (int fd : fds_) shutdown(fd, SHUT_RDWR);  // unblocks recv()
    }
    for (std::thread& t : threads_) t.join();
    for (int fd : fds_) close(fd);
    close(listen_fd_);
  }

  int port() const { return port_; }
  uint64_t requests() const { return requests_.load(); }
  int accepted() const { return accepted_.load(); }

 private:
  void AcceptLoop() {
    while (!stopping_) {
      int fd = accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) return;
      ++accepted_;
      std::lock_guard<std::mutex> lock(mu_);
      fds_.push_back(fd);
      threads_.emplace_back([this, fd] { Serve(fd); });
    }
  }

  void Serve(int fd) {
    std::string pending;
    char buf[4096];
    for (;;) {
      ssize_t n = recv(fd, buf, sizeof(buf), 0);
      if (n <= 0) return;
      pending.append(buf, static_cast<size_t>(n));
      size_t end;
      while ((end = pending.find("\r\n\r\n")) != std::string::npos) {
        pending.erase(0, end + 4);
        ++requests_;
        if (send(fd, response_.data(), response_.size(), MSG_NOSIGNAL) < 0) return;
      }
    }
  }

  std::string response_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> requests_{0};
  std::atomic<int> accepted_{0};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<int> fds_;
  std::vector<std::thread> threads_;
};

Config BaseConfig(int port) {
  Config c;
  c.host = "127.0.0.1";
  c.port = port;
  c.requests = {"GET /a HTTP/1.1\r\nHost: x\r\n\r\n", "GET /b HTTP/1.1\r\nHost: x\r\n\r\n"};
  c.connections = 4;
  c.threads = 2;
  c.duration_s = 0;
  c.max_requests = 100;
  c.timeout_s = 5;
  return c;
}

std::unique_ptr<LoadGenerator> Make(Config c) {
  std::unique_ptr<LoadGenerator> g;
  Status s = LoadGenerator::Create(std::move(c), &g);
  if (!s.ok()) std::fprintf(stderr, "create: %s\n", s.ToString().c_str());
  return g;
}

uint64_t TimelineCompleted(const Result& r) {
  uint64_t sum = 0;
  for (const auto& w : r.timeline) sum += w.first;
  return sum;
}

// Feeds the response in pieces split at `cut` (and again at `cut2`); returns the final result.
ResponseParser::Result FeedSplit(ResponseParser& p, const std::string& s, size_t cut, size_t cut2, size_t* total) {
  *total = 0;
  size_t bounds[] = {0, std::min(cut, s.size()), std::min(std::max(cut, cut2), s.size()), s.size()};
  ResponseParser::Result r = ResponseParser::Result::kNeedMore;
  for (int i = 0; i < 3; ++i) {
    if (bounds[i + 1] == bounds[i]) continue;
    size_t used = 0;
    r = p.Feed(s.data() + bounds[i], bounds[i + 1] - bounds[i], &used);
    *total += used;
    if (r != ResponseParser::Result::kNeedMore) return r;
  }
  return r;
}

// Every single and double split of s parses to the same outcome, consuming exactly `expect_used`.
void CheckAllSplits(const std::string& s, bool head, ResponseParser::Result expect, int status, bool close,
                    size_t expect_used) {
  int bad = 0;
  for (size_t a = 0; a <= s.size(); ++a) {
    for (size_t b = a; b <= s.size(); b += (s.size() > 80 ? 7 : 1)) {
      ResponseParser p;
      p.Reset(head);
      size_t used = 0;
      ResponseParser::Result r = FeedSplit(p, s, a, b, &used);
      if (r != expect || (expect == ResponseParser::Result::kComplete &&
                          (p.status() != status || p.must_close() != close || used != expect_used))) {
        if (bad++ == 0) std::fprintf(stderr, "  split %zu/%zu: result %d status %d used %zu\n", a, b,
                                     static_cast<int>(r), p.status(), used);
      }
    }
  }
  CHECK_EQ(bad, 0);
}

}  // namespace

// --- histogram ---

TEST(Histogram, LayoutKnownValues) {
  CHECK_EQ(kBuckets, size_t{2240});
  CHECK_EQ(BucketIndex(0), size_t{0});
  CHECK_EQ(BucketIndex(127), size_t{127});
  CHECK_EQ(BucketIndex(128), size_t{128});
  CHECK_EQ(BucketIndex(129), size_t{128});  // 128..129 share a bucket of width 2
  CHECK_EQ(BucketIndex(130), size_t{129});
  CHECK_EQ(BucketIndex(255), size_t{191});
  CHECK_EQ(BucketIndex(256), size_t{192});
  CHECK_EQ(BucketIndex(kMaxValue), kBuckets - 1);
  CHECK_EQ(BucketIndex(kMaxValue + 12345), kBuckets - 1);  // clamped
  CHECK_EQ(BucketLow(128), uint64_t{128});
  CHECK_EQ(BucketHigh(128), uint64_t{129});
  CHECK_EQ(BucketHigh(kBuckets - 1), kMaxValue);
}

TEST(Histogram, BucketsTileTheRange) {
  int bad = 0;
  for (size_t i = 0; i + 1 < kBuckets; ++i) {
    if (BucketHigh(i) + 1 != BucketLow(i + 1)) ++bad;
    if (BucketIndex(BucketLow(i)) != i || BucketIndex(BucketHigh(i)) != i) ++bad;
    // Width never above 1/64 of the low bound: the < 0.8 % relative error of the contract.
    if (i >= kSubCount && (BucketHigh(i) - BucketLow(i) + 1) * 64 > BucketLow(i)) ++bad;
  }
  CHECK_EQ(bad, 0);
  uint64_t v = 1;
  for (int k = 0; k < 4000; ++k, v = v * 1.01 + 1) {
    if (v > kMaxValue) break;
    size_t i = BucketIndex(v);
    if (!(BucketLow(i) <= v && v <= BucketHigh(i))) ++bad;
  }
  CHECK_EQ(bad, 0);
}

TEST(Histogram, RecordPercentileMergeSerialize) {
  Histogram a, b;
  for (uint64_t v = 1; v <= 100; ++v) a.Record(v * 1000);  // 1..100 us
  b.Record(5);
  b.Record(kMaxValue * 2);
  CHECK_EQ(a.count(), uint64_t{100});
  CHECK_EQ(a.min(), uint64_t{1000});
  CHECK_EQ(a.max(), uint64_t{100000});
  CHECK_EQ(a.sum(), uint64_t{5050000});
  // Rank 50 is 50 us: reported as its bucket's high bound, within 1/64.
  uint64_t p50 = a.Percentile(50);
  CHECK(p50 >= 50000 && p50 <= 50000 + 50000 / 64);
  CHECK_EQ(p50, BucketHigh(BucketIndex(50000)));
  CHECK_EQ(a.Percentile(100), uint64_t{100000});  // clamped to the max seen
  a.Merge(b);
  CHECK_EQ(a.count(), uint64_t{102});
  CHECK_EQ(a.min(), uint64_t{5});
  CHECK_EQ(a.max(), kMaxValue);
  std::string wire = a.Serialize();
  CHECK_EQ(wire.size(), kBuckets * 8);
  size_t i = BucketIndex(5);
  CHECK_EQ(static_cast<int>(wire[i * 8]), 1);
  for (int k = 1; k < 8; ++k) CHECK_EQ(static_cast<int>(wire[i * 8 + k]), 0);
  CHECK_EQ(Histogram().Percentile(99), uint64_t{0});
}

// --- response parser ---

TEST(Parser, ContentLengthAllSplits) {
  std::string r = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\n0123456789";
  CheckAllSplits(r, false, ResponseParser::Result::kComplete, 200, false, r.size());
  // Bytes after the response are left unconsumed.
  CheckAllSplits(r + "XYZ", false, ResponseParser::Result::kComplete, 200, false, r.size());
}

TEST(Parser, ChunkedAllSplits) {
  std::string r =
      "HTTP/1.1 201 Created\r\ntransfer-encoding: gzip, Chunked\r\n\r\n"
      "5;ext=1\r\nhello\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nX-Trailer: t\r\n\r\n";
  CheckAllSplits(r, false, ResponseParser::Result::kComplete, 201, false, r.size());
}

TEST(Parser, NoBodyCases) {
  std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 4096\r\n\r\n";
  CheckAllSplits(head, true, ResponseParser::Result::kComplete, 200, false, head.size());
  std::string no_content = "HTTP/1.1 204 No Content\r\nContent-Length: 7\r\n\r\n";
  CheckAllSplits(no_content, false, ResponseParser::Result::kComplete, 204, false, no_content.size());
  std::string not_modified = "HTTP/1.1 304 Not Modified\r\n\r\n";
  CheckAllSplits(not_modified, false, ResponseParser::Result::kComplete, 304, false, not_modified.size());
}

TEST(Parser, InterimThenFinal) {
  std::string r = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
                  "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
  CheckAllSplits(r, false, ResponseParser::Result::kComplete, 500, true, r.size());
}

TEST(Parser, ConnectionSemantics) {
  std::string r10 = "HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx";
  CheckAllSplits(r10, false, ResponseParser::Result::kComplete, 200, true, r10.size());
  std::string r10ka = "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 1\r\n\r\nx";
  CheckAllSplits(r10ka, false, ResponseParser::Result::kComplete, 200, false, r10ka.size());
  // No length, not chunked: the body runs to the close.
  ResponseParser p;
  p.Reset(false);
  std::string r = "HTTP/1.1 200 OK\r\n\r\nsome body";
  size_t used = 0;
  CHECK(p.Feed(r.data(), r.size(), &used) == ResponseParser::Result::kNeedMore);
  CHECK_EQ(used, r.size());
  CHECK(p.CompleteAtEof());
  CHECK(p.must_close());
  // A truncated Content-Length body is not complete at EOF.
  p.Reset(false);
  std::string cut = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc";
  CHECK(p.Feed(cut.data(), cut.size(), &used) == ResponseParser::Result::kNeedMore);
  CHECK(!p.CompleteAtEof());
}

TEST(Parser, Malformed) {
  const char* bad[] = {
      "HTTX/1.1 200 OK\r\n\r\n",
      "HTTP/1.1 2x0 OK\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 12a\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
      "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXY\r\n",
      "HTTP/1.1 101 Switching Protocols\r\n\r\n",
  };
  for (const char* s : bad) {
    ResponseParser p;
    p.Reset(false);
    size_t used = 0;
    ResponseParser::Result r = p.Feed(s, std::strlen(s), &used);
    if (r != ResponseParser::Result::kError) std::fprintf(stderr, "  accepted: %s\n", s);
    CHECK(r == ResponseParser::Result::kError);
  }
  // A header block that never ends is cut off.
  ResponseParser p;
  p.Reset(false);
  std::string head = "HTTP/1.1 200 OK\r\n";
  ResponseParser::Result r = ResponseParser::Result::kNeedMore;
  size_t used = 0;
  r = p.Feed(head.data(), head.size(), &used);
  std::string filler = "X-Filler: " + std::string(1000, 'a') + "\r\n";
  for (int i = 0; i < 100 && r == ResponseParser::Result::kNeedMore; ++i) r = p.Feed(filler.data(), filler.size(), &used);
  CHECK(r == ResponseParser::Result::kError);
}

// --- engine ---

TEST(Engine, RejectsBadConfig) {
  auto bad = [](void (*mutate)(Config&)) {
    Config c = BaseConfig(80);
    mutate(c);
    std::unique_ptr<LoadGenerator> g;
    return LoadGenerator::Create(std::move(c), &g).IsInvalidArgument() && g == nullptr;
  };
  CHECK(bad([](Config& c) { c.requests.clear(); }));
  CHECK(bad([](Config& c) { c.requests.push_back(""); }));
  CHECK(bad([](Config& c) { c.connections = 0; }));
  CHECK(bad([](Config& c) { c.threads = 0; }));
  CHECK(bad([](Config& c) { c.port = 0; }));
  CHECK(bad([](Config& c) { c.port = 70000; }));
  CHECK(bad([](Config& c) { c.host = "example.com"; }));
  CHECK(bad([](Config& c) { c.max_requests = 0; c.duration_s = 0; }));
  CHECK(bad([](Config& c) { c.max_requests = -1; }));
  CHECK(bad([](Config& c) { c.duration_s = -1; }));
  CHECK(bad([](Config& c) { c.rate = -1; }));
  CHECK(bad([](Config& c) { c.timeout_s = 0; }));
  CHECK(bad([](Config& c) { c.window_s = 0; }));
  CHECK(bad([](Config& c) { c.duration_s = 1.0 / 0.0; }));
  Config ok = BaseConfig(80);
  ok.host = "[::1]";
  ok.threads = 16;  // more threads than connections: clamped, not refused
  CHECK(Make(ok) != nullptr);
}

TEST(Engine, ClosedLoopExactCount) {
  TestServer server("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
  Config c = BaseConfig(server.port());
  c.max_requests = 500;
  auto g = Make(c);
  g->Start();
  CHECK(g->Wait(10));
  const Result& r = g->GetResult();
  CHECK_EQ(r.completed, uint64_t{500});
  CHECK_EQ(r.errors, uint64_t{0});
  CHECK_EQ(server.requests(), uint64_t{500});
  CHECK_EQ(r.status_counts.size(), size_t{1});
  CHECK_EQ(r.status_counts.at(200), uint64_t{500});
  CHECK_EQ(r.histogram.count(), uint64_t{500});
  CHECK_EQ(TimelineCompleted(r), uint64_t{500});
  CHECK_EQ(r.bytes_sent, uint64_t{500} * c.requests[0].size());
  CHECK(r.elapsed_s > 0);
  CHECK(r.histogram.min() > 0 && r.histogram.min() <= r.histogram.max());
  Progress p = g->GetProgress();
  CHECK_EQ(p.completed, uint64_t{500});
  CHECK_EQ(server.accepted(), 4);  // keep-alive: one connect per connection
}

TEST(Engine, ConnectRefusedEndsRun) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);  // bound then closed: nobody listens on this port
  Config c = BaseConfig(ntohs(addr.sin_port));
  c.duration_s = 30;
  c.max_requests = 0;
  auto g = Make(c);
  g->Start();
  CHECK(g->Wait(5));
  const Result& r = g->GetResult();
  CHECK_EQ(r.completed, uint64_t{0});
  CHECK_EQ(r.error_counts[static_cast<size_t>(ErrorKind::kConnect)], uint64_t{4});
  CHECK_EQ(r.errors, uint64_t{4});
  CHECK_EQ(r.elapsed_s, 0.0);
}

TEST(Engine, StopEndsUnboundedCountRun) {
  TestServer server("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  Config c = BaseConfig(server.port());
  c.max_requests = 0;
  c.duration_s = 60;
  auto g = Make(c);
  CHECK(!g->Wait(0));  // not started
  g->Start();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  Progress mid = g->GetProgress();
  CHECK(mid.completed > 0);
  CHECK(mid.elapsed_s > 0.05);
  g->Stop();
  CHECK(g->Wait(5));
  const Result& r = g->GetResult();
  CHECK(r.completed >= mid.completed);
  CHECK(r.elapsed_s < 5);
  CHECK_EQ(TimelineCompleted(r), r.completed);
}

TEST(Engine, OpenLoopPacesRequests) {
  TestServer server("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
  Config c = BaseConfig(server.port());
  c.rate = 200;  // 40 requests take ~0.2 s
  c.max_requests = 40;
  auto g = Make(c);
  auto t0 = std::chrono::steady_clock::now();
  g->Start();
  CHECK(g->Wait(10));
  double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const Result& r = g->GetResult();
  CHECK_EQ(r.completed, uint64_t{40});
  CHECK_EQ(r.errors, uint64_t{40});  // 404s are answers and errors
  CHECK_EQ(r.status_counts.at(404), uint64_t{40});
  CHECK(took >= 0.19);
}

int main() { return pycloud::test::RunAllTests(); }
