// The record framing of the object store's log segments (see docs/objstore-format.md).
//
// A segment is a sequence of records; each is a 24-byte header, a "meta" payload (the encoded
// operation) and an optional "data" payload (the body of a small object). The header CRC covers the
// header and meta; the data has its own CRC, so recovery can verify metadata of sealed segments
// without reading every body. Stateless functions; LogScanner is single-owner.
#ifndef PYCLOUD_OBJSTORE_LOG_FORMAT_H_
#define PYCLOUD_OBJSTORE_LOG_FORMAT_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "objstore/env.h"

namespace pycloud {
namespace objstore {

constexpr size_t kRecordHeaderSize = 24;
// A meta payload larger than this is treated as corruption (keys, metadata and extents are small).
constexpr uint32_t kMaxMetaSize = 64u << 20;

enum class RecordType : uint8_t {
  kBucketCreate = 1,
  kBucketDelete = 2,
  kPut = 3,            // a version (object or delete marker); may end an upload (complete)
  kDeleteVersion = 4,  // removes one version
  kUploadCreate = 5,
  kPart = 6,
  kUploadEnd = 7,      // upload aborted (or completed, when rewritten by compaction)
};

struct RecordHeader {
  uint32_t meta_len = 0;
  uint64_t data_len = 0;
  uint32_t data_crc = 0;  // masked
  RecordType type = RecordType::kPut;
};

// CRCs stored in records are masked (rotated and offset) so that a record holding CRCs of other
// data does not produce accidental matches; the same trick LevelDB uses.
inline uint32_t MaskCrc(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xa282ead8u; }

// Header + meta, ready to be followed by `data` in the file.
std::string EncodeRecordPrefix(RecordType type, std::string_view meta, std::string_view data);

// Parses a header and checks the header CRC over header and meta (`buf` holds both).
Status DecodeRecordPrefix(std::string_view buf, RecordHeader* h);
// Only the fixed part, to learn how much meta to read next (no CRC check yet).
bool PeekRecordHeader(const char* header24, RecordHeader* h);

uint32_t DataCrc(std::string_view data);

// Reads records sequentially from a segment. Next() returns OK with a record, NotFound at a clean
// end of file, or Corruption when the bytes at offset() are not a whole valid record (a torn tail
// or damage): offset() is then the end of the valid prefix.
class LogScanner {
 public:
  LogScanner(const RandomAccessFile* file, uint64_t file_size, bool verify_data)
      : file_(file), size_(file_size), verify_data_(verify_data) {}

  struct Record {
    RecordHeader header;
    uint64_t offset = 0;  // of the header
    std::string meta;
    std::string data;     // only filled when `read_data`
  };

  Status Next(Record* rec, bool read_data);
  uint64_t offset() const { return offset_; }

 private:
  const RandomAccessFile* file_;
  uint64_t size_;
  bool verify_data_;
  uint64_t offset_ = 0;
};

}  // namespace objstore
}  // namespace pycloud

#endif  // PYCLOUD_OBJSTORE_LOG_FORMAT_H_
