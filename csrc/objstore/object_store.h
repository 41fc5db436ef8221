// ObjectStore: the S3 data plane. Buckets as namespaces, versioned objects with opaque metadata,
// streaming puts and ranged reads, listing, multipart uploads, crash recovery and compaction.
//
// The store knows nothing of HTTP or S3 error codes: it returns Status values whose ErrorName()
// (objstore/errors.h) names the condition ("NoSuchKey", "InvalidPart"...), and stores whatever
// metadata bytes the caller gives it. Times are passed in by the caller (virtual clock).
//
// Storage (docs/objstore-format.md): an append-only log of CRC-checked records in segment files
// holds every operation and the bodies of small objects; bodies above the small-object threshold
// and multipart parts are files of their own, renamed into place on commit, and a completed
// multipart object is the list of its parts' files (no copy).
//
// Durability: with Sync::kAlways a commit is on stable storage when it returns; concurrent commits
// share log fsyncs (group commit). With kBatch it is in the OS when it returns (survives kill -9)
// and on stable storage within batch_window_ms. With kNever it survives kill -9 but not an OS
// crash. A commit becomes visible to readers once it is in the OS, which under kAlways is just
// before it is acknowledged; a put that failed before reaching the log is never visible.
//
// Thread-safety: ObjectStore is safe to use from any number of threads. Writers and readers are
// single-owner objects (one thread at a time) but different ones may be used concurrently; they
// keep what they need alive, so they may outlive the ObjectStore object itself. Readers see the
// version they opened even if it is deleted, overwritten or compacted meanwhile.
#ifndef PYCLOUD_OBJSTORE_OBJECT_STORE_H_
#define PYCLOUD_OBJSTORE_OBJECT_STORE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "objstore/env.h"
#include "objstore/errors.h"
#include "objstore/types.h"

namespace pycloud {
namespace objstore {

struct Options {
  enum class Sync { kAlways, kBatch, kNever };
  Sync sync = Sync::kBatch;
  // kBatch: the longest an acknowledged commit waits for its fsync.
  uint32_t batch_window_ms = 50;
  // Bodies up to this size go into the log; larger ones get their own file.
  uint64_t small_object_threshold = 1 << 20;
  // The log rolls to a new segment past this size.
  uint64_t segment_size = 64ull << 20;
  // Smallest allowed size of a multipart part other than the last.
  uint64_t min_part_size = 5ull << 20;
  // Compact() rewrites sealed segments with at least this fraction of garbage.
  double compaction_garbage_ratio = 0.5;
  // A background thread compacts once a sealed segment passes compaction_garbage_ratio, at most
  // once per this many milliseconds. 0: only explicit Compact() calls.
  uint32_t compaction_interval_ms = 1000;
  // Corruption before the log's tail: fail Open (true) or drop the damaged remainder (false).
  bool paranoid_checks = false;
  Env* env = nullptr;  // nullptr: Env::Default()
};

struct Stats {
  uint64_t buckets = 0, keys = 0, versions = 0, uploads = 0;
  uint64_t segments = 0, log_bytes = 0, live_log_bytes = 0;
  uint64_t recovered_records = 0, truncated_bytes = 0, removed_files = 0;  // by the last Open
  uint64_t log_syncs = 0;  // fdatasyncs of the log since Open (group commit shares them)
  // Since Open: background compaction runs that reclaimed something, and segments and bytes
  // reclaimed by any compaction.
  uint64_t background_compactions = 0, segments_compacted = 0, bytes_reclaimed = 0;
};

struct CompactionStats {
  uint64_t segments_compacted = 0, bytes_reclaimed = 0, records_moved = 0;
};

class ObjectStore;

// A byte range of an open file: how a caller can sendfile/mmap a body instead of copying it.
struct FileRange {
  int fd = -1;
  uint64_t offset = 0;
  uint64_t length = 0;
};

class ObjectReader {
 public:
  ~ObjectReader();
  const ObjectInfo& info() const;
  // Reads up to n bytes of the body at offset; *got < n only at the end of the body.
  Status Read(uint64_t offset, size_t n, char* scratch, size_t* got) const;
  // The body as file ranges, in order (valid while the reader lives).
  std::vector<FileRange> Ranges() const;

  struct Rep;
  explicit ObjectReader(std::unique_ptr<Rep> rep);

