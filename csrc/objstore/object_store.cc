#include "objstore/object_store.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>

#include "objstore/log_format.h"
#include "objstore/store_impl.h"

namespace pycloud {
namespace objstore {
namespace {

// Bodies up to this size are read whole when an inline object is opened, in the same pread as
// its record header: one system call serves a small GET.
constexpr uint64_t kReadWholeRecordBelow = 256 * 1024;

// Chunks of a file-backed body at least this large are hashed on the HashWorker while written:
// below it the hand-over (two thread wake-ups) costs about what the overlap saves.
constexpr size_t kOverlapMinChunk = 128 * 1024;

Status ValidateKey(std::string_view key) {
  if (key.empty()) return MakeError(StoreError::kInvalidArgument, "empty key");
  if (key.size() > kMaxKeyBytes) return MakeError(StoreError::kKeyTooLong, "key longer than 1024 bytes");
  return Status::OK();
}

}  // namespace

// ---------------------------------------------------------------- Body

Body::Body(std::shared_ptr<ObjectStore::Impl> store, bool always_file, std::unique_ptr<Hasher> checksum)
    : store_(std::move(store)), always_file_(always_file), checksum_(std::move(checksum)) {
  NewHasher("md5", &md5_);
}

Body::~Body() { Discard(); }

Status Body::Spill() {
  Status s = store_->NewTempPath(&tmp_path_);
  if (s.ok()) s = store_->env_->NewWritableFile(tmp_path_, &file_);
  if (s.ok() && !buffer_.empty()) s = file_->Append(buffer_.data(), buffer_.size());
  std::string().swap(buffer_);  // release the memory: large bodies never stay in RAM
  return s;
}

Status Body::Write(const void* data, size_t n) {
  if (failed_) return Status::IOError("an earlier write failed");
  Status s;
  // A body that will not fit the log goes to a file now: the buffered (already hashed) bytes
  // first, then this chunk straight from the caller's buffer.
  if (!file_ && (always_file_ || buffer_.size() + n > store_->options_.small_object_threshold)) s = Spill();
  if (s.ok() && file_) {
    s = WriteThrough(data, n);
  } else if (s.ok()) {
    md5_->Update(data, n);
    if (checksum_) checksum_->Update(data, n);
    buffer_.append(static_cast<const char*>(data), n);
  }
  size_ += n;
  if (!s.ok()) failed_ = true;
  return s;
}

Status Body::WriteThrough(const void* data, size_t n) {
  if (n >= kOverlapMinChunk && !no_worker_ && !worker_) {
    worker_ = std::make_unique<HashWorker>(md5_.get());
    if (!worker_->Launch()) {
      worker_.reset();
      no_worker_ = true;
    }
  }
  if (n < kOverlapMinChunk || !worker_) {
    md5_->Update(data, n);
    if (checksum_) checksum_->Update(data, n);
    return file_->Append(data, n);
  }
  // MD5 on the worker; the flexible checksum (a fast CRC by default) and the write here. The
  // chunk stays valid until Wait(): the caller owns it for the duration of this call.
  worker_->Start(data, n);
  if (checksum_) checksum_->Update(data, n);
  Status s = file_->Append(data, n);
  worker_->Wait();
  return s;
}

Status Body::Finish() {
  if (failed_) return Status::IOError("an earlier write failed");
  Status s;
  if (always_file_ && !in_file()) s = Spill();
  if (s.ok() && file_) {
    if (store_->options_.sync != Options::Sync::kNever) s = file_->Sync();
    Status c = file_->Close();
    if (s.ok()) s = c;
    file_.reset();
  }
  if (!s.ok()) failed_ = true;
  return s;
}

void Body::Discard() {
  file_.reset();
  if (!tmp_path_.empty()) {
    store_->env_->RemoveFile(tmp_path_);
    tmp_path_.clear();
  }
  std::string().swap(buffer_);
}

void Body::Md5(uint8_t out[16]) const { md5_->Final(out); }
std::string Body::checksum_algorithm() const { return checksum_ ? checksum_->name() : ""; }
std::string Body::checksum() const { return checksum_ ? checksum_->Digest() : ""; }

// ---------------------------------------------------------------- Impl: plumbing

ObjectStore::Impl::Impl(std::string dir, const Options& options)
    : dir_(dir),
      seg_dir_(dir + "/segments"),
      data_dir_(dir + "/data"),
      tmp_dir_(dir + "/tmp"),
      options_(options),
      env_(options.env != nullptr ? options.env : Env::Default()) {}

ObjectStore::Impl::~Impl() {
  StopCompactor();
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (syncer_.joinable()) syncer_.join();
  std::unique_lock<std::mutex> lock(mu_);
  if (active_file_ && options_.sync != Options::Sync::kNever && bg_error_.ok()) SyncNowLocked(lock);
  for (uint64_t id : pending_removals_) env_->RemoveFile(DataPath(id));
  if (active_file_) active_file_->Close();
}

void ObjectStore::Impl::StartSyncer() {
  if (options_.sync == Options::Sync::kBatch) syncer_ = std::thread([this] { SyncerLoop(); });
}

void ObjectStore::Impl::SyncerLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    cv_.wait(lock, [&] { return stop_ || dirty_ || !pending_removals_.empty(); });
    if (stop_) break;
    // Let more commits join this fsync, but never delay one longer than the window.
    cv_.wait_for(lock, std::chrono::milliseconds(options_.batch_window_ms), [&] { return stop_; });
    if (!bg_error_.ok()) {
      dirty_ = false;  // read-only now: nothing more to sync, and no busy loop
      pending_removals_.clear();
      continue;
    }
    SyncNowLocked(lock);  // a failure sets bg_error_
  }
}

