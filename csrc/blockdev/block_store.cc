#include "blockdev/block_store.h"

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <shared_mutex>
#include <thread>
#include <unordered_map>
#include <utility>

#include "blockdev/checkpoint.h"
#include "blockdev/errors.h"
#include "blockdev/file.h"
#include "blockdev/meta_log.h"
#include "blockdev/records.h"

namespace pycloud {
namespace blockdev {
namespace {

constexpr uint64_t kSector = 512;
constexpr size_t kMaxIdLength = 255;

inline uint64_t SlotOffset(uint64_t slot) { return (slot - 1) * kBlockSize; }

std::string LineageName(uint64_t uid) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "lin-%016llx", static_cast<unsigned long long>(uid));
  return buf;
}

Status CheckId(const std::string& id) {
  if (id.empty() || id.size() > kMaxIdLength) {
    return MakeError(BlockError::kInvalidArgument, "ids are 1 to 255 bytes");
  }
  return Status::OK();
}

Status CheckSize(uint64_t size) {
  if (size == 0 || size % kSector != 0 || size > kMaxBlocks * kBlockSize) {
    return MakeError(BlockError::kInvalidArgument,
                     "size must be a positive multiple of 512 bytes, at most 64 TiB: " + std::to_string(size));
  }
  return Status::OK();
}

const char* Zeros() {
  static const std::vector<char> zeros(kBlockSize, 0);
  return zeros.data();
}

}  // namespace

struct Volume {
  std::string id;
  uint64_t uid = 0;
  uint64_t size = 0;
  uint64_t lineage = 0;
  std::string source_id;
  uint64_t base = 0;  // uid of the parent of its next snapshot
  BlockMap map;
  std::shared_mutex mu;
  // Blocks restored from the source snapshot and not touched yet, one bit each.
  std::unique_ptr<std::atomic<uint64_t>[]> pending;
  uint64_t pending_words = 0;
  uint64_t to_hydrate = 0;
  std::atomic<uint64_t> hydrated{0};
  std::atomic<uint64_t> first_touches{0};
  std::atomic<uint64_t> penalty_us{0};
  // Blocks whose mapping changed since the snapshot `base` (with repeats), so the next snapshot
  // counts what it stores from these alone: snapshot time follows the changed data, not the
  // volume's size. `changed_complete` is false when the list no longer covers every change.
  std::vector<uint64_t> changed;
  bool changed_complete = true;

  void NoteChanged(uint64_t idx) {
    if (!changed_complete) return;
    if (changed.size() >= 2 * (size / kBlockSize) + 1024) {  // bounded: past this, diff the maps
      changed_complete = false;
      changed.clear();
      changed.shrink_to_fit();
      return;
    }
    changed.push_back(idx);
  }

  // Clears idx's pending bit; true for the one caller that cleared it (its first touch).
  bool TakePending(uint64_t idx) {
    if (idx / 64 >= pending_words) return false;
    uint64_t bit = uint64_t{1} << (idx % 64);
    std::atomic<uint64_t>& word = pending[idx / 64];
    if ((word.load(std::memory_order_relaxed) & bit) == 0) return false;
    return (word.fetch_and(~bit) & bit) != 0;
  }
};

struct Snapshot {
  std::string id;
  std::string volume_id;
  uint64_t uid = 0;
  uint64_t size = 0;
  uint64_t lineage = 0;
  uint64_t parent = 0;
  BlockMap map;
  bool complete = false;
  uint64_t blocks = 0;
  uint64_t stored = 0;
  std::mutex mu;  // serialises puts into a pending snapshot
};

struct BlockStore::Impl {
  std::string dir;
  StoreOptions options;
  File data;
  MetaLog log;
  SlotTable slots;

  // Lock order: compact_mu -> catalog_mu -> Volume::mu / Snapshot::mu -> sync_mu -> meta_mu ->
  // (SlotTable's own mutex).
  std::shared_mutex catalog_mu;
  std::unordered_map<std::string, std::unique_ptr<Volume>> volumes;
  std::unordered_map<std::string, std::unique_ptr<Snapshot>> snapshots;
  std::unordered_map<uint64_t, Volume*> volume_by_uid;
  std::unordered_map<uint64_t, Snapshot*> snapshot_by_uid;
  uint64_t next_uid = 1;

  std::mutex meta_mu;  // log appends, map publication, the quarantine
  // Freed slots with the log end their freeing record reached: reusable once that is durable,
  // or a crash could replay a map entry pointing at a slot already holding other data.
  std::vector<std::pair<uint64_t, uint64_t>> quarantine;
  Status broken;  // a failed log append: memory is ahead of the log, refuse further changes

  // Compaction (one at a time). compact_at and checkpoint_bytes are guarded by meta_mu.
  std::mutex compact_mu;
  std::atomic<bool> compact_due{false};
  uint64_t compact_at = 0;        // log size that calls for the next compaction
  uint64_t checkpoint_bytes = 0;  // the log's leading checkpoint, magic included (0: none)
  std::atomic<uint64_t> compactions{0};
  std::atomic<uint64_t> compaction_failures{0};

  std::mutex sync_mu;
  std::atomic<bool> dirty{false};
  std::mutex syncer_mu;
  std::condition_variable syncer_cv;
  bool stop = false;
  std::thread syncer;

  uint64_t recovered_records = 0;
  uint64_t truncated_bytes = 0;

  explicit Impl(std::string d, const StoreOptions& o) : dir(std::move(d)), options(o) {}

  Volume* FindVolume(const std::string& id) {
    auto it = volumes.find(id);
    return it == volumes.end() ? nullptr : it->second.get();
  }
  Snapshot* FindSnapshot(const std::string& id) {
    auto it = snapshots.find(id);
    return it == snapshots.end() ? nullptr : it->second.get();
  }
  Snapshot* SnapshotByUid(uint64_t uid) {
    auto it = snapshot_by_uid.find(uid);
    return it == snapshot_by_uid.end() ? nullptr : it->second;
  }
  Status VolumeOrError(const std::string& id, Volume** v) {
    *v = FindVolume(id);
    return *v ? Status::OK() : MakeError(BlockError::kNoSuchVolume, "no volume " + id);
  }
  Status SnapshotOrError(const std::string& id, Snapshot** s) {
    *s = FindSnapshot(id);
    return *s ? Status::OK() : MakeError(BlockError::kNoSuchSnapshot, "no snapshot " + id);
  }
  Status CompletedSnapshot(const std::string& id, Snapshot** s) {
    Status st = SnapshotOrError(id, s);
    if (st.ok() && !(*s)->complete) st = MakeError(BlockError::kSnapshotNotComplete, "snapshot " + id + " is pending");
    return st;
  }

