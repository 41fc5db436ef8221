// Wal: the queue engine's write-ahead log, one file `<dir>/queue.log` (layout in
// docs/queue-format.md).
//
// Append() writes framed records with one write(2), so an acknowledged change is in the OS and
// survives kill -9. Stable storage depends on the sync mode: kAlways waits in Commit() for an
// fdatasync covering the record (group commit: one caller syncs for everything appended so far
// while the others wait); kBatch syncs from a background thread at most batch_window_ms after the
// first unsynced append; kNever leaves it to the OS. Open() replays every valid record and cuts
// the file at the first torn or corrupt one. Rewrite() replaces the log atomically (compaction).
// A failed append is cut back; a failed sync or cut-back makes the log refuse further writes.
// Thread-safe; the engine still serialises appends itself so log order is state order.
#ifndef PYCLOUD_QUEUE_WAL_H_
#define PYCLOUD_QUEUE_WAL_H_

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "common/status.h"
#include "objstore/env.h"

namespace pycloud {
namespace queue {

enum class SyncMode { kAlways, kBatch, kNever };

constexpr size_t kWalHeaderSize = 12;
constexpr uint32_t kMaxRecordPayload = 64u << 20;

struct WalOptions {
  SyncMode sync = SyncMode::kBatch;
  uint32_t batch_window_ms = 50;
  objstore::Env* env = nullptr;  // nullptr: the POSIX Env
};

struct WalRecovery {
  uint64_t records = 0;
  uint64_t truncated_bytes = 0;
};

// Appends one framed record (header + payload) to *out.
void AppendRecord(std::string* out, uint8_t type, std::string_view payload);

class Wal {
 public:
  // Called for each valid record in order during Open; a failure aborts Open.
  using ReplayFn = std::function<Status(uint8_t type, std::string_view payload)>;
  // Receives bytes of the replacement log, in order.
  using EmitFn = std::function<Status(std::string_view bytes)>;

  static Status Open(const std::string& dir, const WalOptions& options, const ReplayFn& replay,
                     std::unique_ptr<Wal>* out, WalRecovery* recovery);
  ~Wal();
  Wal(const Wal&) = delete;
  Wal& operator=(const Wal&) = delete;

  // Writes framed records (AppendRecord output) at the end; *lsn marks their end for Commit.
  Status Append(std::string_view records, uint64_t* lsn);
  // kAlways: returns once everything up to lsn is on stable storage. Other modes: at once.
  Status Commit(uint64_t lsn);
  // Everything appended so far to stable storage, whatever the mode.
  Status Sync();
  // Replaces the whole log with what produce() emits (written to a temp file, synced, renamed
  // over the log). Must not run concurrently with Append (the engine holds its mutex).
  Status Rewrite(const std::function<Status(const EmitFn&)>& produce);

  uint64_t size() const;
  uint64_t syncs() const;

 private:
  Wal(objstore::Env* env, std::string dir, const WalOptions& options);
  Status SyncUpToLocked(std::unique_lock<std::mutex>& lock, uint64_t target);
  void SyncerLoop();

  objstore::Env* env_;
  const std::string dir_;
  const std::string path_;
  const WalOptions options_;

  mutable std::mutex mu_;
  std::condition_variable cv_;       // wakes the batch syncer
  std::condition_variable sync_cv_;  // a sync finished
  std::unique_ptr<objstore::WritableFile> file_;
  uint64_t appended_ = 0;  // logical bytes appended since open (monotonic across rewrites)
  uint64_t synced_ = 0;    // logical bytes known durable
  bool syncing_ = false;
  bool stop_ = false;
  uint64_t syncs_ = 0;
  Status error_;
  std::thread syncer_;
};

}  // namespace queue
}  // namespace pycloud

#endif  // PYCLOUD_QUEUE_WAL_H_
