// The block store's metadata-log records: one per catalog change, one per batch of map changes
// of a volume or pending snapshot, one per batch of hydrated blocks. Payload layouts are in
// docs/blockdev-format.md; replay re-applies them through the same code the live calls use.
#ifndef PYCLOUD_BLOCKDEV_RECORDS_H_
#define PYCLOUD_BLOCKDEV_RECORDS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pycloud {
namespace blockdev {

enum class RecordType : uint8_t {
  kCreateVolume = 1,    // uid, id, size, source uid, lineage uid
  kDeleteVolume = 2,    // uid
  kResizeVolume = 3,    // uid, size
  kMap = 4,             // uid, [(block, slot)]  (slot 0: no data)
  kHydrate = 5,         // uid, [block]
  kCreateSnapshot = 6,  // uid, id, volume uid
  kStartSnapshot = 7,   // uid, id, size, parent uid, lineage uid
  kCompleteSnapshot = 8,  // uid
  kDeleteSnapshot = 9,    // uid
  kPenalty = 10,          // uid, microseconds
};

struct Record {
  RecordType type = RecordType::kCreateVolume;
  uint64_t uid = 0;
  std::string id;
  uint64_t size = 0;     // sizes; the penalty of kPenalty
  uint64_t other = 0;    // source / volume / parent uid
  uint64_t lineage = 0;  // lineage uid
  std::vector<std::pair<uint64_t, uint64_t>> mappings;  // kMap
  std::vector<uint64_t> blocks;                         // kHydrate
};

// Appends the record's payload to *out.
void EncodeRecord(const Record& r, std::string* out);
// False when the payload is not a well-formed record.
bool DecodeRecord(std::string_view payload, Record* r);

}  // namespace blockdev
}  // namespace pycloud

#endif  // PYCLOUD_BLOCKDEV_RECORDS_H_
