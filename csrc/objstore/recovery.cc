// ObjectStore::Impl::Recover: rebuilds the in-memory state from the log on Open.
//
// Segments are replayed in id order through the same ApplyLocked the live path uses. The last
// segment's bodies are CRC-checked too (only it can hold a torn write: sealed segments were
// fsynced before the next one started); a bad record there ends the log and the file is cut back.
// Temp files are dropped and data files no live record references are removed.
#include <algorithm>
#include <cstdlib>
#include <set>

#include "objstore/log_format.h"
#include "objstore/store_impl.h"

namespace pycloud {
namespace objstore {
namespace {

// Parses "<digits>.log" / "<hex>" names; false for anything else (left alone).
bool ParseSegmentName(const std::string& name, uint32_t* id) {
  if (name.size() != 14 || name.compare(10, 4, ".log") != 0) return false;
  const std::string digits = name.substr(0, 10);
  char* end = nullptr;
  unsigned long v = std::strtoul(digits.c_str(), &end, 10);
  if (*end != '\0' || v == 0 || v > UINT32_MAX) return false;
  *id = static_cast<uint32_t>(v);
  return true;
}

bool ParseDataName(const std::string& name, uint64_t* id) {
  if (name.size() != 16) return false;
  char* end = nullptr;
  unsigned long long v = std::strtoull(name.c_str(), &end, 16);
  if (*end != '\0') return false;
  *id = v;
  return true;
}

}  // namespace

Status ObjectStore::Impl::Recover(Stats* st) {
  for (const std::string& d : {dir_, seg_dir_, data_dir_, tmp_dir_}) {
    Status s = env_->CreateDirIfMissing(d);
    if (!s.ok()) return s;
  }
  std::vector<std::string> names;
  Status s = env_->GetChildren(tmp_dir_, &names);
  if (!s.ok()) return s;
  for (const std::string& n : names) env_->RemoveFile(tmp_dir_ + "/" + n);  // unacknowledged bodies

  std::lock_guard<std::mutex> lock(mu_);
  s = env_->GetChildren(seg_dir_, &names);
  if (!s.ok()) return s;
  std::vector<uint32_t> ids;
  for (const std::string& n : names) {
    uint32_t id;
    if (ParseSegmentName(n, &id)) ids.push_back(id);
  }
  std::sort(ids.begin(), ids.end());
  for (size_t i = 0; i < ids.size(); ++i) {
    const bool last = i + 1 == ids.size();
    auto seg = std::make_shared<Segment>();
    seg->id = ids[i];
    seg->path = SegmentPath(ids[i]);
    std::unique_ptr<RandomAccessFile> file;
    s = env_->NewRandomAccessFile(seg->path, &file);
    if (s.ok()) s = env_->GetFileSize(seg->path, &seg->size);
    if (!s.ok()) return s;
    seg->file = std::move(file);
    segments_[seg->id] = seg;
    next_segment_id_ = seg->id + 1;

    LogScanner scanner(seg->file.get(), seg->size, /*verify_data=*/last);
    LogScanner::Record rec;
    while (true) {
      s = scanner.Next(&rec, false);
      if (s.IsNotFound()) break;
      if (s.IsCorruption()) {
        if (!last && options_.paranoid_checks) return s;
        // Cut the torn or damaged tail so new records follow the last valid one.
        std::unique_ptr<WritableFile> w;
        Status t = env_->NewAppendableFile(seg->path, &w);
        if (t.ok()) t = w->Truncate(scanner.offset());
        if (t.ok()) t = w->Sync();
        if (!t.ok()) return t;
        st->truncated_bytes += seg->size - scanner.offset();
        seg->size = scanner.offset();
        break;
      }
      if (!s.ok()) return s;
      Op op;
      s = DecodeOp(rec.header.type, rec.meta, &op);
      if (!s.ok()) return s;  // a valid CRC around an unreadable payload: a format we do not know
      uint64_t total = kRecordHeaderSize + rec.meta.size() + rec.header.data_len;
      RecordLoc loc{seg->id, static_cast<uint32_t>(rec.offset), static_cast<uint32_t>(total),
                    static_cast<uint32_t>(rec.meta.size())};
      next_seq_ = std::max(next_seq_, op.seq + 1);
      ApplyLocked(op, loc, /*replay=*/true);
      ++st->recovered_records;
    }
  }

  // Records met before their parent's create record whose parent never showed up are dead.
  for (auto it = uploads_.begin(); it != uploads_.end();) {
    if (it->second.created) {
      ++it;
      continue;
    }
    for (auto& [n, p] : it->second.parts) DropLiveLocked(p.loc);
    it = uploads_.erase(it);
  }
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    if (it->second.seq != 0) {
      ++it;
      continue;
    }
    it->second.index.ForEach([&](const std::string&, const VersionEntry& v) { DropLiveLocked(LocOf(v)); });
    for (const auto& [key, id] : it->second.uploads) {
      RawId raw;
      if (DecodeId(id, &raw)) uploads_.erase(raw);
    }
    it = buckets_.erase(it);
  }

  // Sweep data files: keep those a live version or upload part references.
  std::set<uint64_t> referenced;
  for (const auto& [name, b] : buckets_) {
    Status rs;
    b.index.ForEach([&](const std::string&, const VersionEntry& v) {
      if (v.is_inline() || v.is_delete_marker() || !rs.ok()) return;
      Op op;
      rs = ReadOpLocked(v.segment, v.offset, v.meta_len, &op);
      for (const Extent& e : op.extents) referenced.insert(e.file_id);
    });
    if (!rs.ok()) return rs;
  }
  for (const auto& [id, u] : uploads_) {
    for (const auto& [n, p] : u.parts) referenced.insert(p.file_id);
  }
  s = env_->GetChildren(data_dir_, &names);
  if (!s.ok()) return s;
  uint64_t max_id = 0;
  for (const std::string& n : names) {
    uint64_t id;
    if (!ParseDataName(n, &id)) continue;
    max_id = std::max(max_id, id);
    if (referenced.count(id) == 0) {
      env_->RemoveFile(data_dir_ + "/" + n);
      ++st->removed_files;
    }
  }
  if (!referenced.empty()) max_id = std::max(max_id, *referenced.rbegin());
  next_file_id_ = max_id + 1;

  // Keep appending to the last segment unless it is full.
  if (!segments_.empty() && segments_.rbegin()->second->size < options_.segment_size) {
    active_ = segments_.rbegin()->second;
    std::unique_ptr<WritableFile> file;
    s = env_->NewAppendableFile(active_->path, &file);
    active_file_ = std::move(file);
    durable_size_ = active_->size;
    return s;
  }
  return OpenSegmentLocked();
}

}  // namespace objstore
}  // namespace pycloud
