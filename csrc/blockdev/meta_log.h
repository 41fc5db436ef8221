// MetaLog: the block store's metadata log, `<dir>/meta.log` (layout in docs/blockdev-format.md).
//
// Every change to volumes, snapshots and block maps is a framed, CRC-checked record appended with
// one pwrite, so a change the store acknowledged is in the OS and survives kill -9; Sync makes it
// survive an operating-system crash. Open replays every valid record in order and cuts the file
// at the first torn or corrupt one (only an unacknowledged append can be torn).
// Not thread-safe: the store serialises Append under its metadata mutex; Sync may run concurrently
// with Append.
#ifndef PYCLOUD_BLOCKDEV_META_LOG_H_
#define PYCLOUD_BLOCKDEV_META_LOG_H_

#include <atomic>
#include <cstdint>
#include <functional>
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

  // Frames one record (header + payload) onto *out.
  static void Frame(std::string* out, std::string_view payload);

  // Opens or creates the log, locks it against a second opener and replays it.
  Status Open(const std::string& path, const ReplayFn& replay, uint64_t* records, uint64_t* truncated_bytes);
  // Writes framed records at the end; *end is the log's size after them.
  Status Append(std::string_view framed, uint64_t* end);
  Status Sync();
  uint64_t end() const { return end_.load(std::memory_order_acquire); }

 private:
  File file_;
  std::atomic<uint64_t> end_{0};
};

}  // namespace blockdev
}  // namespace pycloud

#endif  // PYCLOUD_BLOCKDEV_META_LOG_H_
