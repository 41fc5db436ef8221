#include "blockdev/checkpoint.h"

#include "blockdev/meta_log.h"

namespace pycloud {
namespace blockdev {

CheckpointWriter::CheckpointWriter(uint64_t next_uid) {
  Record begin;
  begin.type = RecordType::kCheckpoint;
  begin.uid = next_uid;
  Emit(begin);
}

void CheckpointWriter::Emit(const Record& r) {
  payload_.clear();
  EncodeRecord(r, &payload_);
  MetaLog::Frame(&framed_, payload_);
}

void CheckpointWriter::FlushMappings() {
  if (map_.mappings.empty()) return;
  Emit(map_);
  map_.mappings.clear();
}

void CheckpointWriter::AddObject(const Record& state) {
  FlushMappings();
  Emit(state);
  ++objects_;
  map_.type = RecordType::kCheckpointMap;
  map_.uid = state.uid;
}

void CheckpointWriter::AddMapping(uint64_t block, uint64_t slot) {
  map_.mappings.emplace_back(block, slot);
  if (map_.mappings.size() >= kCheckpointMapBatch) FlushMappings();
}

std::string CheckpointWriter::Finish() {
  FlushMappings();
  Record end;
  end.type = RecordType::kCheckpointEnd;
  end.uid = objects_;
  Emit(end);
  return std::move(framed_);
}

std::vector<std::pair<uint64_t, uint64_t>> BitRuns(const std::atomic<uint64_t>* words, uint64_t n_words) {
  std::vector<std::pair<uint64_t, uint64_t>> runs;
  for (uint64_t w = 0; w < n_words; ++w) {
    uint64_t bits = words[w].load(std::memory_order_relaxed);
    while (bits != 0) {
      const uint64_t bit = static_cast<uint64_t>(__builtin_ctzll(bits));
      const uint64_t idx = w * 64 + bit;
      if (!runs.empty() && runs.back().first + runs.back().second == idx) {
        ++runs.back().second;
      } else {
        runs.emplace_back(idx, 1);
      }
      bits &= bits - 1;
    }
  }
  return runs;
}

Status CheckpointReplay::Accept(const Record& r, uint64_t framed_size) {
  switch (r.type) {
    case RecordType::kCheckpoint:
      // Only a compaction writes one, and only as the first record of the log it creates.
      if (state_ != State::kStart) return Status::Corruption("a checkpoint record after the start of the log");
      state_ = State::kInside;
      break;
    case RecordType::kVolumeState:
    case RecordType::kSnapshotState:
      if (state_ != State::kInside) return Status::Corruption("an object state record outside the checkpoint");
      ++objects_;
      break;
    case RecordType::kCheckpointMap:
      if (state_ != State::kInside) return Status::Corruption("a checkpoint map record outside the checkpoint");
      break;
    case RecordType::kCheckpointEnd:
      if (state_ != State::kInside || r.uid != objects_) {
        return Status::Corruption("a checkpoint end that does not close the checkpoint it follows");
      }
      state_ = State::kAfter;
      break;
    default:
      if (state_ == State::kInside) return Status::Corruption("a change record inside the checkpoint");
      state_ = State::kAfter;
      return Status::OK();
  }
  bytes_ += framed_size;
  return Status::OK();
}

Status CheckpointReplay::AtEnd() const {
  if (state_ == State::kInside) return Status::Corruption("the metadata log ends inside its checkpoint");
  return Status::OK();
}

}  // namespace blockdev
}  // namespace pycloud