  // ---------------------------------------------------------------- state changes (live and replay)

  Status ApplyCreateVolume(const Record& r) {
    if (volumes.count(r.id) != 0 || volume_by_uid.count(r.uid) != 0) return Status::Corruption("volume exists: " + r.id);
    auto v = std::make_unique<Volume>();
    v->id = r.id;
    v->uid = r.uid;
    v->size = r.size;
    v->lineage = r.lineage;
    v->map = BlockMap(&slots);
    if (r.other != 0) {
      Snapshot* src = SnapshotByUid(r.other);
      if (src == nullptr) return Status::Corruption("volume " + r.id + " restored from an unknown snapshot");
      v->source_id = src->id;
      v->base = src->uid;
      v->map = src->map;
      v->to_hydrate = src->map.blocks();
      v->pending_words = (r.size / kBlockSize + 64) / 64;
      v->pending = std::make_unique<std::atomic<uint64_t>[]>(v->pending_words);
      for (uint64_t i = 0; i < v->pending_words; ++i) v->pending[i].store(0, std::memory_order_relaxed);
      src->map.ForEach([&](uint64_t idx, uint64_t) {
        v->pending[idx / 64].fetch_or(uint64_t{1} << (idx % 64), std::memory_order_relaxed);
      });
    }
    next_uid = std::max(next_uid, r.uid + 1);
    volume_by_uid[r.uid] = v.get();
    volumes[r.id] = std::move(v);
    return Status::OK();
  }

  Status ApplyDeleteVolume(uint64_t uid) {
    auto it = volume_by_uid.find(uid);
    if (it == volume_by_uid.end()) return Status::Corruption("delete of an unknown volume");
    std::string id = it->second->id;
    volume_by_uid.erase(it);
    volumes.erase(id);  // drops its map: slots only it referenced are freed
    return Status::OK();
  }

  Status ApplyMap(const Record& r) {
    BlockMap* map = nullptr;
    auto vit = volume_by_uid.find(r.uid);
    if (vit != volume_by_uid.end()) {
      map = &vit->second->map;
      for (const auto& mapping : r.mappings) vit->second->NoteChanged(mapping.first);
    } else if (Snapshot* s = SnapshotByUid(r.uid); s != nullptr && !s->complete) {
      map = &s->map;
    } else {
      return Status::Corruption("map change of an unknown volume or snapshot");
    }
    for (const auto& [block, slot] : r.mappings) map->Set(block, slot);
    return Status::OK();
  }

  Status ApplyHydrate(const Record& r) {
    auto it = volume_by_uid.find(r.uid);
    if (it == volume_by_uid.end()) return Status::Corruption("hydration of an unknown volume");
    for (uint64_t b : r.blocks) {
      if (it->second->TakePending(b)) it->second->hydrated.fetch_add(1);
    }
    return Status::OK();
  }

  // Blocks among `candidates` (repeats allowed) holding data in `map` that `base` does not share.
  static uint64_t CountChanged(std::vector<uint64_t>& candidates, const BlockMap& map, const BlockMap& base) {
    std::sort(candidates.begin(), candidates.end());
    candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
    uint64_t n = 0;
    for (uint64_t idx : candidates) {
      const uint64_t slot = map.Get(idx);
      if (slot != 0 && slot != base.Get(idx)) ++n;
    }
    return n;
  }

  void ComputeStored(Snapshot* s) {
    s->blocks = s->map.blocks();
    Snapshot* parent = SnapshotByUid(s->parent);
    s->stored = parent ? BlockMap::CountOwnBlocks(s->map, parent->map) : s->blocks;
  }

  Status ApplyCreateSnapshot(const Record& r) {
    auto it = volume_by_uid.find(r.other);
    if (it == volume_by_uid.end() || snapshots.count(r.id) != 0) return Status::Corruption("bad snapshot " + r.id);
    Volume* v = it->second;
    auto s = std::make_unique<Snapshot>();
    s->id = r.id;
    s->volume_id = v->id;
    s->uid = r.uid;
    s->size = v->size;
    s->lineage = v->lineage;
    s->parent = v->base;
    s->map = v->map;  // the freeze: one pointer copy, whatever the volume's size
    s->complete = true;
    Snapshot* parent = SnapshotByUid(s->parent);
    if (parent != nullptr && v->changed_complete) {
      s->blocks = s->map.blocks();
      s->stored = CountChanged(v->changed, s->map, parent->map);
    } else {
      ComputeStored(s.get());
    }
    v->changed.clear();
    v->changed_complete = true;
    v->base = r.uid;
    next_uid = std::max(next_uid, r.uid + 1);
    snapshot_by_uid[r.uid] = s.get();
    snapshots[r.id] = std::move(s);
    return Status::OK();
  }

  // Makes the record r (of r->size bytes) descend from the completed snapshot `source`: its
  // parent and lineage; refused when r would be smaller than the snapshot.
  Status DescendFrom(const std::string& source, Record* r) {
    Snapshot* src;
    Status s = CompletedSnapshot(source, &src);
    if (!s.ok()) return s;
    if (r->size < src->size) {
      return MakeError(BlockError::kInvalidArgument, "size " + std::to_string(r->size) + " is smaller than snapshot " +
                                                         source + " (" + std::to_string(src->size) + ")");
    }
    r->other = src->uid;
    r->lineage = src->lineage;
    return Status::OK();
  }

  // CreateVolume (kCreateVolume) and StartSnapshot (kStartSnapshot): a new volume or snapshot `id`
  // of `size` bytes, empty in a lineage of its own, or descending from the completed snapshot `from`.
  Status AddFresh(RecordType type, const std::string& id, uint64_t size, const std::string& from) {
    Status s = CheckId(id);
    if (s.ok()) s = CheckSize(size);
    if (!s.ok()) return s;
    {
      std::unique_lock<std::shared_mutex> cat(catalog_mu);
      const bool volume = type == RecordType::kCreateVolume;
      if (volume ? FindVolume(id) != nullptr : FindSnapshot(id) != nullptr) {
        return MakeError(BlockError::kAlreadyExists, (volume ? "volume " : "snapshot ") + id + " exists");
      }
      Record r;
      r.type = type;
      r.uid = next_uid;
      r.id = id;
      r.size = size;
      r.lineage = r.uid;
      if (!from.empty()) s = DescendFrom(from, &r);
      if (s.ok()) s = Commit(r);
    }
    return Done(s.ok() ? AfterChange() : s);
  }