Status ObjectStore::Impl::SyncNowLocked(std::unique_lock<std::mutex>& lock) {
  sync_cv_.wait(lock, [&] { return !syncing_; });
  if (!bg_error_.ok()) return bg_error_;
  // Lead one sync for everything appended so far; the file is pinned so a roll cannot close it.
  syncing_ = true;
  const uint64_t covers = appended_;
  const std::shared_ptr<WritableFile> file = active_file_;
  const uint64_t size = active_ ? active_->size : 0;
  const bool sync_dir = data_dir_dirty_;
  std::vector<uint64_t> removals;
  removals.swap(pending_removals_);
  dirty_ = false;
  data_dir_dirty_ = false;
  lock.unlock();
  Status s;
  if (file) s = file->Sync();
  if (s.ok() && sync_dir) s = env_->SyncDir(data_dir_);
  // Bodies of deleted versions go only once the deletion itself is durable.
  if (s.ok()) {
    for (uint64_t id : removals) env_->RemoveFile(DataPath(id));
  }
  lock.lock();
  syncing_ = false;
  ++log_syncs_;
  if (s.ok()) {
    synced_ = std::max(synced_, covers);
    if (file == active_file_) durable_size_ = std::max(durable_size_, size);
  } else {
    // The page cache state is unknown after a failed fsync: cut the unsynced tail so a reopen
    // does not resurrect commits that were refused, and turn read-only.
    if (bg_error_.ok()) bg_error_ = s;
    if (file == active_file_ && active_file_->Truncate(durable_size_).ok()) active_->size = durable_size_;
    pending_removals_.insert(pending_removals_.end(), removals.begin(), removals.end());
  }
  sync_cv_.notify_all();
  return s;
}

Status ObjectStore::Impl::SyncUpToLocked(std::unique_lock<std::mutex>& lock, uint64_t target) {
  while (synced_ < target) {
    if (!bg_error_.ok()) return bg_error_;
    if (syncing_) {
      // A sync is running; it may not cover us (we appended after it started): wait, then check.
      sync_cv_.wait(lock);
      continue;
    }
    Status s = SyncNowLocked(lock);
    if (!s.ok()) return s;
  }
  return Status::OK();
}

Status ObjectStore::Impl::AwaitCommitLocked(std::unique_lock<std::mutex>& lock) {
  if (options_.sync != Options::Sync::kAlways) return Status::OK();
  return SyncUpToLocked(lock, appended_);
}

std::string ObjectStore::Impl::DataPath(uint64_t file_id) const {
  char name[32];
  std::snprintf(name, sizeof name, "/%016llx", static_cast<unsigned long long>(file_id));
  return data_dir_ + name;
}

std::string ObjectStore::Impl::SegmentPath(uint32_t id) const {
  char name[32];
  std::snprintf(name, sizeof name, "/%010u.log", id);
  return seg_dir_ + name;
}

Status ObjectStore::Impl::NewTempPath(std::string* path) {
  *path = tmp_dir_ + "/" + std::to_string(next_tmp_.fetch_add(1)) + ".tmp";
  return Status::OK();
}

Status ObjectStore::Impl::PublishFile(const std::string& tmp_path, uint64_t* file_id) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!bg_error_.ok()) return bg_error_;
    *file_id = next_file_id_++;
  }
  Status s = env_->RenameFile(tmp_path, DataPath(*file_id));
  if (!s.ok()) return s;
  if (options_.sync == Options::Sync::kAlways) {
    s = env_->SyncDir(data_dir_);
  } else if (options_.sync == Options::Sync::kBatch) {
    std::lock_guard<std::mutex> lock(mu_);
    data_dir_dirty_ = true;
    dirty_ = true;
    cv_.notify_all();
  }
  if (!s.ok()) env_->RemoveFile(DataPath(*file_id));
  return s;
}

Status ObjectStore::Impl::OpenSegmentLocked() {
  uint32_t id = next_segment_id_++;
  auto seg = std::make_shared<Segment>();
  seg->id = id;
  seg->path = SegmentPath(id);
  std::unique_ptr<WritableFile> file;
  Status s = env_->NewWritableFile(seg->path, &file);
  if (!s.ok()) return s;
  std::unique_ptr<RandomAccessFile> reader;
  s = env_->NewRandomAccessFile(seg->path, &reader);
  if (!s.ok()) return s;
  seg->file = std::move(reader);
  if (options_.sync != Options::Sync::kNever) {
    s = env_->SyncDir(seg_dir_);
    if (!s.ok()) return s;
  }
  // The old file closes when its last owner lets go (a sync may be running on it).
  active_file_ = std::move(file);
  const std::shared_ptr<Segment> sealed = active_;
  active_ = seg;
  durable_size_ = 0;
  segments_[id] = std::move(seg);
  if (sealed) MaybeWantCompactionLocked(*sealed);
  return Status::OK();
}

Status ObjectStore::Impl::RollSegmentLocked() {
  // A sealed segment is durable (unless kNever): recovery only verifies bodies of the last one.
  if (options_.sync != Options::Sync::kNever) {
    Status s = active_file_->Sync();
    if (!s.ok()) return s;
    ++log_syncs_;
    synced_ = appended_;  // every earlier segment was synced when it was sealed
    sync_cv_.notify_all();
  }
  return OpenSegmentLocked();
}

