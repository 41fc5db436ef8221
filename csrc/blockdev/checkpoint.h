// Checkpoint: the records a compacted metadata log starts with, the whole catalog as of the
// compaction (docs/blockdev-format.md, "Compaction").
//
// CheckpointWriter frames them: a kCheckpoint record (the next uid), then for every snapshot (by
// uid, so parents come first) and every volume its state record followed by the mappings where its
// map differs from the map it starts as (its parent's or base snapshot's), and a closing
// kCheckpointEnd with the object count. CheckpointReplay checks, record by record on open, that
// checkpoint records appear only there and that a log never ends inside its checkpoint.
#ifndef PYCLOUD_BLOCKDEV_CHECKPOINT_H_
#define PYCLOUD_BLOCKDEV_CHECKPOINT_H_

#include <atomic>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "blockdev/records.h"
#include "common/status.h"

namespace pycloud {
namespace blockdev {

// Mappings per kCheckpointMap record: at most ~20 bytes each, far below the record size limit.
constexpr size_t kCheckpointMapBatch = 65536;

class CheckpointWriter {
 public:
  explicit CheckpointWriter(uint64_t next_uid);
  // Starts a volume's or snapshot's part: its kVolumeState / kSnapshotState record.
  void AddObject(const Record& state);
  // One mapping (slot 0: no data) of the object added last.
  void AddMapping(uint64_t block, uint64_t slot);
  // The framed records, closed by kCheckpointEnd. The writer is spent afterwards.
  std::string Finish();

 private:
  void Emit(const Record& r);
  void FlushMappings();

  std::string framed_;
  std::string payload_;
  Record map_;
  uint64_t objects_ = 0;
};

// (first block, count) runs of the set bits of a bitmap of n_words words.
std::vector<std::pair<uint64_t, uint64_t>> BitRuns(const std::atomic<uint64_t>* words, uint64_t n_words);

class CheckpointReplay {
 public:
  // Called with each replayed record before it is applied; framed_size counts the checkpoint.
  Status Accept(const Record& r, uint64_t framed_size);
  // After the last record: Corruption when the log ends inside its checkpoint.
  Status AtEnd() const;
  bool inside() const { return state_ == State::kInside; }
  // Bytes of the log's checkpoint records (0 when the log has none).
  uint64_t checkpoint_bytes() const { return bytes_; }

 private:
  enum class State { kStart, kInside, kAfter };
  State state_ = State::kStart;
  uint64_t objects_ = 0;
  uint64_t bytes_ = 0;
};

}  // namespace blockdev
}  // namespace pycloud

#endif  // PYCLOUD_BLOCKDEV_CHECKPOINT_H_