 private:
  std::unique_ptr<Rep> rep_;
};

class ObjectWriter {
 public:
  ~ObjectWriter();  // aborts if not committed
  // Appends body bytes; MD5 and the requested checksum are computed on the way in.
  Status Write(const void* data, size_t n);
  // Publishes the object atomically as `key`. `versioning` says how it treats existing versions.
  Status Commit(std::string_view key, std::string_view metadata, int64_t last_modified, Versioning versioning,
                ObjectInfo* info);
  // Discards everything written; leaves no trace.
  void Abort();
  uint64_t size() const;

  struct Rep;
  explicit ObjectWriter(std::unique_ptr<Rep> rep);

 private:
  std::unique_ptr<Rep> rep_;
};

class PartWriter {
 public:
  ~PartWriter();
  Status Write(const void* data, size_t n);
  // Stores the part, replacing an earlier part with the same number.
  Status Commit(int64_t last_modified, PartInfo* info);
  void Abort();
  uint64_t size() const;

  struct Rep;
  explicit PartWriter(std::unique_ptr<Rep> rep);

 private:
  std::unique_ptr<Rep> rep_;
};

class ObjectStore {
 public:
  // Opens (creating if needed) the store in dir, recovering from any crash.
  static Status Open(const std::string& dir, const Options& options, std::unique_ptr<ObjectStore>* out);
  ~ObjectStore();
  ObjectStore(const ObjectStore&) = delete;
  ObjectStore& operator=(const ObjectStore&) = delete;

  // Buckets. Names are opaque, 1..255 bytes.
  Status CreateBucket(std::string_view bucket);
  // BucketNotEmpty while any version or multipart upload remains.
  Status DeleteBucket(std::string_view bucket);
  std::vector<std::string> ListBuckets() const;
  bool BucketExists(std::string_view bucket) const;

  // Objects. Keys are 1..1024 bytes. checksum_algorithm is "" or a Hasher name.
  Status BeginPut(std::string_view bucket, std::string_view checksum_algorithm, std::unique_ptr<ObjectWriter>* out);
  // version_id "" means the latest version; "null" the null version. A delete marker opens as an
  // empty body with info().is_delete_marker set: mapping that to 404/405 is the caller's job.
  Status Open(std::string_view bucket, std::string_view key, std::string_view version_id,
              std::unique_ptr<ObjectReader>* out) const;
  Status Head(std::string_view bucket, std::string_view key, std::string_view version_id, ObjectInfo* info) const;
  // Without version_id: per `versioning` (remove the null version / add a delete marker). With one:
  // removes exactly that version (NoSuchVersion if absent).
  Status Delete(std::string_view bucket, std::string_view key, std::string_view version_id, Versioning versioning,
                int64_t now, DeleteResult* result);

  Status List(std::string_view bucket, std::string_view prefix, std::string_view delimiter,
              std::string_view start_after, size_t max_keys, ListResult* out) const;
  Status ListVersions(std::string_view bucket, std::string_view prefix, std::string_view delimiter,
                      std::string_view key_marker, std::string_view version_id_marker, size_t max_keys,
                      ListVersionsResult* out) const;

  // Multipart uploads.
  Status CreateUpload(std::string_view bucket, std::string_view key, std::string_view metadata, int64_t now,
                      std::string* upload_id);
  // part_number 1..10000 (InvalidPartNumber otherwise).
  Status BeginPart(std::string_view upload_id, uint32_t part_number, std::string_view checksum_algorithm,
                   std::unique_ptr<PartWriter>* out);
  // parts: (part number, etag) in ascending order; etags may carry quotes.
  Status CompleteUpload(std::string_view upload_id, const std::vector<std::pair<uint32_t, std::string>>& parts,
                        std::string_view metadata, int64_t last_modified, Versioning versioning, ObjectInfo* info);
  Status AbortUpload(std::string_view upload_id);
  Status ListParts(std::string_view upload_id, uint32_t part_number_marker, size_t max_parts,
                   ListPartsResult* out) const;
  Status ListUploads(std::string_view bucket, std::string_view prefix, std::string_view key_marker,
                     std::string_view upload_id_marker, size_t max_uploads, ListUploadsResult* out) const;

  // Rewrites sealed log segments that are mostly garbage (all sealed ones when force), without
  // blocking readers or writers for longer than one record's bookkeeping.
  Status Compact(bool force, CompactionStats* stats);
  // Makes every acknowledged commit durable now (whatever the sync policy).
  Status Sync();
  Stats GetStats() const;

  class Impl;
  explicit ObjectStore(std::shared_ptr<Impl> impl);  // use Open()

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace objstore
}  // namespace pycloud

#endif  // PYCLOUD_OBJSTORE_OBJECT_STORE_H_
