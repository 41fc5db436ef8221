// The block store's metadata-log records: one per catalog change, one per batch of map changes
// of a volume or pending snapshot, one per batch of hydrated blocks, and the checkpoint records a
// compacted log starts with (the whole catalog as of the compaction). Payload layouts are in
// docs/blockdev-format.md; replay re-applies them through the same code the live calls use.
#ifndef PYCLOUD_BLOCKDEV_RECORDS_H_
#define PYCLOUD_BLOCKDEV_RECORDS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pycloud {
namespace blockdev {

enum class RecordType : uint8_t {
  kCreateVolume = 1,    // uid, id, size, source uid, lineage uid
  kDeleteVolume = 2,    // uid
  kResizeVolume = 3,    // uid, size
  kMap = 4,             // uid, [(block, slot)]  (slot 0: no data)
  kHydrate = 5,         // uid, [block]
  kCreateSnapshot = 6,  // uid, id, volume uid
  kStartSnapshot = 7,   // uid, id, size, parent uid, lineage uid
  kCompleteSnapshot = 8,  // uid
  kDeleteSnapshot = 9,    // uid
  kPenalty = 10,          // uid, microseconds
  // Checkpoint (only at the start of a compacted log, in this order):
  kCheckpoint = 11,      // uid = the store's next uid
  kVolumeState = 12,     // a whole volume but its map (which starts as its base snapshot's)
  kSnapshotState = 13,   // a whole snapshot but its map (which starts as its parent's)
  kCheckpointMap = 14,   // uid, [(block, slot)] of any volume or snapshot of the checkpoint
  kCheckpointEnd = 15,   // uid = the number of volumes and snapshots the checkpoint holds
};

constexpr uint8_t kMaxRecordType = static_cast<uint8_t>(RecordType::kCheckpointEnd);

struct Record {
  RecordType type = RecordType::kCreateVolume;
  uint64_t uid = 0;
  std::string id;
  uint64_t size = 0;     // sizes; the penalty of kPenalty
  uint64_t other = 0;    // source / volume / parent uid; the base uid of kVolumeState
  uint64_t lineage = 0;  // lineage uid
  std::vector<std::pair<uint64_t, uint64_t>> mappings;  // kMap, kCheckpointMap
  std::vector<uint64_t> blocks;                         // kHydrate

  // kVolumeState
  std::string ref_id;  // its source snapshot's id ("" if none); the volume id of kSnapshotState
  uint64_t penalty_us = 0;
  uint64_t to_hydrate = 0;
  uint64_t hydrated = 0;
  std::vector<std::pair<uint64_t, uint64_t>> pending;  // (first block, count) runs still to hydrate
  // kSnapshotState
  bool complete = false;
  uint64_t block_count = 0;   // of a completed snapshot, as fixed at completion
  uint64_t stored_count = 0;  // blocks not shared with the parent, likewise
};

// Appends the record's payload to *out.
void EncodeRecord(const Record& r, std::string* out);
// False when the payload is not a well-formed record.
bool DecodeRecord(std::string_view payload, Record* r);

}  // namespace blockdev
}  // namespace pycloud

#endif  // PYCLOUD_BLOCKDEV_RECORDS_H_
