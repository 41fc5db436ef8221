// ObjectStore::Impl: the shared state behind an ObjectStore, its writers and its readers.
// Internal to csrc/objstore; split across object_store.cc (objects), recovery.cc (Open),
// multipart.cc (uploads) and compaction.cc.
//
// Locking: mu_ guards everything below it. Appends to the log happen under mu_ (one writer at a
// time, so record order is sequence order); body bytes of large objects and parts are written and
// fsynced outside it, and so are log fsyncs (group commit: one thread syncs for every record
// appended so far while the others wait on sync_cv_ or keep appending). Readers copy what they
// need and pin files with shared_ptrs under mu_, then read without it.
#ifndef PYCLOUD_OBJSTORE_STORE_IMPL_H_
#define PYCLOUD_OBJSTORE_STORE_IMPL_H_

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/hasher.h"
#include "objstore/bucket_index.h"
#include "objstore/hash_worker.h"
#include "objstore/object_store.h"
#include "objstore/records.h"

namespace pycloud {
namespace objstore {

constexpr size_t kMaxKeyBytes = 1024;
constexpr size_t kMaxBucketBytes = 255;
constexpr uint32_t kMaxPartNumber = 10000;

struct Segment {
  uint32_t id = 0;
  std::string path;
  std::shared_ptr<RandomAccessFile> file;
  uint64_t size = 0;        // guarded by Impl::mu_
  uint64_t live_bytes = 0;  // bytes of records still needed; guarded by Impl::mu_
};

// Where a live record sits: lets compaction tell a live record from a dead copy.
struct RecordLoc {
  uint32_t segment = 0;
  uint32_t offset = 0;
  uint32_t size = 0;      // whole record: header + meta + data
  uint32_t meta_len = 0;
};

inline RecordLoc LocOf(const VersionEntry& v) {
  return RecordLoc{v.segment, v.offset, static_cast<uint32_t>(v.RecordSize()), v.meta_len};
}

struct Part {
  uint64_t seq = 0;
  uint64_t file_id = 0;
  uint64_t size = 0;
  uint8_t md5[16] = {};
  int64_t mtime = 0;
  std::string checksum_algorithm, checksum;
  RecordLoc loc;
};

struct Upload {
  RawId id{};
  bool created = false;  // false: a placeholder met during replay before its create record
  uint64_t seq = 0;
  std::string bucket, key, metadata;
  int64_t initiated = 0;
  RecordLoc loc;
  std::map<uint32_t, Part> parts;
};

struct Bucket {
  uint64_t seq = 0;  // 0: a placeholder met during replay before its create record
  RecordLoc loc;
  BucketIndex index;
  std::set<std::pair<std::string, std::string>> uploads;  // (key, encoded upload id)
};

// The body of a put or part on its way in: hashed as it streams, kept in memory up to the
// small-object threshold (puts only), spilled to a temp file beyond it. Once in a file, a large
// chunk's MD5 is computed on a HashWorker while this thread writes the chunk (and feeds the
// flexible checksum): hashing and disk writes overlap without copying the bytes.
class Body {
 public:
  Body(std::shared_ptr<ObjectStore::Impl> store, bool always_file, std::unique_ptr<Hasher> checksum);
  ~Body();
  Status Write(const void* data, size_t n);
  // Closes (and per policy syncs) the temp file. After this, in_file() says where the body is.
  Status Finish();
  void Discard();
  bool in_file() const { return file_ != nullptr || !tmp_path_.empty(); }
  const std::string& buffer() const { return buffer_; }
  const std::string& tmp_path() const { return tmp_path_; }
  uint64_t size() const { return size_; }
  void Md5(uint8_t out[16]) const;
  std::string checksum_algorithm() const;
  std::string checksum() const;

 private:
  Status Spill();
  // Hashes and appends a chunk to the temp file, overlapping the two for large chunks.
  Status WriteThrough(const void* data, size_t n);