Status ObjectStore::Impl::AppendLocked(Op* op, std::string_view data, RecordLoc* loc, bool keep_seq) {
  if (!bg_error_.ok()) return bg_error_;
  if (!keep_seq) op->seq = next_seq_++;
  std::string meta = EncodeOp(*op);
  std::string rec = EncodeRecordPrefix(op->type, meta, data);
  const uint64_t total = rec.size() + data.size();
  if (active_->size > 0 && active_->size + total > options_.segment_size) {
    Status s = RollSegmentLocked();
    if (!s.ok()) return s;
  }
  // Offsets are 32-bit in the index: a record must start below 4 GiB (segment_size is capped).
  const uint64_t before = active_->size;
  rec.append(data.data(), data.size());  // one write: a record is never interleaved
  Status s = active_file_->Append(rec.data(), rec.size());
  if (!s.ok()) {
    // Undo the torn record so later records do not land behind garbage. If that fails too, stop
    // accepting writes. (kAlways syncs after this, sharing the fsync: AwaitCommitLocked.)
    Status t = active_file_->Truncate(before);
    if (!t.ok()) bg_error_ = s;
    return s;
  }
  ++appended_;
  if (options_.sync == Options::Sync::kBatch) {
    dirty_ = true;
    cv_.notify_all();
  }
  active_->size = before + total;
  *loc = RecordLoc{active_->id, static_cast<uint32_t>(before), static_cast<uint32_t>(total),
                   static_cast<uint32_t>(meta.size())};
  return Status::OK();
}

Status ObjectStore::Impl::ReadOp(const std::shared_ptr<Segment>& seg, uint32_t offset, uint32_t meta_len, Op* op) {
  std::string buf(kRecordHeaderSize + meta_len, '\0');
  size_t got = 0;
  Status s = seg->file->Read(offset, buf.size(), buf.data(), &got);
  if (!s.ok()) return s;
  if (got != buf.size()) return Status::Corruption("record cut short");
  RecordHeader h;
  s = DecodeRecordPrefix(buf, &h);
  if (!s.ok()) return s;
  return DecodeOp(h.type, std::string_view(buf).substr(kRecordHeaderSize), op);
}

Status ObjectStore::Impl::ReadOpLocked(uint32_t segment, uint32_t offset, uint32_t meta_len, Op* op) {
  auto it = segments_.find(segment);
  if (it == segments_.end()) return Status::Corruption("record in a missing segment");
  return ReadOp(it->second, offset, meta_len, op);
}

void ObjectStore::Impl::AddLiveLocked(const RecordLoc& loc) {
  auto it = segments_.find(loc.segment);
  if (it != segments_.end()) it->second->live_bytes += loc.size;
}

void ObjectStore::Impl::DropLiveLocked(const RecordLoc& loc) {
  auto it = segments_.find(loc.segment);
  if (it == segments_.end()) return;
  it->second->live_bytes -= std::min<uint64_t>(loc.size, it->second->live_bytes);
  MaybeWantCompactionLocked(*it->second);
}

void ObjectStore::Impl::ReleaseFileLocked(uint64_t file_id) {
  // The record releasing the file is not synced yet (kAlways syncs right after, sharing the
  // fsync; kBatch within the window): remove it with that sync.
  if (options_.sync != Options::Sync::kNever) {
    pending_removals_.push_back(file_id);
    cv_.notify_all();
  } else {
    env_->RemoveFile(DataPath(file_id));
  }
}

void ObjectStore::Impl::ReleaseVersionFilesLocked(const VersionEntry& v) {
  if (v.is_inline() || v.is_delete_marker()) return;
  Op op;
  if (!ReadOpLocked(v.segment, v.offset, v.meta_len, &op).ok()) return;  // recovery's sweep catches it
  for (const Extent& e : op.extents) ReleaseFileLocked(e.file_id);
}

Bucket* ObjectStore::Impl::FindBucketLocked(std::string_view name) {
  auto it = buckets_.find(name);
  return it == buckets_.end() || it->second.seq == 0 ? nullptr : &it->second;
}

Status ObjectStore::Impl::ResolveVersion(std::string_view version_id, bool* null_version, RawId* vid) const {
  if (version_id == kNullVersionId) {
    *null_version = true;
    return Status::OK();
  }
  *null_version = false;
  if (!DecodeId(version_id, vid)) return MakeError(StoreError::kInvalidArgument, "invalid version id");
  return Status::OK();
}

void ObjectStore::Impl::FillInfo(const std::string& key, const VersionEntry& v, const Op& op, ObjectInfo* info) const {
  info->key = key;
  info->version_id = v.VersionId();
  info->size = v.size;
  info->etag = v.is_delete_marker() ? "" : v.ETag();
  info->checksum_algorithm = op.checksum_algorithm;
  info->checksum = op.checksum;
  info->last_modified = v.mtime;
  info->metadata = op.metadata;
  info->is_delete_marker = v.is_delete_marker();
  info->parts = v.parts;
}

// ---------------------------------------------------------------- Impl: applying logged operations

