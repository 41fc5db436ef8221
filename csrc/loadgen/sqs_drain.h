// RunSqsDrain: a native SQS consumer for benchmarks — ReceiveMessage(10) then DeleteMessageBatch of
// the handles just received, over and over, on blocking keep-alive connections (one per thread).
//
// The workload is dependent (each delete needs the handles of the receive before it), so it cannot
// be replayed from pre-built requests like LoadGenerator's: every request is built, signed with
// SigV4 and its JSON answer read here. Written in C++ so that, on a small machine, the client does
// not cap the rate it measures.
//
// Accounting: `requests` counts answered requests of any status; `errors` counts non-200 answers
// plus transport errors (connect, send, receive, malformed answer). A connection that meets
// kMaxConsecutiveErrors failures in a row without a success gives up, so a run until drained ends
// even when the server refuses every request (a wrong secret, nothing listening).
//
// Thread-safety: RunSqsDrain may be called from any thread; it blocks until its run ends.
#ifndef PYCLOUD_LOADGEN_SQS_DRAIN_H_
#define PYCLOUD_LOADGEN_SQS_DRAIN_H_

#include <cstdint>
#include <string>

#include "common/status.h"

namespace pycloud {
namespace loadgen {

// Failures in a row after which a connection stops (see above).
inline constexpr int kMaxConsecutiveErrors = 20;

struct SqsDrainConfig {
  std::string host;  // IPv4 literal or "localhost"
  int port = 0;
  std::string queue_url;  // as CreateQueue returned it
  std::string access_key;
  std::string secret_key;
  std::string region = "us-east-1";
  int connections = 8;      // one blocking keep-alive socket per thread
  double duration_s = 5.0;  // stop after this long (0: until drained)
  int max_messages = 10;    // ReceiveMessage MaxNumberOfMessages (1-10)
  double timeout_s = 30.0;  // per socket read or write: a silent server cannot hang the run
};

struct SqsDrainResult {
  uint64_t messages = 0;  // deleted (counted from DeleteMessageBatch "Successful" entries)
  uint64_t requests = 0;  // answered requests (receives + deletes)
  uint64_t errors = 0;    // non-200 answers or transport errors
  double elapsed_s = 0;   // from start to the last delete answered (or to the end)
  bool drained = false;   // some connection found the queue empty
};

// Validates `config` (InvalidArgument naming the bad field), runs the drain and fills *out.
// IOError when not a single thread could be started. Run-time failures are counted, not returned.
Status RunSqsDrain(const SqsDrainConfig& config, SqsDrainResult* out);

}  // namespace loadgen
}  // namespace pycloud

#endif  // PYCLOUD_LOADGEN_SQS_DRAIN_H_