  // Registers a snapshot named by r.id/r.uid (size, lineage, parent r.other) whose map starts as
  // its parent's, or empty.
  Status AddSnapshot(const Record& r, Snapshot** out) {
    auto s = std::make_unique<Snapshot>();
    s->id = r.id;
    s->uid = r.uid;
    s->size = r.size;
    s->lineage = r.lineage;
    s->parent = r.other;
    s->map = BlockMap(&slots);
    if (r.other != 0) {
      Snapshot* parent = SnapshotByUid(r.other);
      if (parent == nullptr) return Status::Corruption("snapshot " + r.id + " has an unknown parent");
      s->map = parent->map;
    }
    next_uid = std::max(next_uid, r.uid + 1);
    snapshot_by_uid[r.uid] = s.get();
    *out = s.get();
    snapshots[r.id] = std::move(s);
    return Status::OK();
  }

  Status ApplyStartSnapshot(const Record& r) {
    if (snapshots.count(r.id) != 0) return Status::Corruption("snapshot exists: " + r.id);
    Snapshot* s;
    return AddSnapshot(r, &s);
  }

  Status ApplyCompleteSnapshot(uint64_t uid) {
    Snapshot* s = SnapshotByUid(uid);
    if (s == nullptr) return Status::Corruption("completion of an unknown snapshot");
    s->complete = true;
    ComputeStored(s);
    return Status::OK();
  }

  Status ApplyDeleteSnapshot(uint64_t uid) {
    Snapshot* s = SnapshotByUid(uid);
    if (s == nullptr) return Status::Corruption("delete of an unknown snapshot");
    // Its children now descend from its parent and store what only it held (as EBS moves a
    // deleted snapshot's data still needed into the next one).
    for (auto& [id, other] : snapshots) {
      if (other->parent != uid) continue;
      other->parent = s->parent;
      if (other->complete) ComputeStored(other.get());
    }
    for (auto& [id, v] : volumes) {
      if (v->base == uid) {
        v->base = s->parent;
        v->changed_complete = false;  // its changes since the parent are no longer all listed
        v->changed.clear();
      }
    }
    snapshot_by_uid.erase(uid);
    snapshots.erase(s->id);
    return Status::OK();
  }

  Status ApplyResize(const Record& r) {
    auto it = volume_by_uid.find(r.uid);
    if (it == volume_by_uid.end()) return Status::Corruption("resize of an unknown volume");
    it->second->size = r.size;
    return Status::OK();
  }

  Status ApplyPenalty(const Record& r) {
    auto it = volume_by_uid.find(r.uid);
    if (it == volume_by_uid.end()) return Status::Corruption("penalty of an unknown volume");
    it->second->penalty_us = r.size;
    return Status::OK();
  }

  // ------------------------------------------------ checkpoint records (replay of a compacted log)

  Status ApplyVolumeState(const Record& r) {
    if (volumes.count(r.id) != 0 || volume_by_uid.count(r.uid) != 0) return Status::Corruption("volume exists: " + r.id);
    auto v = std::make_unique<Volume>();
    v->id = r.id;
    v->uid = r.uid;
    v->size = r.size;
    v->lineage = r.lineage;
    v->source_id = r.ref_id;
    v->base = r.other;
    v->map = BlockMap(&slots);
    if (r.other != 0) {
      Snapshot* base = SnapshotByUid(r.other);
      if (base == nullptr) return Status::Corruption("volume " + r.id + " descends from an unknown snapshot");
      v->map = base->map;  // its own mappings follow where they differ, sharing the rest as before
    }
    v->to_hydrate = r.to_hydrate;
    v->hydrated.store(r.hydrated);
    v->penalty_us.store(r.penalty_us);
    if (!r.pending.empty()) {
      v->pending_words = (r.pending.back().first + r.pending.back().second + 63) / 64;
      v->pending = std::make_unique<std::atomic<uint64_t>[]>(v->pending_words);
      for (uint64_t i = 0; i < v->pending_words; ++i) v->pending[i].store(0, std::memory_order_relaxed);
      for (const auto& [first, count] : r.pending) {
        for (uint64_t idx = first, end = first + count; idx < end;) {
          if (idx % 64 == 0 && end - idx >= 64) {  // a whole word at once: restores can be huge
            v->pending[idx / 64].store(~uint64_t{0}, std::memory_order_relaxed);
            idx += 64;
          } else {
            v->pending[idx / 64].fetch_or(uint64_t{1} << (idx % 64), std::memory_order_relaxed);
            ++idx;
          }
        }
      }
    }
    next_uid = std::max(next_uid, r.uid + 1);
    volume_by_uid[r.uid] = v.get();
    volumes[r.id] = std::move(v);
    return Status::OK();
  }

  Status ApplySnapshotState(const Record& r) {
    if (snapshots.count(r.id) != 0 || snapshot_by_uid.count(r.uid) != 0) {
      return Status::Corruption("snapshot exists: " + r.id);
    }
    Snapshot* s;
    Status st = AddSnapshot(r, &s);
    if (!st.ok()) return st;
    s->volume_id = r.ref_id;
    s->complete = r.complete;
    s->blocks = r.block_count;
    s->stored = r.stored_count;
    return Status::OK();
  }

  Status ApplyCheckpointMap(const Record& r) {
    if (auto it = volume_by_uid.find(r.uid); it != volume_by_uid.end()) {
      for (const auto& [block, slot] : r.mappings) {
        it->second->map.Set(block, slot);
        it->second->NoteChanged(block);  // the changes since its base: what its next snapshot stores
      }
      return Status::OK();
    }
    Snapshot* s = SnapshotByUid(r.uid);
    if (s == nullptr) return Status::Corruption("checkpoint map of an unknown volume or snapshot");
    for (const auto& [block, slot] : r.mappings) s->map.Set(block, slot);
    return Status::OK();
  }

