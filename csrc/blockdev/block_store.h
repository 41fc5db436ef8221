// BlockStore: the EBS data plane. Volumes are sparse maps of 512 KiB blocks over one data file;
// snapshots are frozen copies of a volume's map (copy-on-write, incremental by construction);
// volumes restored from a snapshot hydrate lazily. Layout and crash guarantees:
// docs/blockdev-format.md.
//
// A store owns a directory: `blocks.dat` (the slots, sparse) and `meta.log` (every map and
// catalog change, compacted into a checkpoint of the live state as it grows). Volumes and
// snapshots are named by the caller's ids ("vol-...", "snap-...").
//
// Thread-safety: every method may be called from any thread. Reads of one volume run in parallel;
// writes to one volume are serialised with its reads; different volumes proceed independently.
// Catalog changes (create/delete, snapshots) briefly exclude everything else.
#ifndef PYCLOUD_BLOCKDEV_BLOCK_STORE_H_
#define PYCLOUD_BLOCKDEV_BLOCK_STORE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "blockdev/block_map.h"
#include "common/status.h"

namespace pycloud {
namespace blockdev {

// kAlways: every change is on stable storage when its call returns. kBatch: data and log are
// fdatasynced in the background at most batch_window_ms after a change, and on Flush. kNever: no
// fsync at all (Flush included). In every mode a returned call is in the OS: it survives kill -9.
enum class SyncMode { kAlways, kBatch, kNever };

// The metadata log is compacted (rewritten as a checkpoint of the live state, then appended to)
// once it holds kCompactRatio times the bytes of its last checkpoint and at least
// compact_min_bytes.
constexpr uint64_t kCompactRatio = 4;

struct StoreOptions {
  SyncMode sync = SyncMode::kBatch;
  uint32_t batch_window_ms = 50;
  uint64_t compact_min_bytes = 8u << 20;
};

struct VolumeInfo {
  std::string id;
  uint64_t size = 0;
  uint64_t blocks = 0;  // blocks with data (shared with snapshots or not)
  std::string lineage;
  std::string source_snapshot;  // the snapshot it was restored from, "" if none
  std::string last_snapshot;    // parent of its next snapshot, "" if none
  uint64_t hydrated_blocks = 0;
  uint64_t blocks_to_hydrate = 0;
  uint64_t first_touches = 0;  // first-touch block reads since open
  uint64_t first_touch_penalty_us = 0;
};

struct SnapshotInfo {
  std::string id;
  std::string volume_id;  // "" for snapshots built with StartSnapshot
  std::string parent;
  std::string lineage;
  uint64_t size = 0;
  uint64_t blocks = 0;         // blocks with data
  uint64_t stored_blocks = 0;  // blocks not shared with the parent
  bool complete = false;
};

struct StoreStats {
  uint64_t volumes = 0;
  uint64_t snapshots = 0;
  uint64_t slots = 0;             // slots the data file spans
  uint64_t referenced_slots = 0;  // slots some map points at
  uint64_t free_slots = 0;
  uint64_t quarantined_slots = 0;  // freed, reusable once the freeing record is durable
  uint64_t data_disk_bytes = 0;    // what the sparse data file occupies on disk
  uint64_t log_bytes = 0;
  uint64_t checkpoint_bytes = 0;  // the log's leading checkpoint (0: none yet)
  uint64_t compactions = 0;       // since open
  uint64_t compaction_failures = 0;
  uint64_t recovered_records = 0;
  uint64_t truncated_bytes = 0;
};

class BlockStore {
 public:
  static Status Open(const std::string& dir, const StoreOptions& options, std::unique_ptr<BlockStore>* out);
  ~BlockStore();
  BlockStore(const BlockStore&) = delete;
  BlockStore& operator=(const BlockStore&) = delete;

  // Volumes. Sizes are multiples of 512 bytes, at most 64 TiB.
  Status CreateVolume(const std::string& id, uint64_t size, const std::string& from_snapshot);
  Status DeleteVolume(const std::string& id);
  Status ResizeVolume(const std::string& id, uint64_t size);  // grow only
  Status GetVolumeInfo(const std::string& id, VolumeInfo* info);
  std::vector<std::string> ListVolumes();
  Status SetFirstTouchPenalty(const std::string& id, uint64_t us);

  // Block I/O at any offset and length inside the volume. *first_touch counts the blocks this
  // call hydrated (read or written for the first time since the restore).
  Status Read(const std::string& id, uint64_t offset, uint64_t length, char* out, uint64_t* first_touch);
  Status Write(const std::string& id, uint64_t offset, const char* data, uint64_t length, uint64_t* first_touch);
  // Discards the blocks the range covers whole, zeroes the partial ones.
  Status Trim(const std::string& id, uint64_t offset, uint64_t length);
  // Everything acknowledged so far to stable storage (not in kNever).
  Status Flush(const std::string& id);

  // Snapshots.
  Status CreateSnapshot(const std::string& volume_id, const std::string& snapshot_id);
  Status DeleteSnapshot(const std::string& id);
  Status GetSnapshotInfo(const std::string& id, SnapshotInfo* info);
  std::vector<std::string> ListSnapshots();
  Status ListSnapshotBlocks(const std::string& id, std::vector<uint64_t>* blocks);
  // Blocks whose content differs between two completed snapshots of one lineage (first may be
  // "": every block of second), from the maps alone.
  Status ChangedBlocks(const std::string& first, const std::string& second, std::vector<uint64_t>* blocks);
  // Block `index` (kBlockSize bytes into out; zeros where the snapshot has no data).
  Status ReadSnapshotBlock(const std::string& id, uint64_t index, char* out);
  // EBS direct: a pending snapshot built block by block on top of parent's blocks.
  Status StartSnapshot(const std::string& id, uint64_t size, const std::string& parent);
  Status PutSnapshotBlock(const std::string& id, uint64_t index, const char* data, uint64_t length);
  Status CompleteSnapshot(const std::string& id);

  // Data and log to stable storage, whatever the mode.
  Status Sync();
  // Rewrites the metadata log as a checkpoint of the live state now (it also happens on its own,
  // see kCompactRatio). Excludes every other call while the state is serialised.
  Status Compact();
  StoreStats Stats();

 private:
  struct Impl;
  explicit BlockStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace blockdev
}  // namespace pycloud

#endif  // PYCLOUD_BLOCKDEV_BLOCK_STORE_H_
