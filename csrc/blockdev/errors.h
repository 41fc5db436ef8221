// Block-store error names carried inside a Status.
//
// The binding raises pycloud._core.BlockStoreError with .code set to one of these names; the EC2
// and EBS layers map them to AWS errors. As in the queue engine, an error is a Status with the
// nearest generic code whose message starts with "<Name>: ".
#ifndef PYCLOUD_BLOCKDEV_ERRORS_H_
#define PYCLOUD_BLOCKDEV_ERRORS_H_

#include <string>
#include <string_view>

#include "common/status.h"

namespace pycloud {
namespace blockdev {

enum class BlockError {
  kNoSuchVolume,
  kNoSuchSnapshot,
  kOutOfRange,
  kLineageMismatch,
  kSnapshotNotComplete,  // a pending snapshot used where a completed one is needed
  kSnapshotCompleted,    // a block put into, or a completion of, a completed snapshot
  kAlreadyExists,
  kInUse,  // the store directory is open in another BlockStore (this or another process)
  kInvalidArgument,
  kClosed,
};

const char* BlockErrorName(BlockError e);
Status MakeError(BlockError e, std::string_view detail);
// The BlockError name for block-store errors; Status::CodeName ("IOError", "Corruption") otherwise.
std::string ErrorName(const Status& s);

}  // namespace blockdev
}  // namespace pycloud

#endif  // PYCLOUD_BLOCKDEV_ERRORS_H_