  Status Apply(const Record& r) {
    switch (r.type) {
      case RecordType::kCreateVolume: return ApplyCreateVolume(r);
      case RecordType::kDeleteVolume: return ApplyDeleteVolume(r.uid);
      case RecordType::kResizeVolume: return ApplyResize(r);
      case RecordType::kMap: return ApplyMap(r);
      case RecordType::kHydrate: return ApplyHydrate(r);
      case RecordType::kCreateSnapshot: return ApplyCreateSnapshot(r);
      case RecordType::kStartSnapshot: return ApplyStartSnapshot(r);
      case RecordType::kCompleteSnapshot: return ApplyCompleteSnapshot(r.uid);
      case RecordType::kDeleteSnapshot: return ApplyDeleteSnapshot(r.uid);
      case RecordType::kPenalty: return ApplyPenalty(r);
      case RecordType::kCheckpoint:
        next_uid = std::max(next_uid, r.uid);
        return Status::OK();
      case RecordType::kVolumeState: return ApplyVolumeState(r);
      case RecordType::kSnapshotState: return ApplySnapshotState(r);
      case RecordType::kCheckpointMap: return ApplyCheckpointMap(r);
      case RecordType::kCheckpointEnd: return Status::OK();
    }
    return Status::Corruption("unknown record");
  }

  // ---------------------------------------------------------------- log, quarantine, sync

  // Appends records (meta_mu held) and quarantines the slots the change freed.
  Status AppendLocked(const std::vector<Record>& records) {
    std::string framed;
    std::string payload;
    for (const Record& r : records) {
      payload.clear();
      EncodeRecord(r, &payload);
      MetaLog::Frame(&framed, payload);
    }
    uint64_t end = 0;
    Status s = log.Append(framed, &end);
    if (!s.ok()) {
      broken = s;
      return s;
    }
    dirty.store(true, std::memory_order_relaxed);
    if (end >= compact_at) compact_due.store(true, std::memory_order_relaxed);
    for (uint64_t slot : slots.TakeFreed()) quarantine.emplace_back(end, slot);
    // Without fsyncs, "durable" is "in the OS", which the append just made it.
    if (options.sync == SyncMode::kNever) ReleaseLocked(end);
    return Status::OK();
  }

  // Zeroes quarantined slots whose freeing record is covered by `durable_end` and makes them
  // allocatable (meta_mu held).
  void ReleaseLocked(uint64_t durable_end) {
    size_t keep = 0;
    for (auto& entry : quarantine) {
      if (entry.first <= durable_end && data.PunchHole(SlotOffset(entry.second), kBlockSize).ok()) {
        slots.Release(entry.second);
      } else {
        quarantine[keep++] = entry;
      }
    }
    quarantine.resize(keep);
  }

  // Applies a live change under meta_mu: apply to memory, then log it.
  Status Commit(const Record& r) {
    std::lock_guard<std::mutex> lock(meta_mu);
    if (!broken.ok()) return broken;
    Status s = Apply(r);
    if (!s.ok()) return s;
    return AppendLocked({r});
  }

  Status SyncAll() {
    std::lock_guard<std::mutex> lock(sync_mu);
    uint64_t end = log.end();
    dirty.store(false, std::memory_order_relaxed);
    Status s = data.Sync();
    if (s.ok()) s = log.Sync();
    if (!s.ok()) {
      dirty.store(true);
      return s;
    }
    std::lock_guard<std::mutex> meta(meta_mu);
    ReleaseLocked(end);
    return Status::OK();
  }

  Status AfterChange() { return options.sync == SyncMode::kAlways ? SyncAll() : Status::OK(); }

  void SyncerLoop() {
    std::unique_lock<std::mutex> lock(syncer_mu);
    while (!stop) {
      syncer_cv.wait_for(lock, std::chrono::milliseconds(options.batch_window_ms));
      if (stop) break;
      bool pending;
      {
        std::lock_guard<std::mutex> meta(meta_mu);
        pending = !quarantine.empty();
      }
      if (dirty.load(std::memory_order_relaxed) || pending) {
        lock.unlock();
        SyncAll();  // a failure stays visible: the next Flush retries and reports it
        lock.lock();
      }
    }
  }

  // ---------------------------------------------------------------- compaction

  uint64_t CompactThreshold(uint64_t checkpoint) const {
    return std::max(options.compact_min_bytes, kCompactRatio * checkpoint);
  }

  // The mappings where `map` differs from `from` (all of it when from is null): replaying them on
  // a copy of `from` rebuilds `map` sharing every subtree the two share now.
  static void AddDelta(CheckpointWriter* w, const BlockMap* from, const BlockMap& map) {
    if (from == nullptr) {
      map.ForEach([&](uint64_t idx, uint64_t slot) { w->AddMapping(idx, slot); });
      return;
    }
    BlockMap::Diff(*from, map, [&](uint64_t idx) { w->AddMapping(idx, map.Get(idx)); });
  }

  // The whole catalog as checkpoint records (catalog_mu held exclusively: nothing changes).
  // Snapshots go first, oldest first: a parent is always older than its children (a child is
  // created from, or re-parented onto, an existing snapshot), and volumes start from their base.
  std::string SerializeCatalog() {
    CheckpointWriter w(next_uid);
    std::vector<Snapshot*> snaps;
    snaps.reserve(snapshots.size());
    for (auto& [id, snap] : snapshots) snaps.push_back(snap.get());
    std::sort(snaps.begin(), snaps.end(), [](const Snapshot* a, const Snapshot* b) { return a->uid < b->uid; });
    for (const Snapshot* snap : snaps) {
      const Snapshot* parent = SnapshotByUid(snap->parent);
      Record r;
      r.type = RecordType::kSnapshotState;
      r.uid = snap->uid;
      r.id = snap->id;
      r.ref_id = snap->volume_id;
      r.size = snap->size;
      r.lineage = snap->lineage;
      r.other = parent ? parent->uid : 0;
      r.complete = snap->complete;
      r.block_count = snap->blocks;
      r.stored_count = snap->stored;
      w.AddObject(r);
      AddDelta(&w, parent ? &parent->map : nullptr, snap->map);
    }
    std::vector<Volume*> vols;
    vols.reserve(volumes.size());
    for (auto& [id, v] : volumes) vols.push_back(v.get());
    std::sort(vols.begin(), vols.end(), [](const Volume* a, const Volume* b) { return a->uid < b->uid; });
    for (const Volume* v : vols) {
      const Snapshot* base = SnapshotByUid(v->base);
      Record r;
      r.type = RecordType::kVolumeState;
      r.uid = v->uid;
      r.id = v->id;
      r.size = v->size;
      r.lineage = v->lineage;
      r.other = base ? base->uid : 0;
      r.ref_id = v->source_id;
      r.penalty_us = v->penalty_us.load();
      r.to_hydrate = v->to_hydrate;
      r.hydrated = v->hydrated.load();
      if (v->pending) r.pending = BitRuns(v->pending.get(), v->pending_words);
      w.AddObject(r);
      AddDelta(&w, base ? &base->map : nullptr, v->map);
    }
    return w.Finish();
  }

