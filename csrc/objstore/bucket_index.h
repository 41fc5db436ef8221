// BucketIndex: the in-memory, sorted index of one bucket's keys and versions.
//
// Every version is a fixed 80-byte VersionEntry that points at the log record holding its metadata
// (and, for small objects, its body); bodies and metadata are never held here, which keeps the
// index near 200 bytes per object. Listing walks the ordered map and jumps over everything under a
// common prefix with one lower_bound, so a delimiter listing costs O(returned items x log n).
// Thread-safety: none; the store guards each index with its mutex.
#ifndef PYCLOUD_OBJSTORE_BUCKET_INDEX_H_
#define PYCLOUD_OBJSTORE_BUCKET_INDEX_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "objstore/ids.h"
#include "objstore/types.h"

namespace pycloud {
namespace objstore {

struct VersionEntry {
  enum Flags : uint8_t { kNull = 1, kDeleteMarker = 2, kInline = 4 };

  RawId vid{};            // unused for the null version
  uint64_t seq = 0;       // log sequence number of the put: orders versions, resolves replays
  uint64_t size = 0;
  int64_t mtime = 0;
  uint8_t md5[16] = {};
  uint32_t segment = 0;   // where the put record lives
  uint32_t offset = 0;
  uint32_t meta_len = 0;
  uint16_t parts = 0;
  uint8_t flags = 0;

  bool is_null() const { return flags & kNull; }
  bool is_delete_marker() const { return flags & kDeleteMarker; }
  bool is_inline() const { return flags & kInline; }
  std::string VersionId() const { return is_null() ? kNullVersionId : EncodeId(vid); }
  std::string ETag() const;
  // Bytes the record occupies in its segment.
  uint64_t RecordSize() const;
};

class BucketIndex {
 public:
  // Adds a version. A null version replaces the key's existing null version, which is copied to
  // *replaced (returns true then).
  bool Put(std::string_view key, const VersionEntry& v, VersionEntry* replaced);
  // Removes one version (null when vid is nullptr); copies it to *removed.
  bool Remove(std::string_view key, const RawId* vid, VersionEntry* removed);
  // The newest version of a key, or nullptr.
  const VersionEntry* Latest(std::string_view key) const;
  // One version (null when vid is nullptr), or nullptr.
  const VersionEntry* Find(std::string_view key, const RawId* vid) const;
  VersionEntry* FindMutable(std::string_view key, const RawId* vid);

  void List(std::string_view prefix, std::string_view delimiter, std::string_view start_after, size_t max_keys,
            ListResult* out) const;
  void ListVersions(std::string_view prefix, std::string_view delimiter, std::string_view key_marker,
                    std::string_view version_id_marker, size_t max_keys, ListVersionsResult* out) const;

  // Calls fn for every version (for recovery's file sweep and compaction bookkeeping).
  void ForEach(const std::function<void(const std::string& key, const VersionEntry&)>& fn) const;

  bool empty() const { return keys_.empty(); }
  size_t key_count() const { return keys_.size(); }
  size_t version_count() const { return versions_; }

 private:
  using Map = std::map<std::string, std::vector<VersionEntry>, std::less<>>;
  // True if some key in [first, last) has a latest version that is not a delete marker.
  static bool AnyVisible(Map::const_iterator first, Map::const_iterator last);

  Map keys_;  // versions newest (highest seq) first
  size_t versions_ = 0;
};

// The smallest string greater than every string starting with s ("" when none exists).
std::string PrefixSuccessor(std::string_view s);

}  // namespace objstore
}  // namespace pycloud

#endif  // PYCLOUD_OBJSTORE_BUCKET_INDEX_H_
