// Queue-engine error names carried inside a Status.
//
// The binding raises pycloud._core.QueueError with .code set to one of these names; the SQS layer
// maps them to AWS errors. A queue error is a Status with the nearest generic code whose message
// starts with "<Name>: ", the same convention as the object store's errors.
#ifndef PYCLOUD_QUEUE_ERRORS_H_
#define PYCLOUD_QUEUE_ERRORS_H_

#include <string>
#include <string_view>

#include "common/status.h"

namespace pycloud {
namespace queue {

enum class QueueError {
  kQueueExists,
  kNoSuchQueue,
  kMissingGroupId,
  kMissingDedupId,
  kReceiptHandleIsInvalid,
  kMessageNotInflight,
  kOverLimit,
  kInvalidArgument,
};

const char* QueueErrorName(QueueError e);
Status MakeError(QueueError e, std::string_view detail);
// "NoSuchQueue", ... for queue errors; Status::CodeName ("IOError", "Corruption") otherwise.
std::string ErrorName(const Status& s);

}  // namespace queue
}  // namespace pycloud

#endif  // PYCLOUD_QUEUE_ERRORS_H_
