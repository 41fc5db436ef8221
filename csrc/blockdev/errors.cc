#include "blockdev/errors.h"

namespace pycloud {
namespace blockdev {
namespace {

constexpr BlockError kAll[] = {
    BlockError::kNoSuchVolume,        BlockError::kNoSuchSnapshot,    BlockError::kOutOfRange,
    BlockError::kLineageMismatch,     BlockError::kSnapshotNotComplete, BlockError::kSnapshotCompleted,
    BlockError::kAlreadyExists,       BlockError::kInUse,             BlockError::kInvalidArgument,
    BlockError::kClosed,
};

}  // namespace

const char* BlockErrorName(BlockError e) {
  switch (e) {
    case BlockError::kNoSuchVolume: return "NoSuchVolume";
    case BlockError::kNoSuchSnapshot: return "NoSuchSnapshot";
    case BlockError::kOutOfRange: return "OutOfRange";
    case BlockError::kLineageMismatch: return "LineageMismatch";
    case BlockError::kSnapshotNotComplete: return "SnapshotNotComplete";
    case BlockError::kSnapshotCompleted: return "SnapshotCompleted";
    case BlockError::kAlreadyExists: return "AlreadyExists";
    case BlockError::kInUse: return "InUse";
    case BlockError::kInvalidArgument: return "InvalidArgument";
    case BlockError::kClosed: return "Closed";
  }
  return "Unknown";
}

Status MakeError(BlockError e, std::string_view detail) {
  std::string msg = std::string(BlockErrorName(e)) + ": " + std::string(detail);
  switch (e) {
    case BlockError::kNoSuchVolume:
    case BlockError::kNoSuchSnapshot: return Status::NotFound(msg);
    case BlockError::kAlreadyExists: return Status::AlreadyExists(msg);
    default: return Status::InvalidArgument(msg);
  }
}

std::string ErrorName(const Status& s) {
  if (!s.ok()) {
    const std::string& m = s.message();
    for (BlockError e : kAll) {
      std::string_view name = BlockErrorName(e);
      if (m.size() > name.size() && m.compare(0, name.size(), name) == 0 && m[name.size()] == ':') {
        return std::string(name);
      }
    }
  }
  return Status::CodeName(s.code());
}

}  // namespace blockdev
}  // namespace pycloud