  std::shared_ptr<ObjectStore::Impl> store_;
  bool always_file_;
  std::unique_ptr<Hasher> md5_;
  std::unique_ptr<Hasher> checksum_;
  std::unique_ptr<HashWorker> worker_;  // declared after md5_: stops before the hasher it uses
  bool no_worker_ = false;              // a thread could not be started: hash inline
  std::string buffer_;
  std::unique_ptr<WritableFile> file_;
  std::string tmp_path_;
  uint64_t size_ = 0;
  bool failed_ = false;
};

class ObjectStore::Impl : public std::enable_shared_from_this<ObjectStore::Impl> {
 public:
  Impl(std::string dir, const Options& options);
  ~Impl();

  Status Recover(Stats* recovery);  // recovery.cc
  void StartSyncer();
  void StartCompactor();  // compaction.cc
  void StopCompactor();   // idempotent; also run by the destructor

  // --- objects (object_store.cc)
  Status CommitPut(const std::string& bucket, Body* body, std::string_view key, std::string_view metadata,
                   int64_t mtime, Versioning versioning, ObjectInfo* info);
  Status OpenObject(std::string_view bucket, std::string_view key, std::string_view version_id,
                    std::unique_ptr<ObjectReader>* out);
  Status Head(std::string_view bucket, std::string_view key, std::string_view version_id, ObjectInfo* info);
  Status Delete(std::string_view bucket, std::string_view key, std::string_view version_id, Versioning versioning,
                int64_t now, DeleteResult* result);

  // --- multipart (multipart.cc)
  Status CommitPart(const RawId& upload_id, uint32_t part_number, Body* body, int64_t mtime, PartInfo* info);
  Status CompleteUpload(std::string_view upload_id, const std::vector<std::pair<uint32_t, std::string>>& parts,
                        std::string_view metadata, int64_t mtime, Versioning versioning, ObjectInfo* info);
  Status AbortUpload(std::string_view upload_id);
  Status ListParts(std::string_view upload_id, uint32_t marker, size_t max_parts, ListPartsResult* out);
  Status ListUploads(std::string_view bucket, std::string_view prefix, std::string_view key_marker,
                     std::string_view upload_id_marker, size_t max_uploads, ListUploadsResult* out);
  Status CreateUpload(std::string_view bucket, std::string_view key, std::string_view metadata, int64_t now,
                      std::string* upload_id);
  Status CheckUpload(std::string_view upload_id, uint32_t part_number, RawId* raw);

  // --- compaction (compaction.cc)
  Status Compact(bool force, CompactionStats* stats);
  void CompactorLoop();
  // Asks the background compactor for a run when a sealed segment is garbage enough. Requires mu_.
  void MaybeWantCompactionLocked(const Segment& seg);