void ObjectStore::Impl::ApplyLocked(const Op& op, const RecordLoc& loc, bool replay) {
  switch (op.type) {
    case RecordType::kBucketCreate: {
      Bucket& b = buckets_[op.bucket];
      if (b.seq >= op.seq) return;
      if (b.seq != 0) DropLiveLocked(b.loc);
      b.seq = op.seq;
      b.loc = loc;
      AddLiveLocked(loc);
      return;
    }
    case RecordType::kBucketDelete: {
      auto it = buckets_.find(op.bucket);
      if (it == buckets_.end() || it->second.seq == 0 || it->second.seq >= op.seq) return;
      DropLiveLocked(it->second.loc);
      // Replay may meet a later incarnation's records first: keep them under a placeholder.
      if (it->second.index.empty() && it->second.uploads.empty()) {
        buckets_.erase(it);
      } else {
        it->second.seq = 0;
      }
      return;
    }
    case RecordType::kPut: {
      Bucket* b = FindBucketLocked(op.bucket);
      if (b == nullptr) {
        if (!replay) return;
        b = &buckets_[op.bucket];
      }
      const RawId* vid = op.null_version ? nullptr : &op.vid;
      const VersionEntry* cur = b->index.Find(op.key, vid);
      if (cur == nullptr || cur->seq < op.seq) {
        VersionEntry v;
        v.vid = op.vid;
        v.seq = op.seq;
        v.size = op.size;
        v.mtime = op.mtime;
        std::memcpy(v.md5, op.md5, 16);
        v.segment = loc.segment;
        v.offset = loc.offset;
        v.meta_len = loc.meta_len;
        v.parts = static_cast<uint16_t>(op.parts);
        v.flags = static_cast<uint8_t>(op.flags | (op.null_version ? VersionEntry::kNull : 0));
        VersionEntry replaced;
        if (b->index.Put(op.key, v, &replaced)) {
          DropLiveLocked(LocOf(replaced));
          if (!replay) ReleaseVersionFilesLocked(replaced);
        }
        AddLiveLocked(loc);
        if (replay && !op.null_version) ids_.ObserveVersionId(op.vid);
      }
      if (op.has_upload) {
        auto it = uploads_.find(op.upload_id);
        if (it == uploads_.end()) return;
        Upload& u = it->second;
        if (u.created) DropLiveLocked(u.loc);
        for (auto& [number, part] : u.parts) {
          DropLiveLocked(part.loc);
          bool used = std::any_of(op.extents.begin(), op.extents.end(),
                                  [&](const Extent& e) { return e.file_id == part.file_id; });
          if (!replay && !used) ReleaseFileLocked(part.file_id);
        }
        auto bit = buckets_.find(u.bucket);
        if (bit != buckets_.end()) bit->second.uploads.erase({u.key, EncodeId(u.id)});
        uploads_.erase(it);
      }
      return;
    }
    case RecordType::kDeleteVersion: {
      Bucket* b = FindBucketLocked(op.bucket);
      if (b == nullptr && replay) {
        auto it = buckets_.find(op.bucket);
        if (it != buckets_.end()) b = &it->second;
      }
      if (b == nullptr) return;
      const RawId* vid = op.null_version ? nullptr : &op.vid;
      const VersionEntry* cur = b->index.Find(op.key, vid);
      if (cur == nullptr || cur->seq > op.seq) return;
      VersionEntry removed;
      b->index.Remove(op.key, vid, &removed);
      DropLiveLocked(LocOf(removed));
      if (!replay) ReleaseVersionFilesLocked(removed);
      return;
    }
    case RecordType::kUploadCreate: {
      Upload& u = uploads_[op.upload_id];
      if (u.created) return;
      u.id = op.upload_id;
      u.created = true;
      u.seq = op.seq;
      u.bucket = op.bucket;
      u.key = op.key;
      u.metadata = op.metadata;
      u.initiated = op.mtime;
      u.loc = loc;
      AddLiveLocked(loc);
      buckets_[op.bucket].uploads.insert({op.key, EncodeId(op.upload_id)});
      if (replay) ids_.ObserveUploadId(op.upload_id);
      return;
    }
    case RecordType::kPart: {
      auto it = uploads_.find(op.upload_id);
      if (it == uploads_.end()) {
        if (!replay) return;
        it = uploads_.emplace(op.upload_id, Upload()).first;
        it->second.id = op.upload_id;
      }
      auto [pit, inserted] = it->second.parts.try_emplace(op.part_number);
      Part& p = pit->second;
      if (!inserted) {
        if (p.seq >= op.seq) return;
        DropLiveLocked(p.loc);
        if (!replay) ReleaseFileLocked(p.file_id);
      }
      p.seq = op.seq;
      p.file_id = op.extents.empty() ? 0 : op.extents[0].file_id;
      p.size = op.size;
      std::memcpy(p.md5, op.md5, 16);
      p.mtime = op.mtime;
      p.checksum_algorithm = op.checksum_algorithm;
      p.checksum = op.checksum;
      p.loc = loc;
      AddLiveLocked(loc);
      return;
    }
    case RecordType::kUploadEnd: {
      auto it = uploads_.find(op.upload_id);
      if (it == uploads_.end()) return;
      Upload& u = it->second;
      if (u.created) DropLiveLocked(u.loc);
      for (auto& [number, part] : u.parts) {
        DropLiveLocked(part.loc);
        if (!replay) ReleaseFileLocked(part.file_id);
      }
      auto bit = buckets_.find(u.bucket);
      if (bit != buckets_.end()) bit->second.uploads.erase({u.key, EncodeId(u.id)});
      uploads_.erase(it);
      return;
    }
  }
}

// ---------------------------------------------------------------- Impl: objects

