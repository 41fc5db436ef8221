// Compaction: reclaims log segments whose records are mostly dead (overwritten or deleted small
// objects, finished uploads).
//
// Each candidate segment is scanned without the store mutex; for every record the mutex is taken
// just long enough to ask "is this still the live copy?" and, if so, to append it to the active
// segment (same sequence number) and repoint the index. Readers that opened a version in the old
// segment hold a reference to its file, so deleting it never disturbs them.
//
// Tombstones (version deletes, bucket deletes, upload ends) are dead the moment they are written,
// but dropping one could resurrect an older record for the same thing in an older segment; so they
// are dropped only from the oldest segment and carried forward otherwise. A dead put that completed
// an upload is carried forward as an upload-end tombstone for the same reason.
//
// Background compaction: a thread sleeps until a sealed segment's garbage ratio passes
// compaction_garbage_ratio (noticed where live bytes drop or a segment is sealed), then runs the
// same non-forced Compact(), at most once per compaction_interval_ms. Closing the store stops it
// between two records; a segment left half-moved is harmless (replay keeps the first copy of a
// sequence number, and the old segment stays until a later run finishes it).
#include <chrono>
#include <vector>

#include "objstore/log_format.h"
#include "objstore/store_impl.h"

namespace pycloud {
namespace objstore {

Status ObjectStore::Impl::Compact(bool force, CompactionStats* stats) {
  std::lock_guard<std::mutex> one_at_a_time(compaction_mu_);
  CompactionStats local;
  std::vector<std::shared_ptr<Segment>> candidates;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (force && active_->size > 0) {
      Status s = RollSegmentLocked();  // so the records written last can be compacted too
      if (!s.ok()) return s;
    }
    for (const auto& [id, seg] : segments_) {
      if (seg == active_) continue;
      double garbage = seg->size == 0 ? 1.0 : 1.0 - static_cast<double>(seg->live_bytes) / seg->size;
      if (force || garbage >= options_.compaction_garbage_ratio) candidates.push_back(seg);
    }
  }
  for (const std::shared_ptr<Segment>& seg : candidates) {
    if (stop_compactor_) break;  // closing: the rest waits for the next open
    LogScanner scanner(seg->file.get(), seg->size, /*verify_data=*/true);
    LogScanner::Record rec;
    Status s;
    while ((s = scanner.Next(&rec, /*read_data=*/true)).ok()) {
      if (stop_compactor_) break;
      Op op;
      s = DecodeOp(rec.header.type, rec.meta, &op);
      if (!s.ok()) return s;
      const uint32_t offset = static_cast<uint32_t>(rec.offset);
      std::lock_guard<std::mutex> lock(mu_);
      const bool oldest = segments_.begin()->first == seg->id;
      RecordLoc loc;
      auto move = [&](Op* o, std::string_view data) {
        Status as = AppendLocked(o, data, &loc, /*keep_seq=*/true);
        if (as.ok()) ++local.records_moved;
        return as;
      };
      switch (op.type) {
        case RecordType::kPut: {
          Bucket* b = FindBucketLocked(op.bucket);
          VersionEntry* v = b == nullptr ? nullptr : b->index.FindMutable(op.key, op.null_version ? nullptr : &op.vid);
          if (v != nullptr && v->segment == seg->id && v->offset == offset) {
            s = move(&op, rec.data);
            if (!s.ok()) return s;
            DropLiveLocked(LocOf(*v));
            v->segment = loc.segment;
            v->offset = loc.offset;
            v->meta_len = loc.meta_len;
            AddLiveLocked(loc);
          } else if (op.has_upload && !oldest) {
            Op end;
            end.type = RecordType::kUploadEnd;
            end.seq = op.seq;
            end.has_upload = true;
            end.upload_id = op.upload_id;
            s = move(&end, std::string_view());
          }
          break;
        }
        case RecordType::kBucketCreate: {
          Bucket* b = FindBucketLocked(op.bucket);
          if (b != nullptr && b->loc.segment == seg->id && b->loc.offset == offset) {
            s = move(&op, std::string_view());
            if (s.ok()) {
              DropLiveLocked(b->loc);
              b->loc = loc;
              AddLiveLocked(loc);
            }
          }
          break;
        }
        case RecordType::kUploadCreate:
        case RecordType::kPart: {
          auto it = uploads_.find(op.upload_id);
          if (it == uploads_.end()) break;
          RecordLoc* target = nullptr;
          if (op.type == RecordType::kUploadCreate) {
            target = &it->second.loc;
          } else {
            auto pit = it->second.parts.find(op.part_number);
            if (pit != it->second.parts.end()) target = &pit->second.loc;
          }
          if (target != nullptr && target->segment == seg->id && target->offset == offset) {
            s = move(&op, std::string_view());
            if (s.ok()) {
              DropLiveLocked(*target);
              *target = loc;
              AddLiveLocked(loc);
            }
          }
          break;
        }
        case RecordType::kDeleteVersion:
        case RecordType::kBucketDelete:
        case RecordType::kUploadEnd:
          if (!oldest) s = move(&op, std::string_view());
          break;
      }
      if (!s.ok()) return s;
    }
    if (stop_compactor_) break;
    if (!s.IsNotFound()) return s;  // leave the segment in place: nothing was lost
    {
      std::unique_lock<std::mutex> lock(mu_);
      // The moved copies must be durable before the originals disappear (the sync runs without
      // mu_, shared with concurrent commits).
      if (options_.sync != Options::Sync::kNever) {
        s = SyncUpToLocked(lock, appended_);
        if (!s.ok()) return s;
      }
      segments_.erase(seg->id);
      ++segments_compacted_;
      bytes_reclaimed_ += seg->size;
    }
    env_->RemoveFile(seg->path);
    ++local.segments_compacted;
    local.bytes_reclaimed += seg->size;
  }
  if (stats != nullptr) *stats = local;
  return Status::OK();
}

void ObjectStore::Impl::MaybeWantCompactionLocked(const Segment& seg) {
  if (options_.compaction_interval_ms == 0 || compaction_wanted_ || &seg == active_.get() || seg.size == 0) return;
  const double garbage = 1.0 - static_cast<double>(seg.live_bytes) / static_cast<double>(seg.size);
  if (garbage < options_.compaction_garbage_ratio) return;
  compaction_wanted_ = true;
  compact_cv_.notify_all();
}

void ObjectStore::Impl::StartCompactor() {
  if (options_.compaction_interval_ms == 0) return;
  {
    // Segments left garbage-heavy by an earlier run (or by replay) are looked at once up front.
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [id, seg] : segments_) MaybeWantCompactionLocked(*seg);
  }
  compactor_ = std::thread([this] { CompactorLoop(); });
}

void ObjectStore::Impl::StopCompactor() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_compactor_ = true;
  }
  compact_cv_.notify_all();
  if (compactor_.joinable() && compactor_.get_id() != std::this_thread::get_id()) compactor_.join();
}

void ObjectStore::Impl::CompactorLoop() {
  const auto interval = std::chrono::milliseconds(options_.compaction_interval_ms);
  // Rate limit: runs start at least `interval` apart (and not before `interval` after open).
  auto next = std::chrono::steady_clock::now() + interval;
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_compactor_) {
    compact_cv_.wait(lock, [&] { return stop_compactor_ || compaction_wanted_; });
    if (!compact_cv_.wait_until(lock, next, [&] { return stop_compactor_.load(); }) && !stop_compactor_) {
      compaction_wanted_ = false;
      lock.unlock();
      CompactionStats cs;
      Status s = Compact(/*force=*/false, &cs);  // a failure is retried when next wanted
      lock.lock();
      if (s.ok() && cs.segments_compacted > 0) ++background_compactions_;
      next = std::chrono::steady_clock::now() + interval;
    }
  }
}

}  // namespace objstore
}  // namespace pycloud
