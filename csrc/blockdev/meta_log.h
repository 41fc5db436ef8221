// MetaLog: the block store's metadata log, `<dir>/meta.log` (layout in docs/blockdev-format.md).
//
// Every change to volumes, snapshots and block maps is a framed, CRC-checked record appended with
// one pwrite, so a change the store acknowledged is in the OS and survives kill -9; Sync makes it
// survive an operating-system crash. Open replays every valid record in order and cuts the file
// at the first torn or corrupt one (only an unacknowledged append can be torn).
//
// Compaction replaces the log with a new one that starts with a checkpoint: PrepareRewrite writes
// the checkpoint into `meta.log.tmp` and fsyncs it; CommitRewrite copies the records appended
// since the checkpoint was taken, fsyncs, renames the new file over the log and fsyncs the
// directory. Until the rename the old log is the log; from it on, the new one, complete and durable.
//
// Not thread-safe: the store serialises Append under its metadata mutex; Sync may run concurrently
// with Append, PrepareRewrite with both; CommitRewrite excludes both (the store holds its sync and
// metadata mutexes). The caller holds the store's lock: Open removes a stale `meta.log.tmp`.
#ifndef PYCLOUD_BLOCKDEV_META_LOG_H_
#define PYCLOUD_BLOCKDEV_META_LOG_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "blockdev/file.h"
#include "common/status.h"

namespace pycloud {
namespace blockdev {

constexpr char kLogMagic[8] = {'P', 'C', 'B', 'L', 'K', 'L', 'G', '1'};
constexpr size_t kRecordHeader = 8;
constexpr uint32_t kMaxRecordPayload = 64u << 20;

class MetaLog {
 public:
  using ReplayFn = std::function<Status(std::string_view payload)>;
  using EndFn = std::function<Status()>;

  // Frames one record (header + payload) onto *out.
  static void Frame(std::string* out, std::string_view payload);

  // Opens or creates the log and replays it; at_end runs after the last valid record, before a
  // torn tail is cut (an error there leaves the file as it is).
  Status Open(const std::string& path, const ReplayFn& replay, const EndFn& at_end, uint64_t* records,
              uint64_t* truncated_bytes);
  // Writes framed records at the end; *end is the log's size after them.
  Status Append(std::string_view framed, uint64_t* end);
  Status Sync();
  uint64_t end() const { return end_.load(std::memory_order_acquire); }

  // Compaction, step 1: the magic and `checkpoint` (framed records) into `<path>.tmp`, fsynced.
  Status PrepareRewrite(std::string_view checkpoint);
  // Step 2: appends the log's bytes from tail_from to its end to the new file, fsyncs it, renames
  // it over the log, fsyncs the directory and appends to it from then on. *swapped tells whether
  // the rename happened (an error after it leaves the new log in use, since it holds everything).
  // Without the rename the old log stays in use and the new file is removed.
  Status CommitRewrite(uint64_t tail_from, bool* swapped);
  // Drops a prepared rewrite.
  void AbandonRewrite();

 private:
  std::string path_;
  std::unique_ptr<File> file_;
  std::unique_ptr<File> next_;  // a prepared rewrite
  uint64_t next_end_ = 0;
  std::atomic<uint64_t> end_{0};
  std::atomic<bool> dir_unsynced_{false};  // a rename whose directory fsync failed: Sync retries it
};

}  // namespace blockdev
}  // namespace pycloud

#endif  // PYCLOUD_BLOCKDEV_META_LOG_H_