  // A failed compaction: the old log stays in use; try again once it has grown as much again.
  Status CompactionFailed(const Status& s) {
    compaction_failures.fetch_add(1);
    std::lock_guard<std::mutex> meta(meta_mu);
    compact_at = log.end() + std::max<uint64_t>(options.compact_min_bytes, log.end());
    return s;
  }

  // compact_mu held. Serialises the catalog under an exclusive catalog_mu (memory only), writes
  // and fsyncs the new log with no store lock held, then under sync_mu + meta_mu copies the
  // records appended meanwhile and renames it over the old one.
  Status CompactLocked() {
    compact_due.store(false, std::memory_order_relaxed);
    std::string checkpoint;
    uint64_t tail_from = 0;
    {
      std::unique_lock<std::shared_mutex> cat(catalog_mu);
      {
        std::lock_guard<std::mutex> meta(meta_mu);
        if (!broken.ok()) return broken;  // memory may be ahead of the log: do not make it durable
        tail_from = log.end();
      }
      checkpoint = SerializeCatalog();
    }
    Status s = log.PrepareRewrite(checkpoint);
    // Map records of the tail may point at fresh slots: their data goes first, as in SyncAll.
    if (s.ok() && options.sync != SyncMode::kNever) s = data.Sync();
    if (!s.ok()) {
      log.AbandonRewrite();
      return CompactionFailed(s);
    }
    bool swapped = false;
    {
      std::lock_guard<std::mutex> sync(sync_mu);
      std::lock_guard<std::mutex> meta(meta_mu);
      if (!broken.ok()) {
        log.AbandonRewrite();
        return broken;
      }
      s = log.CommitRewrite(tail_from, &swapped);
      if (swapped) {
        compactions.fetch_add(1);
        checkpoint_bytes = sizeof(kLogMagic) + checkpoint.size();
        compact_at = CompactThreshold(checkpoint_bytes);
        // Every freeing record is in the new log, which is fsynced: the whole quarantine is
        // durable (and its positions were of the old file).
        for (auto& entry : quarantine) entry.first = 0;
        ReleaseLocked(0);
      }
    }
    if (!swapped) return CompactionFailed(s);
    return s;  // an error here is the directory fsync's; the next Sync retries it
  }

  Status Compact() {
    std::lock_guard<std::mutex> one(compact_mu);
    return CompactLocked();
  }

  // After a call that succeeded (no store lock held): compacts when the log has outgrown its
  // threshold. The caller that crosses it pays; a concurrent one finding a compaction running
  // goes on. A failure does not fail the call: it is counted and retried later.
  Status Done(Status s) {
    if (!s.ok() || !compact_due.load(std::memory_order_relaxed)) return s;
    std::unique_lock<std::mutex> one(compact_mu, std::try_to_lock);
    if (one.owns_lock() && compact_due.load(std::memory_order_relaxed)) CompactLocked();
    return s;
  }

  // ---------------------------------------------------------------- block I/O

  static Status CheckRange(const Volume* v, uint64_t offset, uint64_t length) {
    if (offset > v->size || length > v->size - offset) {
      return MakeError(BlockError::kOutOfRange, "range [" + std::to_string(offset) + ", +" + std::to_string(length) +
                                                    ") is outside volume " + v->id + " of " +
                                                    std::to_string(v->size) + " bytes");
    }
    return Status::OK();
  }

  // Write (data != nullptr) or trim (data == nullptr) of [offset, offset + length).
  Status Mutate(const std::string& id, uint64_t offset, uint64_t length, const char* data_in, uint64_t* first_touch) {
    std::shared_lock<std::shared_mutex> cat(catalog_mu);
    Volume* v;
    Status s = VolumeOrError(id, &v);
    if (!s.ok()) return s;
    std::unique_lock<std::shared_mutex> vl(v->mu);
    s = CheckRange(v, offset, length);
    if (!s.ok()) return s;
    Record map_rec;
    map_rec.type = RecordType::kMap;
    map_rec.uid = v->uid;
    Record hyd;
    hyd.type = RecordType::kHydrate;
    hyd.uid = v->uid;
    std::vector<uint64_t> fresh;  // slots allocated by this call
    std::unique_ptr<char[]> scratch;
    bool cow = false;
    const uint64_t end = offset + length;
    for (uint64_t pos = offset; pos < end && s.ok();) {
      const uint64_t idx = pos / kBlockSize;
      const uint64_t bo = pos % kBlockSize;
      const uint64_t n = std::min(kBlockSize - bo, end - pos);
      const char* src = data_in ? data_in + (pos - offset) : nullptr;
      const bool whole = bo == 0 && n == kBlockSize;
      if (v->TakePending(idx)) hyd.blocks.push_back(idx);
      const uint64_t slot = v->map.Get(idx);
      if (src == nullptr && whole) {
        if (slot != 0) map_rec.mappings.emplace_back(idx, 0);
      } else if (slot == 0) {
        if (src != nullptr) {  // zeros over a block without data change nothing
          uint64_t ns = slots.Allocate();
          fresh.push_back(ns);
          map_rec.mappings.emplace_back(idx, ns);
          s = data.WriteAt(SlotOffset(ns) + bo, src, n);  // a fresh slot reads as zeros around it
        }
      } else if (v->map.PathExclusive(idx) && slots.Count(slot) == 1) {
        s = data.WriteAt(SlotOffset(slot) + bo, src ? src : Zeros(), n);  // ours alone: in place
      } else {
        // Shared with a snapshot: copy on write into a fresh slot, the shared one stays intact.
        uint64_t ns = slots.Allocate();
        fresh.push_back(ns);
        map_rec.mappings.emplace_back(idx, ns);
        cow = true;
        if (whole) {
          s = data.WriteAt(SlotOffset(ns), src, kBlockSize);
        } else {
          if (!scratch) scratch = std::make_unique<char[]>(kBlockSize);
          s = data.ReadAt(SlotOffset(slot), kBlockSize, scratch.get());
          if (s.ok()) {
            std::memcpy(scratch.get() + bo, src ? src : Zeros(), n);
            s = data.WriteAt(SlotOffset(ns), scratch.get(), kBlockSize);
          }
        }
      }
      pos += n;
    }
    dirty.store(true, std::memory_order_relaxed);
    // The map may only point at a copy once the copy is durable: a crash must find either the
    // shared block or the whole copy.
    if (s.ok() && cow && options.sync != SyncMode::kNever) s = data.Sync();
    {
      std::lock_guard<std::mutex> meta(meta_mu);
      if (s.ok()) s = broken;
      if (!s.ok()) {
        // Nothing published: the fresh slots may hold partial data, so they go through quarantine.
        uint64_t end_lsn = log.end();
        for (uint64_t ns : fresh) quarantine.emplace_back(end_lsn, ns);
        v->hydrated.fetch_add(hyd.blocks.size());  // the bits are cleared; keep the count in step
        return s;
      }
      std::vector<Record> records;
      if (!map_rec.mappings.empty()) {
        for (const auto& [block, slot] : map_rec.mappings) {
          v->map.Set(block, slot);
          v->NoteChanged(block);
        }
        records.push_back(std::move(map_rec));
      }
      if (!hyd.blocks.empty()) {
        v->hydrated.fetch_add(hyd.blocks.size());
        if (data_in != nullptr) v->first_touches.fetch_add(hyd.blocks.size());
        records.push_back(hyd);
      }
      if (!records.empty()) s = AppendLocked(records);
    }
    if (first_touch != nullptr) *first_touch = data_in != nullptr ? hyd.blocks.size() : 0;
    if (s.ok()) s = AfterChange();
    return s;
  }

