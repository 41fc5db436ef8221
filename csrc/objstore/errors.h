// Object-store error names carried inside a Status.
//
// The common Status has a handful of transport-neutral codes; the S3 layer needs finer ones
// (NoSuchKey vs NoSuchVersion, InvalidPart vs EntityTooSmall...). A store error is a Status whose
// code is the nearest generic one and whose message starts with "<Name>: "; ErrorName() recovers
// the name, and falls back to the generic code name ("IOError", "Corruption") for other statuses.
#ifndef PYCLOUD_OBJSTORE_ERRORS_H_
#define PYCLOUD_OBJSTORE_ERRORS_H_

#include <string>
#include <string_view>

#include "common/status.h"

namespace pycloud {
namespace objstore {

enum class StoreError {
  kNoSuchBucket,
  kBucketAlreadyExists,
  kBucketNotEmpty,
  kNoSuchKey,
  kNoSuchVersion,
  kNoSuchUpload,
  kInvalidPart,
  kInvalidPartOrder,
  kInvalidPartNumber,
  kEntityTooSmall,
  kKeyTooLong,
  kInvalidArgument,
};

const char* StoreErrorName(StoreError e);
Status MakeError(StoreError e, std::string_view detail);
// "NoSuchKey", ... for store errors; Status::CodeName otherwise; "OK" for OK.
std::string ErrorName(const Status& s);

}  // namespace objstore
}  // namespace pycloud

#endif  // PYCLOUD_OBJSTORE_ERRORS_H_
