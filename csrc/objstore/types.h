// Value types of the object store's public API (see object_store.h).
#ifndef PYCLOUD_OBJSTORE_TYPES_H_
#define PYCLOUD_OBJSTORE_TYPES_H_

#include <cstdint>
#include <string>
#include <vector>

namespace pycloud {
namespace objstore {

// How a write or a delete without a version id treats versions; the caller passes the bucket's
// current state on every call (the store keeps no bucket configuration).
enum class Versioning {
  kUnversioned,  // one "null" version per key; delete removes it
  kEnabled,      // every put is a new version; delete adds a delete marker
  kSuspended,    // puts replace the "null" version; delete makes the null version a delete marker
};

// The version id string of the null version.
inline constexpr const char* kNullVersionId = "null";

struct ObjectInfo {
  std::string key;
  std::string version_id;  // "null" or a 32-character id
  uint64_t size = 0;
  std::string etag;        // lower-case hex MD5, or hex(MD5 of part MD5s) + "-N" for multipart
  std::string checksum_algorithm;  // "" when none was requested
  std::string checksum;            // raw digest bytes
  int64_t last_modified = 0;       // ns since the epoch, as passed by the caller
  std::string metadata;            // opaque bytes stored with the version
  bool is_delete_marker = false;
  uint32_t parts = 0;              // part count of a multipart object, else 0
};

struct ObjectSummary {
  std::string key;
  std::string version_id;
  uint64_t size = 0;
  std::string etag;
  int64_t last_modified = 0;
  bool is_delete_marker = false;
  bool is_latest = false;
};

struct ListResult {
  std::vector<ObjectSummary> objects;     // latest version of each key, delete markers hidden
  std::vector<std::string> common_prefixes;
  bool is_truncated = false;
  std::string next_marker;                // last key or common prefix returned, when truncated
};

struct ListVersionsResult {
  std::vector<ObjectSummary> versions;    // newest first within a key
  std::vector<std::string> common_prefixes;
  bool is_truncated = false;
  std::string next_key_marker;
  std::string next_version_id_marker;     // "" when the page ended on a common prefix
};

struct PartInfo {
  uint32_t part_number = 0;
  uint64_t size = 0;
  std::string etag;  // lower-case hex MD5
  std::string checksum_algorithm;
  std::string checksum;
  int64_t last_modified = 0;
};

struct UploadInfo {
  std::string upload_id;
  std::string bucket;
  std::string key;
  std::string metadata;
  int64_t initiated = 0;
};

struct ListPartsResult {
  UploadInfo upload;
  std::vector<PartInfo> parts;
  bool is_truncated = false;
  uint32_t next_part_number_marker = 0;
};

struct ListUploadsResult {
  std::vector<UploadInfo> uploads;
  bool is_truncated = false;
  std::string next_key_marker;
  std::string next_upload_id_marker;
};

struct DeleteResult {
  std::string version_id;         // of the removed version or the new delete marker
  bool is_delete_marker = false;  // a marker was created, or the removed version was one
};

}  // namespace objstore
}  // namespace pycloud

#endif  // PYCLOUD_OBJSTORE_TYPES_H_
