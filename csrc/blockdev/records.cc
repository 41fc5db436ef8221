#include "blockdev/records.h"

#include "blockdev/block_map.h"
#include "objstore/coding.h"

namespace pycloud {
namespace blockdev {

using objstore::Decoder;
using objstore::PutBytes;
using objstore::PutVarint64;

namespace {

void PutMappings(std::string* out, const std::vector<std::pair<uint64_t, uint64_t>>& mappings) {
  PutVarint64(out, mappings.size());
  for (const auto& [block, slot] : mappings) {
    PutVarint64(out, block);
    PutVarint64(out, slot);
  }
}

bool GetMappings(Decoder* d, size_t payload_size, std::vector<std::pair<uint64_t, uint64_t>>* mappings) {
  uint64_t n = 0;
  if (!d->Varint(&n) || n > payload_size) return false;
  mappings->resize(n);
  for (auto& [block, slot] : *mappings) {
    if (!d->Varint(&block) || !d->Varint(&slot)) return false;
  }
  return true;
}

// Runs are ascending and disjoint: each is stored as its gap after the previous one's end.
void PutRuns(std::string* out, const std::vector<std::pair<uint64_t, uint64_t>>& runs) {
  PutVarint64(out, runs.size());
  uint64_t at = 0;
  for (const auto& [first, count] : runs) {
    PutVarint64(out, first - at);
    PutVarint64(out, count);
    at = first + count;
  }
}

bool GetRuns(Decoder* d, size_t payload_size, std::vector<std::pair<uint64_t, uint64_t>>* runs) {
  uint64_t n = 0;
  if (!d->Varint(&n) || n > payload_size) return false;
  runs->resize(n);
  uint64_t at = 0;
  for (auto& [first, count] : *runs) {
    uint64_t gap = 0;
    if (!d->Varint(&gap) || !d->Varint(&count)) return false;
    // Bounded by the largest volume, so the sums below cannot overflow.
    if (gap > kMaxBlocks || count == 0 || count > kMaxBlocks || at + gap + count > kMaxBlocks) return false;
    first = at + gap;
    at = first + count;
  }
  return true;
}

}  // namespace

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
    case RecordType::kCheckpointMap:
      PutMappings(out, r.mappings);
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
    case RecordType::kVolumeState:
      PutBytes(out, r.id);
      PutVarint64(out, r.size);
      PutVarint64(out, r.lineage);
      PutVarint64(out, r.other);
      PutBytes(out, r.ref_id);
      PutVarint64(out, r.penalty_us);
      PutVarint64(out, r.to_hydrate);
      PutVarint64(out, r.hydrated);
      PutRuns(out, r.pending);
      break;
    case RecordType::kSnapshotState:
      PutBytes(out, r.id);
      PutBytes(out, r.ref_id);
      PutVarint64(out, r.size);
      PutVarint64(out, r.lineage);
      PutVarint64(out, r.other);
      PutVarint64(out, r.complete ? 1 : 0);
      PutVarint64(out, r.block_count);
      PutVarint64(out, r.stored_count);
      break;
    case RecordType::kDeleteVolume:
    case RecordType::kCompleteSnapshot:
    case RecordType::kDeleteSnapshot:
    case RecordType::kCheckpoint:
    case RecordType::kCheckpointEnd:
      break;
  }
}

bool DecodeRecord(std::string_view payload, Record* r) {
  if (payload.empty()) return false;
  *r = Record();
  auto type = static_cast<uint8_t>(payload[0]);
  if (type < 1 || type > kMaxRecordType) return false;
  r->type = static_cast<RecordType>(type);
  Decoder d(payload.substr(1));
  if (!d.Varint(&r->uid)) return false;
  uint64_t n = 0;
  uint64_t flag = 0;
  switch (r->type) {
    case RecordType::kCreateVolume:
      if (!d.Bytes(&r->id) || !d.Varint(&r->size) || !d.Varint(&r->other) || !d.Varint(&r->lineage)) return false;
      break;
    case RecordType::kResizeVolume:
    case RecordType::kPenalty:
      if (!d.Varint(&r->size)) return false;
      break;
    case RecordType::kMap:
    case RecordType::kCheckpointMap:
      if (!GetMappings(&d, payload.size(), &r->mappings)) return false;
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
    case RecordType::kVolumeState:
      if (!d.Bytes(&r->id) || !d.Varint(&r->size) || !d.Varint(&r->lineage) || !d.Varint(&r->other) ||
          !d.Bytes(&r->ref_id) || !d.Varint(&r->penalty_us) || !d.Varint(&r->to_hydrate) ||
          !d.Varint(&r->hydrated) || !GetRuns(&d, payload.size(), &r->pending)) {
        return false;
      }
      break;
    case RecordType::kSnapshotState:
      if (!d.Bytes(&r->id) || !d.Bytes(&r->ref_id) || !d.Varint(&r->size) || !d.Varint(&r->lineage) ||
          !d.Varint(&r->other) || !d.Varint(&flag) || flag > 1 || !d.Varint(&r->block_count) ||
          !d.Varint(&r->stored_count)) {
        return false;
      }
      r->complete = flag == 1;
      break;
    case RecordType::kDeleteVolume:
    case RecordType::kCompleteSnapshot:
    case RecordType::kDeleteSnapshot:
    case RecordType::kCheckpoint:
    case RecordType::kCheckpointEnd:
      break;
  }
  return d.done();
}

}  // namespace blockdev
}  // namespace pycloud
