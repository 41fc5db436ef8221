// Engine: the SQS data plane — named standard and FIFO queues with their messages, a write-ahead
// log under a directory (or nothing at all, in memory), and every SQS message operation.
//
// Semantics follow AWS SQS (see docs/queue-format.md for what is persisted and recovered): lazy
// time (callers pass now_ms; deadlines, delays and retention are applied on access), receive
// counts and redrive to a dead-letter queue on the receive that would exceed maxReceiveCount, FIFO
// group locking, a 5-minute deduplication window and receive-attempt ids, purge, in-flight limits.
// The engine validates nothing SQS validates from the request (ranges, sizes, names): the caller
// does that and maps error names (errors.h) to AWS errors.
//
// Thread-safety: every method may be called from any thread. One mutex guards all queues; log
// fsyncs for sync=always happen outside it (group commit), so concurrent senders share them.
// A failed log write makes the engine refuse every further call with that IOError until it is
// reopened: memory may then be ahead of the log, and the log is what reopening trusts.
#ifndef PYCLOUD_QUEUE_ENGINE_H_
#define PYCLOUD_QUEUE_ENGINE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "objstore/env.h"
#include "queue/queue.h"
#include "queue/types.h"
#include "queue/wal.h"

namespace pycloud {
namespace queue {

struct EngineOptions {
  SyncMode sync = SyncMode::kBatch;
  uint32_t batch_window_ms = 50;
  // Compaction rewrites the log once it is larger than both of these: the minimum size, and this
  // many times the size a snapshot of the live state would take.
  uint64_t compact_min_bytes = 8u << 20;
  double compact_ratio = 2.0;
  objstore::Env* env = nullptr;  // nullptr: the POSIX Env
};

struct EngineStats {
  uint64_t queues = 0;
  uint64_t messages = 0;
  uint64_t memory_bytes = 0;      // estimate over all queues
  uint64_t log_bytes = 0;
  uint64_t live_log_bytes = 0;    // estimate of a snapshot's size
  uint64_t compactions = 0;
  uint64_t recovered_records = 0;
  uint64_t truncated_bytes = 0;   // torn tail cut off by the last open
  uint64_t log_syncs = 0;
};

// What a batch entry produced: OK with a result, or the error for that entry alone.
struct SendOutcome {
  Status status;
  SendResult result;
};

class Engine {
 public:
  // path empty: in memory only, nothing survives close.
  static Status Open(const std::string& path, const EngineOptions& options, std::unique_ptr<Engine>* out);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  Status CreateQueue(const std::string& name, bool fifo);
  Status DeleteQueue(const std::string& name);
  std::vector<std::string> QueueNames();
  Status Configure(const std::string& name, const QueueConfig& config);
  Status GetConfig(const std::string& name, QueueConfig* config, bool* fifo);

  Status Send(const std::string& name, const SendRequest& req, int64_t now, SendResult* result);
  // One log write for the whole batch; fails as a whole only for queue-level errors.
  Status SendBatch(const std::string& name, const std::vector<SendRequest>& reqs, int64_t now,
                   std::vector<SendOutcome>* out);
  Status Receive(const std::string& name, const ReceiveRequest& req, int64_t now, std::vector<ReceivedMessage>* out);
  Status Delete(const std::string& name, const std::string& handle, int64_t now);
  Status DeleteBatch(const std::string& name, const std::vector<std::string>& handles, int64_t now,
                     std::vector<Status>* out);
  Status ChangeVisibility(const std::string& name, const std::string& handle, int64_t timeout_ms, int64_t now);
  Status ChangeVisibilityBatch(const std::string& name, const std::vector<std::pair<std::string, int64_t>>& entries,
                               int64_t now, std::vector<Status>* out);
  Status Purge(const std::string& name, int64_t now);
  Status GetStats(const std::string& name, int64_t now, QueueStats* stats);
  // Earliest time a delayed or in-flight message becomes visible, or -1.
  Status NextVisible(const std::string& name, int64_t now, int64_t* at);
  // Moves up to max_count (< 0: all) visible messages from source to destination (redrive tasks).
  Status MoveMessages(const std::string& source, const std::string& destination, int64_t max_count, int64_t now,
                      uint64_t* moved);
  // Moves up to max_count (< 0: all) visible messages of a dead-letter queue back to the queue each
  // was dead-lettered from (its dead_letter_source). Messages without a source, or whose source no
  // longer exists, stay in dlq, are not counted, and do not stop the move.
  Status MoveMessagesToSources(const std::string& dlq, int64_t max_count, int64_t now, uint64_t* moved);

  // Rewrites the log with only live state (force: even if garbage does not dominate).
  Status Compact(bool force);
  Status Sync();
  EngineStats GetEngineStats();

 private:
  explicit Engine(const EngineOptions& options);

  Status Replay(uint8_t type, std::string_view payload);
  Queue* FindLocked(const std::string& name);
  Status CheckUsableLocked() const;
  // Appends records under the mutex; on success *lsn is set for the Commit after unlocking.
  Status LogLocked(const std::string& records, uint64_t* lsn);
  // Unlocks, then waits for durability (sync=always) of what LogLocked wrote.
  Status Finish(std::unique_lock<std::mutex>& lock, Status s, uint64_t lsn);
  // The shape of every call: under the mutex, refuse if broken, run fn(&records), log what it
  // built (only if it succeeded), then unlock and wait for durability. fn returns Status.
  template <typename Fn>
  Status Mutate(Fn&& fn);
  // FindLocked, or kNoSuchQueue naming the queue.
  Status LookupLocked(const std::string& name, Queue** q);
  // Mutate on an existing queue: fn(Queue*, std::string* records). The overload with now first
  // moves the engine's clock and applies the queue's lazy deadlines up to now.
  template <typename Fn>
  Status WithQueue(const std::string& name, Fn&& fn);
  template <typename Fn>
  Status WithQueue(const std::string& name, int64_t now, Fn&& fn);
  void Touch(int64_t now) {
    if (now > last_now_) last_now_ = now;
  }
  Status SendLocked(Queue* q, const SendRequest& req, int64_t now, SendResult* result, std::string* records);
  Status DeleteLocked(Queue* q, const std::string& handle, int64_t now, std::string* records);
  Status ChangeVisibilityLocked(Queue* q, const std::string& handle, int64_t timeout_ms, int64_t now,
                                std::string* records);
  // Moves m (detached from src) into dst as a new, visible, never-received message.
  void MoveLocked(Queue* src, Message* m, Queue* dst, int64_t now, bool record_source, std::string* records);
  ReceivedMessage ToReceived(const Queue& q, const Message& m) const;
  MessageId RandomIdLocked();
  uint64_t LiveEstimateLocked() const;
  Status MaybeCompactLocked();
  Status CompactLocked();

  const EngineOptions options_;
  std::unique_ptr<Wal> wal_;  // null in memory

  std::mutex mu_;
  std::map<std::string, std::unique_ptr<Queue>> queues_;
  std::unordered_map<uint64_t, Queue*> by_uid_;
  std::mt19937_64 rng_;
  int64_t last_now_ = 0;
  Status broken_;
  uint64_t next_compaction_check_ = 0;
  uint64_t compactions_ = 0;
  WalRecovery recovery_;
};

}  // namespace queue
}  // namespace pycloud

#endif  // PYCLOUD_QUEUE_ENGINE_H_
