#include "blockdev/meta_log.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "common/crc32c.h"
#include "objstore/coding.h"

namespace pycloud {
namespace blockdev {
namespace {

using objstore::DecodeFixed32;
using objstore::EncodeFixed32;

// As in the other logs: a masked CRC never equals the CRC of data that embeds it.
uint32_t MaskCrc(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xa282ead8u; }

std::string TmpPath(const std::string& path) { return path + ".tmp"; }

std::string DirOf(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

void MetaLog::Frame(std::string* out, std::string_view payload) {
  char h[kRecordHeader];
  EncodeFixed32(h, MaskCrc(Crc32cExtend(0, payload.data(), payload.size())));
  EncodeFixed32(h + 4, static_cast<uint32_t>(payload.size()));
  out->append(h, sizeof(h));
  out->append(payload.data(), payload.size());
}

Status MetaLog::Open(const std::string& path, const ReplayFn& replay, const EndFn& at_end, uint64_t* records,
                     uint64_t* truncated_bytes) {
  *records = 0;
  *truncated_bytes = 0;
  path_ = path;
  // A compaction that stopped before its rename: the log at `path` is still the whole truth.
  if (::unlink(TmpPath(path).c_str()) != 0 && errno != ENOENT) {
    return Status::IOError("unlink " + TmpPath(path) + ": " + std::strerror(errno));
  }
  file_ = std::make_unique<File>();
  Status s = file_->Open(path);
  if (!s.ok()) return s;
  uint64_t size = 0;
  s = file_->Size(&size);
  if (!s.ok()) return s;
  if (size < sizeof(kLogMagic)) {
    // New (or torn while being created, before anything could be acknowledged).
    s = file_->Truncate(0);
    if (s.ok()) s = file_->WriteAt(0, kLogMagic, sizeof(kLogMagic));
    if (s.ok()) s = file_->Sync();
    if (!s.ok()) return s;
    end_ = sizeof(kLogMagic);
    return Status::OK();
  }
  // The log holds metadata only (a few bytes per allocated block), so reading it whole is fine.
  std::string data(size, '\0');
  s = file_->ReadAt(0, size, data.data());
  if (!s.ok()) return s;
  if (std::memcmp(data.data(), kLogMagic, sizeof(kLogMagic)) != 0) {
    return Status::Corruption("not a block store metadata log (or a newer format): " + path);
  }
  size_t pos = sizeof(kLogMagic);
  while (data.size() - pos >= kRecordHeader) {
    const char* h = data.data() + pos;
    uint32_t len = DecodeFixed32(h + 4);
    if (len == 0 || len > kMaxRecordPayload || data.size() - pos - kRecordHeader < len) break;
    if (MaskCrc(Crc32cExtend(0, h + kRecordHeader, len)) != DecodeFixed32(h)) break;
    s = replay(std::string_view(h + kRecordHeader, len));
    if (!s.ok()) return s;
    pos += kRecordHeader + len;
    ++*records;
  }
  s = at_end();
  if (!s.ok()) return s;
  if (pos < size) {
    // A torn tail: the append in flight at a crash, never acknowledged. Cut it off so the next
    // record does not follow garbage.
    *truncated_bytes = size - pos;
    s = file_->Truncate(pos);
    if (s.ok()) s = file_->Sync();
    if (!s.ok()) return s;
  }
  end_ = pos;
  return Status::OK();
}

Status MetaLog::Append(std::string_view framed, uint64_t* end) {
  uint64_t at = end_.load(std::memory_order_relaxed);
  Status s = file_->WriteAt(at, framed.data(), framed.size());
  if (!s.ok()) {
    // Never leave a partial record for later ones to follow: cut back to the last good end.
    file_->Truncate(at);
    return s;
  }
  end_.store(at + framed.size(), std::memory_order_release);
  *end = at + framed.size();
  return Status::OK();
}

Status MetaLog::Sync() {
  Status s = file_->Sync();
  if (s.ok() && dir_unsynced_.load()) {
    s = SyncDir(DirOf(path_));
    if (s.ok()) dir_unsynced_.store(false);
  }
  return s;
}

Status MetaLog::PrepareRewrite(std::string_view checkpoint) {
  AbandonRewrite();
  const std::string tmp = TmpPath(path_);
  auto next = std::make_unique<File>();
  Status s = next->Open(tmp);
  if (s.ok()) s = next->Truncate(0);
  if (s.ok()) s = next->WriteAt(0, kLogMagic, sizeof(kLogMagic));
  if (s.ok()) s = next->WriteAt(sizeof(kLogMagic), checkpoint.data(), checkpoint.size());
  // Durable before it can take the log's name: a power loss after the rename finds it whole.
  if (s.ok()) s = next->Sync();
  if (!s.ok()) {
    ::unlink(tmp.c_str());
    return s;
  }
  next_ = std::move(next);
  next_end_ = sizeof(kLogMagic) + checkpoint.size();
  return Status::OK();
}

Status MetaLog::CommitRewrite(uint64_t tail_from, bool* swapped) {
  *swapped = false;
  if (!next_) return Status::InvalidArgument("no prepared rewrite of " + path_);
  const uint64_t end = end_.load(std::memory_order_relaxed);
  Status s;
  if (tail_from < sizeof(kLogMagic) || tail_from > end) {
    s = Status::InvalidArgument("rewrite tail outside the log");
  }
  // Records appended since the checkpoint was taken apply on top of it, as they did on the old log.
  if (s.ok() && end > tail_from) {
    std::string tail(end - tail_from, '\0');
    s = file_->ReadAt(tail_from, tail.size(), tail.data());
    if (s.ok()) s = next_->WriteAt(next_end_, tail.data(), tail.size());
    if (s.ok()) next_end_ += tail.size();
  }
  if (s.ok()) s = next_->Sync();
  if (s.ok() && std::rename(TmpPath(path_).c_str(), path_.c_str()) != 0) {
    s = Status::IOError("rename " + TmpPath(path_) + ": " + std::strerror(errno));
  }
  if (!s.ok()) {
    AbandonRewrite();
    return s;
  }
  // Renamed: the new file is the log now, whatever happens to the directory fsync.
  *swapped = true;
  file_ = std::move(next_);
  end_.store(next_end_, std::memory_order_release);
  s = SyncDir(DirOf(path_));
  if (!s.ok()) dir_unsynced_.store(true);
  return s;
}

void MetaLog::AbandonRewrite() {
  if (!next_) return;
  next_.reset();
  ::unlink(TmpPath(path_).c_str());
}

}  // namespace blockdev
}  // namespace pycloud
