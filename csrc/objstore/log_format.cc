#include "objstore/log_format.h"

#include "common/crc32c.h"
#include "objstore/coding.h"

namespace pycloud {
namespace objstore {

uint32_t DataCrc(std::string_view data) { return MaskCrc(Crc32cExtend(0, data.data(), data.size())); }

std::string EncodeRecordPrefix(RecordType type, std::string_view meta, std::string_view data) {
  std::string out(kRecordHeaderSize, '\0');
  out.append(meta.data(), meta.size());
  EncodeFixed32(&out[4], static_cast<uint32_t>(meta.size()));
  EncodeFixed64(&out[8], data.size());
  EncodeFixed32(&out[16], DataCrc(data));
  out[20] = static_cast<char>(type);
  uint32_t crc = Crc32cExtend(0, out.data() + 4, out.size() - 4);
  EncodeFixed32(&out[0], MaskCrc(crc));
  return out;
}

bool PeekRecordHeader(const char* p, RecordHeader* h) {
  h->meta_len = DecodeFixed32(p + 4);
  h->data_len = DecodeFixed64(p + 8);
  h->data_crc = DecodeFixed32(p + 16);
  auto t = static_cast<uint8_t>(p[20]);
  h->type = static_cast<RecordType>(t);
  return t >= 1 && t <= 7 && h->meta_len <= kMaxMetaSize && p[21] == 0 && p[22] == 0 && p[23] == 0;
}

Status DecodeRecordPrefix(std::string_view buf, RecordHeader* h) {
  if (buf.size() < kRecordHeaderSize || !PeekRecordHeader(buf.data(), h) ||
      buf.size() != kRecordHeaderSize + h->meta_len) {
    return Status::Corruption("bad record header");
  }
  uint32_t crc = Crc32cExtend(0, buf.data() + 4, buf.size() - 4);
  if (MaskCrc(crc) != DecodeFixed32(buf.data())) return Status::Corruption("record checksum mismatch");
  return Status::OK();
}

Status LogScanner::Next(Record* rec, bool read_data) {
  if (offset_ == size_) return Status::NotFound("end of segment");
  if (size_ - offset_ < kRecordHeaderSize) return Status::Corruption("truncated record header");
  char hdr[kRecordHeaderSize];
  size_t got = 0;
  Status s = file_->Read(offset_, kRecordHeaderSize, hdr, &got);
  if (!s.ok()) return s;
  if (got != kRecordHeaderSize) return Status::Corruption("truncated record header");
  RecordHeader h;
  if (!PeekRecordHeader(hdr, &h)) return Status::Corruption("bad record header");
  uint64_t total = kRecordHeaderSize + uint64_t{h.meta_len} + h.data_len;
  if (h.data_len > size_ || total > size_ - offset_) return Status::Corruption("truncated record");
  std::string prefix(kRecordHeaderSize + h.meta_len, '\0');
  s = file_->Read(offset_, prefix.size(), prefix.data(), &got);
  if (!s.ok()) return s;
  if (got != prefix.size()) return Status::Corruption("truncated record");
  s = DecodeRecordPrefix(prefix, &rec->header);
  if (!s.ok()) return s;
  rec->data.clear();
  if (read_data || verify_data_) {
    std::string data(h.data_len, '\0');
    s = file_->Read(offset_ + prefix.size(), data.size(), data.data(), &got);
    if (!s.ok()) return s;
    if (got != data.size()) return Status::Corruption("truncated record data");
    if (verify_data_ && DataCrc(data) != h.data_crc) return Status::Corruption("record data checksum mismatch");
    if (read_data) rec->data = std::move(data);
  }
  rec->offset = offset_;
  rec->meta = prefix.substr(kRecordHeaderSize);
  offset_ += total;
  return Status::OK();
}

}  // namespace objstore
}  // namespace pycloud
