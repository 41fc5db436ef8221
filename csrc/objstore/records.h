// The operations logged in segment records (their meta payload), encoded and decoded.
//
// One struct serves every record type; each type uses the fields listed in
// docs/objstore-format.md. Every operation carries its log sequence number first: replay and
// compaction compare sequence numbers, never file positions, to decide which record wins.
#ifndef PYCLOUD_OBJSTORE_RECORDS_H_
#define PYCLOUD_OBJSTORE_RECORDS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "objstore/ids.h"
#include "objstore/log_format.h"

namespace pycloud {
namespace objstore {

// A byte range of a data file (a large object's body, or one part of a multipart object).
struct Extent {
  uint64_t file_id = 0;
  uint64_t length = 0;
};

struct Op {
  RecordType type = RecordType::kPut;
  uint64_t seq = 0;
  std::string bucket;
  std::string key;
  bool null_version = true;  // put, delete-version: the null version (vid unused)
  RawId vid{};
  uint8_t flags = 0;         // put: VersionEntry::Flags
  uint64_t size = 0;
  int64_t mtime = 0;
  uint8_t md5[16] = {};
  uint32_t parts = 0;
  std::string checksum_algorithm;
  std::string checksum;
  std::string metadata;
  bool has_upload = false;   // put (completes this upload), upload-create/part/end
  RawId upload_id{};
  uint32_t part_number = 0;
  std::vector<Extent> extents;
};

std::string EncodeOp(const Op& op);
Status DecodeOp(RecordType type, std::string_view meta, Op* op);

}  // namespace objstore
}  // namespace pycloud

#endif  // PYCLOUD_OBJSTORE_RECORDS_H_