Status ObjectStore::Impl::CommitPut(const std::string& bucket, Body* body, std::string_view key,
                                    std::string_view metadata, int64_t mtime, Versioning versioning, ObjectInfo* info) {
  Status s = ValidateKey(key);
  if (s.ok()) s = body->Finish();
  if (!s.ok()) {
    body->Discard();
    return s;
  }
  Op op;
  op.type = RecordType::kPut;
  op.bucket = bucket;
  op.key.assign(key.data(), key.size());
  op.metadata.assign(metadata.data(), metadata.size());
  op.mtime = mtime;
  op.size = body->size();
  body->Md5(op.md5);
  op.checksum_algorithm = body->checksum_algorithm();
  op.checksum = body->checksum();
  uint64_t file_id = 0;
  if (body->in_file()) {
    s = PublishFile(body->tmp_path(), &file_id);
    if (!s.ok()) {
      body->Discard();
      return s;
    }
    op.extents.push_back(Extent{file_id, op.size});
  } else {
    op.flags = VersionEntry::kInline;
  }
  std::unique_lock<std::mutex> lock(mu_);
  if (FindBucketLocked(bucket) == nullptr) {
    s = MakeError(StoreError::kNoSuchBucket, bucket);
  } else {
    op.null_version = versioning != Versioning::kEnabled;
    if (!op.null_version) op.vid = ids_.NewVersionId(mtime);
    RecordLoc loc;
    s = AppendLocked(&op, body->in_file() ? std::string_view() : std::string_view(body->buffer()), &loc);
    if (s.ok()) {
      ApplyLocked(op, loc, false);
      const VersionEntry* v = buckets_.find(bucket)->second.index.Find(op.key, op.null_version ? nullptr : &op.vid);
      if (info != nullptr && v != nullptr) FillInfo(op.key, *v, op, info);
      if (file_id == 0) body->Discard();
      return AwaitCommitLocked(lock);  // the record now owns the body file, whatever the sync says
    }
  }
  if (file_id != 0) env_->RemoveFile(DataPath(file_id));
  if (file_id == 0) body->Discard();
  return s;
}

struct ObjectReader::Rep {
  struct Piece {
    std::shared_ptr<RandomAccessFile> file;
    uint64_t offset = 0;
    uint64_t length = 0;
  };
  ObjectInfo info;
  std::vector<Piece> pieces;
  std::string cache;  // the whole body, for small inline objects
  bool cached = false;
};

Status ObjectStore::Impl::FindVersionLocked(std::string_view bucket, std::string_view key,
                                            std::string_view version_id, const VersionRef& ref, VersionEntry* v,
                                            std::shared_ptr<Segment>* seg) {
  Bucket* b = FindBucketLocked(bucket);
  if (b == nullptr) return MakeError(StoreError::kNoSuchBucket, bucket);
  const VersionEntry* found =
      version_id.empty() ? b->index.Latest(key) : b->index.Find(key, ref.null_version ? nullptr : &ref.vid);
  if (found == nullptr) {
    return version_id.empty() ? MakeError(StoreError::kNoSuchKey, key) : MakeError(StoreError::kNoSuchVersion, version_id);
  }
  *v = *found;
  *seg = segments_.at(v->segment);
  return Status::OK();
}

Status ObjectStore::Impl::OpenObject(std::string_view bucket, std::string_view key, std::string_view version_id,
                                     std::unique_ptr<ObjectReader>* out) {
  VersionRef ref;
  Status found = version_id.empty() ? Status::OK() : ResolveVersion(version_id, &ref.null_version, &ref.vid);
  if (!found.ok()) return found;
  auto rep = std::make_unique<ObjectReader::Rep>();
  VersionEntry v;
  std::shared_ptr<Segment> seg;
  Op op;
  {
    std::lock_guard<std::mutex> lock(mu_);
    found = FindVersionLocked(bucket, key, version_id, ref, &v, &seg);
    if (!found.ok()) return found;
    if (!v.is_inline() && !v.is_delete_marker()) {
      // Open the body files under the lock: a concurrent delete may unlink them right after.
      Status s = ReadOp(seg, v.offset, v.meta_len, &op);
      for (const Extent& e : op.extents) {
        if (!s.ok()) break;
        std::unique_ptr<RandomAccessFile> f;
        s = env_->NewRandomAccessFile(DataPath(e.file_id), &f);
        if (s.ok()) rep->pieces.push_back({std::shared_ptr<RandomAccessFile>(std::move(f)), 0, e.length});
      }
      if (!s.ok()) return s;
    }
  }
  if (v.is_inline()) {
    uint64_t data_offset = v.offset + kRecordHeaderSize + v.meta_len;
    if (v.size <= kReadWholeRecordBelow) {
      std::string buf(v.RecordSize(), '\0');
      size_t got = 0;
      Status s = seg->file->Read(v.offset, buf.size(), buf.data(), &got);
      if (!s.ok()) return s;
      if (got != buf.size()) return Status::Corruption("record cut short");
      RecordHeader h;
      std::string_view prefix(buf.data(), kRecordHeaderSize + v.meta_len);
      s = DecodeRecordPrefix(prefix, &h);
      if (s.ok()) s = DecodeOp(h.type, prefix.substr(kRecordHeaderSize), &op);
      if (!s.ok()) return s;
      rep->cache = buf.substr(prefix.size());
      if (DataCrc(rep->cache) != h.data_crc) return Status::Corruption("object body checksum mismatch");
      rep->cached = true;
    } else {
      Status s = ReadOp(seg, v.offset, v.meta_len, &op);
      if (!s.ok()) return s;
    }
    rep->pieces.push_back({seg->file, data_offset, v.size});
  } else if (v.is_delete_marker()) {
    Status s = ReadOp(seg, v.offset, v.meta_len, &op);
    if (!s.ok()) return s;
  }
  FillInfo(std::string(key), v, op, &rep->info);
  *out = std::make_unique<ObjectReader>(std::move(rep));
  return Status::OK();
}

