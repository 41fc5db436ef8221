#include "objstore/errors.h"

namespace pycloud {
namespace objstore {
namespace {

constexpr StoreError kAll[] = {
    StoreError::kNoSuchBucket,     StoreError::kBucketAlreadyExists, StoreError::kBucketNotEmpty,
    StoreError::kNoSuchKey,        StoreError::kNoSuchVersion,       StoreError::kNoSuchUpload,
    StoreError::kInvalidPart,      StoreError::kInvalidPartOrder,    StoreError::kInvalidPartNumber,
    StoreError::kEntityTooSmall,   StoreError::kKeyTooLong,          StoreError::kInvalidArgument,
};

}  // namespace

const char* StoreErrorName(StoreError e) {
  switch (e) {
    case StoreError::kNoSuchBucket: return "NoSuchBucket";
    case StoreError::kBucketAlreadyExists: return "BucketAlreadyExists";
    case StoreError::kBucketNotEmpty: return "BucketNotEmpty";
    case StoreError::kNoSuchKey: return "NoSuchKey";
    case StoreError::kNoSuchVersion: return "NoSuchVersion";
    case StoreError::kNoSuchUpload: return "NoSuchUpload";
    case StoreError::kInvalidPart: return "InvalidPart";
    case StoreError::kInvalidPartOrder: return "InvalidPartOrder";
    case StoreError::kInvalidPartNumber: return "InvalidPartNumber";
    case StoreError::kEntityTooSmall: return "EntityTooSmall";
    case StoreError::kKeyTooLong: return "KeyTooLong";
    case StoreError::kInvalidArgument: return "InvalidArgument";
  }
  return "Unknown";
}

Status MakeError(StoreError e, std::string_view detail) {
  std::string msg = std::string(StoreErrorName(e)) + ": " + std::string(detail);
  switch (e) {
    case StoreError::kNoSuchBucket:
    case StoreError::kNoSuchKey:
    case StoreError::kNoSuchVersion:
    case StoreError::kNoSuchUpload:
      return Status::NotFound(msg);
    case StoreError::kBucketAlreadyExists:
      return Status::AlreadyExists(msg);
    default:
      return Status::InvalidArgument(msg);
  }
}

std::string ErrorName(const Status& s) {
  const std::string& m = s.message();
  if (!s.ok()) {
    for (StoreError e : kAll) {
      std::string name = StoreErrorName(e);
      if (m.size() > name.size() + 1 && m.compare(0, name.size(), name) == 0 && m[name.size()] == ':') return name;
    }
  }
  return Status::CodeName(s.code());
}

}  // namespace objstore
}  // namespace pycloud