  Status Read(const std::string& id, uint64_t offset, uint64_t length, char* out, uint64_t* first_touch) {
    std::shared_lock<std::shared_mutex> cat(catalog_mu);
    Volume* v;
    Status s = VolumeOrError(id, &v);
    if (!s.ok()) return s;
    std::shared_lock<std::shared_mutex> vl(v->mu);
    s = CheckRange(v, offset, length);
    if (!s.ok()) return s;
    Record hyd;
    hyd.type = RecordType::kHydrate;
    hyd.uid = v->uid;
    const uint64_t end = offset + length;
    for (uint64_t pos = offset; pos < end && s.ok();) {
      const uint64_t idx = pos / kBlockSize;
      const uint64_t bo = pos % kBlockSize;
      const uint64_t n = std::min(kBlockSize - bo, end - pos);
      char* dst = out + (pos - offset);
      if (v->TakePending(idx)) hyd.blocks.push_back(idx);
      const uint64_t slot = v->map.Get(idx);
      if (slot == 0) {
        std::memset(dst, 0, n);
      } else {
        s = data.ReadAt(SlotOffset(slot) + bo, n, dst);
      }
      pos += n;
    }
    if (!hyd.blocks.empty()) {
      std::lock_guard<std::mutex> meta(meta_mu);
      v->hydrated.fetch_add(hyd.blocks.size());
      v->first_touches.fetch_add(hyd.blocks.size());
      // Hydration is progress, not data: a failed append only means it may be reported again.
      if (broken.ok()) AppendLocked({hyd});
    }
    if (first_touch != nullptr) *first_touch = hyd.blocks.size();
    return s;
  }
};

// ------------------------------------------------------------------------------ public API

BlockStore::BlockStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

BlockStore::~BlockStore() {
  Impl& m = *impl_;
  {
    std::lock_guard<std::mutex> lock(m.syncer_mu);
    m.stop = true;
  }
  m.syncer_cv.notify_all();
  if (m.syncer.joinable()) m.syncer.join();
  if (m.options.sync != SyncMode::kNever) m.SyncAll();
}

Status BlockStore::Open(const std::string& dir, const StoreOptions& options, std::unique_ptr<BlockStore>* out) {
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return Status::IOError("mkdir " + dir + ": " + std::strerror(errno));
  }
  auto impl = std::make_unique<Impl>(dir, options);
  Impl& m = *impl;
  Status s = m.data.Open(dir + "/blocks.dat");
  // The data file is never replaced (the log is, by compaction): it carries the store's lock.
  if (s.ok()) s = m.data.LockExclusive();
  if (!s.ok()) return s;
  CheckpointReplay checkpoint;
  s = m.log.Open(
      dir + "/meta.log",
      [&m, &checkpoint](std::string_view payload) {
        Record r;
        if (!DecodeRecord(payload, &r)) return Status::Corruption("malformed metadata record");
        Status st = checkpoint.Accept(r, kRecordHeader + payload.size());
        if (st.ok()) st = m.Apply(r);
        m.slots.TakeFreed();  // recovery rebuilds the free set below
        return st;
      },
      [&checkpoint] { return checkpoint.AtEnd(); }, &m.recovered_records, &m.truncated_bytes);
  if (!s.ok()) return s;
  if (checkpoint.checkpoint_bytes() != 0) m.checkpoint_bytes = sizeof(kLogMagic) + checkpoint.checkpoint_bytes();
  // A log without a checkpoint (new, or never compacted) is compacted once it reaches the minimum.
  m.compact_at = m.CompactThreshold(m.checkpoint_bytes);
  // Slots no map references: allocated by a write whose record never made it, or freed by a
  // record whose zeroing never happened. Zero them all and cut the file after the last used one.
  std::vector<uint64_t> unused = m.slots.RebuildFree();
  for (size_t i = 0; i < unused.size() && s.ok();) {
    size_t j = i + 1;
    while (j < unused.size() && unused[j] == unused[j - 1] + 1) ++j;
    s = m.data.PunchHole(SlotOffset(unused[i]), (j - i) * kBlockSize);
    i = j;
  }
  uint64_t size = 0;
  if (s.ok()) s = m.data.Size(&size);
  const uint64_t used = m.slots.high_water() * kBlockSize;
  if (s.ok() && size > used) s = m.data.Truncate(used);
  if (s.ok() && options.sync != SyncMode::kNever) s = m.data.Sync();
  if (!s.ok()) return s;
  if (options.sync == SyncMode::kBatch) m.syncer = std::thread([&m] { m.SyncerLoop(); });
  out->reset(new BlockStore(std::move(impl)));  // private constructor: make_unique cannot reach it
  return Status::OK();
}

Status BlockStore::CreateVolume(const std::string& id, uint64_t size, const std::string& from_snapshot) {
  return impl_->AddFresh(RecordType::kCreateVolume, id, size, from_snapshot);
}

