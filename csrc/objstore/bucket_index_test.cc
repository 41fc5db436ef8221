// BucketIndex: version ordering, null replacement, listing with delimiters/markers, memory size.
#include "objstore/bucket_index.h"

#include <string>

#include "common/testharness.h"

namespace pycloud {
namespace objstore {
namespace {

VersionEntry V(uint64_t seq, bool null_version, bool marker = false) {
  VersionEntry v;
  v.seq = seq;
  v.vid[0] = static_cast<uint8_t>(255 - seq);
  v.flags = static_cast<uint8_t>((null_version ? VersionEntry::kNull : 0) | (marker ? VersionEntry::kDeleteMarker : 0));
  return v;
}

TEST(BucketIndex, EntryStaysSmall) { CHECK(sizeof(VersionEntry) <= 80); }

TEST(BucketIndex, NullVersionReplacedOthersKept) {
  BucketIndex idx;
  VersionEntry replaced;
  CHECK(!idx.Put("k", V(1, true), &replaced));
  CHECK(!idx.Put("k", V(2, false), &replaced));
  CHECK(idx.Put("k", V(3, true), &replaced));
  CHECK_EQ(replaced.seq, 1u);
  CHECK_EQ(idx.version_count(), 2u);
  CHECK_EQ(idx.Latest("k")->seq, 3u);
  VersionEntry removed;
  CHECK(idx.Remove("k", nullptr, &removed));
  CHECK_EQ(idx.Latest("k")->seq, 2u);
  RawId vid = V(2, false).vid;
  CHECK(idx.Remove("k", &vid, &removed));
  CHECK(idx.empty());
}

TEST(BucketIndex, ReplayOrderDoesNotMatter) {
  BucketIndex idx;
  idx.Put("k", V(5, false), nullptr);
  idx.Put("k", V(2, false), nullptr);  // an older version met later (moved by compaction)
  idx.Put("k", V(9, false), nullptr);
  ListVersionsResult r;
  idx.ListVersions("", "", "", "", 10, &r);
  CHECK_EQ(r.versions.size(), 3u);
  CHECK(r.versions[0].is_latest && !r.versions[1].is_latest);
  CHECK_EQ(r.versions[0].version_id, V(9, false).VersionId());
}

TEST(BucketIndex, ListDelimiterMarkersAndDeleteMarkers) {
  BucketIndex idx;
  uint64_t seq = 1;
  for (const char* k : {"a", "d/1", "d/2", "d/3", "e", "gone/1", "z"}) idx.Put(k, V(seq++, true), nullptr);
  idx.Put("gone/1", V(seq++, false, true), nullptr);  // hidden behind a delete marker
  idx.Put("e", V(seq++, false, true), nullptr);
  ListResult r;
  idx.List("", "/", "", 100, &r);
  CHECK_EQ(r.objects.size(), 2u);  // a, z
  CHECK_EQ(r.common_prefixes.size(), 1u);  // d/ ("gone/" has nothing visible)
  CHECK(!r.is_truncated);
  idx.List("", "/", "", 2, &r);
  CHECK(r.is_truncated);
  CHECK_EQ(r.next_marker, std::string("d/"));
  std::string marker = r.next_marker;  // a copy: List resets *out first
  idx.List("", "/", marker, 2, &r);
  CHECK_EQ(r.objects.size(), 1u);
  CHECK_EQ(r.objects[0].key, std::string("z"));
  CHECK(!r.is_truncated);
  idx.List("d/", "", "d/1", 100, &r);
  CHECK_EQ(r.objects.size(), 2u);
  CHECK_EQ(PrefixSuccessor("ab"), std::string("ac"));
  CHECK_EQ(PrefixSuccessor("a\xff"), std::string("b"));
  CHECK_EQ(PrefixSuccessor("\xff\xff"), std::string());
}

}  // namespace
}  // namespace objstore
}  // namespace pycloud

int main() { return pycloud::test::RunAllTests(); }
