#include "queue/errors.h"

namespace pycloud {
namespace queue {
namespace {

constexpr QueueError kAll[] = {
    QueueError::kQueueExists,        QueueError::kNoSuchQueue,       QueueError::kMissingGroupId,
    QueueError::kMissingDedupId,     QueueError::kReceiptHandleIsInvalid, QueueError::kMessageNotInflight,
    QueueError::kOverLimit,          QueueError::kInvalidArgument,
};

}  // namespace

const char* QueueErrorName(QueueError e) {
  switch (e) {
    case QueueError::kQueueExists: return "QueueExists";
    case QueueError::kNoSuchQueue: return "NoSuchQueue";
    case QueueError::kMissingGroupId: return "MissingGroupId";
    case QueueError::kMissingDedupId: return "MissingDedupId";
    case QueueError::kReceiptHandleIsInvalid: return "ReceiptHandleIsInvalid";
    case QueueError::kMessageNotInflight: return "MessageNotInflight";
    case QueueError::kOverLimit: return "OverLimit";
    case QueueError::kInvalidArgument: return "InvalidArgument";
  }
  return "Unknown";
}

Status MakeError(QueueError e, std::string_view detail) {
  std::string msg = std::string(QueueErrorName(e)) + ": " + std::string(detail);
  switch (e) {
    case QueueError::kNoSuchQueue: return Status::NotFound(msg);
    case QueueError::kQueueExists: return Status::AlreadyExists(msg);
    case QueueError::kOverLimit: return Status::ResourceExhausted(msg);
    default: return Status::InvalidArgument(msg);
  }
}

std::string ErrorName(const Status& s) {
  if (!s.ok()) {
    const std::string& m = s.message();
    for (QueueError e : kAll) {
      std::string_view name = QueueErrorName(e);
      if (m.size() > name.size() && m.compare(0, name.size(), name) == 0 && m[name.size()] == ':') {
        return std::string(name);
      }
    }
  }
  return Status::CodeName(s.code());
}

}  // namespace queue
}  // namespace pycloud