Status BlockStore::DeleteVolume(const std::string& id) {
  Impl& m = *impl_;
  Status s;
  {
    std::unique_lock<std::shared_mutex> cat(m.catalog_mu);
    Volume* v;
    s = m.VolumeOrError(id, &v);
    if (!s.ok()) return s;
    Record r;
    r.type = RecordType::kDeleteVolume;
    r.uid = v->uid;
    s = m.Commit(r);
  }
  return m.Done(s.ok() ? m.AfterChange() : s);
}

Status BlockStore::ResizeVolume(const std::string& id, uint64_t size) {
  Impl& m = *impl_;
  Status s = CheckSize(size);
  if (!s.ok()) return s;
  {
    std::unique_lock<std::shared_mutex> cat(m.catalog_mu);
    Volume* v;
    s = m.VolumeOrError(id, &v);
    if (!s.ok()) return s;
    if (size < v->size) {
      return MakeError(BlockError::kInvalidArgument, "volumes only grow: " + std::to_string(size) + " < " +
                                                          std::to_string(v->size));
    }
    if (size == v->size) return Status::OK();
    Record r;
    r.type = RecordType::kResizeVolume;
    r.uid = v->uid;
    r.size = size;
    s = m.Commit(r);
  }
  return m.Done(s.ok() ? m.AfterChange() : s);
}

Status BlockStore::GetVolumeInfo(const std::string& id, VolumeInfo* info) {
  Impl& m = *impl_;
  std::shared_lock<std::shared_mutex> cat(m.catalog_mu);
  Volume* v;
  Status s = m.VolumeOrError(id, &v);
  if (!s.ok()) return s;
  std::shared_lock<std::shared_mutex> vl(v->mu);
  info->id = v->id;
  info->size = v->size;
  info->blocks = v->map.blocks();
  info->lineage = LineageName(v->lineage);
  info->source_snapshot = v->source_id;
  Snapshot* base = m.SnapshotByUid(v->base);
  info->last_snapshot = base ? base->id : "";
  info->hydrated_blocks = v->hydrated.load();
  info->blocks_to_hydrate = v->to_hydrate;
  info->first_touches = v->first_touches.load();
  info->first_touch_penalty_us = v->penalty_us.load();
  return Status::OK();
}

std::vector<std::string> BlockStore::ListVolumes() {
  std::shared_lock<std::shared_mutex> cat(impl_->catalog_mu);
  std::vector<std::string> out;
  for (const auto& [id, v] : impl_->volumes) out.push_back(id);
  std::sort(out.begin(), out.end());
  return out;
}

Status BlockStore::SetFirstTouchPenalty(const std::string& id, uint64_t us) {
  Impl& m = *impl_;
  Status s;
  {
    std::unique_lock<std::shared_mutex> cat(m.catalog_mu);
    Volume* v;
    s = m.VolumeOrError(id, &v);
    if (!s.ok()) return s;
    Record r;
    r.type = RecordType::kPenalty;
    r.uid = v->uid;
    r.size = us;
    s = m.Commit(r);
  }
  return m.Done(s);
}

Status BlockStore::Read(const std::string& id, uint64_t offset, uint64_t length, char* out, uint64_t* first_touch) {
  return impl_->Done(impl_->Read(id, offset, length, out, first_touch));
}

Status BlockStore::Write(const std::string& id, uint64_t offset, const char* data, uint64_t length,
                         uint64_t* first_touch) {
  static const char kEmpty = 0;
  return impl_->Done(impl_->Mutate(id, offset, length, data != nullptr ? data : &kEmpty, first_touch));
}

Status BlockStore::Trim(const std::string& id, uint64_t offset, uint64_t length) {
  return impl_->Done(impl_->Mutate(id, offset, length, nullptr, nullptr));
}

Status BlockStore::Flush(const std::string& id) {
  Impl& m = *impl_;
  {
    std::shared_lock<std::shared_mutex> cat(m.catalog_mu);
    Volume* v;
    Status s = m.VolumeOrError(id, &v);
    if (!s.ok()) return s;
  }
  return m.options.sync == SyncMode::kNever ? Status::OK() : m.SyncAll();
}

Status BlockStore::CreateSnapshot(const std::string& volume_id, const std::string& snapshot_id) {
  Status s = CheckId(snapshot_id);
  if (!s.ok()) return s;
  Impl& m = *impl_;
  {
    std::unique_lock<std::shared_mutex> cat(m.catalog_mu);
    Volume* v;
    s = m.VolumeOrError(volume_id, &v);
    if (!s.ok()) return s;
    if (m.FindSnapshot(snapshot_id) != nullptr) {
      return MakeError(BlockError::kAlreadyExists, "snapshot " + snapshot_id + " exists");
    }
    Record r;
    r.type = RecordType::kCreateSnapshot;
    r.uid = m.next_uid;
    r.id = snapshot_id;
    r.other = v->uid;
    s = m.Commit(r);
  }
  // A completed snapshot must survive a crash: make it durable now unless told never.
  return m.Done(s.ok() && m.options.sync != SyncMode::kNever ? m.SyncAll() : s);
}

Status BlockStore::DeleteSnapshot(const std::string& id) {
  Impl& m = *impl_;
  Status s;
  {
    std::unique_lock<std::shared_mutex> cat(m.catalog_mu);
    Snapshot* snap;
    s = m.SnapshotOrError(id, &snap);
    if (!s.ok()) return s;
    Record r;
    r.type = RecordType::kDeleteSnapshot;
    r.uid = snap->uid;
    s = m.Commit(r);
  }
  return m.Done(s.ok() ? m.AfterChange() : s);
}

Status BlockStore::GetSnapshotInfo(const std::string& id, SnapshotInfo* info) {
  Impl& m = *impl_;
  std::shared_lock<std::shared_mutex> cat(m.catalog_mu);
  Snapshot* snap;
  Status s = m.SnapshotOrError(id, &snap);
  if (!s.ok()) return s;
  std::lock_guard<std::mutex> lock(snap->mu);
  info->id = snap->id;
  info->volume_id = snap->volume_id;
  Snapshot* parent = m.SnapshotByUid(snap->parent);
  info->parent = parent ? parent->id : "";
  info->lineage = LineageName(snap->lineage);
  info->size = snap->size;
  info->complete = snap->complete;
  // A pending snapshot's figures are as of now; a completed one's were fixed at completion.
  info->blocks = snap->complete ? snap->blocks : snap->map.blocks();
  info->stored_blocks = snap->complete ? snap->stored
                        : parent       ? BlockMap::CountOwnBlocks(snap->map, parent->map)
                                       : snap->map.blocks();
  return Status::OK();
}

