#include "blockdev/records.h"

#include "objstore/coding.h"

namespace pycloud {
namespace blockdev {

using objstore::Decoder;
using objstore::PutBytes;
using objstore::PutVarint64;

void EncodeRecord(const Record& r, std::string* out) {
  out->push_back(static_cast<char>(r.type));
  PutVarint64(out, r.uid);
  switch (r.type) {
    case RecordType::kCreateVolume:
      PutBytes(out, r.id);
      PutVarint64(out, r.size);
      PutVarint64(out, r.other);
      PutVarint64(out, r.lineage);
      break;
    case RecordType::kResizeVolume:
    case RecordType::kPenalty:
      PutVarint64(out, r.size);
      break;
    case RecordType::kMap:
      PutVarint64(out, r.mappings.size());
      for (const auto& [block, slot] : r.mappings) {
        PutVarint64(out, block);
        PutVarint64(out, slot);
      }
      break;
    case RecordType::kHydrate:
      PutVarint64(out, r.blocks.size());
      for (uint64_t b : r.blocks) PutVarint64(out, b);
      break;
    case RecordType::kCreateSnapshot:
      PutBytes(out, r.id);
      PutVarint64(out, r.other);
      break;
    case RecordType::kStartSnapshot:
      PutBytes(out, r.id);
      PutVarint64(out, r.size);
      PutVarint64(out, r.other);
      PutVarint64(out, r.lineage);
      break;
    case RecordType::kDeleteVolume:
    case RecordType::kCompleteSnapshot:
    case RecordType::kDeleteSnapshot:
      break;
  }
}

bool DecodeRecord(std::string_view payload, Record* r) {
  if (payload.empty()) return false;
  *r = Record();
  auto type = static_cast<uint8_t>(payload[0]);
  if (type < 1 || type > static_cast<uint8_t>(RecordType::kPenalty)) return false;
  r->type = static_cast<RecordType>(type);
  Decoder d(payload.substr(1));
  if (!d.Varint(&r->uid)) return false;
  uint64_t n = 0;
  switch (r->type) {
    case RecordType::kCreateVolume:
      if (!d.Bytes(&r->id) || !d.Varint(&r->size) || !d.Varint(&r->other) || !d.Varint(&r->lineage)) return false;
      break;
    case RecordType::kResizeVolume:
    case RecordType::kPenalty:
      if (!d.Varint(&r->size)) return false;
      break;
    case RecordType::kMap:
      if (!d.Varint(&n) || n > payload.size()) return false;
      r->mappings.resize(n);
      for (auto& [block, slot] : r->mappings) {
        if (!d.Varint(&block) || !d.Varint(&slot)) return false;
      }
      break;
    case RecordType::kHydrate:
      if (!d.Varint(&n) || n > payload.size()) return false;
      r->blocks.resize(n);
      for (uint64_t& b : r->blocks) {
        if (!d.Varint(&b)) return false;
      }
      break;
    case RecordType::kCreateSnapshot:
      if (!d.Bytes(&r->id) || !d.Varint(&r->other)) return false;
      break;
    case RecordType::kStartSnapshot:
      if (!d.Bytes(&r->id) || !d.Varint(&r->size) || !d.Varint(&r->other) || !d.Varint(&r->lineage)) return false;
      break;
    case RecordType::kDeleteVolume:
    case RecordType::kCompleteSnapshot:
    case RecordType::kDeleteSnapshot:
      break;
  }
  return d.done();
}

}  // namespace blockdev
}  // namespace pycloud