Status ObjectStore::Impl::Head(std::string_view bucket, std::string_view key, std::string_view version_id,
                               ObjectInfo* info) {
  VersionRef ref;
  Status found = version_id.empty() ? Status::OK() : ResolveVersion(version_id, &ref.null_version, &ref.vid);
  if (!found.ok()) return found;
  VersionEntry v;
  std::shared_ptr<Segment> seg;
  {
    std::lock_guard<std::mutex> lock(mu_);
    found = FindVersionLocked(bucket, key, version_id, ref, &v, &seg);
    if (!found.ok()) return found;
  }
  Op op;
  Status s = ReadOp(seg, v.offset, v.meta_len, &op);
  if (s.ok()) FillInfo(std::string(key), v, op, info);
  return s;
}

Status ObjectStore::Impl::Delete(std::string_view bucket, std::string_view key, std::string_view version_id,
                                 Versioning versioning, int64_t now, DeleteResult* result) {
  Status s = ValidateKey(key);
  if (!s.ok()) return s;
  bool null_version = true;
  RawId vid{};
  if (!version_id.empty()) {
    s = ResolveVersion(version_id, &null_version, &vid);
    if (!s.ok()) return s;
  }
  std::unique_lock<std::mutex> lock(mu_);
  Bucket* b = FindBucketLocked(bucket);
  if (b == nullptr) return MakeError(StoreError::kNoSuchBucket, bucket);
  Op op;
  op.bucket.assign(bucket.data(), bucket.size());
  op.key.assign(key.data(), key.size());
  DeleteResult r;
  if (!version_id.empty() || versioning == Versioning::kUnversioned) {
    const VersionEntry* v = b->index.Find(key, null_version ? nullptr : &vid);
    if (v == nullptr) {
      return version_id.empty() ? MakeError(StoreError::kNoSuchKey, key) : MakeError(StoreError::kNoSuchVersion, version_id);
    }
    r.version_id = v->VersionId();
    r.is_delete_marker = v->is_delete_marker();
    op.type = RecordType::kDeleteVersion;
    op.null_version = null_version;
    op.vid = vid;
  } else {
    // A delete marker: a new version in an enabled bucket, the null version in a suspended one.
    op.type = RecordType::kPut;
    op.flags = VersionEntry::kDeleteMarker;
    op.mtime = now;
    op.null_version = versioning == Versioning::kSuspended;
    if (!op.null_version) op.vid = ids_.NewVersionId(now);
    r.version_id = op.null_version ? kNullVersionId : EncodeId(op.vid);
    r.is_delete_marker = true;
  }
  RecordLoc loc;
  s = AppendLocked(&op, std::string_view(), &loc);
  if (!s.ok()) return s;
  ApplyLocked(op, loc, false);
  if (result != nullptr) *result = r;
  return AwaitCommitLocked(lock);
}

// ---------------------------------------------------------------- ObjectReader / writers

ObjectReader::ObjectReader(std::unique_ptr<Rep> rep) : rep_(std::move(rep)) {}
ObjectReader::~ObjectReader() = default;
const ObjectInfo& ObjectReader::info() const { return rep_->info; }

Status ObjectReader::Read(uint64_t offset, size_t n, char* scratch, size_t* got) const {
  *got = 0;
  const uint64_t size = rep_->info.size;
  if (offset >= size) return Status::OK();
  n = static_cast<size_t>(std::min<uint64_t>(n, size - offset));
  if (rep_->cached) {
    std::memcpy(scratch, rep_->cache.data() + offset, n);
    *got = n;
    return Status::OK();
  }
  uint64_t base = 0;  // body offset where the current piece starts
  for (const Rep::Piece& p : rep_->pieces) {
    if (n == 0) break;
    if (offset < base + p.length) {
      uint64_t within = offset - base;
      size_t take = static_cast<size_t>(std::min<uint64_t>(n, p.length - within));
      size_t r = 0;
      Status s = p.file->Read(p.offset + within, take, scratch, &r);
      if (!s.ok()) return s;
      *got += r;
      if (r != take) return Status::Corruption("object body shorter than recorded");
      scratch += take;
      offset += take;
      n -= take;
    }
    base += p.length;
  }
  return Status::OK();
}

std::vector<FileRange> ObjectReader::Ranges() const {
  std::vector<FileRange> out;
  for (const Rep::Piece& p : rep_->pieces) out.push_back(FileRange{p.file->fd(), p.offset, p.length});
  return out;
}

struct ObjectWriter::Rep {
  Rep(std::shared_ptr<ObjectStore::Impl> s, std::string_view b, std::unique_ptr<Hasher> checksum)
      : store(s), bucket(b), body(std::move(s), false, std::move(checksum)) {}
  std::shared_ptr<ObjectStore::Impl> store;
  std::string bucket;
  Body body;
  bool done = false;
};

ObjectWriter::ObjectWriter(std::unique_ptr<Rep> rep) : rep_(std::move(rep)) {}
ObjectWriter::~ObjectWriter() { Abort(); }

