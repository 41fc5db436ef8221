// LoadGenerator: the native replay engine of `pycloud bench` (contract: notes/loadgen-api.md).
//
// Pre-built HTTP/1.1 requests are replayed round-robin (one shared atomic cursor) over keep-alive
// connections spread across worker threads; each worker runs its own epoll loop over non-blocking
// TCP_NODELAY sockets, so the hot path takes no lock. Closed loop: a connection sends its next
// request as soon as the previous answer is complete. Open loop (rate > 0): request k is intended
// at start + k/rate; it goes out on the first free connection once due and its latency is measured
// from the intended time, so a stalled server shows up in the latencies (no coordinated omission).
//
// Accounting: `completed` counts answered requests (every status; sum of status_counts, count of
// the histogram); `errors` counts transport errors (error_counts: connect, reset, timeout, parse)
// plus answers whose status is outside 200-399. Requests in flight or not yet sent when the run is
// cut short (duration reached, Stop) are not counted. A connection whose connect fails is not
// retried; when every connection has failed the run ends.
//
// Thread-safety: every method may be called from any thread.
#ifndef PYCLOUD_LOADGEN_LOADGEN_H_
#define PYCLOUD_LOADGEN_LOADGEN_H_

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/status.h"
#include "loadgen/histogram.h"

namespace pycloud {
namespace loadgen {

enum class ErrorKind : uint8_t { kConnect = 0, kReset, kTimeout, kParse };
constexpr size_t kErrorKinds = 4;
// "connect", "reset", "timeout", "parse".
const char* ErrorKindName(ErrorKind kind);

struct Config {
  std::string host;  // IPv4/IPv6 literal (brackets allowed) or "localhost"
  int port = 0;
  std::vector<std::string> requests;  // complete HTTP/1.1 requests, replayed in order, cycled
  int connections = 64;
  int threads = 1;           // clamped to connections
  double duration_s = 10.0;  // 0: unbounded by time
  int64_t max_requests = 0;  // 0: unbounded by count
  double rate = 0.0;         // 0: closed loop; > 0: open loop, requests/s over all connections
  double timeout_s = 10.0;   // per request (and per connect)
  double window_s = 0.1;     // timeline resolution
};

struct Result {
  uint64_t completed = 0;
  uint64_t errors = 0;
  std::map<int, uint64_t> status_counts;
  std::array<uint64_t, kErrorKinds> error_counts{};
  uint64_t bytes_sent = 0;
  uint64_t bytes_received = 0;
  double elapsed_s = 0;  // first send to the end of the run
  Histogram histogram;
  std::vector<std::pair<uint64_t, uint64_t>> timeline;  // per window: (completed, errors)
};

struct Progress {
  uint64_t completed = 0;
  uint64_t errors = 0;
  double elapsed_s = 0;
};

struct Shared;
class Worker;

class LoadGenerator {
 public:
  // Validates config (InvalidArgument with a message naming the bad argument) and resolves host.
  static Status Create(Config config, std::unique_ptr<LoadGenerator>* out);
  ~LoadGenerator();  // stops and joins a run still in progress

  LoadGenerator(const LoadGenerator&) = delete;
  LoadGenerator& operator=(const LoadGenerator&) = delete;

  // Spawns the worker threads and returns at once; a second call does nothing.
  void Start();
  // Asks the run to finish early (in-flight requests are abandoned); Wait() afterwards.
  void Stop();
  // Blocks until the run has finished or timeout_s passed (negative: no limit); true when
  // finished. False at once when the run was never started.
  bool Wait(double timeout_s);
  // Completed and errors so far and seconds since Start; cheap (atomics only).
  Progress GetProgress() const;
  // The merged result; waits for the run to finish first. Empty when never started.
  const Result& GetResult();

  bool started() const { return started_.load(std::memory_order_acquire); }

 private:
  explicit LoadGenerator(std::unique_ptr<Shared> shared);
  void OnWorkerExit();  // called by each worker thread last
  void JoinLocked();    // joins finished threads and merges results; mu_ held

  std::unique_ptr<Shared> shared_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::thread> threads_;
  std::atomic<bool> started_{false};
  std::atomic<bool> finished_{false};
  std::atomic<int64_t> finish_ns_{0};

  std::mutex mu_;  // guards running_, joined_, result_ and Start
  std::condition_variable done_cv_;
  int running_ = 0;
  bool joined_ = false;
  Result result_;
};

}  // namespace loadgen
}  // namespace pycloud

#endif  // PYCLOUD_LOADGEN_LOADGEN_H_