std::vector<std::string> BlockStore::ListSnapshots() {
  std::shared_lock<std::shared_mutex> cat(impl_->catalog_mu);
  std::vector<std::string> out;
  for (const auto& [id, s] : impl_->snapshots) out.push_back(id);
  std::sort(out.begin(), out.end());
  return out;
}

Status BlockStore::ListSnapshotBlocks(const std::string& id, std::vector<uint64_t>* blocks) {
  Impl& m = *impl_;
  std::shared_lock<std::shared_mutex> cat(m.catalog_mu);
  Snapshot* snap;
  Status s = m.CompletedSnapshot(id, &snap);
  if (!s.ok()) return s;
  blocks->clear();
  blocks->reserve(snap->map.blocks());
  snap->map.ForEach([&](uint64_t idx, uint64_t) { blocks->push_back(idx); });
  return Status::OK();
}

Status BlockStore::ChangedBlocks(const std::string& first, const std::string& second, std::vector<uint64_t>* blocks) {
  Impl& m = *impl_;
  std::shared_lock<std::shared_mutex> cat(m.catalog_mu);
  Snapshot* b;
  Status s = m.CompletedSnapshot(second, &b);
  if (!s.ok()) return s;
  blocks->clear();
  if (first.empty()) {
    b->map.ForEach([&](uint64_t idx, uint64_t) { blocks->push_back(idx); });
    return Status::OK();
  }
  Snapshot* a;
  s = m.CompletedSnapshot(first, &a);
  if (!s.ok()) return s;
  if (a->lineage != b->lineage) {
    return MakeError(BlockError::kLineageMismatch, "snapshots " + first + " and " + second + " are of different lineages");
  }
  BlockMap::Diff(a->map, b->map, [&](uint64_t idx) { blocks->push_back(idx); });
  return Status::OK();
}

Status BlockStore::ReadSnapshotBlock(const std::string& id, uint64_t index, char* out) {
  Impl& m = *impl_;
  std::shared_lock<std::shared_mutex> cat(m.catalog_mu);
  Snapshot* snap;
  Status s = m.CompletedSnapshot(id, &snap);
  if (!s.ok()) return s;
  if (index >= (snap->size + kBlockSize - 1) / kBlockSize) {
    return MakeError(BlockError::kOutOfRange, "block " + std::to_string(index) + " is outside snapshot " + id);
  }
  uint64_t slot = snap->map.Get(index);
  if (slot == 0) {
    std::memset(out, 0, kBlockSize);
    return Status::OK();
  }
  return m.data.ReadAt(SlotOffset(slot), kBlockSize, out);
}

Status BlockStore::StartSnapshot(const std::string& id, uint64_t size, const std::string& parent) {
  return impl_->AddFresh(RecordType::kStartSnapshot, id, size, parent);
}

Status BlockStore::PutSnapshotBlock(const std::string& id, uint64_t index, const char* data, uint64_t length) {
  Impl& m = *impl_;
  if (length != kBlockSize) {
    return MakeError(BlockError::kInvalidArgument, "a snapshot block is 524288 bytes, not " + std::to_string(length));
  }
  Status s;
  {
    std::shared_lock<std::shared_mutex> cat(m.catalog_mu);
    Snapshot* snap;
    s = m.SnapshotOrError(id, &snap);
    if (!s.ok()) return s;
    std::lock_guard<std::mutex> lock(snap->mu);
    if (snap->complete) return MakeError(BlockError::kSnapshotCompleted, "snapshot " + id + " is already completed");
    if (index >= (snap->size + kBlockSize - 1) / kBlockSize) {
      return MakeError(BlockError::kOutOfRange, "block " + std::to_string(index) + " is outside snapshot " + id);
    }
    // Always a fresh slot: the block it replaces may be the parent's.
    uint64_t ns = m.slots.Allocate();
    s = m.data.WriteAt(SlotOffset(ns), data, kBlockSize);
    m.dirty.store(true, std::memory_order_relaxed);
    if (s.ok() && snap->map.Get(index) != 0 && m.options.sync != SyncMode::kNever) s = m.data.Sync();
    std::lock_guard<std::mutex> meta(m.meta_mu);
    if (s.ok()) s = m.broken;
    if (!s.ok()) {
      m.quarantine.emplace_back(m.log.end(), ns);
      return s;
    }
    snap->map.Set(index, ns);
    Record r;
    r.type = RecordType::kMap;
    r.uid = snap->uid;
    r.mappings.emplace_back(index, ns);
    s = m.AppendLocked({r});
  }
  return m.Done(s.ok() ? m.AfterChange() : s);
}

Status BlockStore::CompleteSnapshot(const std::string& id) {
  Impl& m = *impl_;
  Status s;
  {
    std::unique_lock<std::shared_mutex> cat(m.catalog_mu);
    Snapshot* snap;
    s = m.SnapshotOrError(id, &snap);
    if (!s.ok()) return s;
    if (snap->complete) return MakeError(BlockError::kSnapshotCompleted, "snapshot " + id + " is already completed");
    Record r;
    r.type = RecordType::kCompleteSnapshot;
    r.uid = snap->uid;
    s = m.Commit(r);
  }
  // Completion is a promise that the snapshot survives: make it durable now unless told never.
  if (s.ok() && m.options.sync != SyncMode::kNever) s = m.SyncAll();
  return m.Done(s);
}

Status BlockStore::Sync() { return impl_->SyncAll(); }

Status BlockStore::Compact() { return impl_->Compact(); }

StoreStats BlockStore::Stats() {
  Impl& m = *impl_;
  StoreStats st;
  {
    std::shared_lock<std::shared_mutex> cat(m.catalog_mu);
    st.volumes = m.volumes.size();
    st.snapshots = m.snapshots.size();
  }
  {
    std::lock_guard<std::mutex> meta(m.meta_mu);
    st.quarantined_slots = m.quarantine.size();
    st.checkpoint_bytes = m.checkpoint_bytes;
  }
  st.compactions = m.compactions.load();
  st.compaction_failures = m.compaction_failures.load();
  st.slots = m.slots.high_water();
  st.referenced_slots = m.slots.referenced();
  st.free_slots = m.slots.free_count();
  m.data.DiskUsage(&st.data_disk_bytes);
  st.log_bytes = m.log.end();
  st.recovered_records = m.recovered_records;
  st.truncated_bytes = m.truncated_bytes;
  return st;
}

}  // namespace blockdev
}  // namespace pycloud