Status ObjectWriter::Write(const void* data, size_t n) {
  if (rep_->done) return MakeError(StoreError::kInvalidArgument, "writer already finished");
  return rep_->body.Write(data, n);
}

Status ObjectWriter::Commit(std::string_view key, std::string_view metadata, int64_t last_modified,
                            Versioning versioning, ObjectInfo* info) {
  if (rep_->done) return MakeError(StoreError::kInvalidArgument, "writer already finished");
  rep_->done = true;
  return rep_->store->CommitPut(rep_->bucket, &rep_->body, key, metadata, last_modified, versioning, info);
}

void ObjectWriter::Abort() {
  rep_->done = true;
  rep_->body.Discard();
}

uint64_t ObjectWriter::size() const { return rep_->body.size(); }

struct PartWriter::Rep {
  Rep(std::shared_ptr<ObjectStore::Impl> s, const RawId& id, uint32_t n, std::unique_ptr<Hasher> checksum)
      : store(s), upload_id(id), part_number(n), body(std::move(s), true, std::move(checksum)) {}
  std::shared_ptr<ObjectStore::Impl> store;
  RawId upload_id;
  uint32_t part_number;
  Body body;
  bool done = false;
};

PartWriter::PartWriter(std::unique_ptr<Rep> rep) : rep_(std::move(rep)) {}
PartWriter::~PartWriter() { Abort(); }

Status PartWriter::Write(const void* data, size_t n) {
  if (rep_->done) return MakeError(StoreError::kInvalidArgument, "writer already finished");
  return rep_->body.Write(data, n);
}

Status PartWriter::Commit(int64_t last_modified, PartInfo* info) {
  if (rep_->done) return MakeError(StoreError::kInvalidArgument, "writer already finished");
  rep_->done = true;
  return rep_->store->CommitPart(rep_->upload_id, rep_->part_number, &rep_->body, last_modified, info);
}

void PartWriter::Abort() {
  rep_->done = true;
  rep_->body.Discard();
}

uint64_t PartWriter::size() const { return rep_->body.size(); }

// ---------------------------------------------------------------- ObjectStore