  // --- shared helpers (object_store.cc)
  // Appends op (plus inline data) to the log; assigns op->seq. Requires mu_.
  // keep_seq: compaction moving a record keeps its original sequence number.
  Status AppendLocked(Op* op, std::string_view data, RecordLoc* loc, bool keep_seq = false);
  Status OpenSegmentLocked();  // starts a fresh active segment
  // Applies a logged op to the in-memory state. `replay`: during recovery (no file removal, and
  // placeholders for records met out of order). Requires mu_.
  void ApplyLocked(const Op& op, const RecordLoc& loc, bool replay);
  // Reads the op stored at a record location (header + meta, CRC-checked).
  Status ReadOpLocked(uint32_t segment, uint32_t offset, uint32_t meta_len, Op* op);
  Status ReadOp(const std::shared_ptr<Segment>& seg, uint32_t offset, uint32_t meta_len, Op* op);
  // A version's body files go away: now, or after the next sync under kBatch.
  void ReleaseVersionFilesLocked(const VersionEntry& v);
  void ReleaseFileLocked(uint64_t file_id);
  void AddLiveLocked(const RecordLoc& loc);
  void DropLiveLocked(const RecordLoc& loc);
  Status RollSegmentLocked();
  // Group commit. Returns once every record with ticket <= target (AppendLocked numbers them) is on
  // stable storage, syncing at most once itself: if another thread's sync is running it waits for
  // it and then, if still needed, leads the next one, covering everyone who appended meanwhile.
  Status SyncUpToLocked(std::unique_lock<std::mutex>& lock, uint64_t target);
  // One sync of everything appended so far (plus data/ and deferred removals), even if no record
  // was appended since the last one.
  Status SyncNowLocked(std::unique_lock<std::mutex>& lock);
  // kAlways: SyncUpToLocked for the record just appended; otherwise nothing to wait for.
  Status AwaitCommitLocked(std::unique_lock<std::mutex>& lock);
  Status NewTempPath(std::string* path);
  // Moves a finished temp file into data/ under a fresh id (fsync per policy).
  Status PublishFile(const std::string& tmp_path, uint64_t* file_id);
  std::string DataPath(uint64_t file_id) const;
  std::string SegmentPath(uint32_t id) const;
  Bucket* FindBucketLocked(std::string_view name);
  void FillInfo(const std::string& key, const VersionEntry& v, const Op& op, ObjectInfo* info) const;
  Status ResolveVersion(std::string_view version_id, bool* null_version, RawId* vid) const;
  // A parsed version id: the null version, or a raw id (unused when the latest version is wanted).
  struct VersionRef {
    bool null_version = false;
    RawId vid{};
  };
  // The entry of `key`'s latest version (empty version_id) or of `ref`, and the segment holding its
  // record; kNoSuchBucket / kNoSuchKey / kNoSuchVersion otherwise. Caller holds mu_.
  Status FindVersionLocked(std::string_view bucket, std::string_view key, std::string_view version_id,
                           const VersionRef& ref, VersionEntry* v, std::shared_ptr<Segment>* seg);
  void SyncerLoop();

  // Immutable after construction.
  const std::string dir_, seg_dir_, data_dir_, tmp_dir_;
  const Options options_;
  Env* const env_;
  IdGenerator ids_;
  std::atomic<uint64_t> next_tmp_{0};

  mutable std::mutex mu_;
  std::map<std::string, Bucket, std::less<>> buckets_;
  std::map<RawId, Upload> uploads_;
  std::map<uint32_t, std::shared_ptr<Segment>> segments_;
  std::shared_ptr<Segment> active_;
  // Shared so a sync can run on it without mu_ while a roll replaces it (closed by the last owner).
  std::shared_ptr<WritableFile> active_file_;
  uint64_t next_seq_ = 1;
  uint64_t next_file_id_ = 1;
  uint32_t next_segment_id_ = 1;
  Status bg_error_;          // a failed log write we could not undo: the store turns read-only
  bool dirty_ = false;       // kBatch: log bytes not yet fsynced
  bool data_dir_dirty_ = false;
  std::vector<uint64_t> pending_removals_;  // files to remove once the deleting record is synced
  bool stop_ = false;
  std::condition_variable cv_;  // wakes the kBatch syncer
  std::thread syncer_;
  // Group commit: records are numbered as appended; synced_ covers a prefix of them.
  uint64_t appended_ = 0;
  uint64_t synced_ = 0;
  uint64_t durable_size_ = 0;  // bytes of the active segment known to be synced
  bool syncing_ = false;       // a sync runs without mu_
  std::condition_variable sync_cv_;
  uint64_t log_syncs_ = 0;
  Stats recovery_;
  std::mutex compaction_mu_;  // one compaction at a time
  // Background compaction: wanted when a sealed segment passes compaction_garbage_ratio, run at
  // most once per compaction_interval_ms.
  bool compaction_wanted_ = false;
  std::atomic<bool> stop_compactor_{false};
  std::condition_variable compact_cv_;
  std::thread compactor_;
  uint64_t background_compactions_ = 0, segments_compacted_ = 0, bytes_reclaimed_ = 0;
};

}  // namespace objstore
}  // namespace pycloud

#endif  // PYCLOUD_OBJSTORE_STORE_IMPL_H_
