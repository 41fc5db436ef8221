#include "blockdev/meta_log.h"

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

}  // namespace

void MetaLog::Frame(std::string* out, std::string_view payload) {
  char h[kRecordHeader];
  EncodeFixed32(h, MaskCrc(Crc32cExtend(0, payload.data(), payload.size())));
  EncodeFixed32(h + 4, static_cast<uint32_t>(payload.size()));
  out->append(h, sizeof(h));
  out->append(payload.data(), payload.size());
}

Status MetaLog::Open(const std::string& path, const ReplayFn& replay, uint64_t* records, uint64_t* truncated_bytes) {
  *records = 0;
  *truncated_bytes = 0;
  Status s = file_.Open(path);
  if (!s.ok()) return s;
  s = file_.LockExclusive();
  if (!s.ok()) return s;
  uint64_t size = 0;
  s = file_.Size(&size);
  if (!s.ok()) return s;
  if (size < sizeof(kLogMagic)) {
    // New (or torn while being created, before anything could be acknowledged).
    s = file_.Truncate(0);
    if (s.ok()) s = file_.WriteAt(0, kLogMagic, sizeof(kLogMagic));
    if (s.ok()) s = file_.Sync();
    if (!s.ok()) return s;
    end_ = sizeof(kLogMagic);
    return Status::OK();
  }
  // The log holds metadata only (a few bytes per allocated block), so reading it whole is fine.
  std::string data(size, '\0');
  s = file_.ReadAt(0, size, data.data());
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
  if (pos < size) {
    // A torn tail: the append in flight at a crash, never acknowledged. Cut it off so the next
    // record does not follow garbage.
    *truncated_bytes = size - pos;
    s = file_.Truncate(pos);
    if (s.ok()) s = file_.Sync();
    if (!s.ok()) return s;
  }
  end_ = pos;
  return Status::OK();
}

Status MetaLog::Append(std::string_view framed, uint64_t* end) {
  uint64_t at = end_.load(std::memory_order_relaxed);
  Status s = file_.WriteAt(at, framed.data(), framed.size());
  if (!s.ok()) {
    // Never leave a partial record for later ones to follow: cut back to the last good end.
    file_.Truncate(at);
    return s;
  }
  end_.store(at + framed.size(), std::memory_order_release);
  *end = at + framed.size();
  return Status::OK();
}

Status MetaLog::Sync() { return file_.Sync(); }

}  // namespace blockdev
}  // namespace pycloud