ObjectStore::ObjectStore(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
// Writers and readers may keep the Impl alive; background compaction stops with the store.
ObjectStore::~ObjectStore() { impl_->StopCompactor(); }

Status ObjectStore::Open(const std::string& dir, const Options& options, std::unique_ptr<ObjectStore>* out) {
  if (options.segment_size == 0 || options.segment_size > (1ull << 31)) {
    return MakeError(StoreError::kInvalidArgument, "segment_size must be in 1..2 GiB");
  }
  if (options.small_object_threshold > (64ull << 20)) {
    return MakeError(StoreError::kInvalidArgument, "small_object_threshold must be at most 64 MiB");
  }
  auto impl = std::make_shared<Impl>(dir, options);
  Status s = impl->Recover(&impl->recovery_);
  if (!s.ok()) return s;
  impl->StartSyncer();
  impl->StartCompactor();
  *out = std::make_unique<ObjectStore>(std::move(impl));
  return Status::OK();
}

Status ObjectStore::CreateBucket(std::string_view bucket) {
  if (bucket.empty() || bucket.size() > kMaxBucketBytes) {
    return MakeError(StoreError::kInvalidArgument, "bucket name must be 1..255 bytes");
  }
  std::unique_lock<std::mutex> lock(impl_->mu_);
  if (impl_->FindBucketLocked(bucket) != nullptr) return MakeError(StoreError::kBucketAlreadyExists, bucket);
  Op op;
  op.type = RecordType::kBucketCreate;
  op.bucket.assign(bucket.data(), bucket.size());
  RecordLoc loc;
  Status s = impl_->AppendLocked(&op, std::string_view(), &loc);
  if (!s.ok()) return s;
  impl_->ApplyLocked(op, loc, false);
  return impl_->AwaitCommitLocked(lock);
}

Status ObjectStore::DeleteBucket(std::string_view bucket) {
  std::unique_lock<std::mutex> lock(impl_->mu_);
  Bucket* b = impl_->FindBucketLocked(bucket);
  if (b == nullptr) return MakeError(StoreError::kNoSuchBucket, bucket);
  if (!b->index.empty() || !b->uploads.empty()) return MakeError(StoreError::kBucketNotEmpty, bucket);
  Op op;
  op.type = RecordType::kBucketDelete;
  op.bucket.assign(bucket.data(), bucket.size());
  RecordLoc loc;
  Status s = impl_->AppendLocked(&op, std::string_view(), &loc);
  if (!s.ok()) return s;
  impl_->ApplyLocked(op, loc, false);
  return impl_->AwaitCommitLocked(lock);
}

std::vector<std::string> ObjectStore::ListBuckets() const {
  std::lock_guard<std::mutex> lock(impl_->mu_);
  std::vector<std::string> out;
  for (const auto& [name, b] : impl_->buckets_) {
    if (b.seq != 0) out.push_back(name);
  }
  return out;
}

bool ObjectStore::BucketExists(std::string_view bucket) const {
  std::lock_guard<std::mutex> lock(impl_->mu_);
  return impl_->FindBucketLocked(bucket) != nullptr;
}

Status ObjectStore::BeginPut(std::string_view bucket, std::string_view checksum_algorithm,
                             std::unique_ptr<ObjectWriter>* out) {
  std::unique_ptr<Hasher> checksum;
  if (!checksum_algorithm.empty()) {
    Status s = NewHasher(checksum_algorithm, &checksum);
    if (!s.ok()) return MakeError(StoreError::kInvalidArgument, s.message());
  }
  if (!BucketExists(bucket)) return MakeError(StoreError::kNoSuchBucket, bucket);
  auto rep = std::make_unique<ObjectWriter::Rep>(impl_, bucket, std::move(checksum));
  *out = std::make_unique<ObjectWriter>(std::move(rep));
  return Status::OK();
}

Status ObjectStore::Open(std::string_view bucket, std::string_view key, std::string_view version_id,
                         std::unique_ptr<ObjectReader>* out) const {
  return impl_->OpenObject(bucket, key, version_id, out);
}

Status ObjectStore::Head(std::string_view bucket, std::string_view key, std::string_view version_id,
                         ObjectInfo* info) const {
  return impl_->Head(bucket, key, version_id, info);
}

Status ObjectStore::Delete(std::string_view bucket, std::string_view key, std::string_view version_id,
                           Versioning versioning, int64_t now, DeleteResult* result) {
  return impl_->Delete(bucket, key, version_id, versioning, now, result);
}

Status ObjectStore::List(std::string_view bucket, std::string_view prefix, std::string_view delimiter,
                         std::string_view start_after, size_t max_keys, ListResult* out) const {
  std::lock_guard<std::mutex> lock(impl_->mu_);
  Bucket* b = impl_->FindBucketLocked(bucket);
  if (b == nullptr) return MakeError(StoreError::kNoSuchBucket, bucket);
  b->index.List(prefix, delimiter, start_after, max_keys, out);
  return Status::OK();
}

Status ObjectStore::ListVersions(std::string_view bucket, std::string_view prefix, std::string_view delimiter,
                                 std::string_view key_marker, std::string_view version_id_marker, size_t max_keys,
                                 ListVersionsResult* out) const {
  std::lock_guard<std::mutex> lock(impl_->mu_);
  Bucket* b = impl_->FindBucketLocked(bucket);
  if (b == nullptr) return MakeError(StoreError::kNoSuchBucket, bucket);
  b->index.ListVersions(prefix, delimiter, key_marker, version_id_marker, max_keys, out);
  return Status::OK();
}

Status ObjectStore::CreateUpload(std::string_view bucket, std::string_view key, std::string_view metadata,
                                 int64_t now, std::string* upload_id) {
  return impl_->CreateUpload(bucket, key, metadata, now, upload_id);
}

Status ObjectStore::BeginPart(std::string_view upload_id, uint32_t part_number, std::string_view checksum_algorithm,
                              std::unique_ptr<PartWriter>* out) {
  std::unique_ptr<Hasher> checksum;
  if (!checksum_algorithm.empty()) {
    Status s = NewHasher(checksum_algorithm, &checksum);
    if (!s.ok()) return MakeError(StoreError::kInvalidArgument, s.message());
  }
  RawId raw;
  Status s = impl_->CheckUpload(upload_id, part_number, &raw);
  if (!s.ok()) return s;
  auto rep = std::make_unique<PartWriter::Rep>(impl_, raw, part_number, std::move(checksum));
  *out = std::make_unique<PartWriter>(std::move(rep));
  return Status::OK();
}

Status ObjectStore::CompleteUpload(std::string_view upload_id, const std::vector<std::pair<uint32_t, std::string>>& parts,
                                   std::string_view metadata, int64_t last_modified, Versioning versioning,
                                   ObjectInfo* info) {
  return impl_->CompleteUpload(upload_id, parts, metadata, last_modified, versioning, info);
}

Status ObjectStore::AbortUpload(std::string_view upload_id) { return impl_->AbortUpload(upload_id); }

Status ObjectStore::ListParts(std::string_view upload_id, uint32_t part_number_marker, size_t max_parts,
                              ListPartsResult* out) const {
  return impl_->ListParts(upload_id, part_number_marker, max_parts, out);
}

Status ObjectStore::ListUploads(std::string_view bucket, std::string_view prefix, std::string_view key_marker,
                                std::string_view upload_id_marker, size_t max_uploads, ListUploadsResult* out) const {
  return impl_->ListUploads(bucket, prefix, key_marker, upload_id_marker, max_uploads, out);
}

Status ObjectStore::Compact(bool force, CompactionStats* stats) { return impl_->Compact(force, stats); }

Status ObjectStore::Sync() {
  std::unique_lock<std::mutex> lock(impl_->mu_);
  return impl_->SyncNowLocked(lock);
}

Stats ObjectStore::GetStats() const {
  std::lock_guard<std::mutex> lock(impl_->mu_);
  Stats st = impl_->recovery_;
  for (const auto& [name, b] : impl_->buckets_) {
    if (b.seq == 0) continue;
    ++st.buckets;
    st.keys += b.index.key_count();
    st.versions += b.index.version_count();
  }
  st.uploads = impl_->uploads_.size();
  st.segments = impl_->segments_.size();
  for (const auto& [id, seg] : impl_->segments_) {
    st.log_bytes += seg->size;
    st.live_log_bytes += seg->live_bytes;
  }
  st.log_syncs = impl_->log_syncs_;
  st.background_compactions = impl_->background_compactions_;
  st.segments_compacted = impl_->segments_compacted_;
  st.bytes_reclaimed = impl_->bytes_reclaimed_;
  return st;
}

}  // namespace objstore
}  // namespace pycloud
